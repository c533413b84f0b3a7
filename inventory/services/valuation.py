"""What a close, a recalculation or an adjustment changes on inventory's own tables, offered to the
closing app so that inventory alone writes them: the settled quantity and amount, the adjustment,
the open flag and closed date of transactions; the cached values of cost dimensions and on-hand
rows; the weighted-average closing transactions a close creates and its reversal deletes.

Set-based: a handful of statements however many transactions a bundle or a run touched, inside the
caller's transaction. ROUND keeps SQLite's float arithmetic at the columns' precision; on
PostgreSQL it is exact anyway.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Protocol

from django.db import connection

from common.bulk import apply_deltas
from common.money import ZERO
from inventory.models import InventoryTransaction, Item, OnHand, SourceType, Warehouse

TRANSACTIONS = InventoryTransaction._meta.db_table
FULLY_SETTLED = f"ROUND({TRANSACTIONS}.qty_settled + d.d_qty, 6) = ROUND({TRANSACTIONS}.qty, 6)"


class ValuedPlace(Protocol):
    """Where a transaction's value is cached: its cost dimension and its on-hand row."""

    dimension_id: int
    item_id: int
    site_id: int
    warehouse_id: int
    tracking_number: str
    financial: bool


def transactions_settle(*, rows: Sequence[tuple[int, Decimal, Decimal, Decimal]], closed_on: date) -> None:
    """Add what a bundle settled and adjusted to its transactions: rows of (id, settled quantity,
    settled amount, adjustment). A transaction settled in full is no longer value-open, closed on
    `closed_on`."""
    apply_deltas(
        table=TRANSACTIONS,
        rows=rows,
        columns=["id", "d_qty", "d_amount", "d_adjustment"],
        set_sql=(f"qty_settled = ROUND({TRANSACTIONS}.qty_settled + d.d_qty, 6), "
                 f"cost_amount_settled = ROUND({TRANSACTIONS}.cost_amount_settled + d.d_amount, 2), "
                 f"cost_amount_adjustment = ROUND({TRANSACTIONS}.cost_amount_adjustment + d.d_adjustment, 2), "
                 f"value_open = CASE WHEN {FULLY_SETTLED} THEN %s ELSE {TRANSACTIONS}.value_open END, "
                 f"date_closed = CASE WHEN {FULLY_SETTLED} THEN %s ELSE {TRANSACTIONS}.date_closed END"),
        params=[False, closed_on],
    )


def transactions_adjust(*, rows: Sequence[tuple[int, Decimal]]) -> None:
    """Add adjustments to transactions: rows of (id, adjustment)."""
    apply_deltas(table=TRANSACTIONS, rows=rows, columns=["id", "d_adjustment"],
                 set_sql=f"cost_amount_adjustment = ROUND({TRANSACTIONS}.cost_amount_adjustment + d.d_adjustment, 2)")


def value_deltas(adjustments: Iterable[tuple[ValuedPlace, Decimal]]) -> tuple[list[tuple], list[tuple]]:
    """Per cost dimension and per on-hand row, what the adjustments add to the cached values."""
    dimensions: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    on_hand: dict[tuple, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for txn, amount in adjustments:
        slot = 0 if txn.financial else 1
        dimensions[txn.dimension_id][slot] += amount
        on_hand[(txn.item_id, txn.site_id, txn.warehouse_id, txn.tracking_number)][slot] += amount
    return ([(key, *values) for key, values in dimensions.items()],
            [(key, *values) for key, values in on_hand.items()])


def cached_values_add(*, adjustments: Iterable[tuple[ValuedPlace, Decimal]]) -> None:
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


# The run's own weighted-average closing transactions are deleted by the reversal, so they are left
# alone here.
TAKE_BACK_TRANSACTIONS = f"""
UPDATE {TRANSACTIONS}
   SET qty_settled = ROUND({TRANSACTIONS}.qty_settled - s.q, 6),
       cost_amount_settled = ROUND({TRANSACTIONS}.cost_amount_settled - s.a, 2),
       cost_amount_adjustment = ROUND({TRANSACTIONS}.cost_amount_adjustment - s.adj, 2),
       value_open = CASE WHEN s.q <> 0 THEN %s ELSE {TRANSACTIONS}.value_open END,
       date_closed = CASE WHEN s.q <> 0 THEN NULL ELSE {TRANSACTIONS}.date_closed END
  FROM {{table}} s
 WHERE {TRANSACTIONS}.id = s.id
   AND {TRANSACTIONS}.source_type <> %s
"""
TAKE_BACK_DIMENSION_VALUES = """
UPDATE inventory_costdimension
   SET financial_value = ROUND(inventory_costdimension.financial_value - s.f, 2),
       physical_value = ROUND(inventory_costdimension.physical_value - s.p, 2)
  FROM (SELECT cost_dimension_id, SUM(f) AS f, SUM(p) AS p FROM {table} GROUP BY cost_dimension_id) s
 WHERE inventory_costdimension.id = s.cost_dimension_id
"""
TAKE_BACK_ON_HAND_VALUES = """
UPDATE inventory_onhand
   SET financial_value = ROUND(inventory_onhand.financial_value - s.f, 2),
       physical_value = ROUND(inventory_onhand.physical_value - s.p, 2)
  FROM (SELECT item_id, site_id, warehouse_id, tracking_number, SUM(f) AS f, SUM(p) AS p
          FROM {table} GROUP BY item_id, site_id, warehouse_id, tracking_number) s
 WHERE inventory_onhand.item_id = s.item_id AND inventory_onhand.site_id = s.site_id
   AND inventory_onhand.warehouse_id = s.warehouse_id AND inventory_onhand.tracking_number = s.tracking_number
"""


def transactions_take_back(*, table: str) -> None:
    """Subtract a run's effect from its transactions. `table` (a temporary table the caller filled)
    has one row per transaction: id, q (settled quantity), a (settled amount), adj (adjustment). A
    transaction whose settled quantity changes is value-open again."""
    with connection.cursor() as cursor:
        cursor.execute(TAKE_BACK_TRANSACTIONS.format(table=table), [True, SourceType.WEIGHTED_AVERAGE_CLOSING.value])


def cached_values_take_back(*, table: str) -> None:
    """Subtract a run's adjustments from the cost dimension and on-hand caches. `table` has rows of
    cost_dimension_id, item_id, site_id, warehouse_id, tracking_number, f (financial value), p
    (physical value)."""
    with connection.cursor() as cursor:
        cursor.execute(TAKE_BACK_DIMENSION_VALUES.format(table=table))
        cursor.execute(TAKE_BACK_ON_HAND_VALUES.format(table=table))


def closing_transactions_insert(*, transactions: list[InventoryTransaction]) -> list[int]:
    """Insert the weighted-average closing issue/receipt pairs a close creates (they net to zero in
    quantity and value, so on-hand and the ledger do not move); returns their ids in order."""
    if any(txn.source_type != SourceType.WEIGHTED_AVERAGE_CLOSING for txn in transactions):
        raise ValueError("Only weighted-average closing transactions are created by a close.")
    return [txn.pk for txn in InventoryTransaction.objects.bulk_create(transactions)]


def closing_transactions(*, run_number: str):
    """The weighted-average closing transactions of one close."""
    return InventoryTransaction.objects.filter(source_type=SourceType.WEIGHTED_AVERAGE_CLOSING, source_number=run_number)


def closing_transactions_delete(*, run_number: str) -> None:
    """Delete a close's weighted-average closing transactions (its reversal does, once their
    settlements are gone)."""
    closing_transactions(run_number=run_number).delete()

