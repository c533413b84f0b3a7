"""Set-based writes shared by posting and closing: many rows in a handful of statements.

PostgreSQL gets COPY (into the table or into a temporary table followed by `UPDATE ... FROM`);
SQLite (3.33+) runs the same `UPDATE ... FROM` with the rows inserted by executemany. Everything
runs inside the caller's transaction.
"""

from collections.abc import Collection, Iterable, Sequence
from decimal import Decimal
from operator import itemgetter

from django.db import connection
from django.db.models import signals
from django.db.models.base import ModelState
from django.utils import timezone

from common.errors import DomainError


def _sqlite_value(value):
    return str(value) if isinstance(value, Decimal) else value


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence], *, plain: bool = False,
              integers: bool = False) -> None:
    """Insert many rows: COPY on PostgreSQL, executemany elsewhere.

    `plain=True` promises every value is a number, a date or a boolean and none is NULL: then
    `str()` is already COPY's text form and each row is one join (`apply_deltas`' numeric deltas;
    a writer that knows its columns formats its own lines faster, `copy_lines`). `integers=True` promises every value is an int for a bigint column: the rows
    go in COPY's binary format, which psycopg writes in a third of the time (measured on 37,000 rows
    of four integers: 13-23 ms against 47-63 ms)."""
    rows = list(rows)
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if integers:
                with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types(["int8"] * len(columns))
                    for row in rows:
                        copy.write_row(row)
                return
            if plain:
                copy_lines(table, columns, ["\t".join(map(str, row)) for row in rows])
                return
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                # psycopg's C formatting of each row (its binary build): a third faster than
                # formatting the values in Python (docs/benchmarks.md, import).
                for row in rows:
                    copy.write_row(row)
        else:
            _sqlite_insert(cursor, table, columns, [[_sqlite_value(value) for value in row] for row in rows])


def copy_lines(table: str, columns: Sequence[str], lines: Sequence[str]) -> None:
    """Insert rows the caller already wrote as COPY's text lines (values separated by tabs, no NULL,
    no tab, newline or backslash in a value): a writer of a million rows of numbers and dates formats
    each with one f-string. SQLite gets the lines split at the tabs; its column affinity reads the
    numbers back."""
    if not lines:
        return
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            _sqlite_insert(cursor, table, columns, [line.split("\t") for line in lines])
            return
        with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for start in range(0, len(lines), 20000):
                copy.write("\n".join(lines[start:start + 20000]) + "\n")


def _sqlite_insert(cursor, table: str, columns: Sequence[str], rows: list) -> None:
    placeholders = ", ".join(["%s"] * len(columns))
    cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows)


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
    object, as `bulk_create` does; `auto_now_add` fields get the current time. Foreign keys without
    a database constraint are checked (references_check)."""
    if not objects:
        return
    meta = type(objects[0])._meta
    fields = list(meta.concrete_fields)
    # Values are read from each instance's __dict__ (where Django keeps them): a foreign key's
    # attname is a descriptor, and going through it for 29 fields of a million rows was a tenth
    # of an import's Python time.
    relations = [(field.attname, field.name) for field in fields if field.is_relation]
    stamped = [field.attname for field in fields if getattr(field, "auto_now_add", False)]
    pk_attname = meta.pk.attname
    now = timezone.now()
    for obj, pk in zip(objects, ids_reserve(table=meta.db_table, count=len(objects)), strict=True):
        values = obj.__dict__
        values[pk_attname] = pk
        obj._state.adding = False
        obj._state.db = connection.alias
        cached = obj._state.fields_cache
        for attname, name in relations:
            if values.get(attname) is None and cached.get(name) is not None:
                values[attname] = cached[name].pk
        for attname in stamped:
            if values.get(attname) is None:
                values[attname] = now
    attnames = [field.attname for field in fields]
    row_of = itemgetter(*attnames)
    rows = [row_of(obj.__dict__) for obj in objects]
    columns = [field.column for field in fields]
    references_check(model=type(objects[0]), columns=columns, rows=rows)
    copy_rows(meta.db_table, columns, rows)


def references_check(*, model, columns: Sequence[str], rows: Sequence[Sequence], unlocked: Collection[str] = ()) -> None:
    """Check, for rows about to be written to `model`'s table (`columns` name their values), every
    foreign key that has no database constraint (`db_constraint=False`): one query per such column
    for all the rows, instead of PostgreSQL's check per row and key. Raises DomainError naming the
    first value that refers to nothing.

    As a foreign key does, it locks the rows referred to (FOR KEY SHARE, in id order) until the
    transaction ends, so that they cannot be deleted before it commits; the tables' delete guards
    (common migration 0002_database's function, per statement) then refuse the delete. The columns in `unlocked` are only checked:
    for rows this transaction has just inserted (nobody else sees them yet) or never deletes,
    where a lock per row would be a write per row."""
    for field in model._meta.concrete_fields:
        if not field.is_relation or field.db_constraint or field.column not in columns:
            continue
        position = list(columns).index(field.column)
        wanted = set(map(itemgetter(position), rows))
        wanted.discard(None)
        if not wanted:
            continue
        target = field.related_model._meta
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                if field.name in unlocked:
                    cursor.execute(
                        f"SELECT wanted.id FROM unnest(%s::bigint[]) AS wanted(id) WHERE NOT EXISTS "
                        f"(SELECT 1 FROM {target.db_table} t WHERE t.{target.pk.column} = wanted.id) LIMIT 1",
                        [sorted(wanted)])
                    missing = [row[0] for row in cursor.fetchall()]
                else:
                    cursor.execute(f"SELECT t.{target.pk.column} FROM {target.db_table} t WHERE t.{target.pk.column} "
                                   f"= ANY(%s) ORDER BY 1 FOR KEY SHARE", [sorted(wanted)])
                    missing = sorted(wanted - {row[0] for row in cursor.fetchall()})
        else:
            ordered = sorted(wanted)
            found = set()
            for start in range(0, len(ordered), 500):
                found.update(field.related_model._base_manager.filter(pk__in=ordered[start:start + 500])
                             .values_list("pk", flat=True))
            missing = sorted(wanted - found)
        if missing:
            raise DomainError(f"A {model._meta.verbose_name} refers to {target.verbose_name} {missing[0]} "
                              f"({field.name}), which does not exist.")


def instances_references_check(objects: Sequence) -> None:
    """references_check for new model instances of one model (their foreign keys as assigned)."""
    if not objects:
        return
    fields = type(objects[0])._meta.concrete_fields
    relations = [field for field in fields if field.is_relation and not field.db_constraint]
    if not relations:
        return
    for obj in objects:
        for field in relations:
            if getattr(obj, field.attname) is None and field.is_cached(obj):
                related = field.get_cached_value(obj)
                if related is not None:
                    setattr(obj, field.attname, related.pk)
    references_check(model=type(objects[0]), columns=[field.column for field in relations],
                     rows=[[getattr(obj, field.attname) for field in relations] for obj in objects])


_BLANK_ROWS: dict[type, tuple[dict, dict]] = {}


def instance_new(model, /, **values):
    """`model(**values)` for a row about to be inserted in bulk, without `Model.__init__`'s work
    per field (descriptors, defaults, init signals): 60 µs for a transaction of 29 fields, a third of
    an import's Python time. `values` are fields by name (a related object under its field's name,
    kept as the cached object, as assignment does) or by attname; every other field takes its
    default. Only for models whose defaults are constants and that have no init signal receivers."""
    blank = _BLANK_ROWS.get(model)
    if blank is None:
        blank = _BLANK_ROWS[model] = _blank_row(model)
    defaults, relations = blank
    obj = model.__new__(model)
    state = ModelState()
    state.fields_cache = cached = {}
    row = obj.__dict__
    row.update(defaults)
    row.update(values)
    row["_state"] = state
    # Related objects given by name move to the cache, their ids to the attnames (a set operation
    # and a loop over those only, instead of a look-up per value: 24 values for a transaction).
    for name in relations.keys() & values.keys():
        value = cached[name] = row.pop(name)
        row[relations[name]] = None if value is None else value.pk
    return obj


def _blank_row(model) -> tuple[dict, dict]:
    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        raise TypeError(f"{model.__name__} has init signal receivers: create it with {model.__name__}(...).")
    defaults, relations = {}, {}
    for field in model._meta.concrete_fields:
        if field.has_default() and callable(field.default):
            raise TypeError(f"{model.__name__}.{field.name} has a computed default: create it with {model.__name__}(...).")
        defaults[field.attname] = field.get_default()
        if field.is_relation:
            relations[field.name] = field.attname
    return defaults, relations
