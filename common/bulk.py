"""Set-based writes shared by posting and closing: many rows in a handful of statements.

PostgreSQL gets COPY (into the table or into a temporary table followed by `UPDATE ... FROM`);
SQLite (3.33+) runs the same `UPDATE ... FROM` with the rows inserted by executemany. Everything
runs inside the caller's transaction.
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.db import connection
from django.utils import timezone


def _sqlite_value(value):
    return str(value) if isinstance(value, Decimal) else value


def _copy_text(value) -> str:
    """One value in COPY's text format. Formatting here, in bulk, is several times faster than
    letting the driver dump value by value."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence], *, plain: bool = False) -> None:
    """Insert many rows: COPY on PostgreSQL, executemany elsewhere.

    `plain=True` promises every value is a number, a date or a boolean and none is NULL: then
    `str()` is already COPY's text form and the rows are formatted at C speed (the close writes a
    million such rows)."""
    rows = list(rows)
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            text = (lambda row: "\t".join(map(str, row))) if plain else (lambda row: "\t".join(map(_copy_text, row)))
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for start in range(0, len(rows), 20000):
                    copy.write("\n".join(map(text, rows[start:start + 20000])) + "\n")
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})",
                               [[_sqlite_value(value) for value in row] for row in rows])


def update_from_rows(*, table: str, columns: Sequence[tuple[str, str]], rows: Sequence[tuple], set_sql: str,
                     params: Sequence = (), plain: bool = False) -> None:
    """Update many rows of `table` in one statement. `rows` go to a temporary table whose first
    column is the id and whose other columns are `columns` (name, type); `set_sql` refers to them
    as `d.<name>`: `UPDATE table SET <set_sql> FROM tmp d WHERE table.id = d.id`."""
    if not rows:
        return
    tmp = f"tmp_{table}_rows"
    column_sql = ", ".join(f"{name} {kind}" for name, kind in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {tmp}")
        cursor.execute(f"CREATE TEMPORARY TABLE {tmp} (id bigint PRIMARY KEY, {column_sql})")
    copy_rows(tmp, ["id", *[name for name, _ in columns]], rows, plain=plain)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {set_sql} FROM {tmp} d WHERE {table}.id = d.id", list(params))
        cursor.execute(f"DROP TABLE {tmp}")


def apply_deltas(*, table: str, rows: Sequence[tuple], columns: Sequence[str], set_sql: str, params: Sequence = ()) -> None:
    """Add numeric deltas to many rows: `columns` is ["id", "d_a", "d_b", ...]; all values are numbers."""
    update_from_rows(table=table, columns=[(name, "numeric") for name in columns[1:]], rows=rows, set_sql=set_sql,
                     params=params, plain=True)


def set_columns(*, table: str, fields: Sequence[tuple[str, str]], rows: Sequence[tuple]) -> None:
    """Set absolute values of some columns of many rows: `fields` are (column, SQL type)."""
    update_from_rows(table=table, columns=fields, rows=rows,
                     set_sql=", ".join(f"{name} = d.{name}" for name, _ in fields))


def ids_reserve(*, table: str, count: int) -> list[int]:
    """Draw `count` ids from the id sequence of `table` (PostgreSQL) in one query, so that rows can
    be written by COPY with their ids known to the caller (voucher lines name their voucher)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
        return [row[0] for row in cursor.fetchall()]


def copy_models(objects: Sequence) -> None:
    """Insert new model instances of one model by COPY (PostgreSQL), giving each its id: what
    `bulk_create` does, without formatting every value through its field (several times slower on
    a million rows). Foreign keys set as objects saved after they were assigned are taken from the
    object, as `bulk_create` does; `auto_now_add` fields get the current time."""
    if not objects:
        return
    meta = type(objects[0])._meta
    fields = list(meta.concrete_fields)
    relations = [field for field in fields if field.is_relation]
    stamped = [field for field in fields if getattr(field, "auto_now_add", False)]
    now = timezone.now()
    for obj, pk in zip(objects, ids_reserve(table=meta.db_table, count=len(objects)), strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
        for field in relations:
            if getattr(obj, field.attname) is None and field.is_cached(obj):
                related = field.get_cached_value(obj)
                if related is not None:
                    setattr(obj, field.attname, related.pk)
        for field in stamped:
            if getattr(obj, field.attname) is None:
                setattr(obj, field.attname, now)
    attnames = [field.attname for field in fields]
    copy_rows(meta.db_table, [field.column for field in fields],
              ([getattr(obj, name) for name in attnames] for obj in objects))
