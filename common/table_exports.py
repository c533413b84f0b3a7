"""The list pages' and reports' tables (django-tables2) as CSV or Excel, through the safe writers of
common.spreadsheets. A page asks for `?_export=csv|xlsx`; an export of more than EXPORT_JOB_ROWS
rows is not answered at once but handed to the export jobs (the reports app) by a redirect to
`reports:export_start`, which queues it and shows its page. Pages name the export job kind that
rebuilds their table from the same query string (reports.exports.KINDS)."""

import io
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.encoding import force_str
from django_tables2 import Table
from django_tables2.export import ExportMixin
from django_tables2.rows import BoundRow

from common.spreadsheets import CONTENT_TYPES, CSV, FORMATS, XLSX, CsvWriter, XlsxWriter

EXPORT_PARAM = "_export"
# Query parameters of a page that are not its filters: they do not follow the export into a job.
NOT_FILTERS = (EXPORT_PARAM, "page", "per_page")
CHUNK_ROWS = 2000


@dataclass
class TableRows:
    header: list[str]
    numeric_columns: set[int]
    rows: Iterator[list[object]]


def table_rows(table: Table, *, exclude_columns=()) -> TableRows:
    """The header and the values of a table's rows (as its export would show them), read lazily: a
    queryset is read in chunks with a server-side cursor, any other data as it iterates."""
    columns = [column for column in table.columns.iterall()
               if not (column.column.exclude_from_export or column.name in exclude_columns)]
    numeric = {index for index, column in enumerate(columns) if "num" in _td_class(column)}

    def rows() -> Iterator[list[object]]:
        for record in _records(table):
            row = BoundRow(record, table=table)
            yield [force_str(row.get_cell_value(column.name), strings_only=True) for column in columns]

    return TableRows(header=[force_str(column.header) for column in columns], numeric_columns=numeric, rows=rows())


def _td_class(column) -> str:
    attrs = column.column.attrs or {}
    td = attrs.get("td") or {}
    return str(td.get("class", ""))


def _records(table: Table):
    data = table.data.data
    if isinstance(data, QuerySet):
        return data.iterator(chunk_size=CHUNK_ROWS)
    return iter(data)


def table_row_count(table: Table) -> int:
    """How many rows the export would have (a COUNT for a queryset: django-tables2's len() of an
    unpaginated table's queryset would read every row into memory)."""
    data = table.data.data
    if isinstance(data, QuerySet):
        return data.count()
    return len(table.data)


def table_file_write(table: Table, *, fmt: str, out, title: str = "Export", exclude_columns=(),
                     on_row=None) -> int:
    """Write the table to `out` (text file for CSV, binary file or path for Excel); the rows written."""
    rows = table_rows(table, exclude_columns=exclude_columns)
    writer = CsvWriter(out) if fmt == CSV else XlsxWriter(out, title=title, numeric_columns=rows.numeric_columns)
    writer.writerow(rows.header)
    count = 0
    for row in rows.rows:
        writer.writerow(row)
        count += 1
        if on_row is not None:
            on_row(count)
    writer.close()
    return count


def table_export_response(table: Table, *, fmt: str, filename: str, exclude_columns=()) -> HttpResponse:
    """A table small enough to answer at once (at most EXPORT_JOB_ROWS rows) as a download."""
    if fmt == CSV:
        out = io.StringIO()
        table_file_write(table, fmt=fmt, out=out, exclude_columns=exclude_columns)
        content: bytes | str = out.getvalue()
    else:
        out = io.BytesIO()
        table_file_write(table, fmt=fmt, out=out, title=filename.rsplit(".", 1)[0], exclude_columns=exclude_columns)
        content = out.getvalue()
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_job_redirect(request: HttpRequest, *, kind: str, fmt: str, extra: dict | None = None) -> HttpResponseRedirect:
    """Hand the export to a job: the reports app queues it (for this user, with the page's filters
    and `extra`, e.g. what the page's URL names) and shows its page."""
    extra = extra or {}
    query = [(name, value) for name, values in request.GET.lists() if name not in NOT_FILTERS and name not in extra
             for value in values]
    query += [*extra.items(), ("_kind", kind), ("_format", fmt)]
    return HttpResponseRedirect(f"{reverse('reports:export_start')}?{urlencode(query)}")


def export_response(request: HttpRequest, table: Table, name: str, *, kind: str | None = None,
                    extra: dict | None = None):
    """The table as a CSV or Excel download when the page is asked for one (?_export=csv|xlsx), else
    None. With a job `kind`, a table longer than EXPORT_JOB_ROWS goes to an export job instead."""
    fmt = request.GET.get(EXPORT_PARAM)
    if fmt not in FORMATS:
        return None
    if kind and table_row_count(table) > settings.EXPORT_JOB_ROWS:
        return export_job_redirect(request, kind=kind, fmt=fmt, extra=extra)
    return table_export_response(table, fmt=fmt, filename=f"{name}.{fmt}")


class SafeExportMixin(ExportMixin):
    """django-tables2's ExportMixin (`?_export=csv|xlsx`, `export_name`) writing through the safe
    writers; with `export_kind`, an export longer than EXPORT_JOB_ROWS rows becomes an export job."""

    export_kind: str | None = None
    export_formats = (CSV, XLSX)

    def create_export(self, export_format):
        table = self.get_table(**self.get_table_kwargs())
        if self.export_kind and table_row_count(table) > settings.EXPORT_JOB_ROWS:
            return export_job_redirect(self.request, kind=self.export_kind, fmt=export_format)
        return table_export_response(table, fmt=export_format, filename=self.get_export_filename(export_format),
                                     exclude_columns=self.exclude_columns)

    def render_to_response(self, context, **kwargs):
        if self.request.GET.get(self.export_trigger_param) in FORMATS:
            return self.create_export(self.request.GET[self.export_trigger_param])
        return super(ExportMixin, self).render_to_response(context, **kwargs)
