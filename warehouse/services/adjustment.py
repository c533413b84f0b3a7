"""Calculate Whse. Adjustment (docs/domain.md §5.1, worked example BIN-1).

    calculate   for a warehouse (and optionally some items): the adjustment bin's net per item, lot
                and serial, with the opposite sign, becomes the lines of an inventory profit/loss
                journal: -3 in the adjustment bin (found on the shelves) a positive adjustment of 3,
                +2 there (missing) a negative adjustment of 2. A receipt line carries the running
                average of its cost dimension, so found goods come in at what the item costs now.
    post        the journal is posted by inventory's own journal service (issues at the running
                average, offset to inventory profit and loss); its transactions are put in the
                adjustment bin (warehouse.services.postings), which empties it: bins and inventory
                then agree.

The page and the command share these two functions. Posting refuses a journal whose adjustment bin
has moved since it was calculated (another registration came in between): calculate again.
"""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from common.audit import audit_record
from common.errors import DomainError
from common.money import ZERO, round_unit_cost
from inventory.models import CostDimension, Item, Journal, Warehouse
from inventory.services.journals import LineInput, journal_create, journal_line_add, journal_post
from inventory.services.posting import running_average
from warehouse.models import AdjustmentJournal, Bin
from warehouse.selectors import adjustment_bin, bin_contents, warehouse_label


def adjustment_bin_net(*, warehouse: Warehouse, items: tuple[str, ...] = ()) -> dict[tuple[int, str], Decimal]:
    """{(item id, lot/serial): quantity} the adjustment bin holds (non-zero only)."""
    bin = adjustment_bin(warehouse=warehouse)
    if bin is None:
        raise DomainError(f"Warehouse {warehouse_label(warehouse)} has no adjustment bin.", field="warehouse")
    net: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for row in bin_contents(bin=bin, items=items):
        net[(row.item_id, row.tracking_number)] += row.qty
    return {key: qty for key, qty in net.items() if qty != ZERO}


def warehouse_adjustment_calculate(*, warehouse: Warehouse, on: date, items: tuple[str, ...] = (),
                                   user=None) -> Journal:
    """Propose the item journal lines that bring inventory to what the bins hold (a draft
    profit/loss journal, registered as this warehouse's adjustment journal)."""
    unknown = sorted(set(items) - set(Item.objects.filter(number__in=items).values_list("number", flat=True)))
    if unknown:
        raise DomainError(f"Unknown item(s): {', '.join(unknown)}.", field="items")
    net = adjustment_bin_net(warehouse=warehouse, items=items)
    if not net:
        raise DomainError(f"Nothing to adjust: the adjustment bin of warehouse {warehouse_label(warehouse)} is empty"
                          f"{' for the items selected' if items else ''}.")
    by_id = Item.objects.select_related("model_group", "item_group").in_bulk({item_id for item_id, _ in net})
    with transaction.atomic():
        journal = journal_create(journal_type=Journal.JournalType.PROFIT_LOSS, user=user,
                                 description=f"Whse. adjustment {warehouse_label(warehouse)} {on:%Y-%m-%d}")
        AdjustmentJournal.objects.create(journal=journal, warehouse=warehouse, items=list(items),
                                         calculated_at=timezone.now())
        for (item_id, tracking_number), held in sorted(net.items(), key=lambda entry: (by_id[entry[0][0]].number,
                                                                                      entry[0][1])):
            item, qty = by_id[item_id], -held
            unit_cost = _unit_cost(item, warehouse, tracking_number) if qty > ZERO else None
            journal_line_add(journal=journal, user=user, line=LineInput(
                date=on, item=item, qty=qty, site=warehouse.site, warehouse=warehouse, unit_cost=unit_cost,
                tracking_number=tracking_number))
        audit_record(user=user, action="warehouse.adjustment.calculate", obj=journal,
                     warehouse=warehouse_label(warehouse), lines=len(net), items=list(items))
    return journal


def _unit_cost(item: Item, warehouse: Warehouse, tracking_number: str) -> Decimal:
    """The running average of the dimension the receipt goes to (the item's cost price when it has
    none yet), rounded to a unit cost."""
    key, financial_warehouse, financial_tracking = CostDimension.key_for(item, warehouse.site, warehouse, tracking_number)
    dimension = CostDimension.objects.filter(key=key).first() or CostDimension(
        key=key, item=item, site=warehouse.site, warehouse=financial_warehouse, tracking_number=financial_tracking)
    return round_unit_cost(running_average(item=item, dimension=dimension))


def warehouse_adjustment_post(*, journal: Journal, user=None) -> Journal:
    """Post a journal made by Calculate Whse. Adjustment through inventory's journal service, after
    checking the adjustment bin still holds what it was calculated from."""
    adjustment = AdjustmentJournal.objects.select_related("warehouse__site").filter(journal=journal).first()
    if adjustment is None:
        raise DomainError(f"Journal {journal.number} was not made by Calculate Whse. Adjustment.")
    warehouse = adjustment.warehouse
    with transaction.atomic():
        # The adjustment bin is locked like a registration locks it: nothing registers in between.
        Bin.objects.select_for_update().filter(warehouse=warehouse, kind=Bin.Kind.ADJUSTMENT).values_list("pk").first()
        net = adjustment_bin_net(warehouse=warehouse, items=tuple(adjustment.items))
        proposed: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
        for line in journal.lines.all():
            proposed[(line.item_id, line.tracking_number)] += line.qty
        if {key: -qty for key, qty in net.items()} != {key: qty for key, qty in proposed.items() if qty != ZERO}:
            raise DomainError(f"The adjustment bin of warehouse {warehouse_label(warehouse)} has changed since journal "
                              f"{journal.number} was calculated: delete it and calculate again.")
        journal = journal_post(journal=journal, user=user)
        audit_record(user=user, action="warehouse.adjustment.post", obj=journal, warehouse=warehouse_label(warehouse))
    return journal

