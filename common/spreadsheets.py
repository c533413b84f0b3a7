"""CSV and Excel files a user downloads, written so that no spreadsheet runs a cell as a formula.

A spreadsheet treats a CSV cell that starts with `=`, `+`, `-` or `@` (and, in some, a tab or a
carriage return) as a formula: an item named `=HYPERLINK("http://…")` would become a live link, and
worse (OWASP "CSV injection"). The rule, for every export of Costbook:

- CSV: a text cell that starts with one of `= + - @ \\t \\r` is written with a single quote in front
  (`'=HYPERLINK(…)`), which spreadsheets show as text. A plain number (`-12.50`, `-3`) is left as
  it is, so amounts and quantities stay machine-readable: it cannot be a formula.
- Excel: numbers are number cells, text is always a text cell (never a formula); a text cell that
  starts with one of those characters also gets Excel's quote prefix, so editing it keeps it text.
  In a numeric column (`numeric_columns`), a plain-number text such as "-12.50" is a number cell.

`cell_unescape` undoes the CSV escape for the files Costbook reads back (the count sheet).
Writers take a file object and write row by row: memory stays flat whatever the row count.
"""

import csv
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import IO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"
CSV = "csv"
XLSX = "xlsx"
FORMATS = (CSV, XLSX)
CONTENT_TYPES = {
    CSV: "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# A number as Costbook writes them (amounts "-12.50", quantities "-1.5"): never a formula.
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?\Z")
# Control characters an .xlsx file cannot hold (tab, newline and carriage return it can).
_XLSX_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")


def is_plain_number(text: str) -> bool:
    return bool(_PLAIN_NUMBER.match(text))


def cell_text(value: object) -> str:
    """A cell's value as text: empty for None, decimals in plain notation, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def needs_escape(text: str) -> bool:
    """Would a spreadsheet read this text cell as a formula?"""
    return text.startswith(FORMULA_STARTS) and not is_plain_number(text)


def csv_cell(value: object) -> str:
    """The CSV form of a cell: numbers as they are, text that a spreadsheet would run quoted."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return cell_text(value)
    text = cell_text(value)
    return ESCAPE + text if needs_escape(text) else text


def cell_unescape(text: str) -> str:
    """A cell of a CSV file Costbook wrote, as it was before `csv_cell` quoted it."""
    if text.startswith(ESCAPE) and text[1:].startswith(FORMULA_STARTS) and not is_plain_number(text[1:]):
        return text[1:]
    return text


class CsvWriter:
    """csv.writer whose every cell goes through `csv_cell`."""

    def __init__(self, out: IO[str], *, lineterminator: str = "\r\n"):
        self._writer = csv.writer(out, lineterminator=lineterminator)

    def writerow(self, row: Iterable[object]):
        return self._writer.writerow([csv_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)

    def close(self) -> None:
        pass


class _Echo:
    """A file-like object whose write returns what it is given (csv.writer into a streamed response)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """Each row as one escaped CSV line, for a StreamingHttpResponse."""
    writer = CsvWriter(_Echo())
    for row in rows:
        yield writer.writerow(row)


class XlsxWriter:
    """An .xlsx workbook of one sheet, written row by row (openpyxl's write-only mode keeps the rows
    in a temporary file, not in memory) and saved to `out` (a path or a binary file) on close()."""

    def __init__(self, out, *, title: str = "Export", numeric_columns: Iterable[int] = ()):
        # Imported here: only the Excel exports pay for importing openpyxl.
        from openpyxl import Workbook

        self._out = out
        self._workbook = Workbook(write_only=True)
        self._sheet = self._workbook.create_sheet(title=_sheet_title(title))
        self.numeric_columns = set(numeric_columns)

    def writerow(self, row: Iterable[object]) -> None:
        self._sheet.append([self._cell(index, value) for index, value in enumerate(row)])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)

    def _cell(self, index: int, value: object):
        from openpyxl.cell import WriteOnlyCell

        if value is None or value == "":
            return None
        if isinstance(value, bool):
            value = "yes" if value else "no"
        if isinstance(value, Decimal):
            return self._number(value)
        if isinstance(value, (int, float)):
            return value
        if isinstance(value, datetime):
            # Excel has no time zones: the time as written in ISO form is what the user saw.
            value = value.isoformat()
        elif isinstance(value, date):
            return value
        text = _XLSX_ILLEGAL.sub("", cell_text(value))
        if index in self.numeric_columns and is_plain_number(text):
            return self._number(Decimal(text))
        cell = WriteOnlyCell(self._sheet, value=text)
        # Set after the value: openpyxl makes any string starting with "=" a formula.
        cell.data_type = "s"
        if text.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
        return cell

    def _number(self, value: Decimal):
        """A number cell showing as many decimals as the value has (an amount: 50.00, not 50)."""
        from openpyxl.cell import WriteOnlyCell

        places = -value.as_tuple().exponent if isinstance(value.as_tuple().exponent, int) else 0
        if places <= 0:
            return value
        cell = WriteOnlyCell(self._sheet, value=value)
        cell.number_format = "0." + "0" * places
        return cell

    def close(self) -> None:
        self._workbook.save(self._out)


def _sheet_title(title: str) -> str:
    # Excel refuses these characters in a sheet name and more than 31 characters.
    return re.sub(r"[\\/*?:\[\]]", " ", title)[:31] or "Export"


def writer_for(fmt: str, out, *, title: str = "Export", numeric_columns: Iterable[int] = ()):
    """A CsvWriter (for a text file) or XlsxWriter (for a binary file or path) by format."""
    if fmt == CSV:
        return CsvWriter(out)
    if fmt == XLSX:
        return XlsxWriter(out, title=title, numeric_columns=numeric_columns)
    raise ValueError(f"Unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}.")
