"""What a posting session (inventory/services/posting.py) writes in bulk: new transactions by COPY,
the financial update of earlier ones, the dimensions' and on-hand rows' totals, and the on-hand
rows it reads for many places at once. Foreign keys of the rows written are checked here, one
query per column (common.bulk.references_check; docs/benchmarks.md, import)."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection

from common.bulk import copy_models, instances_references_check, references_check, set_columns
from inventory.models import CostDimension, InventoryTransaction, Item, OnHand, Site, Warehouse


@dataclass(frozen=True)
class DimensionKey:
    item_id: int
    site_id: int
    warehouse_id: int
    tracking_number: str


def transactions_insert(*, transactions: list[InventoryTransaction]) -> None:
    """Insert new transactions, giving each its id."""
    if connection.vendor == "postgresql":
        copy_models(transactions)  # bulk_create's per-value formatting was a third of an import's time
    else:
        instances_references_check(transactions)
        InventoryTransaction.objects.bulk_create(transactions, batch_size=2000)


FINANCIAL_UPDATE = [("status", "varchar(10)"), ("date_financial", "date"), ("cost_amount_posted", "numeric"),
                    ("cost_amount_adjustment", "numeric"), ("inventory_account_id", "bigint"),
                    ("offset_account_id", "bigint")]


def transactions_financial_update(*, transactions: Iterable[InventoryTransaction]) -> None:
    """Write what invoicing changed on transactions inserted earlier."""
    rows = [(txn.pk, txn.status, txn.date_financial, txn.cost_amount_posted, txn.cost_amount_adjustment,
             txn.inventory_account_id, txn.offset_account_id) for txn in transactions]
    if rows:
        references_check(model=InventoryTransaction, columns=["id", *(name for name, _ in FINANCIAL_UPDATE)], rows=rows)
        set_columns(table="inventory_inventorytransaction", fields=FINANCIAL_UPDATE, rows=rows)


def totals_write(*, dimensions: Iterable[CostDimension], on_hand: Iterable[OnHand]) -> None:
    set_columns(table="inventory_costdimension", fields=[
        ("financial_qty", "numeric"), ("financial_value", "numeric"), ("physical_qty", "numeric"), ("physical_value", "numeric"),
    ], rows=[(d.pk, d.financial_qty, d.financial_value, d.physical_qty, d.physical_value) for d in dimensions])
    set_columns(table="inventory_onhand", fields=[
        ("physical_qty", "numeric"), ("financial_qty", "numeric"), ("financial_value", "numeric"), ("physical_value", "numeric"),
    ], rows=[(o.pk, o.physical_qty, o.financial_qty, o.financial_value, o.physical_value) for o in on_hand])


def on_hand_rows(*, places: dict[DimensionKey, tuple[Item, Site, Warehouse]]) -> dict[DimensionKey, OnHand]:
    """The on-hand rows of many places in two statements, creating those that are missing, instead
    of one get_or_create each. The caller holds the places' dimension locks."""
    if not places:
        return {}
    OnHand.objects.bulk_create([
        OnHand(item=item, site=site, warehouse=warehouse, tracking_number=key.tracking_number)
        for key, (item, site, warehouse) in places.items()], ignore_conflicts=True)
    found = {}
    for row in OnHand.objects.filter(item_id__in={key.item_id for key in places}, site_id__in={key.site_id for key in places},
                                     warehouse_id__in={key.warehouse_id for key in places},
                                     tracking_number__in={key.tracking_number for key in places}):
        key = DimensionKey(row.item_id, row.site_id, row.warehouse_id, row.tracking_number)
        if key in places:
            row.item, row.site, row.warehouse = places[key]
            found[key] = row
    return found
