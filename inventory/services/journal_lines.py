"""What journals of every kind share, below the kinds themselves (counting, reclassification): a
journal's creation, its line as plain input, the per-line rules of tracking and posting dates said
before anything is posted, and a refusal named by its line."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction

from common.audit import audit_record
from common.errors import DomainError
from common.numbering import number_next
from inventory import rules
from inventory.models import Item, Journal, JournalLine, Site, Warehouse
from inventory.services.posting import inventory_closed_until, posting_date_problems
from ledger.models import MainAccount
from ledger.services import PeriodGuard

NEEDS_OFFSET_ACCOUNT = (Journal.JournalType.MOVEMENT, Journal.JournalType.OPENING)


def journal_create(*, journal_type: str, description: str = "", offset_account: MainAccount | None = None,
                   user=None) -> Journal:
    if journal_type in NEEDS_OFFSET_ACCOUNT and offset_account is None:
        raise DomainError(f"A {Journal.JournalType(journal_type).label.lower()} journal needs an offset account.",
                          field="offset_account")
    with transaction.atomic():
        journal = Journal.objects.create(number=number_next(code="journal"), journal_type=journal_type,
                                         description=description, offset_account=offset_account, created_by=user)
        audit_record(user=user, action="journal.create", obj=journal, number=journal.number)
    return journal


@dataclass
class LineInput:
    date: date
    item: Item
    qty: Decimal
    site: Site
    warehouse: Warehouse
    unit_cost: Decimal | None = None
    to_site: Site | None = None
    to_warehouse: Warehouse | None = None
    tracking_number: str = ""
    expiry_date: date | None = None
    to_tracking_number: str = ""
    to_expiry_date: date | None = None
    counted_qty: Decimal | None = None
    expected_qty: Decimal | None = None


def line_input(line: JournalLine) -> LineInput:
    return LineInput(date=line.date, item=line.item, qty=line.qty, site=line.site, warehouse=line.warehouse,
                     unit_cost=line.unit_cost, to_site=line.to_site, to_warehouse=line.to_warehouse,
                     tracking_number=line.tracking_number, expiry_date=line.expiry_date,
                     to_tracking_number=line.to_tracking_number, to_expiry_date=line.to_expiry_date,
                     counted_qty=line.counted_qty, expected_qty=line.expected_qty)


def tracking_problems(*, item: Item, tracking_number: str, expiry_date: date | None, qty: Decimal | None,
                      number_required: bool = True) -> list[str]:
    """The item tracking rules (inventory/rules.py) of one line, said before anything is posted."""
    return [problem for _field, problem in rules.tracking_problems(
        item_number=item.number, tracking=item.tracking, tracking_number=tracking_number, expiry_date=expiry_date,
        qty=qty, number_required=number_required)]


def date_problems(dates: list[date]) -> list[str]:
    """The posting date rules (inventory/services/posting.py) for every date of a journal or file,
    checked without posting: the same messages the posting services give."""
    closed_until, guard = inventory_closed_until(), PeriodGuard()
    return [problem for on in sorted(set(dates))
            for problem in posting_date_problems(on, closed_until=closed_until, periods=guard)]


def line_error(line: JournalLine, error: DomainError) -> DomainError:
    return DomainError(f"Line {line.line_number}: {error.message}", errors=[f"Line {line.line_number}: {error.message}"])
