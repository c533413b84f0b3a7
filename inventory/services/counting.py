"""Physical inventory and cycle counting (docs/domain.md §5.3 and §5.4, Business
Central's physical inventory journal and counting periods).

    calculate     the expected quantity as of a date for a selection fills the journal's lines;
                  the counted quantity starts equal to it (BC copies Qty. (Calculated) to
                  Qty. (Phys. Inventory)), so people enter only what differs
    count         counted quantities are entered per line, on the page or from the count sheet's CSV
    post          each difference becomes a receipt (found) or an issue (missing) at the running
                  average, offset to the item group's inventory profit or loss account; a line
                  without a difference posts nothing; every line is written to the counting history
                  and the items' last and next counting dates move on

If a posting changed the expected quantity of a line after it was calculated, the journal is not
posted: the difference would be stale. The lines to calculate again are listed.
"""

import io
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from common.audit import audit_record
from common.errors import DomainError
from common.money import ZERO, plain_number
from common.spreadsheets import CsvWriter, cell_unescape
from inventory.models import (
    CountingHistory,
    CountingPeriod,
    InventoryTransaction,
    Item,
    ItemGroup,
    Journal,
    JournalLine,
    Site,
    SourceType,
    Warehouse,
)
from inventory.selectors import counting_period_due
from inventory.services.csv_files import ImportResult, parse_number, read_rows
from inventory.services.journal_lines import journal_create, line_error, tracking_problems
from inventory.services.posting import PostingSession, running_average
from inventory.services.reclassification import lot_expiry

ONE = Decimal(1)
SHEET_COLUMNS = ["line", "item", "name", "site", "warehouse", "tracking_number", "expiry_date", "unit",
                 "expected_qty", "counted_qty"]
REQUIRED_IMPORT_COLUMNS = ["line", "counted_qty"]

Place = tuple[int, int, int, str]  # item id, site id, warehouse id, lot/serial number


@dataclass(frozen=True)
class Selection:
    """What Calculate inventory counts: every item (of type item) unless narrowed down."""

    date: date
    items: tuple[str, ...] = ()
    item_group: str = ""
    site: str = ""
    warehouse: str = ""  # code, within `site` when given
    tracking_number: str = ""
    include_zero: bool = False
    counting_period: str = ""

    def to_json(self) -> dict:
        return {"date": self.date.isoformat(), "items": list(self.items), "item_group": self.item_group,
                "site": self.site, "warehouse": self.warehouse, "tracking_number": self.tracking_number,
                "include_zero": self.include_zero, "counting_period": self.counting_period}

    @classmethod
    def from_json(cls, data: dict) -> "Selection | None":
        if not data.get("date"):
            return None
        return cls(date=date.fromisoformat(data["date"]), items=tuple(data.get("items") or ()),
                   item_group=data.get("item_group", ""), site=data.get("site", ""),
                   warehouse=data.get("warehouse", ""), tracking_number=data.get("tracking_number", ""),
                   include_zero=bool(data.get("include_zero")), counting_period=data.get("counting_period", ""))

    def describe(self) -> str:
        parts = [f"as of {self.date:%Y-%m-%d}"]
        if self.counting_period == "all":
            parts.append("items due for counting")
        elif self.counting_period:
            parts.append(f"items due in counting period {self.counting_period}")
        elif self.items:
            parts.append("item " + ", ".join(self.items))
        if self.item_group:
            parts.append(f"item group {self.item_group}")
        if self.site:
            parts.append(f"site {self.site}")
        if self.warehouse:
            parts.append(f"warehouse {self.warehouse}")
        if self.tracking_number:
            parts.append(f"lot/serial {self.tracking_number}")
        if self.include_zero:
            parts.append("including items with zero on hand")
        return ", ".join(parts)

    def item_queryset(self):
        items = Item.objects.filter(item_type=Item.ItemType.ITEM).select_related("item_group", "model_group")
        if self.items:
            items = items.filter(number__in=self.items)
        if self.item_group:
            items = items.filter(item_group__code=self.item_group)
        return items

    def warehouse_queryset(self):
        warehouses = Warehouse.objects.select_related("site")
        if self.site:
            warehouses = warehouses.filter(site__code=self.site)
        if self.warehouse:
            warehouses = warehouses.filter(code=self.warehouse)
        return warehouses

    def outside(self, *, item: Item, warehouse: Warehouse, tracking_number: str) -> str:
        """Why a line for this item and place is outside the selection ("" if it is inside)."""
        if item.item_type != Item.ItemType.ITEM:
            return f"{item.number} is a service: it is not counted"
        if self.items and item.number not in self.items:
            return f"{item.number} is not among the journal's items ({', '.join(self.items)})"
        if self.item_group and item.item_group.code != self.item_group:
            return f"{item.number} is not in item group {self.item_group}, which the journal counts"
        if self.site and warehouse.site.code != self.site:
            return f"warehouse {warehouse} is not in site {self.site}, which the journal counts"
        if self.warehouse and warehouse.code != self.warehouse:
            return f"the journal counts warehouse {self.warehouse}, not {warehouse.code}"
        if self.tracking_number and tracking_number != self.tracking_number:
            return f"the journal counts lot/serial {self.tracking_number} only"
        return ""


def expected_quantities(*, on: date, item_ids=None, places: list[Place] | None = None) -> dict[Place, Decimal]:
    """The physical quantity on hand as of a date, per item, site, warehouse and lot/serial: every
    physically posted transaction dated on or before it (receipts and issues, invoiced or not)."""
    rows = InventoryTransaction.objects.filter(date_physical__lte=on)
    if item_ids is not None:
        rows = rows.filter(item_id__in=item_ids)
    if places is not None:
        rows = rows.filter(item_id__in={place[0] for place in places})
    totals = rows.values("item_id", "site_id", "warehouse_id", "tracking_number").annotate(qty=Sum("qty")).order_by()
    result = {(row["item_id"], row["site_id"], row["warehouse_id"], row["tracking_number"]): row["qty"] for row in totals}
    if places is not None:
        return {place: result.get(place, ZERO) for place in places}
    return result


def counting_journal_create(*, description: str = "", user=None) -> Journal:
    return journal_create(journal_type=Journal.JournalType.COUNTING, description=description, user=user)


def counting_calculate(*, journal: Journal, selection: Selection, user=None) -> int:
    """Calculate inventory: replace the journal's lines by one per item and place in the selection
    with its expected quantity as of the selection's date (zero lines only when asked for). Returns
    the number of lines."""
    _counting_draft(journal)
    items = {item.pk: item for item in selection.item_queryset()}
    warehouses = {warehouse.pk: warehouse for warehouse in selection.warehouse_queryset()}
    if not items:
        raise DomainError(f"No items match the selection ({selection.describe()}).")
    if not warehouses:
        raise DomainError(f"No warehouses match the selection ({selection.describe()}).")
    expected = expected_quantities(on=selection.date, item_ids=list(items))
    places = {place: qty for place, qty in expected.items() if place[2] in warehouses
              and (not selection.tracking_number or place[3] == selection.tracking_number)
              and (qty != ZERO or selection.include_zero)}
    if selection.include_zero and not selection.tracking_number:
        # Items not on inventory (BC's option): a line in each selected warehouse where the item
        # has no stock at all, to be counted as zero or to record what was found.
        counted_somewhere = {(place[0], place[2]) for place in places}
        for item_id, item in items.items():
            for warehouse_id, warehouse in warehouses.items():
                if (item_id, warehouse_id) not in counted_somewhere and item.tracking == Item.Tracking.NONE:
                    places[(item_id, warehouse.site_id, warehouse_id, "")] = ZERO
    ordered = sorted(places.items(), key=lambda entry: (items[entry[0][0]].number, warehouses[entry[0][2]].site.code,
                                                        warehouses[entry[0][2]].code, entry[0][3]))
    with transaction.atomic():
        journal = Journal.objects.select_for_update().get(pk=journal.pk)
        _counting_draft(journal)
        journal.lines.all().delete()
        # The counted quantity starts as the expected one; where the books say less than zero,
        # which nobody can count, it starts at zero and the line already shows the difference.
        JournalLine.objects.bulk_create([
            JournalLine(journal=journal, line_number=number, date=selection.date, item=items[place[0]],
                        site=warehouses[place[2]].site, warehouse=warehouses[place[2]], tracking_number=place[3],
                        qty=max(qty, ZERO) - qty, expected_qty=qty, counted_qty=max(qty, ZERO))
            for number, (place, qty) in enumerate(ordered, start=1)
        ])
        journal.selection = selection.to_json()
        journal.calculated_at = timezone.now()
        journal.save(update_fields=["selection", "calculated_at"])
        audit_record(user=user, action="journal.calculate", obj=journal, selection=selection.to_json(),
                     lines=len(ordered))
    return len(ordered)


def counting_period_calculate(*, on: date, counting_period: CountingPeriod | None = None, description: str = "",
                              user=None) -> Journal:
    """Calculate counting period (BC): propose the items due and create a physical inventory
    journal counting them (including where they have none, so each one is counted)."""
    due = counting_period_due(on=on, counting_period=counting_period)
    if not due:
        which = f" in counting period {counting_period.code}" if counting_period else ""
        raise DomainError(f"No items{which} are due for counting on {on:%Y-%m-%d}.")
    with transaction.atomic():
        journal = counting_journal_create(
            description=description or f"Cycle count {on:%Y-%m-%d}" + (f" ({counting_period.code})" if counting_period else ""),
            user=user)
        counting_calculate(journal=journal, user=user, selection=Selection(
            date=on, items=tuple(item.number for item in due), include_zero=True,
            counting_period=counting_period.code if counting_period else "all"))
    journal.refresh_from_db()
    return journal


def _counting_draft(journal: Journal) -> None:
    if journal.journal_type != Journal.JournalType.COUNTING:
        raise DomainError(f"Journal {journal.number} is not a physical inventory journal.")
    if journal.is_posted:
        raise DomainError(f"Journal {journal.number} is posted and can no longer be changed.")


def counting_line_prepare(*, journal: Journal, line):
    """A line added by hand to a physical inventory journal: dated on the count's date, with its
    expected quantity as of that date, and its difference as the line's quantity."""
    selection = Selection.from_json(journal.selection)
    on = selection.date if selection else line.date
    place = (line.item.pk, line.site.pk, line.warehouse.pk, line.tracking_number)
    expected = expected_quantities(on=on, places=[place])[place]
    counted = line.counted_qty
    return replace(line, date=on, expected_qty=expected, qty=(counted - expected) if counted is not None else ZERO)


def counting_line_problems(*, journal: Journal, line) -> list[str]:
    """What is wrong with one physical inventory line (a `journals.LineInput`)."""
    problems = []
    item = line.item
    if line.counted_qty is None:
        problems.append("enter the counted quantity")
    else:
        problems += _count_problems(item, line.counted_qty)
    if line.unit_cost is not None:
        problems.append("a count is valued at the running average: leave the unit cost empty")
    if line.to_warehouse is not None or line.to_tracking_number or line.to_expiry_date:
        problems.append("a count does not move stock: use an item reclassification journal")
    difference = None if line.counted_qty is None or line.expected_qty is None else line.counted_qty - line.expected_qty
    # A tracked item's line without its number can only confirm that there is none: a difference
    # there could not say which lot or serial number it is.
    problems += tracking_problems(item=item, tracking_number=line.tracking_number, expiry_date=line.expiry_date,
                                  qty=None, number_required=bool(difference))
    if line.expiry_date and item.tracking == Item.Tracking.LOT and difference is not None and difference <= ZERO:
        problems.append("an expiry date is only for a lot found in the count (a positive difference)")
    selection = Selection.from_json(journal.selection)
    if selection is not None:
        outside = selection.outside(item=item, warehouse=line.warehouse, tracking_number=line.tracking_number)
        if outside:
            problems.append(f"outside the journal's selection: {outside}")
        if line.date != selection.date:
            problems.append(f"the journal counts as of {selection.date:%Y-%m-%d}, not {line.date:%Y-%m-%d}")
    return problems


def counting_journal_problems(*, lines: list[JournalLine]) -> list[str]:
    """Rules across lines: one line per item and place; a serial number counted once."""
    errors = []
    places: dict[Place, int] = {}
    serials: dict[tuple[int, str], int] = {}
    for line in lines:
        place = (line.item_id, line.site_id, line.warehouse_id, line.tracking_number)
        if place in places:
            errors.append(f"Line {line.line_number}: {line.item.number} in {line.warehouse}"
                          f"{' ' + line.tracking_number if line.tracking_number else ''} is already on line {places[place]}")
        else:
            places[place] = line.line_number
        if line.item.tracking == Item.Tracking.SERIAL and line.tracking_number and line.counted_qty:
            key = (line.item_id, line.tracking_number)
            if key in serials:
                errors.append(f"Line {line.line_number}: serial number {line.tracking_number} of {line.item.number} "
                              f"is counted twice (also on line {serials[key]})")
            else:
                serials[key] = line.line_number
    return errors


def counting_counts_set(*, journal: Journal, counts: dict[int, Decimal], user=None) -> int:
    """Enter counted quantities by line number, all or none: a bad one names its line and nothing
    is saved. Returns how many lines changed."""
    with transaction.atomic():
        # Locked before the lines are read: a recalculation replaces every line, and counts saved
        # onto lines it has just deleted would be lost without a word.
        journal = Journal.objects.select_for_update().get(pk=journal.pk)
        return _counts_set_locked(journal, counts, user)


def _counts_set_locked(journal: Journal, counts: dict[int, Decimal], user) -> int:
    _counting_draft(journal)
    lines = {line.line_number: line for line in journal.lines.select_related("item", "site", "warehouse")}
    errors = []
    changed = []
    for number, counted in sorted(counts.items()):
        line = lines.get(number)
        if line is None:
            errors.append(f"Line {number}: the journal has no line {number}")
            continue
        problems = _count_problems(line.item, counted)
        if problems:
            errors += [f"Line {number}: {problem}" for problem in problems]
            continue
        if counted != line.counted_qty:
            line.counted_qty = counted
            line.qty = counted - line.expected_qty
            changed.append(line)
    if errors:
        raise DomainError(f"The counts of journal {journal.number} were not saved.", errors=errors)
    JournalLine.objects.bulk_update(changed, ["counted_qty", "qty"])
    if changed:
        audit_record(user=user, action="journal.count", obj=journal,
                     lines={line.line_number: f"{line.counted_qty.normalize():f}" for line in changed})
    return len(changed)


def _count_problems(item: Item, counted: Decimal) -> list[str]:
    if counted < ZERO:
        return ["a counted quantity cannot be below zero"]
    if item.tracking == Item.Tracking.SERIAL and counted not in (ZERO, ONE):
        return [f"{item.number} is serial-numbered: a serial number is counted as 0 or 1"]
    return []


def count_sheet_rows(*, journal: Journal, show_expected: bool = True) -> list[dict]:
    """The printable count sheet: one row per line in line order, expected quantity shown or left
    blank (a blind count), the counted column blank to be filled in on paper or in the CSV."""
    rows = []
    lines = journal.lines.select_related("item", "site", "warehouse").order_by("line_number")
    expiries = {}
    for line in lines:
        if line.item.tracking == Item.Tracking.LOT and line.tracking_number:
            key = (line.item_id, line.tracking_number)
            if key not in expiries:
                expiries[key] = lot_expiry(item=line.item, lot=line.tracking_number)
        rows.append({
            "line": line.line_number, "item": line.item.number, "name": line.item.name, "site": line.site.code,
            "warehouse": line.warehouse.code, "tracking_number": line.tracking_number,
            "expiry_date": (line.expiry_date or expiries.get((line.item_id, line.tracking_number))),
            "unit": line.item.unit,
            "expected_qty": line.expected_qty if show_expected else None,
            "counted_qty": None,
        })
    return rows


def count_sheet_csv(*, journal: Journal, show_expected: bool = True) -> str:
    """The count sheet as CSV, every text cell inert in a spreadsheet (common.spreadsheets): an item
    named `=HYPERLINK(...)` is written `'=HYPERLINK(...)`, and read back as its name."""
    out = io.StringIO()
    writer = CsvWriter(out, lineterminator="\n")
    writer.writerow(SHEET_COLUMNS)
    for row in count_sheet_rows(journal=journal, show_expected=show_expected):
        writer.writerow([
            row["line"], row["item"], row["name"], row["site"], row["warehouse"], row["tracking_number"],
            row["expiry_date"].isoformat() if row["expiry_date"] else "", row["unit"],
            plain_number(row["expected_qty"]) if row["expected_qty"] is not None else "", "",
        ])
    return out.getvalue()


def counting_import_csv(*, journal: Journal, text: str | bytes, user=None) -> ImportResult:
    """Counted quantities from a filled-in count sheet (its CSV, or any file with the columns
    `line,counted_qty`). The sheet's other columns may stay: when `item`, `warehouse` or
    `tracking_number` are given they must match the line, so a sheet of another journal is refused.
    An empty counted_qty leaves the line as it is. Any bad row saves nothing. An upload is given as
    its bytes and decoded strictly: a file that is not UTF-8 is refused naming the line and byte."""
    result = ImportResult()
    raw, result.errors = read_rows(text, REQUIRED_IMPORT_COLUMNS, SHEET_COLUMNS)
    if result.errors:
        return result
    _counting_draft(journal)
    lines = {line.line_number: line for line in journal.lines.select_related("item", "site", "warehouse")}
    counts: dict[int, Decimal] = {}
    seen: dict[int, int] = {}
    for csv_line, row in raw:
        try:
            number_text = row.get("line", "")
            if not number_text.isdigit():
                raise DomainError(f"line must be the sheet's line number, not {number_text!r}")
            number = int(number_text)
            line = lines.get(number)
            if line is None:
                raise DomainError(f"journal {journal.number} has no line {number}")
            if number in seen:
                raise DomainError(f"line {number} is already counted on row {seen[number]}")
            seen[number] = csv_line
            for column, value in (("item", line.item.number), ("warehouse", line.warehouse.code),
                                  ("site", line.site.code), ("tracking_number", line.tracking_number)):
                # The sheet quoted text a spreadsheet would run (count_sheet_csv): compare the name.
                if row.get(column) and cell_unescape(row[column]) != value:
                    raise DomainError(f"{column} {row[column]!r} does not match line {number} ({value!r})")
            if not row.get("counted_qty"):
                continue
            counted = parse_number(row["counted_qty"], "counted_qty")
            problems = _count_problems(line.item, counted)
            if problems:
                raise DomainError(problems[0])
            counts[number] = counted
        except DomainError as error:
            result.errors.append((csv_line, error.message))
    if result.errors:
        return result
    result.posted = counting_counts_set(journal=journal, counts=counts, user=user)
    return result


def counting_post_lines(*, session: PostingSession, journal: Journal, lines: list[JournalLine], user=None) -> None:
    """Post a physical inventory journal's lines inside `journal_post`'s session, the dimensions
    already locked: refuse if any expected quantity moved since calculation, post the differences,
    record the counting history and move the items' counting dates on."""
    # Read under the dimension locks: nothing can post to these items until we commit, so what we
    # compare is what the adjustments will be posted against.
    places = [(line.item_id, line.site_id, line.warehouse_id, line.tracking_number) for line in lines]
    by_date: dict[date, list[Place]] = defaultdict(list)
    for line, place in zip(lines, places, strict=False):
        by_date[line.date].append(place)
    now = {}
    for on, day_places in by_date.items():
        for place, qty in expected_quantities(on=on, places=day_places).items():
            now[(on, place)] = qty
    stale = []
    for line, place in zip(lines, places, strict=False):
        current = now[(line.date, place)]
        if current != line.expected_qty:
            stale.append(f"Line {line.line_number}: the quantity of {line.item.number} in {line.warehouse}"
                         f"{' ' + line.tracking_number if line.tracking_number else ''} on {line.date:%Y-%m-%d} "
                         f"moved from {line.expected_qty.normalize():f} to {current.normalize():f} since the "
                         f"calculation: calculate inventory again and count this line again")
    if stale:
        raise DomainError(f"Journal {journal.number} was not posted: on-hand quantities moved since it was calculated.",
                          errors=stale)
    counted_by = user if getattr(user, "pk", None) else None
    history = []
    counted_items: dict[int, tuple[Item, date]] = {}
    for line in lines:
        difference = line.counted_qty - line.expected_qty
        ref = f"{journal.number}-{line.line_number}"
        common = dict(item=line.item, posting_date=line.date, site=line.site, warehouse=line.warehouse,
                      source_type=SourceType.COUNTING, financial=True, ref=ref, source_number=journal.number,
                      tracking_number=line.tracking_number, journal_line=line)
        try:
            if difference > ZERO:
                # Found stock enters at the running average of its dimension (docs/domain.md §5.3),
                # so the count moves quantity, not the average.
                dimension = session.dimension(line.item, line.site, line.warehouse, line.tracking_number)
                unit_cost = running_average(item=line.item, dimension=dimension)
                expiry = line.expiry_date or lot_expiry(item=line.item, lot=line.tracking_number)
                session.receive(qty=difference, unit_cost=unit_cost, expiry_date=expiry, **common)
            elif difference < ZERO:
                session.issue(qty=-difference, **common)
        except DomainError as error:
            raise line_error(line, error) from error
        history.append(CountingHistory(
            item=line.item, journal_line=line, date=line.date, site=line.site, warehouse=line.warehouse,
            tracking_number=line.tracking_number, expected_qty=line.expected_qty, counted_qty=line.counted_qty,
            counted_by=counted_by))
        item, latest = counted_items.get(line.item_id, (line.item, line.date))
        counted_items[line.item_id] = (item, max(latest, line.date))
    CountingHistory.objects.bulk_create(history)
    periods = {period.pk: period for period in CountingPeriod.objects.all()}
    for item, counted_on in counted_items.values():
        period_id = item.counting_period_id or item.item_group.counting_period_id
        item.last_counted_date = counted_on
        item.last_counted_by = counted_by
        item.next_counting_date = periods[period_id].next_date(counted_on) if period_id else None
    Item.objects.bulk_update([item for item, _ in counted_items.values()],
                             ["last_counted_date", "last_counted_by", "next_counting_date"])


def selection_from_form(*, on: date, item: Item | None = None, item_group: ItemGroup | None = None,
                        site: Site | None = None, warehouse: Warehouse | None = None, tracking_number: str = "",
                        include_zero: bool = False) -> Selection:
    if warehouse is not None and site is not None and warehouse.site_id != site.pk:
        raise DomainError(f"Warehouse {warehouse} is not in site {site.code}.", field="warehouse")
    return Selection(date=on, items=(item.number,) if item else (), item_group=item_group.code if item_group else "",
                     site=(site or (warehouse.site if warehouse else None)).code if (site or warehouse) else "",
                     warehouse=warehouse.code if warehouse else "", tracking_number=tracking_number.strip(),
                     include_zero=include_zero)

