"""Columns that are empty on every row of a page are hidden (issue #17, point 9): a lot/serial or a
warehouse column nobody uses only pushes the other columns off a laptop screen. One rule for the
django-tables2 lists (`HidesEmptyColumns`) and the hand-written tables (the `filled_columns`
template filter), both through `filled`."""

from collections.abc import Iterable

import django_tables2 as tables

EMPTY = (None, "")


def resolve(row, path: str):
    """The value at `path` ("a__b" or "a.b") of a dict or an object; None where a step is missing."""
    parts = path.replace(".", "__").split("__")
    value = row
    for index, part in enumerate(parts):
        if value is None:
            return None
        if isinstance(value, dict):
            rest = "__".join(parts[index:])
            if rest in value:  # a values() row keeps "a__b" as one key
                return value[rest]
            value = value.get(part)
        else:
            value = getattr(value, part, None)
    return value


def filled(rows: Iterable, paths: Iterable[str]) -> dict[str, bool]:
    """For each path, whether any row has a value there. With no rows every column is kept, so an
    empty table still shows its headings."""
    rows = list(rows)
    return {path: not rows or any(resolve(row, path) not in EMPTY for row in rows) for path in paths}


class HidesEmptyColumns(tables.Table):
    """A table whose columns named in `hide_when_empty` are hidden when no row of the page being
    rendered has a value in them (and shown again when one has)."""

    hide_when_empty: tuple[str, ...] = ()

    def before_render(self, request):
        super().before_render(request)
        records = [row.record for row in self.paginated_rows]
        names = [name for name in self.hide_when_empty if name in self.columns]
        shown = filled(records, [str(self.columns[name].accessor) for name in names])
        for name in names:
            if shown[str(self.columns[name].accessor)]:
                self.columns.show(name)
            else:
                self.columns.hide(name)
