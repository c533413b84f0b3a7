"""Inventory postings into bins (docs/domain.md §5.1): what inventory calls through its hooks
(inventory/hooks.py, registered in WarehouseConfig.ready).

- `rows_bin_check`: before an import or API batch posts, every row's bin is checked: a named bin
  must exist in the row's warehouse and be a storage bin; a row naming none takes the item's default
  bin there; in a bin-mandatory warehouse a row with neither is refused.
- `transactions_to_bins`: after the posting session inserted its transactions, one warehouse entry
  per transaction in a warehouse with bins, in one bulk insert. The transactions of a journal made by
  Calculate Whse. Adjustment go to the warehouse's adjustment bin: that is what empties it.
"""

from collections.abc import Iterable, Sequence

from common.errors import DomainError
from inventory.hooks import PostedRow, RowToCheck
from inventory.models import Item, SourceType, Warehouse
from warehouse.models import AdjustmentJournal, Bin, BinContent, EntrySource, WarehouseEntry, WarehouseSetup

# Closing's own transactions (weighted average settlement pairs) move no goods.
NOT_GOODS = {SourceType.WEIGHTED_AVERAGE_CLOSING.value}


class BinLookup:
    """The bins, bin set-ups and default bins of some warehouses and items, read in three queries."""

    def __init__(self, *, warehouse_ids: Iterable[int], item_ids: Iterable[int]):
        warehouse_ids, item_ids = set(warehouse_ids), set(item_ids)
        self.mandatory = dict(WarehouseSetup.objects.filter(warehouse_id__in=warehouse_ids)
                              .values_list("warehouse_id", "bin_mandatory"))
        self.bins: dict[tuple[int, str], Bin] = {}
        self.adjustment: dict[int, Bin] = {}
        for bin in Bin.objects.filter(warehouse_id__in=warehouse_ids):
            self.bins[(bin.warehouse_id, bin.code)] = bin
            if bin.is_adjustment:
                self.adjustment[bin.warehouse_id] = bin
        self.defaults: dict[tuple[int, int], Bin] = {}
        if self.bins:
            for content in BinContent.objects.filter(warehouse_id__in=warehouse_ids, item_id__in=item_ids,
                                                     is_default=True).select_related("bin"):
                self.defaults[(content.item_id, content.warehouse_id)] = content.bin

    def uses_bins(self, warehouse_id: int) -> bool:
        return warehouse_id in self.mandatory

    def problem(self, *, item_id: int, warehouse_id: int, code: str) -> str:
        """Why a row of this item, warehouse and named bin cannot be put in a bin ("" if it can)."""
        if code:
            bin = self.bins.get((warehouse_id, code))
            if bin is None:
                return f"unknown bin {code!r} in warehouse {_warehouse_code(warehouse_id)}"
            if bin.is_adjustment:
                return (f"bin {code} is the adjustment bin of warehouse {_warehouse_code(warehouse_id)}: inventory is brought "
                        "to it only by Calculate Whse. Adjustment; name a storage bin")
            return ""
        if self.mandatory.get(warehouse_id) and (item_id, warehouse_id) not in self.defaults:
            return (f"warehouse {_warehouse_code(warehouse_id)} is bin mandatory: name a bin in the bin column, or "
                    f"give item {_item_number(item_id)} a default bin there (Change default bins)")
        return ""

    def bin_for(self, *, item_id: int, warehouse_id: int, code: str) -> Bin | None:
        if code:
            return self.bins.get((warehouse_id, code))
        return self.defaults.get((item_id, warehouse_id))


def _warehouse_code(warehouse_id: int) -> str:
    warehouse = Warehouse.objects.select_related("site").filter(pk=warehouse_id).first()
    return f"{warehouse.site.code}/{warehouse.code}" if warehouse else str(warehouse_id)


def _item_number(item_id: int) -> str:
    return Item.objects.filter(pk=item_id).values_list("number", flat=True).first() or str(item_id)


def adjustment_journal_numbers(numbers: Iterable[str]) -> set[str]:
    """Which of these inventory journal numbers were made by Calculate Whse. Adjustment."""
    numbers = {number for number in numbers if number}
    if not numbers:
        return set()
    return set(AdjustmentJournal.objects.filter(journal__number__in=numbers).values_list("journal__number", flat=True))


def rows_bin_check(rows: Sequence[RowToCheck]) -> list[tuple[int, str]]:
    """The rows whose bin is wrong or missing, as (row number, problem)."""
    lookup = BinLookup(warehouse_ids={row.warehouse_id for row in rows}, item_ids={row.item_id for row in rows})
    if not lookup.bins and not any(row.bin for row in rows) and not lookup.mandatory:
        return []
    exempt = adjustment_journal_numbers(row.source_number for row in rows)  # they go to the adjustment bin
    problems = []
    for row in rows:
        if row.source_number in exempt:
            continue
        problem = lookup.problem(item_id=row.item_id, warehouse_id=row.warehouse_id, code=row.bin)
        if problem:
            problems.append((row.number, problem))
    return problems


def transactions_to_bins(rows: Sequence[PostedRow], user=None) -> None:
    """One warehouse entry per inserted transaction in a warehouse with bins (one bulk insert)."""
    goods = [row for row in rows if row.source_type not in NOT_GOODS]
    if not goods:
        return
    lookup = BinLookup(warehouse_ids={row.warehouse_id for row in goods}, item_ids={row.item_id for row in goods})
    if not lookup.mandatory and not any(row.bin for row in goods):
        return  # no warehouse with bins here: nothing to write
    adjustments = adjustment_journal_numbers(row.source_number for row in goods)
    entries = []
    for row in goods:
        if row.source_number in adjustments:
            bin = lookup.adjustment.get(row.warehouse_id)
        else:
            problem = lookup.problem(item_id=row.item_id, warehouse_id=row.warehouse_id, code=row.bin)
            if problem:
                raise DomainError(f"Transaction {row.ref}: {problem}.", field="bin")
            bin = lookup.bin_for(item_id=row.item_id, warehouse_id=row.warehouse_id, code=row.bin)
        if bin is None:
            continue  # bins optional in this warehouse and none named
        entries.append(WarehouseEntry(item_id=row.item_id, warehouse_id=row.warehouse_id, bin=bin,
                                      tracking_number=row.tracking_number, qty=row.qty, date=row.date,
                                      source_type=EntrySource.INVENTORY, source_number=row.ref,
                                      transaction_id=row.transaction_id, created_by=user))
    WarehouseEntry.objects.bulk_create(entries, batch_size=5000)
