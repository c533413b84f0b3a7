"""The closing data layer's writing half: a run's results go out, and come back off, in a handful
of set-based statements however many transactions a bundle or a run touched.

PostgreSQL gets COPY (into the table, or into a temporary table followed by `UPDATE ... FROM`);
SQLite (3.33+) runs the same `UPDATE ... FROM` with the rows inserted by executemany. Everything
runs inside the caller's transaction. Reading a bundle in is closing/data.py.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from django.db import connection

from closing.data import TxnInfo
from inventory.models import Item, OnHand, Warehouse
from ledger.bulk import apply_deltas, copy_rows
from ledger.money import ZERO

FULLY_SETTLED = ("ROUND(inventory_inventorytransaction.qty_settled + d.d_qty, 6) = "
                 "ROUND(inventory_inventorytransaction.qty, 6)")


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


RUN_TABLES = ("closing_settlement", "closing_costadjustment", "inventory_inventorytransaction")


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


UNDO_TRANSACTIONS = """
UPDATE inventory_inventorytransaction
   SET qty_settled = ROUND(inventory_inventorytransaction.qty_settled - s.q, 6),
       cost_amount_settled = ROUND(inventory_inventorytransaction.cost_amount_settled - s.a, 2),
       cost_amount_adjustment = ROUND(inventory_inventorytransaction.cost_amount_adjustment - s.adj, 2),
       value_open = CASE WHEN s.q <> 0 THEN %s ELSE inventory_inventorytransaction.value_open END,
       date_closed = CASE WHEN s.q <> 0 THEN NULL ELSE inventory_inventorytransaction.date_closed END
  FROM tmp_run_deltas s
 WHERE inventory_inventorytransaction.id = s.id
   AND inventory_inventorytransaction.source_type <> 'wa_closing'
"""


# The run's adjustments per on-hand row (item, site, warehouse, tracking number, and the cost
# dimension those fall in), split into financial and physical value: read once, then taken off
# both caches.
RUN_VALUES = """
CREATE TEMPORARY TABLE tmp_run_values AS
SELECT t.cost_dimension_id, t.item_id, t.site_id, t.warehouse_id, t.tracking_number,
       SUM(CASE WHEN t.status IN ('purchased', 'sold') THEN a.amount ELSE 0 END) AS f,
       SUM(CASE WHEN t.status IN ('purchased', 'sold') THEN 0 ELSE a.amount END) AS p
  FROM closing_costadjustment a JOIN inventory_inventorytransaction t ON t.id = a.transaction_id
 WHERE a.run_id = %s
 GROUP BY t.cost_dimension_id, t.item_id, t.site_id, t.warehouse_id, t.tracking_number
"""


UNDO_DIMENSION_VALUES = """
UPDATE inventory_costdimension
   SET financial_value = ROUND(inventory_costdimension.financial_value - s.f, 2),
       physical_value = ROUND(inventory_costdimension.physical_value - s.p, 2)
  FROM (SELECT cost_dimension_id, SUM(f) AS f, SUM(p) AS p FROM tmp_run_values GROUP BY cost_dimension_id) s
 WHERE inventory_costdimension.id = s.cost_dimension_id
"""


UNDO_ON_HAND_VALUES = """
UPDATE inventory_onhand
   SET financial_value = ROUND(inventory_onhand.financial_value - s.f, 2),
       physical_value = ROUND(inventory_onhand.physical_value - s.p, 2)
  FROM (SELECT item_id, site_id, warehouse_id, tracking_number, SUM(f) AS f, SUM(p) AS p
          FROM tmp_run_values GROUP BY item_id, site_id, warehouse_id, tracking_number) s
 WHERE inventory_onhand.item_id = s.item_id AND inventory_onhand.site_id = s.site_id
   AND inventory_onhand.warehouse_id = s.warehouse_id AND inventory_onhand.tracking_number = s.tracking_number
"""


def undo_run(run_id: int) -> None:
    """Take a run's settlements and adjustments back off the transactions and the cached on-hand
    values, set-based: a handful of statements however many transactions the run touched."""
    with connection.cursor() as cursor:
        # Materialized and analyzed, so the planner knows it joins a million rows, not two hundred
        # (its guess for a grouped UNION), and hashes instead of probing the index row by row.
        cursor.execute("DROP TABLE IF EXISTS tmp_run_deltas")
        cursor.execute(RUN_DELTAS, [run_id, run_id, run_id])
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE tmp_run_deltas")
        cursor.execute(UNDO_TRANSACTIONS, [True])
        cursor.execute("DROP TABLE tmp_run_deltas")
        cursor.execute("DROP TABLE IF EXISTS tmp_run_values")
        cursor.execute(RUN_VALUES, [run_id])
        cursor.execute(UNDO_DIMENSION_VALUES)
        cursor.execute(UNDO_ON_HAND_VALUES)
        cursor.execute("DROP TABLE tmp_run_values")



def write_settlements(rows: Sequence[tuple]) -> None:
    """Settlement rows: (run id, issue id, receipt id, quantity, amount, date)."""
    copy_rows("closing_settlement", ["run_id", "issue_id", "receipt_id", "qty", "amount", "date"], rows, plain=True)


def write_adjustments(*, run_id: int, on: date, adjustments: Sequence[tuple[int, Decimal]]) -> None:
    """A run's cost adjustments: (transaction id, amount), dated on the run's date."""
    copy_rows("closing_costadjustment", ["run_id", "transaction_id", "amount", "date"],
              [(run_id, txn_id, amount, on) for txn_id, amount in adjustments], plain=True)


def apply_transaction_deltas(*, rows: Sequence[tuple], closed_on: date) -> None:
    """Add what a bundle settled and adjusted to its transactions: rows of (id, settled quantity,
    settled amount, adjustment). A transaction settled in full is no longer value-open, closed on
    `closed_on`."""
    apply_deltas(
        table="inventory_inventorytransaction",
        rows=rows,
        columns=["id", "d_qty", "d_amount", "d_adjustment"],
        # ROUND keeps SQLite's float arithmetic at the columns' precision; on PostgreSQL it is exact anyway.
        set_sql=("qty_settled = ROUND(inventory_inventorytransaction.qty_settled + d.d_qty, 6), "
                 "cost_amount_settled = ROUND(inventory_inventorytransaction.cost_amount_settled + d.d_amount, 2), "
                 "cost_amount_adjustment = ROUND(inventory_inventorytransaction.cost_amount_adjustment + d.d_adjustment, 2), "
                 f"value_open = CASE WHEN {FULLY_SETTLED} THEN %s ELSE inventory_inventorytransaction.value_open END, "
                 f"date_closed = CASE WHEN {FULLY_SETTLED} THEN %s ELSE inventory_inventorytransaction.date_closed END"),
        params=[False, closed_on],
    )


def value_deltas(adjustments: Iterable[tuple[TxnInfo, Decimal]]) -> tuple[list[tuple], list[tuple]]:
    """Per cost dimension and per on-hand row, what the adjustments add to the cached values."""
    dimensions: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    on_hand: dict[tuple, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for txn, amount in adjustments:
        slot = 0 if txn.financial else 1
        dimensions[txn.dimension_id][slot] += amount
        on_hand[(txn.item_id, txn.site_id, txn.warehouse_id, txn.tracking_number)][slot] += amount
    return ([(key, *values) for key, values in dimensions.items()],
            [(key, *values) for key, values in on_hand.items()])


def apply_value_deltas(adjustments: Iterable[tuple[TxnInfo, Decimal]]) -> None:
    """Keep CostDimension and OnHand values equal to the sum of their transactions' cost amounts."""

    dimension_rows, on_hand_rows = value_deltas(adjustments)
    apply_deltas(
        table="inventory_costdimension",
        rows=dimension_rows,
        columns=["id", "d_financial", "d_physical"],
        set_sql="financial_value = ROUND(inventory_costdimension.financial_value + d.d_financial, 2), "
                "physical_value = ROUND(inventory_costdimension.physical_value + d.d_physical, 2)",
    )
    if not on_hand_rows:
        return
    ids = {}
    keys = [key for key, _, _ in on_hand_rows]
    for row in OnHand.objects.filter(item_id__in={key[0] for key in keys}).values_list(
            "id", "item_id", "site_id", "warehouse_id", "tracking_number"):
        ids[(row[1], row[2], row[3], row[4])] = row[0]
    missing = [key for key, _, _ in on_hand_rows if key not in ids]
    if missing:
        item_id, _, warehouse_id, tracking = missing[0]
        item = Item.objects.filter(pk=item_id).values_list("number", flat=True).first()
        warehouse = Warehouse.objects.select_related("site").filter(pk=warehouse_id).first()
        raise RuntimeError(
            f"Item {item} has transactions in {warehouse}{' lot ' + tracking if tracking else ''} but no on-hand row "
            f"there ({len(missing)} such place(s)): the on-hand cache does not match the transactions.")
    apply_deltas(
        table="inventory_onhand",
        rows=[(ids[key], fin, phys) for key, fin, phys in on_hand_rows],
        columns=["id", "d_financial", "d_physical"],
        set_sql="financial_value = ROUND(inventory_onhand.financial_value + d.d_financial, 2), "
                "physical_value = ROUND(inventory_onhand.physical_value + d.d_physical, 2)",
    )
