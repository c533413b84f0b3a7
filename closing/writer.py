"""The closing data layer's writing half: a run's settlements and adjustments go out by COPY, and
come back off, in a handful of set-based statements however many transactions a bundle or a run
touched. What a run changes on inventory's tables (transactions, cost dimensions, on-hand) inventory
writes itself (inventory/services/valuation.py); this module hands it the rows. Everything runs
inside the caller's transaction. Reading a bundle in is closing/data.py.
"""

from collections.abc import Sequence
from datetime import date

from django.db import connection

from common.bulk import copy_rows
from inventory.models import FINANCIAL_STATUSES, InventoryTransaction
from inventory.services.valuation import cached_values_take_back, transactions_take_back


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


def refresh_statistics(*tables: str) -> None:
    """A close adds hundreds of thousands of settlement and adjustment rows at once; until
    autovacuum notices, the planner believes those tables are tiny and joins them row by row
    (measured: a reversal of 1M transactions planned as a nested loop of index probes). ANALYZE
    samples a few thousand rows, so it costs milliseconds."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"ANALYZE {table}")


RUN_TABLES = ("closing_settlement", "closing_costadjustment", InventoryTransaction._meta.db_table)


# Everything a run put on its transactions, taken back in one pass: one row per touched transaction
# with the settled quantity and amount and the adjustment to subtract. The run's own
# weighted-average closing transactions are deleted afterwards, so they are left alone.
RUN_DELTAS = """
CREATE TEMPORARY TABLE tmp_run_deltas AS
SELECT u.id AS id, SUM(u.q) AS q, SUM(u.a) AS a, SUM(u.adj) AS adj FROM (
    SELECT issue_id AS id, -qty AS q, -amount AS a, 0 AS adj FROM closing_settlement WHERE run_id = %s
    UNION ALL
    SELECT receipt_id, qty, amount, 0 FROM closing_settlement WHERE run_id = %s AND receipt_id IS NOT NULL
    UNION ALL
    SELECT transaction_id, 0, 0, amount FROM closing_costadjustment WHERE run_id = %s
) u GROUP BY u.id
"""


# The run's adjustments per on-hand row (item, site, warehouse, tracking number, and the cost
# dimension those fall in), split into financial and physical value: read once, then taken off
# both caches.
RUN_VALUES = """
CREATE TEMPORARY TABLE tmp_run_values AS
SELECT t.cost_dimension_id, t.item_id, t.site_id, t.warehouse_id, t.tracking_number,
       SUM(CASE WHEN t.status IN ({financial}) THEN a.amount ELSE 0 END) AS f,
       SUM(CASE WHEN t.status IN ({financial}) THEN 0 ELSE a.amount END) AS p
  FROM closing_costadjustment a JOIN inventory_inventorytransaction t ON t.id = a.transaction_id
 WHERE a.run_id = %s
 GROUP BY t.cost_dimension_id, t.item_id, t.site_id, t.warehouse_id, t.tracking_number
"""


def undo_run(run_id: int) -> None:
    """Take a run's settlements and adjustments back off the transactions and the cached on-hand
    values, set-based: a handful of statements however many transactions the run touched. The run's
    effect is read here into temporary tables; inventory takes it off its own tables."""
    with connection.cursor() as cursor:
        # Materialized and analyzed, so the planner knows it joins a million rows, not two hundred
        # (its guess for a grouped UNION), and hashes instead of probing the index row by row.
        cursor.execute("DROP TABLE IF EXISTS tmp_run_deltas")
        cursor.execute(RUN_DELTAS, [run_id, run_id, run_id])
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE tmp_run_deltas")
    transactions_take_back(table="tmp_run_deltas")
    financial = list(map(str, FINANCIAL_STATUSES))
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE tmp_run_deltas")
        cursor.execute("DROP TABLE IF EXISTS tmp_run_values")
        cursor.execute(RUN_VALUES.format(financial=", ".join(["%s"] * len(financial))), [*financial, *financial, run_id])
    cached_values_take_back(table="tmp_run_values")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE tmp_run_values")


def write_settlements(rows: Sequence[tuple[int, int, int, int, int, date]]) -> None:
    """Settlement rows in fixed point: (run id, issue id, receipt id, quantity in millionths, amount
    in cents, date). Written as "<integer>e-6" and "<integer>e-2", which the numeric columns read
    exactly: no Decimal is made for a million rows."""
    copy_rows("closing_settlement", ["run_id", "issue_id", "receipt_id", "qty", "amount", "date"],
              [(run_id, issue, receipt, f"{qty}e-6", f"{amount}e-2", on) for run_id, issue, receipt, qty, amount, on in rows],
              plain=True)


def write_adjustments(*, run_id: int, on: date, adjustments: Sequence[tuple[int, int]]) -> None:
    """A run's cost adjustments: (transaction id, amount in cents), dated on the run's date."""
    copy_rows("closing_costadjustment", ["run_id", "transaction_id", "amount", "date"],
              [(run_id, txn_id, f"{amount}e-2", on) for txn_id, amount in adjustments], plain=True)


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
