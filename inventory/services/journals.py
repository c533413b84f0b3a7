"""Inventory journals: header and lines, validated and posted all-or-nothing, read-only once posted.

What every kind shares lives below the kinds, in journal_lines (exported here too); what is
particular to physical inventory and reclassification lives in counting and reclassification,
which this module calls."""

from django.db import transaction
from django.utils import timezone

from common.audit import audit_record
from common.errors import DomainError
from common.money import ZERO, plain_number
from inventory import hooks
from inventory.models import Item, Journal, JournalLine, SourceType
from inventory.services.counting import (
    counting_journal_problems,
    counting_line_prepare,
    counting_line_problems,
    counting_post_lines,
)
from inventory.services.journal_lines import (
    NEEDS_OFFSET_ACCOUNT,
    LineInput,
    date_problems,
    journal_create,
    line_error,
    line_input,
    tracking_problems,
)
from inventory.services.posting import PostingSession, posting_session
from inventory.services.reclassification import reclassification_line_problems, reclassification_post_line

__all__ = [
    "NEEDS_OFFSET_ACCOUNT", "SOURCE_BY_JOURNAL", "LineInput", "date_problems", "journal_create", "journal_line_add",
    "journal_line_delete", "journal_post", "journal_validate", "line_error", "line_input", "tracking_problems",
]

SOURCE_BY_JOURNAL = {
    Journal.JournalType.MOVEMENT: SourceType.MOVEMENT,
    Journal.JournalType.PROFIT_LOSS: SourceType.PROFIT_LOSS,
    Journal.JournalType.TRANSFER: SourceType.TRANSFER,
    Journal.JournalType.OPENING: SourceType.OPENING,
    Journal.JournalType.COUNTING: SourceType.COUNTING,
    Journal.JournalType.RECLASSIFICATION: SourceType.RECLASSIFICATION,
}


def _editable(journal: Journal) -> None:
    if journal.is_posted:
        raise DomainError(f"Journal {journal.number} is posted and can no longer be changed.")


def journal_line_add(*, journal: Journal, line: LineInput, user=None) -> JournalLine:
    """Add a line. A physical inventory line added by hand (an item found where the books have
    none, a lot not on the list) gets its expected quantity as of the journal's date computed
    here, and must fall inside what the journal was calculated for."""
    _editable(journal)
    if journal.journal_type == Journal.JournalType.COUNTING:
        line = counting_line_prepare(journal=journal, line=line)
    problems = _line_problems(journal, line) + date_problems([line.date])
    if problems:
        raise DomainError("; ".join(problems), errors=problems)
    with transaction.atomic():
        last = journal.lines.order_by("-line_number").values_list("line_number", flat=True).first() or 0
        added = JournalLine.objects.create(
            journal=journal, line_number=last + 1, date=line.date, item=line.item, qty=line.qty, site=line.site,
            warehouse=line.warehouse, unit_cost=line.unit_cost, to_site=line.to_site, to_warehouse=line.to_warehouse,
            tracking_number=line.tracking_number, expiry_date=line.expiry_date,
            to_tracking_number=line.to_tracking_number, to_expiry_date=line.to_expiry_date,
            counted_qty=line.counted_qty, expected_qty=line.expected_qty,
        )
        audit_record(user=user, action="journal.line.add", obj=journal, **_line_values(added))
    return added


def journal_line_delete(*, journal: Journal, line_number: int, user=None) -> None:
    _editable(journal)
    with transaction.atomic():
        line = JournalLine.objects.filter(journal=journal, line_number=line_number).select_related(
            "item", "site", "warehouse", "to_warehouse").first()
        if line is None:
            raise DomainError(f"Journal {journal.number} has no line {line_number}.")
        values = _line_values(line)
        line.delete()
        audit_record(user=user, action="journal.line.delete", obj=journal, **values)


def journal_line_change(*, journal: Journal, line_number: int, line: LineInput, user=None) -> JournalLine:
    """Change a line of a journal not posted yet (the lines grid, issue #17 point 11): checked like a
    new line, kept under its number, the audit log holding the values before and after. Physical
    inventory lines change through their counts instead."""
    _editable(journal)
    if journal.journal_type == Journal.JournalType.COUNTING:
        raise DomainError("A physical inventory line changes through its counted quantity: save the counts instead.")
    problems = _line_problems(journal, line) + date_problems([line.date])
    if problems:
        raise DomainError("; ".join(problems), errors=problems)
    with transaction.atomic():
        # Only the line is locked: PostgreSQL locks no nullable side of an outer join (to_warehouse).
        changed = JournalLine.objects.select_for_update(of=("self",)).filter(journal=journal, line_number=line_number).select_related(
            "item", "site", "warehouse", "to_warehouse").first()
        if changed is None:
            raise DomainError(f"Journal {journal.number} has no line {line_number}.")
        before = _line_values(changed)
        for name in ("date", "item", "qty", "site", "warehouse", "unit_cost", "to_site", "to_warehouse", "tracking_number",
                     "expiry_date", "to_tracking_number", "to_expiry_date"):
            setattr(changed, name, getattr(line, name))
        changed.save()
        audit_record(user=user, action="journal.line.change", obj=journal, line=line_number,
                     before=before, after=_line_values(changed))
    return changed


def _line_values(line: JournalLine) -> dict[str, str | int | None]:
    """A journal line as the audit log keeps it: what was added or taken away."""
    def text(value):
        return None if value is None else plain_number(value)

    return {"line": line.line_number, "date": line.date.isoformat(), "item": line.item.number,
            "qty": text(line.qty), "unit_cost": text(line.unit_cost), "site": line.site.code,
            "warehouse": line.warehouse.code, "to_warehouse": line.to_warehouse.code if line.to_warehouse else None,
            "tracking_number": line.tracking_number, "counted_qty": text(line.counted_qty)}


def _line_problems(journal: Journal, line: LineInput) -> list[str]:
    problems = []
    if line.warehouse.site_id != line.site.pk:
        problems.append(f"warehouse {line.warehouse.code} is not in site {line.site.code}")
    if journal.journal_type == Journal.JournalType.COUNTING:
        return problems + counting_line_problems(journal=journal, line=line)
    if line.qty == ZERO:
        problems.append("quantity cannot be zero")
    if journal.journal_type == Journal.JournalType.TRANSFER:
        if line.qty < ZERO:
            problems.append("a transfer quantity must be positive (it moves from the first warehouse to the second)")
        if line.to_warehouse is None:
            problems.append("a transfer line needs a destination warehouse")
        elif line.to_warehouse == line.warehouse:
            problems.append("a transfer must go to another warehouse")
        if line.unit_cost is not None:
            problems.append("a transfer carries the issue's cost: leave the unit cost empty")
    elif journal.journal_type == Journal.JournalType.RECLASSIFICATION:
        problems += reclassification_line_problems(line=line)
    else:
        if line.to_warehouse is not None:
            problems.append("only transfer and reclassification journals have a destination warehouse")
        if line.qty > ZERO and line.unit_cost is None:
            problems.append("a receipt line needs a unit cost")
        if line.qty < ZERO and line.unit_cost is not None:
            problems.append("an issue line is costed at the running average: leave the unit cost empty")
        if journal.journal_type == Journal.JournalType.OPENING and line.qty < ZERO:
            problems.append("an opening balance line must be a receipt (positive quantity)")
    if line.unit_cost is not None and line.unit_cost < ZERO:
        problems.append("the unit cost cannot be negative")
    problems += tracking_problems(item=line.item, tracking_number=line.tracking_number, expiry_date=line.expiry_date,
                                  qty=abs(line.qty))
    return problems


def journal_validate(*, journal: Journal) -> list[str]:
    """Every problem of every line, as "Line N: ..." messages; posting nothing. An empty list means
    the journal can be posted as far as the lines themselves go (dates and stock are checked on post)."""
    errors = []
    lines = list(journal.lines.select_related("item", "site", "warehouse", "to_site", "to_warehouse"))
    if not lines:
        errors.append(f"Journal {journal.number} has no lines.")
    dates = {on: date_problems([on]) for on in {line.date for line in lines}}
    for line in lines:
        problems = _line_problems(journal, line_input(line)) + dates[line.date]
        errors += [f"Line {line.line_number}: {problem}" for problem in problems]
    errors += _hook_problems(journal, lines)
    if journal.journal_type == Journal.JournalType.COUNTING:
        errors += counting_journal_problems(lines=lines)
    elif journal.journal_type in (Journal.JournalType.RECLASSIFICATION, Journal.JournalType.OPENING):
        errors += _serials_twice(lines)
    return errors


def _hook_problems(journal: Journal, lines: list[JournalLine]) -> list[str]:
    """What the apps built on inventory refuse (inventory/hooks.py: a bin-mandatory warehouse where
    the item has no default bin), for each place a line posts to."""
    rows = [hooks.RowToCheck(line.line_number, line.item_id, line.warehouse_id, "", journal.number)
            for line in lines if line.qty]
    rows += [hooks.RowToCheck(line.line_number, line.item_id, line.to_warehouse_id, "", journal.number)
             for line in lines if line.qty and line.to_warehouse_id and line.to_warehouse_id != line.warehouse_id]
    return [f"Line {number}: {problem}" for number, problem in hooks.rows_check(rows)]


def _serials_twice(lines: list[JournalLine]) -> list[str]:
    """A serial number is one unit: two lines receiving (or moving) the same one cannot both post."""
    errors, seen = [], {}
    for line in lines:
        if line.item.tracking != Item.Tracking.SERIAL or not line.tracking_number:
            continue
        key = (line.item_id, line.to_tracking_number or line.tracking_number)
        if key in seen:
            errors.append(f"Line {line.line_number}: serial number {key[1]} of {line.item.number} is already on "
                          f"line {seen[key]}")
        else:
            seen[key] = line.line_number
    return errors


def journal_post(*, journal: Journal, user=None) -> Journal:
    """Post every line, or none: any refusal rolls the whole journal back and names the line."""
    _editable(journal)
    errors = journal_validate(journal=journal)
    if errors:
        raise DomainError(f"Journal {journal.number} cannot be posted.", errors=errors)
    source_type = SOURCE_BY_JOURNAL[journal.journal_type]
    with transaction.atomic():
        journal = Journal.objects.select_for_update().get(pk=journal.pk)
        _editable(journal)  # another user may have posted it while we validated
        lines = list(journal.lines.select_related(
            "item__item_group__inventory_receipt_account", "item__item_group", "item__model_group", "site",
            "warehouse", "to_site", "to_warehouse"))
        with posting_session(user=user) as session:
            _lock_lines(session, journal, lines)
            if journal.journal_type == Journal.JournalType.COUNTING:
                counting_post_lines(session=session, journal=journal, lines=lines, user=user)
            else:
                for line in lines:
                    try:
                        _post_line(session, journal, line, source_type)
                    except DomainError as error:
                        raise line_error(line, error) from error
        journal.status = Journal.Status.POSTED
        journal.posted_by = user if getattr(user, "pk", None) else None
        journal.posted_at = timezone.now()
        journal.voucher = session.vouchers[0] if len(session.vouchers) == 1 else None
        journal.save(update_fields=["status", "posted_by", "posted_at", "voucher"])
        audit_record(user=user, action="journal.post", obj=journal, lines=len(lines),
                     vouchers=[voucher.number for voucher in session.vouchers])
    return journal


def _lock_lines(session: PostingSession, journal: Journal, lines: list[JournalLine]) -> None:
    dimensions = [(line.item, line.site, line.warehouse, line.tracking_number) for line in lines]
    dimensions += [(line.item, line.to_site or line.site, line.to_warehouse or line.warehouse,
                    line.to_tracking_number or line.tracking_number)
                   for line in lines if line.to_warehouse or line.to_tracking_number]
    session.lock(dimensions)


def _post_line(session: PostingSession, journal: Journal, line: JournalLine, source_type: str) -> None:
    ref = f"{journal.number}-{line.line_number}"
    common = dict(item=line.item, posting_date=line.date, site=line.site, warehouse=line.warehouse,
                  source_number=journal.number, tracking_number=line.tracking_number, journal_line=line)
    if journal.journal_type == Journal.JournalType.TRANSFER:
        session.transfer(qty=line.qty, to_site=line.to_site or line.to_warehouse.site, to_warehouse=line.to_warehouse,
                         ref=ref, expiry_date=line.expiry_date, **common)
    elif journal.journal_type == Journal.JournalType.RECLASSIFICATION:
        reclassification_post_line(session=session, journal=journal, line=line)
    elif line.qty > ZERO:
        session.receive(qty=line.qty, unit_cost=line.unit_cost, source_type=source_type, financial=True, ref=ref,
                        offset_account=journal.offset_account, expiry_date=line.expiry_date, **common)
    else:
        session.issue(qty=-line.qty, source_type=source_type, financial=True, ref=ref,
                      offset_account=journal.offset_account, **common)
