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
"""

import csv
from collections.abc import Iterator
from typing import BinaryIO

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
            if not any(value.strip() for value in values):
                continue  # blank line
            if len(values) > width:
                problem = f"the row has {len(values)} values but the header has {width} columns"
                self.errors.append((reader.line_num, problem))
                continue
            yield reader.line_num, {name: (values[index].strip() if index < len(values) else "")
                                    for index, name in enumerate(self.header) if name}


def _csv_problem(error: csv.Error) -> str:
    text = str(error)
    if "field larger than field limit" in text:
        return f"a value is longer than {csv.field_size_limit():,} characters (the CSV field size limit)"
    return f"the row cannot be read as CSV: {text}"
