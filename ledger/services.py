"""Writes to the ledger: vouchers and fiscal periods (numbers and the audit trail are the shared kernel's, common/)."""

import calendar
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from common.audit import audit_changes, audit_record, audit_values
from common.bulk import copy_rows, ids_reserve, instances_references_check, references_check
from common.errors import DomainError
from common.money import ZERO, round_amount
from common.numbering import number_block
from ledger.models import FiscalPeriod, MainAccount, Voucher, VoucherLine


def fiscal_year_ensure(*, year: int) -> list[FiscalPeriod]:
    """Create the twelve monthly periods of a calendar year (open) unless the year already has any."""
    if FiscalPeriod.objects.filter(start_date__year=year).exists():
        return list(FiscalPeriod.objects.filter(start_date__year=year))
    periods = []
    for month in range(1, 13):
        last_day = calendar.monthrange(year, month)[1]
        period, _ = FiscalPeriod.objects.get_or_create(
            start_date=date(year, month, 1),
            defaults={"name": f"{year}-{month:02d}", "end_date": date(year, month, last_day)},
        )
        periods.append(period)
    return periods


class PeriodGuard:
    """Answers "may anything be posted on this date?" for a batch of postings, reading the fiscal
    calendar once. A year with no periods at all gets its calendar created (open), so a new
    company can post any date; a period that exists but is on hold or closed refuses."""

    def __init__(self) -> None:
        self._periods: list[FiscalPeriod] | None = None

    def _load(self) -> list[FiscalPeriod]:
        if self._periods is None:
            self._periods = list(FiscalPeriod.objects.order_by("start_date"))
        return self._periods

    def period_for(self, posting_date: date) -> FiscalPeriod | None:
        for period in self._load():
            if period.start_date <= posting_date <= period.end_date:
                return period
        return None

    def problems(self, posting_date: date) -> list[str]:
        """The fiscal-calendar rule for one posting date, without writing: a year with no periods
        at all is fine (posting creates its calendar, open); otherwise an open period must cover
        the date."""
        period = self.period_for(posting_date)
        if period is None:
            if any(p.start_date.year == posting_date.year for p in self._load()):
                return [f"No fiscal period covers {posting_date:%Y-%m-%d}: add one in the fiscal calendar."]
            return []
        if period.status != FiscalPeriod.Status.OPEN:
            return [f"Fiscal period {period.name} is {period.get_status_display().lower()}: "
                    f"nothing can be posted on {posting_date:%Y-%m-%d}."]
        return []

    def check(self, posting_date: date) -> None:
        """Raise the first problem; create the calendar of a year that has none."""
        problems = self.problems(posting_date)
        if problems:
            raise DomainError(problems[0])
        if self.period_for(posting_date) is None:
            fiscal_year_ensure(year=posting_date.year)
            self._periods = None


@dataclass
class LineSpec:
    """A voucher line before it is written. `amount` is signed: positive = debit, negative = credit.
    A storno line keeps its side and carries the amount negative on it."""

    account: MainAccount
    amount: Decimal
    storno: bool = False
    description: str = ""
    item_id: int | None = None
    item_group_id: int | None = None
    transaction_id: int | None = None
    transaction: object | None = field(default=None, repr=False)

    def sides(self) -> tuple[Decimal, Decimal]:
        """(debit, credit) of the line, rounded."""
        return self.sides_of(round_amount(self.amount))

    def sides_of(self, amount: Decimal) -> tuple[Decimal, Decimal]:
        """(debit, credit) of the line, given its amount already rounded (vouchers_write rounds
        each line once)."""
        if self.storno:
            # Storno: a decrease posted as a negative amount on the side the original stood on.
            return (amount, ZERO) if self.storno_side == "debit" else (ZERO, -amount)
        return (amount, ZERO) if amount >= 0 else (ZERO, -amount)

    def to_line(self, voucher: Voucher) -> VoucherLine:
        debit, credit = self.sides()
        return VoucherLine(
            voucher=voucher,
            date=voucher.date,
            account=self.account,
            debit=debit,
            credit=credit,
            is_storno=self.storno,
            description=self.description[:200],
            item_id=self.item_id,
            item_group_id=self.item_group_id,
            inventory_transaction_id=self.transaction_id if self.transaction is None else self.transaction.pk,
        )

    @property
    def storno_side(self) -> str:
        """A storno line reverses an amount that stood on the opposite side of its sign:
        a negative debit (amount < 0 reversing a debit) or a negative credit (amount > 0)."""
        return "debit" if self.amount < 0 else "credit"


@dataclass
class VoucherDraft:
    date: date
    description: str
    source: str
    lines: list[LineSpec]
    reverses: Voucher | None = None


def _rounded_drafts(drafts: Sequence[VoucherDraft]) -> list[tuple[VoucherDraft, list[Decimal]]]:
    """The drafts that move anything, each with its lines' amounts rounded (once: an import rounds
    hundreds of thousands of lines). Each must balance: its rounded amounts add up to zero."""
    kept = []
    for draft in drafts:
        amounts = [round_amount(line.amount) for line in draft.lines]
        if any(amounts):
            kept.append((draft, amounts))
    for draft, amounts in kept:
        difference = sum(amounts, ZERO)
        if difference != ZERO:
            raise DomainError(f"Voucher '{draft.description}' does not balance: difference {difference}.")
    return kept


def vouchers_write(*, drafts: Sequence[VoucherDraft], user=None, returning: bool = True) -> list[Voucher]:
    """Write many vouchers in bulk. Each must balance; PostgreSQL checks it again at commit. With
    `returning=False` (an import writing a million vouchers) the Voucher objects are not built."""
    rounded = _rounded_drafts(drafts)
    if not rounded:
        return []
    drafts = [draft for draft, _ in rounded]
    numbers = number_block(code="voucher", count=len(drafts))
    if connection.vendor == "postgresql":
        return _vouchers_copy(rounded=rounded, numbers=numbers, user=user, returning=returning)
    vouchers = [
        Voucher(number=number, date=draft.date, description=draft.description[:200], source=draft.source,
                reverses=draft.reverses, created_by=user)
        for number, draft in zip(numbers, drafts, strict=False)
    ]
    instances_references_check(vouchers)  # reverses and created_by: no database foreign key
    vouchers = Voucher.objects.bulk_create(vouchers)
    lines = [line.to_line(voucher) for voucher, draft in zip(vouchers, drafts, strict=False) for line in draft.lines
             if round_amount(line.amount) != ZERO]
    rows = [tuple(getattr(line, column) for column in VOUCHER_LINE_COLUMNS) for line in lines]
    references_check(model=VoucherLine, columns=VOUCHER_LINE_COLUMNS, rows=rows, unlocked=UNLOCKED_LINE_REFERENCES)
    copy_rows("ledger_voucherline", VOUCHER_LINE_COLUMNS, rows)
    return vouchers


VOUCHER_LINE_COLUMNS = ["voucher_id", "date", "account_id", "debit", "credit", "is_storno", "description", "item_group_id",
                        "item_id", "inventory_transaction_id"]
# Checked without a lock on the rows referred to: the vouchers were inserted just before their lines
# (in this transaction), and neither a voucher nor a posted transaction is ever deleted (a voucher is
# reversed by another; a transaction's lines refuse its delete). Locking each would write each.
UNLOCKED_LINE_REFERENCES = ("voucher", "inventory_transaction")
VOUCHER_COLUMNS = ["id", "number", "date", "description", "source", "reverses_id", "created_by_id", "created_at"]


def _vouchers_copy(*, rounded: list[tuple[VoucherDraft, list[Decimal]]], numbers: list[str], user,
                   returning: bool) -> list[Voucher]:
    """PostgreSQL: vouchers and lines by COPY, the vouchers' ids drawn first, with no model instance
    per line (building them was a fifth of an import's time)."""
    drafts = [draft for draft, _ in rounded]
    ids = ids_reserve(table="ledger_voucher", count=len(drafts))
    user_id = getattr(user, "pk", None)
    now = timezone.now()
    voucher_rows = [
        (pk, number, draft.date, draft.description[:200], draft.source, draft.reverses.pk if draft.reverses else None,
         user_id, now) for pk, number, draft in zip(ids, numbers, drafts, strict=True)]
    # The voucher reversed and the user have no database foreign key (ledger migration 0002_database).
    references_check(model=Voucher, columns=VOUCHER_COLUMNS, rows=voucher_rows)
    copy_rows("ledger_voucher", VOUCHER_COLUMNS, voucher_rows)
    lines = []
    for pk, (draft, amounts) in zip(ids, rounded, strict=True):
        for line, amount in zip(draft.lines, amounts, strict=True):
            if not amount:  # a line rounded to zero is not written
                continue
            debit, credit = line.sides_of(amount)
            lines.append((pk, draft.date, line.account.pk, debit, credit, line.storno, line.description[:200],
                          line.item_group_id, line.item_id,
                          line.transaction_id if line.transaction is None else line.transaction.pk))
    # A line's references have no database foreign key (ledger migration 0002_database): checked here, one
    # query per column for all the lines.
    references_check(model=VoucherLine, columns=VOUCHER_LINE_COLUMNS, rows=lines, unlocked=UNLOCKED_LINE_REFERENCES)
    copy_rows("ledger_voucherline", VOUCHER_LINE_COLUMNS, lines)
    if not returning:
        return []
    vouchers = [Voucher(id=pk, number=number, date=draft.date, description=draft.description[:200], source=draft.source,
                        reverses=draft.reverses, created_by_id=user_id, created_at=now)
                for pk, number, draft in zip(ids, numbers, drafts, strict=True)]
    for voucher in vouchers:
        voucher._state.adding = False
    return vouchers


def reversing_lines(*, voucher: Voucher, storno: bool, description: str = "") -> list[LineSpec]:
    """The lines that take a voucher back: each line's amount the other way, on the same account,
    item group, item and transaction. With storno, a line that was an ordinary posting comes back
    as a negative amount on its own side and a storno line comes back as an ordinary posting, so
    the turnover of both sides returns to what it was before the voucher."""
    return [LineSpec(account=line.account, amount=-line.amount, storno=storno and not line.is_storno,
                     description=description or line.description, item_id=line.item_id,
                     item_group_id=line.item_group_id, transaction_id=line.inventory_transaction_id)
            for line in voucher.lines.select_related("account").order_by("id")]


def voucher_post(*, date: date, description: str, source: str, lines: list[LineSpec], user=None,
                 reverses: Voucher | None = None) -> Voucher | None:
    with transaction.atomic():
        written = vouchers_write(drafts=[VoucherDraft(date, description, source, lines, reverses)], user=user)
    return written[0] if written else None


# -- fiscal periods ---------------------------------------------------------------------------------

FISCAL_PERIOD_FIELDS = ("name", "start_date", "end_date", "status")

# Who can tell up to which date inventory is closed. The close belongs to an app built on the ledger,
# which registers here (inventory/apps.py); the ledger only asks, to warn before a period is closed.
_inventory_closed_until: list[Callable[[], date | None]] = []


def inventory_close_date_provider(provider: Callable[[], date | None]) -> None:
    if provider not in _inventory_closed_until:
        _inventory_closed_until.append(provider)


def inventory_closed_until() -> date | None:
    dates = [day for day in (provider() for provider in _inventory_closed_until) if day is not None]
    return max(dates) if dates else None


def fiscal_period_problems(*, period: FiscalPeriod) -> list[str]:
    """What keeps a new or edited period from being saved: a blank name, an end before the start,
    an overlap with another period."""
    problems = []
    if not (period.name or "").strip():
        problems.append("The period needs a name.")
    if period.start_date and period.end_date:
        if period.end_date < period.start_date:
            problems.append(f"The period ends ({period.end_date:%Y-%m-%d}) before it starts "
                            f"({period.start_date:%Y-%m-%d}).")
        overlapping = (FiscalPeriod.objects.filter(start_date__lte=period.end_date, end_date__gte=period.start_date)
                       .exclude(pk=period.pk).order_by("start_date").first())
        if overlapping is not None:
            problems.append(f"The period overlaps {overlapping.name} ({overlapping.start_date:%Y-%m-%d} to "
                            f"{overlapping.end_date:%Y-%m-%d}).")
    if period.status not in FiscalPeriod.Status.values:
        problems.append(f"Unknown period status {period.status!r}: use open, on hold or closed.")
    return problems


def fiscal_period_save(*, period: FiscalPeriod, user=None) -> FiscalPeriod:
    """Create or change a fiscal period (the admin's form), audited with the values before and after."""
    problems = fiscal_period_problems(period=period)
    if problems:
        raise DomainError(problems[0], errors=problems)
    with transaction.atomic():
        before = {}
        if period.pk:
            stored = FiscalPeriod.objects.select_for_update().filter(pk=period.pk).first()
            before = audit_values(stored, FISCAL_PERIOD_FIELDS) if stored else {}
        created = not before
        period.save()
        after = audit_values(period, FISCAL_PERIOD_FIELDS)
        changes = audit_changes(before, after)
        if changes:
            audit_record(user=user, action="fiscal_period.create" if created else "fiscal_period.change", obj=period,
                         changes=changes)
    return period


def fiscal_period_close_warning(*, period: FiscalPeriod) -> str | None:
    """Why closing (or holding) this period deserves a second thought (Dynamics warns the same way):
    its end is after the latest inventory close, so the close of those months could no longer post
    its adjustments in the period."""
    closed_until = inventory_closed_until()
    if closed_until is not None and closed_until >= period.end_date:
        return None
    where = f"only up to {closed_until:%Y-%m-%d}" if closed_until else "not closed yet"
    return (f"Inventory is {where}, before the end of {period.name} ({period.end_date:%Y-%m-%d}): once the period "
            f"is closed, the inventory close for those dates cannot post its adjustments in it. Close inventory up "
            f"to {period.end_date:%Y-%m-%d} first, or confirm to close the period anyway.")


def fiscal_period_status_set(*, period: FiscalPeriod, status: str, user=None, confirmed: bool = False) -> FiscalPeriod:
    """Open, put on hold or close a fiscal period, audited. Closing one whose end is after the latest
    inventory close is refused until `confirmed` (the page asks first)."""
    if status not in FiscalPeriod.Status.values:
        raise DomainError(f"Unknown period status {status!r}: use open, on hold or closed.", field="status")
    with transaction.atomic():
        period = FiscalPeriod.objects.select_for_update().get(pk=period.pk)
        if period.status == status:
            raise DomainError(f"Period {period.name} is already {period.get_status_display().lower()}.", field="status")
        if status == FiscalPeriod.Status.CLOSED and not confirmed:
            warning = fiscal_period_close_warning(period=period)
            if warning:
                raise DomainError(warning, field="confirm")
        before = period.status
        period.status = status
        period.save(update_fields=["status"])
        audit_record(user=user, action=f"fiscal_period.{status}", obj=period,
                     changes={"status": {"from": before, "to": status}})
    return period


def fiscal_period_delete(*, period: FiscalPeriod, user=None) -> None:
    """Remove a period from the calendar (the admin), audited with what it was."""
    with transaction.atomic():
        values = audit_values(period, FISCAL_PERIOD_FIELDS)
        audit_record(user=user, action="fiscal_period.delete", obj=period,
                     changes={name: {"from": value, "to": ""} for name, value in values.items()})
        period.delete()


