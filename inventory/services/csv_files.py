"""Reading the CSV files of the import contract (README, "CSV import/export contract") as a stream.

`CsvRows` reads a binary file line by line and yields `(line, {column: text})`, holding one
physical line at a time, so a file of any size is read in flat memory. Line numbers are the file's
own (the header is line 1; a quoted value spanning lines counts every line, and a row is named by
its last line, as `csv` counts them).

Decoding is strict: UTF-8, with or without a byte-order mark. The first byte that is not UTF-8
stops the file with an error naming its line and byte offset: nothing is decoded with replacement
characters. A line is decoded on its own (a newline byte is never part of a multi-byte UTF-8
character, so a character never spans two lines).

Problems of the whole file (its header, its encoding, a line too long to be a CSV row) make it
`failed`; problems of one row (more values than the header has columns, a value over the `csv`
module's field size limit) are collected in `errors` and the row is skipped, so the caller can
report every bad row of the file.

Below it, what every import shares: `ImportResult`, `read_rows` for a small text, the parsing of
dates and numbers with the contract's limits, and `fewer_collections` around a long post.
"""

import csv
import gc
import io
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import BinaryIO

from common.errors import DomainError
from common.money import to_decimal

# A physical line longer than this is not a CSV row of ours (the longest value a column of the
# contract holds is a 200-character name): refused before it is held in memory.
MAX_LINE_BYTES = 1024 * 1024


class CsvRows:
    def __init__(self, stream: BinaryIO, *, required: list[str], known: list[str]):
        self.stream = stream
        self.required = required
        self.known = known
        self.bytes_read = 0
        self.physical_line = 0
        self.errors: list[tuple[int, str]] = []  # row problems, in line order, drained by the caller
        self.failed = False  # the file as a whole is refused: `errors` says why
        self.header: list[str] = []

    # -- physical lines --------------------------------------------------------------------------

    def _lines(self) -> Iterator[str]:
        while True:
            raw = self.stream.readline(MAX_LINE_BYTES + 1)
            if not raw:
                return
            offset = self.bytes_read
            self.bytes_read += len(raw)
            self.physical_line += 1
            if len(raw) > MAX_LINE_BYTES:
                self._fail(self.physical_line, f"line {self.physical_line} is longer than {MAX_LINE_BYTES:,} bytes: "
                                               "it is not a row of this file format")
                return
            if self.physical_line == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw, offset = raw[3:], offset + 3
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as error:
                position = offset + error.start
                self._fail(self.physical_line, (
                    f"the file is not UTF-8: byte 0x{raw[error.start]:02x} at byte offset {position:,} (line "
                    f"{self.physical_line}) is not valid UTF-8; save the file as UTF-8 and upload it again"))
                return

    def _fail(self, line: int, message: str) -> None:
        self.failed = True
        self.errors.append((line, message))

    # -- rows ------------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        lines = self._lines()
        reader = csv.reader(lines)
        try:
            header = next(reader, None)
        except csv.Error as error:
            self._fail(1, f"the header cannot be read: {error}")
            return
        if self.failed:
            return
        self.header = [name.strip() for name in header or []]
        missing = [name for name in self.required if name not in self.header]
        unknown = [name for name in self.header if name and name not in self.known]
        if missing:
            self._fail(1, f"header is missing column(s): {', '.join(missing)} (expected {','.join(self.known)})")
        if unknown:
            self._fail(1, f"header has unknown column(s): {', '.join(unknown)}")
        if self.failed:
            return
        width = len(self.header)
        # A row as wide as the header whose columns are all named (the usual case) becomes its dict
        # in one step; otherwise empty column names are skipped and missing values are "".
        plain = all(self.header)
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                if self.failed:  # the line source stopped (encoding): said already
                    return
                self.errors.append((reader.line_num, _csv_problem(error)))
                continue
            if self.failed:
                return
            if not "".join(values).strip():
                continue  # blank line
            if len(values) > width:
                problem = f"the row has {len(values)} values but the header has {width} columns"
                self.errors.append((reader.line_num, problem))
                continue
            if plain and len(values) == width:
                yield reader.line_num, dict(zip(self.header, map(str.strip, values), strict=True))
                continue
            yield reader.line_num, {name: (values[index].strip() if index < len(values) else "")
                                    for index, name in enumerate(self.header) if name}


def _csv_problem(error: csv.Error) -> str:
    text = str(error)
    if "field larger than field limit" in text:
        return f"a value is longer than {csv.field_size_limit():,} characters (the CSV field size limit)"
    return f"the row cannot be read as CSV: {text}"


# -- what every CSV import shares ---------------------------------------------------------------

# numeric(20, 6) quantities and unit costs, numeric(20, 2) amounts (common.money): larger values
# would be refused by the database (or overflow Decimal formatting) instead of naming the row.
MAX_INTEGER_DIGITS = 14
MAX_DECIMAL_PLACES = 6
MAX_AMOUNT = Decimal(10) ** 17


@dataclass
class ImportResult:
    posted: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    seconds: float = 0.0
    journal: object = None  # opening entries: the journal the file became
    rows_read: int = 0
    bytes_read: int = 0
    # With `error_limit`, only the first errors are kept in `errors`; `error_sink` sees every one.
    error_limit: int | None = None
    more_errors: int = 0
    error_sink: Callable[[int, str], None] | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_count(self) -> int:
        return len(self.errors) + self.more_errors

    @property
    def rate(self) -> float:
        return self.posted / self.seconds if self.seconds else 0.0

    def add_errors(self, errors: Iterable[tuple[int, str]]) -> None:
        """Record a batch of errors (sorted by line here; batches come in file order)."""
        for line, message in sorted(errors, key=lambda error: error[0]):  # stable: same line keeps its order
            if self.error_sink is not None:
                self.error_sink(line, message)
            if self.error_limit is None or len(self.errors) < self.error_limit:
                self.errors.append((line, message))
            else:
                self.more_errors += 1


def text_stream(text: str) -> BinaryIO:
    return io.BytesIO(text.encode("utf-8"))


def read_rows(content: str | bytes, required: list[str], known: list[str]
              ) -> tuple[list[tuple[int, dict]], list[tuple[int, str]]]:
    """Every row of a small file (items, opening entries, a count sheet), or the problems of the
    file. Bytes, as uploaded, are decoded strictly (UTF-8 with or without a byte-order mark)."""
    stream = io.BytesIO(content) if isinstance(content, bytes) else text_stream(content)
    reader = CsvRows(stream, required=required, known=known)
    rows = list(reader)
    return (rows, []) if not reader.errors else ([], reader.errors)


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError(f"bad date {value!r} (expected YYYY-MM-DD)") from None


def parse_number(value: str, name: str) -> Decimal:
    try:
        number = to_decimal(value)
    except ValueError:
        raise DomainError(f"bad number {value!r} in {name}") from None
    _, digits, exponent = number.as_tuple()
    if len(digits) + exponent > MAX_INTEGER_DIGITS:
        raise DomainError(f"number {value!r} in {name} is too large (at most {MAX_INTEGER_DIGITS} digits before "
                          "the decimal point)")
    if exponent < -MAX_DECIMAL_PLACES and number != number.quantize(Decimal(1).scaleb(-MAX_DECIMAL_PLACES)):
        raise DomainError(f"number {value!r} in {name} has more than {MAX_DECIMAL_PLACES} decimal places")
    return number


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run Python's cyclic garbage collector less often while a file posts (transactions_post). It runs after every 700
    new container objects by default; posting a chunk makes tens of thousands (transactions, lines,
    vouchers), nearly none in cycles, and each young collection walks what the chunk still holds:
    a tenth of an import's Python time (docs/benchmarks.md). Reference counting still frees
    everything as before; only cycles wait a little longer."""
    thresholds = gc.get_threshold()
    gc.set_threshold(50_000, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
