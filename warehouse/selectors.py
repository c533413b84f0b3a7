"""Reads for the warehouse pages, commands and services: bins, bin contents (the sum of warehouse
entries per bin, item, lot and serial), and the comparison of bins with inventory."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet, Sum

from common.errors import DomainError
from common.money import ZERO, plain_number
from inventory.models import Item, OnHand, Warehouse
from warehouse.models import AdjustmentJournal, Bin, BinContent, WarehouseEntry, WarehouseJournal, WarehouseSetup


def warehouse_by_code(code: str) -> Warehouse:
    """A warehouse named by its code, or by SITE/CODE when the code is used in several sites."""
    site_code, _, warehouse_code = code.rpartition("/")
    found = Warehouse.objects.select_related("site").filter(code=warehouse_code)
    if site_code:
        found = found.filter(site__code=site_code)
    found = list(found[:2])
    if not found:
        raise DomainError(f"unknown warehouse {code!r}", field="warehouse")
    if len(found) > 1:
        raise DomainError(f"warehouse {code!r} is in several sites: write it as SITE/{code}", field="warehouse")
    return found[0]


def warehouse_label(warehouse: Warehouse) -> str:
    return f"{warehouse.site.code}/{warehouse.code}"


def warehouses_with_bins() -> QuerySet[Warehouse]:
    return Warehouse.objects.filter(bin_setup__isnull=False).select_related("site", "bin_setup")


def bin_list(*, warehouse: Warehouse | None = None) -> QuerySet[Bin]:
    bins = Bin.objects.select_related("warehouse__site").order_by("warehouse__site__code", "warehouse__code", "code")
    return bins.filter(warehouse=warehouse) if warehouse else bins


def adjustment_bin(*, warehouse: Warehouse) -> Bin | None:
    return Bin.objects.filter(warehouse=warehouse, kind=Bin.Kind.ADJUSTMENT).first()


def bin_mandatory(*, warehouse: Warehouse) -> bool:
    return WarehouseSetup.objects.filter(warehouse=warehouse, bin_mandatory=True).exists()


def default_bins(*, warehouse: Warehouse | None = None) -> QuerySet[BinContent]:
    contents = BinContent.objects.select_related("item", "bin", "warehouse__site").order_by(
        "warehouse__site__code", "warehouse__code", "bin__code", "item__number")
    return contents.filter(warehouse=warehouse) if warehouse else contents


@dataclass(frozen=True)
class BinContentRow:
    item: str
    warehouse: str  # SITE/CODE
    bin: str
    bin_kind: str
    lot: str
    serial: str
    qty: Decimal
    bin_id: int
    item_id: int
    tracking_number: str


def bin_contents(*, warehouse: Warehouse | None = None, bin: Bin | None = None, item: Item | None = None,
                 items: Iterable[str] = (), include_zero: bool = False) -> list[BinContentRow]:
    """What every bin holds: the sum of its warehouse entries per item, lot and serial, ordered by
    warehouse, bin, item and number. Empty contents are left out unless `include_zero`."""
    entries = WarehouseEntry.objects.all()
    if warehouse is not None:
        entries = entries.filter(warehouse=warehouse)
    if bin is not None:
        entries = entries.filter(bin=bin)
    if item is not None:
        entries = entries.filter(item=item)
    items = list(items)
    if items:
        entries = entries.filter(item__number__in=items)
    sums = (entries.values("bin_id", "bin__code", "bin__kind", "warehouse__code", "warehouse__site__code", "item_id",
                           "item__number", "item__tracking", "tracking_number")
            .annotate(total=Sum("qty"))
            .order_by("warehouse__site__code", "warehouse__code", "bin__code", "item__number", "tracking_number"))
    rows = []
    for row in sums:
        if row["total"] == ZERO and not include_zero:
            continue
        tracking, number = row["item__tracking"], row["tracking_number"]
        rows.append(BinContentRow(
            item=row["item__number"], warehouse=f"{row['warehouse__site__code']}/{row['warehouse__code']}",
            bin=row["bin__code"], bin_kind=row["bin__kind"], lot=number if tracking == Item.Tracking.LOT else "",
            serial=number if tracking == Item.Tracking.SERIAL else "", qty=row["total"], bin_id=row["bin_id"],
            item_id=row["item_id"], tracking_number=number))
    return rows


def bin_quantities(*, bin_ids: Iterable[int], item_ids: Iterable[int]) -> dict[tuple[int, int, str], Decimal]:
    """{(bin id, item id, lot/serial): quantity} of some bins and items."""
    return {(row["bin_id"], row["item_id"], row["tracking_number"]): row["total"]
            for row in WarehouseEntry.objects.filter(bin_id__in=set(bin_ids), item_id__in=set(item_ids))
            .values("bin_id", "item_id", "tracking_number").annotate(total=Sum("qty"))}


def serials_in_bins(*, warehouse: Warehouse, item_ids: Iterable[int]) -> dict[tuple[int, str], Decimal]:
    """{(item id, serial): quantity} in the storage bins of a warehouse."""
    return {(row["item_id"], row["tracking_number"]): row["total"]
            for row in WarehouseEntry.objects.filter(warehouse=warehouse, item_id__in=set(item_ids),
                                                     bin__kind=Bin.Kind.STORAGE)
            .exclude(tracking_number="").values("item_id", "tracking_number").annotate(total=Sum("qty"))}


def entry_list(*, warehouse: Warehouse | None = None, bin: Bin | None = None, item: Item | None = None,
               tracking_number: str | None = None) -> QuerySet[WarehouseEntry]:
    entries = WarehouseEntry.objects.select_related("item", "bin", "warehouse__site", "transaction").order_by("-date", "-id")
    if warehouse is not None:
        entries = entries.filter(warehouse=warehouse)
    if bin is not None:
        entries = entries.filter(bin=bin)
    if item is not None:
        entries = entries.filter(item=item)
    if tracking_number is not None:
        entries = entries.filter(tracking_number=tracking_number)
    return entries


def adjustment_journals(*, warehouse: Warehouse | None = None) -> QuerySet[AdjustmentJournal]:
    """The journals Calculate Whse. Adjustment made, newest first, with their lines to show."""
    found = AdjustmentJournal.objects.select_related("journal", "warehouse__site").prefetch_related("journal__lines__item")
    return found.filter(warehouse=warehouse) if warehouse else found


def journal_list() -> QuerySet[WarehouseJournal]:
    return WarehouseJournal.objects.select_related("warehouse__site", "created_by", "registered_by")


@dataclass(frozen=True)
class ComparisonRow:
    item: str
    warehouse: str
    bins: Decimal  # every bin, the adjustment bin included
    storage: Decimal  # the storage bins only: what is on the shelves
    adjustment: Decimal  # the adjustment bin: corrections not yet brought to inventory
    inventory: Decimal  # inventory's physical on-hand
    difference: Decimal  # storage bins minus inventory
    warehouse_id: int = 0

    @property
    def explained(self) -> bool:
        """The difference is what the adjustment bin holds, with the opposite sign."""
        return self.difference == -self.adjustment


def bins_vs_inventory(*, warehouse: Warehouse | None = None, item: Item | None = None, only_differences: bool = False,
                      mandatory_only: bool = False) -> list[ComparisonRow]:
    """Per item and warehouse with bins: the storage bins' total against inventory's physical on-hand,
    with the adjustment bin's content as the explanation of a difference (docs/domain.md §5.1).
    Once the adjustment bin is empty the two agree."""
    warehouses = warehouses_with_bins()
    if warehouse is not None:
        warehouses = warehouses.filter(pk=warehouse.pk)
    if mandatory_only:
        warehouses = warehouses.filter(bin_setup__bin_mandatory=True)
    labels = {w.pk: warehouse_label(w) for w in warehouses}
    totals: dict[tuple[int, int], dict[str, Decimal]] = defaultdict(lambda: {"storage": ZERO, "adjustment": ZERO,
                                                                            "inventory": ZERO})
    entries = WarehouseEntry.objects.filter(warehouse_id__in=labels)
    on_hand = OnHand.objects.filter(warehouse_id__in=labels)
    if item is not None:
        entries, on_hand = entries.filter(item=item), on_hand.filter(item=item)
    for row in entries.values("item_id", "warehouse_id", "bin__kind").annotate(total=Sum("qty")):
        kind = "adjustment" if row["bin__kind"] == Bin.Kind.ADJUSTMENT else "storage"
        totals[(row["item_id"], row["warehouse_id"])][kind] += row["total"]
    for row in on_hand.values("item_id", "warehouse_id").annotate(total=Sum("physical_qty")):
        totals[(row["item_id"], row["warehouse_id"])]["inventory"] += row["total"]
    numbers = dict(Item.objects.filter(pk__in={item_id for item_id, _ in totals}).values_list("pk", "number"))
    rows = []
    for (item_id, warehouse_id), sums in totals.items():
        row = ComparisonRow(item=numbers[item_id], warehouse=labels[warehouse_id],
                            bins=sums["storage"] + sums["adjustment"], storage=sums["storage"],
                            adjustment=sums["adjustment"], inventory=sums["inventory"],
                            difference=sums["storage"] - sums["inventory"], warehouse_id=warehouse_id)
        if row.storage == row.inventory == row.adjustment == ZERO:
            continue
        if only_differences and row.difference == ZERO and row.adjustment == ZERO:
            continue
        rows.append(row)
    return sorted(rows, key=lambda row: (row.warehouse, row.item))


def bins_equal_inventory_problems() -> list[str]:
    """The book check, for bin-mandatory warehouses (where every transaction has its entry): once
    the adjustment bin is empty for an item, its storage bins hold exactly what inventory has on
    hand; until then they differ by exactly the opposite of the adjustment bin."""
    problems = []
    for row in bins_vs_inventory(mandatory_only=True):
        if not row.explained:
            problems.append(f"{row.item} in {row.warehouse}: the storage bins hold {plain_number(row.storage)}, "
                            f"inventory has {plain_number(row.inventory)} and the adjustment bin "
                            f"{plain_number(row.adjustment)} does not explain the difference")
    return problems
