"""Warehouse journals (docs/domain.md §5.1): changes at bin level that inventory does not see yet.

    item journal          a line registers a quantity found (+) or missing (-) in a bin; registering
                          puts it in the bin and the opposite in the warehouse's adjustment bin
    physical inventory    lines are calculated from the bins (warehouse_physical.py); the count's
                          difference is registered like an item journal line
    reclassification      a line moves a quantity from one bin to another, or gives it a new lot/serial
                          number (whose counterpart, old number + and new number -, goes to the
                          adjustment bin, so that Calculate Whse. Adjustment relabels inventory too)

Registering writes warehouse entries only: no inventory transaction, no voucher. Calculate Whse.
Adjustment (adjustment.py) later brings inventory to what the bins hold.

Registration locks the bins it touches (in id order, so two registrations never deadlock) before
it reads what they hold: of two registrations taking from one bin, the second sees what the first
left and is refused if the bin would go below zero.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import BinaryIO

from django.db import transaction
from django.utils import timezone

from common.audit import audit_record
from common.errors import DomainError
from common.money import ZERO, plain_number
from common.numbering import number_next
from inventory import rules
from inventory.models import Item, Warehouse
from inventory.services.csv_files import CsvRows, ImportResult, parse_number
from warehouse.models import Bin, EntrySource, WarehouseEntry, WarehouseJournal, WarehouseJournalLine
from warehouse.selectors import adjustment_bin, bin_quantities, serials_in_bins, warehouse_by_code, warehouse_label

JOURNAL_COLUMNS = ["item", "warehouse", "bin", "qty", "lot", "serial"]
REQUIRED_JOURNAL_COLUMNS = ["item", "warehouse", "bin", "qty"]
SOURCE_BY_KIND = {
    WarehouseJournal.Kind.ITEM: EntrySource.JOURNAL,
    WarehouseJournal.Kind.PHYSICAL: EntrySource.PHYSICAL,
    WarehouseJournal.Kind.RECLASSIFICATION: EntrySource.RECLASSIFICATION,
}


@dataclass
class WarehouseLineInput:
    item: Item
    bin: Bin
    qty: Decimal
    tracking_number: str = ""
    to_bin: Bin | None = None
    to_tracking_number: str = ""
    expected_qty: Decimal | None = None
    counted_qty: Decimal | None = None


def warehouse_journal_create(*, kind: str, warehouse: Warehouse, on: date, description: str = "",
                             user=None) -> WarehouseJournal:
    if kind not in WarehouseJournal.Kind.values:
        raise DomainError(f"Unknown warehouse journal kind {kind!r}.", field="kind")
    if adjustment_bin(warehouse=warehouse) is None:
        raise DomainError(f"Warehouse {warehouse_label(warehouse)} has no adjustment bin: add one (Bins) before "
                          "registering bin quantities there.", field="warehouse")
    with transaction.atomic():
        journal = WarehouseJournal.objects.create(number=number_next(code="warehouse_journal"), kind=kind,
                                                  warehouse=warehouse, date=on, description=description,
                                                  created_by=user if getattr(user, "pk", None) else None)
        audit_record(user=user, action="warehouse.journal.create", obj=journal, number=journal.number, kind=kind)
    return journal


def line_problems(*, journal: WarehouseJournal, line: WarehouseLineInput) -> list[str]:
    """What is wrong with one line, before anything is registered."""
    problems = []
    if line.bin.warehouse_id != journal.warehouse_id:
        problems.append(f"bin {line.bin} is not in warehouse {warehouse_label(journal.warehouse)}")
    if line.bin.is_adjustment:
        problems.append(f"bin {line.bin.code} is the adjustment bin: it changes only as the counterpart of other bins")
    if journal.kind == WarehouseJournal.Kind.RECLASSIFICATION:
        if line.qty <= ZERO:
            problems.append("a reclassification moves a quantity greater than zero")
        if line.to_bin is None:
            problems.append("a reclassification line needs a new bin")
        else:
            if line.to_bin.warehouse_id != journal.warehouse_id:
                problems.append(f"bin {line.to_bin} is not in warehouse {warehouse_label(journal.warehouse)}")
            if line.to_bin.is_adjustment:
                problems.append(f"bin {line.to_bin.code} is the adjustment bin: move to a storage bin")
            if line.to_bin == line.bin and (line.to_tracking_number or line.tracking_number) == line.tracking_number:
                problems.append("the line changes neither the bin nor the lot/serial number")
    elif journal.kind == WarehouseJournal.Kind.ITEM and line.qty == ZERO:
        problems.append("the quantity cannot be zero")
    problems += [problem for _field, problem in rules.tracking_problems(
        item_number=line.item.number, tracking=line.item.tracking, tracking_number=line.tracking_number,
        expiry_date=None, qty=abs(line.qty) if line.qty else None)]
    if line.to_tracking_number and line.item.tracking == Item.Tracking.NONE:
        problems.append(f"{line.item.number} is not lot- or serial-tracked: leave the new lot/serial number empty")
    return problems


def warehouse_line_add(*, journal: WarehouseJournal, line: WarehouseLineInput, user=None) -> WarehouseJournalLine:
    _editable(journal)
    problems = line_problems(journal=journal, line=line)
    if problems:
        raise DomainError("; ".join(problems), errors=problems)
    with transaction.atomic():
        last = journal.lines.order_by("-line_number").values_list("line_number", flat=True).first() or 0
        added = WarehouseJournalLine.objects.create(
            journal=journal, line_number=last + 1, item=line.item, bin=line.bin, qty=line.qty,
            tracking_number=line.tracking_number, to_bin=line.to_bin, to_tracking_number=line.to_tracking_number,
            expected_qty=line.expected_qty, counted_qty=line.counted_qty)
        audit_record(user=user, action="warehouse.journal.line.add", obj=journal, line=added.line_number,
                     item=line.item.number, bin=line.bin.code, qty=plain_number(line.qty),
                     tracking_number=line.tracking_number)
    return added


def warehouse_line_delete(*, journal: WarehouseJournal, line_number: int, user=None) -> None:
    _editable(journal)
    with transaction.atomic():
        deleted, _ = WarehouseJournalLine.objects.filter(journal=journal, line_number=line_number).delete()
        if not deleted:
            raise DomainError(f"Journal {journal.number} has no line {line_number}.")
        audit_record(user=user, action="warehouse.journal.line.delete", obj=journal, line=line_number)


def _editable(journal: WarehouseJournal) -> None:
    if journal.is_registered:
        raise DomainError(f"Warehouse journal {journal.number} is registered and can no longer be changed.")


def warehouse_journal_register(*, journal: WarehouseJournal, user=None) -> WarehouseJournal:
    """Register every line, or none: the entries of each line and their counterpart in the
    adjustment bin (item journal, physical inventory) or in the new bin (reclassification)."""
    with transaction.atomic():
        journal = WarehouseJournal.objects.select_for_update().select_related("warehouse__site").get(pk=journal.pk)
        _editable(journal)  # another user may have registered it while we waited for the lock
        lines = list(journal.lines.select_related("item", "bin", "to_bin"))
        if not lines:
            raise DomainError(f"Warehouse journal {journal.number} has no lines.")
        adjustment = adjustment_bin(warehouse=journal.warehouse)
        if adjustment is None:
            raise DomainError(f"Warehouse {warehouse_label(journal.warehouse)} has no adjustment bin.")
        bin_ids = sorted({line.bin_id for line in lines} | {line.to_bin_id for line in lines if line.to_bin_id}
                         | {adjustment.pk})
        # Locked in id order before reading what the bins hold (see the module's docstring).
        list(Bin.objects.select_for_update().filter(pk__in=bin_ids).order_by("pk").values_list("pk", flat=True))
        errors = []
        for line in lines:
            errors += [f"Line {line.line_number}: {problem}" for problem in line_problems(
                journal=journal, line=_input(line))]
        if journal.kind == WarehouseJournal.Kind.PHYSICAL:
            errors += stale_lines(lines=lines)
        errors += _content_problems(journal, lines)
        if errors:
            raise DomainError(f"Warehouse journal {journal.number} cannot be registered.", errors=errors)
        entries = []
        source = SOURCE_BY_KIND[journal.kind]
        for line in lines:
            entries += _line_entries(journal, line, adjustment, source, user)
        WarehouseEntry.objects.bulk_create(entries)
        journal.status = WarehouseJournal.Status.REGISTERED
        journal.registered_by = user if getattr(user, "pk", None) else None
        journal.registered_at = timezone.now()
        journal.save(update_fields=["status", "registered_by", "registered_at"])
        audit_record(user=user, action="warehouse.journal.register", obj=journal, lines=len(lines), entries=len(entries))
    return journal


def _input(line: WarehouseJournalLine) -> WarehouseLineInput:
    return WarehouseLineInput(item=line.item, bin=line.bin, qty=line.qty, tracking_number=line.tracking_number,
                              to_bin=line.to_bin, to_tracking_number=line.to_tracking_number,
                              expected_qty=line.expected_qty, counted_qty=line.counted_qty)


def _line_entries(journal, line, adjustment: Bin, source: str, user) -> list[WarehouseEntry]:
    if line.qty == ZERO:
        return []  # a count that agrees registers nothing
    common = dict(item=line.item, warehouse=journal.warehouse, date=journal.date, source_type=source,
                  source_number=journal.number, journal_line=line, created_by=user if getattr(user, "pk", None) else None)
    if journal.kind == WarehouseJournal.Kind.RECLASSIFICATION:
        new_number = line.to_tracking_number or line.tracking_number
        moved = [WarehouseEntry(bin=line.bin, tracking_number=line.tracking_number, qty=-line.qty, **common),
                 WarehouseEntry(bin=line.to_bin, tracking_number=new_number, qty=line.qty, **common)]
        if new_number == line.tracking_number:
            return moved  # a move between bins: inventory holds the same
        # A new lot/serial number at bin level: inventory still holds the old one, so the adjustment
        # bin takes the counterpart of both (old +, new -), and Calculate Whse. Adjustment later
        # relabels inventory too (a negative adjustment of the old number, a positive of the new).
        return moved + [WarehouseEntry(bin=adjustment, tracking_number=line.tracking_number, qty=line.qty, **common),
                        WarehouseEntry(bin=adjustment, tracking_number=new_number, qty=-line.qty, **common)]
    return [WarehouseEntry(bin=line.bin, tracking_number=line.tracking_number, qty=line.qty, **common),
            WarehouseEntry(bin=adjustment, tracking_number=line.tracking_number, qty=-line.qty, **common)]


def stale_lines(*, lines: list[WarehouseJournalLine]) -> list[str]:
    """Physical inventory: lines whose bin has moved since its expected quantity was calculated. The
    difference would be wrong; calculate again (as the inventory counting journal refuses)."""
    held = bin_quantities(bin_ids={line.bin_id for line in lines}, item_ids={line.item_id for line in lines})
    return [f"Line {line.line_number}: bin {line.bin.code} now holds "
            f"{plain_number(held.get((line.bin_id, line.item_id, line.tracking_number), ZERO))} of {line.item.number}"
            f"{' ' + line.tracking_number if line.tracking_number else ''}, not the "
            f"{plain_number(line.expected_qty or ZERO)} calculated: calculate the journal again"
            for line in lines
            if held.get((line.bin_id, line.item_id, line.tracking_number), ZERO) != (line.expected_qty or ZERO)]


def _content_problems(journal: WarehouseJournal, lines: list[WarehouseJournalLine]) -> list[str]:
    """A storage bin never holds less than nothing, and a serial number is in one bin at most."""
    held = bin_quantities(bin_ids={line.bin_id for line in lines} | {line.to_bin_id for line in lines if line.to_bin_id},
                          item_ids={line.item_id for line in lines})
    serials = serials_in_bins(warehouse=journal.warehouse,
                              item_ids={line.item_id for line in lines if line.item.tracking == Item.Tracking.SERIAL})
    taken: dict[tuple[int, int, str], Decimal] = defaultdict(Decimal)
    serial_moves: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    errors = []
    for line in lines:
        out = -line.qty if journal.kind == WarehouseJournal.Kind.RECLASSIFICATION else line.qty
        key = (line.bin_id, line.item_id, line.tracking_number)
        taken[key] += out
        after = held.get(key, ZERO) + taken[key]
        if out < ZERO and after < ZERO:
            what = f"{line.item.number}" + (f" {line.tracking_number}" if line.tracking_number else "")
            errors.append(f"Line {line.line_number}: bin {line.bin.code} holds {plain_number(held.get(key, ZERO))} "
                          f"of {what}: {plain_number(-out)} cannot be taken out of it")
        if line.item.tracking != Item.Tracking.SERIAL:
            continue
        if journal.kind != WarehouseJournal.Kind.RECLASSIFICATION:
            serial, qty = line.tracking_number, line.qty
        elif line.to_tracking_number and line.to_tracking_number != line.tracking_number:
            serial, qty = line.to_tracking_number, line.qty  # relabelled: the new number comes into the bins
            serial_moves[(line.item_id, line.tracking_number)] -= line.qty
        else:
            continue  # moved between bins: still one unit
        serial_moves[(line.item_id, serial)] += qty
        if qty > ZERO and serials.get((line.item_id, serial), ZERO) + serial_moves[(line.item_id, serial)] > 1:
            errors.append(f"Line {line.line_number}: serial number {serial} of {line.item.number} "
                          "is already in a bin of this warehouse: a serial number is one unit")
    return errors


def warehouse_journal_import_file(*, stream: BinaryIO, on: date, user=None) -> ImportResult:
    """Register a file of bin quantities found (+) or missing (-), columns item,warehouse,bin,qty,lot,
    serial: one warehouse item journal per warehouse of the file, all registered or none, every
    problem named by its line."""
    result = ImportResult()
    reader = CsvRows(stream, required=REQUIRED_JOURNAL_COLUMNS, known=JOURNAL_COLUMNS)
    rows = list(reader)
    result.rows_read, result.bytes_read = len(rows), reader.bytes_read
    errors = list(reader.errors)
    items = {item.number: item for item in Item.objects.filter(number__in={row.get("item", "") for _, row in rows})}
    warehouses: dict[str, Warehouse] = {}
    bins: dict[tuple[int, str], Bin] = {}
    parsed: dict[int, list[tuple[int, WarehouseLineInput]]] = defaultdict(list)
    for line, row in rows:
        try:
            item = items.get(row.get("item", ""))
            if item is None:
                raise DomainError(f"unknown item {row.get('item', '')!r}")
            code = row.get("warehouse", "")
            if code not in warehouses:
                warehouses[code] = warehouse_by_code(code)
            warehouse = warehouses[code]
            if (warehouse.pk, row.get("bin", "")) not in bins:
                found = Bin.objects.filter(warehouse=warehouse, code=row.get("bin", "")).first()
                if found is None:
                    raise DomainError(f"unknown bin {row.get('bin', '')!r} in warehouse {warehouse_label(warehouse)}")
                bins[(warehouse.pk, found.code)] = found
            bin = bins[(warehouse.pk, row.get("bin", ""))]
            qty = parse_number(row.get("qty", ""), "qty")
            lot, serial = row.get("lot", ""), row.get("serial", "")
            if lot and serial:
                raise DomainError("a row names a lot or a serial number, not both")
            if lot and item.tracking == Item.Tracking.SERIAL:
                raise DomainError(f"{item.number} is serial-tracked: put its number in the serial column")
            if serial and item.tracking == Item.Tracking.LOT:
                raise DomainError(f"{item.number} is lot-tracked: put its number in the lot column")
            journal = WarehouseJournal(kind=WarehouseJournal.Kind.ITEM, warehouse=warehouse, date=on)
            line_input = WarehouseLineInput(item=item, bin=bin, qty=qty, tracking_number=lot or serial)
            problems = line_problems(journal=journal, line=line_input)
            if problems:
                raise DomainError("; ".join(problems))
            parsed[warehouse.pk].append((line, line_input))
        except DomainError as error:
            errors.append((line, error.message))
    if not rows and not errors:
        errors.append((1, "the file has no rows"))
    if errors:
        result.add_errors(errors)
        return result
    file_lines: dict[int, int] = {}  # the journal being registered: its line -> the file's line
    try:
        with transaction.atomic():
            for warehouse_id, lines in parsed.items():
                warehouse = next(w for w in warehouses.values() if w.pk == warehouse_id)
                journal = warehouse_journal_create(kind=WarehouseJournal.Kind.ITEM, warehouse=warehouse, on=on,
                                                   description=f"Bin quantities {on:%Y-%m-%d}", user=user)
                WarehouseJournalLine.objects.bulk_create([
                    WarehouseJournalLine(journal=journal, line_number=number, item=line.item, bin=line.bin, qty=line.qty,
                                         tracking_number=line.tracking_number)
                    for number, (_, line) in enumerate(lines, start=1)])
                file_lines = {number: file_line for number, (file_line, _) in enumerate(lines, start=1)}
                warehouse_journal_register(journal=journal, user=user)
    except DomainError as error:
        result.add_errors([_file_error(message, file_lines) for message in error.errors])
        return result
    result.posted = len(rows)
    return result


def _file_error(message: str, file_lines: dict[int, int]) -> tuple[int, str]:
    """A journal's "Line N: ..." refusal as the file's line."""
    head, _, rest = message.partition(": ")
    if head.startswith("Line ") and head[5:].isdigit() and int(head[5:]) in file_lines:
        return file_lines[int(head[5:])], rest
    return 0, message
