"""Writes to the ledger: numbers, vouchers, fiscal-period guards and the audit trail."""

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from common.bulk import copy_rows, ids_reserve
from common.errors import DomainError
from common.money import ZERO, round_amount
from ledger.models import AuditEntry, FiscalPeriod, MainAccount, NumberSequence, Voucher, VoucherLine

SEQUENCES = {
    "voucher": "INV",
    "journal": "JNL",
    "closing": "CLS",
    "transaction": "TRX",
}


def number_block(*, code: str, count: int = 1) -> list[str]:
    """Draw `count` consecutive numbers of a sequence. The row is locked until the caller's
    transaction commits, so two processes never hand out the same number."""
    NumberSequence.objects.get_or_create(code=code, defaults={"prefix": SEQUENCES.get(code, code[:3].upper())})
    sequence = NumberSequence.objects.select_for_update().get(code=code)
    first = sequence.next_value
    sequence.next_value = first + count
    sequence.save(update_fields=["next_value"])
    return [f"{sequence.prefix}-{value:0{sequence.width}d}" for value in range(first, first + count)]


def number_next(*, code: str) -> str:
    return number_block(code=code, count=1)[0]


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
        amount = round_amount(self.amount)
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


def lines_balance(lines: Iterable[LineSpec]) -> Decimal:
    return sum((round_amount(line.amount) for line in lines), ZERO)


@dataclass
class VoucherDraft:
    date: date
    description: str
    source: str
    lines: list[LineSpec]
    reverses: Voucher | None = None


def vouchers_write(*, drafts: Sequence[VoucherDraft], user=None, returning: bool = True) -> list[Voucher]:
    """Write many vouchers in bulk. Each must balance; PostgreSQL checks it again at commit. With
    `returning=False` (an import writing a million vouchers) the Voucher objects are not built."""
    drafts = [draft for draft in drafts if any(round_amount(line.amount) != ZERO for line in draft.lines)]
    if not drafts:
        return []
    for draft in drafts:
        difference = lines_balance(draft.lines)
        if difference != ZERO:
            raise DomainError(f"Voucher '{draft.description}' does not balance: difference {difference}.")
    numbers = number_block(code="voucher", count=len(drafts))
    if connection.vendor == "postgresql":
        return _vouchers_copy(drafts=drafts, numbers=numbers, user=user, returning=returning)
    vouchers = Voucher.objects.bulk_create(
        [
            Voucher(number=number, date=draft.date, description=draft.description[:200], source=draft.source,
                    reverses=draft.reverses, created_by=user)
            for number, draft in zip(numbers, drafts, strict=False)
        ]
    )
    lines = [line.to_line(voucher) for voucher, draft in zip(vouchers, drafts, strict=False) for line in draft.lines
             if round_amount(line.amount) != ZERO]
    copy_rows("ledger_voucherline", VOUCHER_LINE_COLUMNS,
              [tuple(getattr(line, column) for column in VOUCHER_LINE_COLUMNS) for line in lines])
    return vouchers


VOUCHER_LINE_COLUMNS = ["voucher_id", "date", "account_id", "debit", "credit", "is_storno", "description", "item_group_id",
                        "item_id", "inventory_transaction_id"]
VOUCHER_COLUMNS = ["id", "number", "date", "description", "source", "reverses_id", "created_by_id", "created_at"]


def _vouchers_copy(*, drafts: Sequence[VoucherDraft], numbers: list[str], user, returning: bool) -> list[Voucher]:
    """PostgreSQL: vouchers and lines by COPY, the vouchers' ids drawn first, with no model instance
    per line (building them was a fifth of an import's time)."""
    ids = ids_reserve(table="ledger_voucher", count=len(drafts))
    user_id = getattr(user, "pk", None)
    now = timezone.now()
    copy_rows("ledger_voucher", VOUCHER_COLUMNS, [
        (pk, number, draft.date, draft.description[:200], draft.source, draft.reverses.pk if draft.reverses else None,
         user_id, now) for pk, number, draft in zip(ids, numbers, drafts, strict=True)])
    lines = []
    for pk, draft in zip(ids, drafts, strict=True):
        for line in draft.lines:
            debit, credit = line.sides()
            if debit == ZERO and credit == ZERO:
                continue
            lines.append((pk, draft.date, line.account.pk, debit, credit, line.storno, line.description[:200],
                          line.item_group_id, line.item_id,
                          line.transaction_id if line.transaction is None else line.transaction.pk))
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


def audit_record(*, user, action: str, obj=None, object_type: str = "", object_id: str = "", **detail) -> AuditEntry:
    if obj is not None:
        object_type = object_type or obj._meta.label
        object_id = object_id or str(obj.pk)
    known = user if getattr(user, "pk", None) else None
    return AuditEntry.objects.create(user=known, username=known.get_username() if known else "", action=action,
                                     object_type=object_type, object_id=object_id, detail=detail)
