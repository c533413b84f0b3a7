"""The closing data layer's writing half: a run's settlements and adjustments go out by COPY, and
come back off, in a handful of set-based statements however many transactions a bundle or a run
touched. What a run changes on inventory's tables (transactions, cost dimensions, on-hand) inventory
writes itself (inventory/services/valuation.py); this module hands it the rows. Everything runs
inside the caller's transaction. Reading a bundle in is closing/data.py.
"""

from collections.abc import Sequence
from datetime import date

from django.db import connection

from closing.models import ClosingRun
from common.bulk import copy_lines
from inventory.services.valuation import run_take_back


def commit_without_waiting_for_disk() -> None:
    """A bundle's results and its "done" mark commit together, so a bundle lost to a database server
    crash in the short window before its commit reaches disk simply comes back as not done, and
    resume redoes it. That lets bundle commits skip waiting for the WAL flush (each writes tens of
    megabytes): PostgreSQL's synchronous_commit=off for this transaction only; consistency is kept."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def roomy_sorts(megabytes: int) -> None:
    """Give this transaction's sorts and hash aggregates room in memory (PostgreSQL's default of
    4 MB spills a reversal's million-row aggregate to disk). Reset at commit."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{int(megabytes)}MB'")


# A table's statistics are stale, as autovacuum judges it, once more than a tenth of its rows (and
# a thousand) changed since it was last analyzed (autovacuum_analyze_scale_factor, _threshold).
STALE_STATISTICS = """
SELECT c.relname FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
 WHERE c.relname = ANY(%s) AND c.relkind = 'r'
   AND (c.reltuples < 0 OR COALESCE(s.n_mod_since_analyze, 0) > 1000 + 0.1 * c.reltuples)
"""


def refresh_statistics(*tables: str, only_stale: bool = False) -> None:
    """A close adds hundreds of thousands of settlement and adjustment rows at once; until
    autovacuum notices, the planner believes those tables are tiny and joins them row by row
    (measured: a reversal of 1M transactions planned as a nested loop of index probes). ANALYZE
    samples a few thousand rows, but a million-row table still takes most of a second, so only the
    tables whose statistics are stale are analyzed with `only_stale` (the reversal right after a
    close finds the close's own ANALYZE still fresh). Not the end of a close: PostgreSQL counts
    other sessions' changes only once they report them (up to seconds later), and the bundles'
    sessions may just have committed."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            if only_stale:
                cursor.execute(STALE_STATISTICS, [list(tables)])
                tables = tuple(table for (table,) in cursor.fetchall())
            for table in tables:
                cursor.execute(f"ANALYZE {table}")


# The tables a run grows by hundreds of thousands of rows. The transactions' row count hardly moves
# (a close of a million adds some 7,000 weighted-average pairs), only their values do, and the plans
# that follow a run do not hang on those: autovacuum analyzes them in its own time (ANALYZE of a
# million transactions took 0.5-0.8 s of every close and reversal).
RUN_TABLES = ("closing_settlement", "closing_costadjustment")


# Everything a run put on its transactions, taken back in one pass: one row per touched transaction
# with the settled quantity and amount and the adjustment to subtract, in fixed point (millionths and
# cents: summing integers took 1.1 s where summing numerics in a half-gigabyte hash took 1.8 s, for
# 1.1 million settlement and adjustment rows). Ordered by transaction id, so that the update that
# follows visits the transaction table's pages in their order, each once, instead of at random
# through a shared buffer pool smaller than the table (measured at 1M transactions: 4.8 s -> 2.7 s).
# The run's own weighted-average closing transactions are deleted afterwards, so they are left alone.
RUN_DELTAS = """
CREATE TEMPORARY TABLE tmp_run_deltas AS
SELECT u.id AS id, SUM(u.q) AS q, SUM(u.a) AS a, SUM(u.adj) AS adj FROM (
    SELECT issue_id AS id, -CAST(ROUND(qty * 1000000) AS bigint) AS q, -CAST(ROUND(amount * 100) AS bigint) AS a,
           CAST(0 AS bigint) AS adj
      FROM closing_settlement WHERE run_id = %s
    UNION ALL
    SELECT receipt_id, CAST(ROUND(qty * 1000000) AS bigint), CAST(ROUND(amount * 100) AS bigint), 0
      FROM closing_settlement WHERE run_id = %s AND receipt_id IS NOT NULL
    UNION ALL
    SELECT transaction_id, 0, 0, CAST(ROUND(amount * 100) AS bigint) FROM closing_costadjustment WHERE run_id = %s
) u GROUP BY u.id ORDER BY u.id
"""


def undo_run(run: ClosingRun) -> None:
    """Take a run's settlements and adjustments back off the transactions and the cached on-hand
    values, set-based: a handful of statements however many transactions the run touched. The run's
    effect is read here into a temporary table; inventory takes it off its own tables."""
    with connection.cursor() as cursor:
        # Materialized and analyzed, so the planner knows it joins a million rows, not two hundred
        # (its guess for a grouped UNION), and hashes instead of probing the index row by row.
        cursor.execute("DROP TABLE IF EXISTS tmp_run_deltas")
        if connection.vendor == "postgresql":
            # Grouped by sorting, not hashing: the output is wanted in id order anyway, and the
            # planner, guessing 200 groups for a grouped UNION, hashes millions and sorts them again
            # (at 10M transactions, 11M rows into 5M groups: 14.0 s hashed and sorted, 7.2 s sorted).
            cursor.execute("SET LOCAL enable_hashagg = off")
        cursor.execute(RUN_DELTAS, [run.pk, run.pk, run.pk])
        if connection.vendor == "postgresql":
            cursor.execute("RESET enable_hashagg")
            cursor.execute("ANALYZE tmp_run_deltas")
    run_take_back(table="tmp_run_deltas", run_number=run.number)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE tmp_run_deltas")


SETTLEMENT_COLUMNS = ["run_id", "issue_id", "receipt_id", "qty", "amount", "date"]
ADJUSTMENT_COLUMNS = ["run_id", "transaction_id", "amount", "date"]


def write_settlements(*, run_id: int, on: date, rows: Sequence[tuple[int, int, int, int]]) -> None:
    """A run's settlements on one date, in fixed point: (issue id, receipt id, quantity in
    millionths, amount in cents). Written as "<integer>e-6" and "<integer>e-2", which the numeric
    columns read exactly: no Decimal is made for a million rows, and each row is one f-string
    (a tuple per row formatted value by value took 0.85 s of Python for 660,000 rows, this 0.50 s)."""
    head, tail = f"{run_id}\t", f"\t{on}"
    copy_lines("closing_settlement", SETTLEMENT_COLUMNS,
               [f"{head}{issue}\t{receipt}\t{qty}e-6\t{amount}e-2{tail}" for issue, receipt, qty, amount in rows])


def write_adjustments(*, run_id: int, on: date, adjustments: Sequence[tuple[int, int]]) -> None:
    """A run's cost adjustments: (transaction id, amount in cents), dated on the run's date."""
    head, tail = f"{run_id}\t", f"\t{on}"
    copy_lines("closing_costadjustment", ADJUSTMENT_COLUMNS,
               [f"{head}{txn_id}\t{amount}e-2{tail}" for txn_id, amount in adjustments])


def settlements_delete(*, transaction_ids: Sequence[int]) -> None:
    """Delete every settlement (of any run) whose issue or receipt is one of these transactions: a
    reversed close's weighted-average closing pairs, which go with it. By their ids, through the
    issue and receipt indexes (measured: 1.1 s as a join over the million settlements of a close)."""
    ids = sorted(transaction_ids)
    if not ids:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DELETE FROM closing_settlement WHERE issue_id = ANY(%s) OR receipt_id = ANY(%s)", [ids, ids])
            return
        for start in range(0, len(ids), 400):
            chunk = ids[start:start + 400]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM closing_settlement WHERE issue_id IN ({marks}) OR receipt_id IN ({marks})",
                           [*chunk, *chunk])
