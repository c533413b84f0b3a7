"""Warehouse physical inventory (docs/domain.md §5.1): count by bin.

    calculate   one line per storage bin, item and lot/serial holding something (for the items
                chosen, every bin of each: an item is counted in all its bins together), with the
                expected quantity; the counted quantity starts equal to it
    count       the counted quantity is entered per line (the count sheet lists the lines per bin)
    register    warehouse_journal_register: each difference goes to its bin, the opposite to the
                adjustment bin; a line whose bin moved since it was calculated is refused (stale),
                as in the inventory counting journal. Calculate Whse. Adjustment then brings
                inventory along.
"""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from common.audit import audit_record
from common.errors import DomainError
from common.money import ZERO, plain_number
from warehouse.models import Bin, WarehouseJournal, WarehouseJournalLine
from warehouse.selectors import bin_contents


def warehouse_physical_calculate(*, journal: WarehouseJournal, items: tuple[str, ...] = (), user=None) -> int:
    """Replace the journal's lines by the bins' expected quantities; returns how many lines."""
    if journal.kind != WarehouseJournal.Kind.PHYSICAL:
        raise DomainError(f"Warehouse journal {journal.number} is not a physical inventory journal.")
    if journal.is_registered:
        raise DomainError(f"Warehouse journal {journal.number} is registered and can no longer be changed.")
    contents = [row for row in bin_contents(warehouse=journal.warehouse, items=items)
                if row.bin_kind == Bin.Kind.STORAGE]
    with transaction.atomic():
        journal.lines.all().delete()
        WarehouseJournalLine.objects.bulk_create([
            WarehouseJournalLine(journal=journal, line_number=number, item_id=row.item_id, bin_id=row.bin_id,
                                 tracking_number=row.tracking_number, qty=ZERO, expected_qty=row.qty,
                                 counted_qty=max(row.qty, ZERO))
            for number, row in enumerate(contents, start=1)])
        # A bin holding less than nothing is counted as empty: its line starts with that difference.
        for line in journal.lines.filter(expected_qty__lt=0):
            line.qty = line.counted_qty - line.expected_qty
            line.save(update_fields=["qty"])
        journal.calculated_at = timezone.now()
        journal.save(update_fields=["calculated_at"])
        audit_record(user=user, action="warehouse.physical.calculate", obj=journal, lines=len(contents),
                     items=list(items))
    return len(contents)


def warehouse_count_set(*, journal: WarehouseJournal, line_number: int, counted_qty: Decimal,
                        user=None) -> WarehouseJournalLine:
    """Enter what was counted on one line; the line's quantity becomes the difference."""
    if journal.is_registered:
        raise DomainError(f"Warehouse journal {journal.number} is registered and can no longer be changed.")
    if counted_qty < ZERO:
        raise DomainError(f"Line {line_number}: the counted quantity cannot be negative.", field="counted_qty")
    line = journal.lines.select_related("item").filter(line_number=line_number).first()
    if line is None or line.expected_qty is None:
        raise DomainError(f"Warehouse journal {journal.number} has no counted line {line_number}.")
    if line.item.tracking == line.item.Tracking.SERIAL and counted_qty not in (ZERO, Decimal(1)):
        raise DomainError(f"Line {line_number}: {line.item.number} is serial-numbered: count 0 or 1.",
                          field="counted_qty")
    with transaction.atomic():
        line.counted_qty = counted_qty
        line.qty = counted_qty - line.expected_qty
        line.save(update_fields=["counted_qty", "qty"])
        audit_record(user=user, action="warehouse.physical.count", obj=journal, line=line_number,
                     counted_qty=plain_number(counted_qty))
    return line
