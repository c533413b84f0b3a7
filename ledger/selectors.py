"""Reads for the ledger pages and reports."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Prefetch, QuerySet, Sum

from common.models import AuditEntry
from common.money import ZERO, summed_amount
from ledger.models import FiscalPeriod, MainAccount, Voucher, VoucherLine


def audit_log() -> QuerySet[AuditEntry]:
    """Who did what, when (newest first), with the user for entries of users since deleted."""
    return AuditEntry.objects.select_related("user").order_by("-at", "-id")


def fiscal_periods(*, year: int | None = None) -> QuerySet[FiscalPeriod]:
    periods = FiscalPeriod.objects.order_by("start_date")
    return periods.filter(start_date__year=year) if year else periods


def account_list() -> QuerySet[MainAccount]:
    return MainAccount.objects.all()


def voucher_list() -> QuerySet[Voucher]:
    return Voucher.objects.select_related("created_by")


def voucher_detail(*, number: str) -> Voucher:
    lines = VoucherLine.objects.select_related("account", "item", "item_group", "inventory_transaction")
    return Voucher.objects.select_related("created_by", "reverses").prefetch_related(Prefetch("lines", queryset=lines)).get(number=number)


def vouchers_of_transaction(*, transaction) -> list[dict]:
    """Every voucher with a line for this inventory transaction, with just those lines."""
    grouped: dict[int, dict] = {}
    for line in VoucherLine.objects.filter(inventory_transaction=transaction).select_related("voucher", "account").order_by("date", "voucher_id", "id"):
        entry = grouped.setdefault(line.voucher_id, {"voucher": line.voucher, "lines": []})
        entry["lines"].append(line)
    return list(grouped.values())


def trial_balance(*, date_from: date, date_to: date) -> list[dict]:
    """Opening balance, debit and credit turnover and closing balance per account. Storno lines are
    negative amounts on their own side, so they reduce that side's turnover (the convention storno
    exists for, docs/domain.md §3.4): a debit storno of -5 lowers debit turnover by 5, where an ordinary
    reversal would add 5 to the credit side and inflate both turnovers. Two grouped sums over the
    lines (opening before the period, turnover in it), whatever the number of lines."""
    rows: dict[int, dict] = defaultdict(lambda: {"opening": ZERO, "debit": ZERO, "credit": ZERO})
    opening = VoucherLine.objects.filter(date__lt=date_from).values("account").annotate(
        debit=Sum("debit"), credit=Sum("credit"))
    for row in opening:
        rows[row["account"]]["opening"] = summed_amount(row["debit"]) - summed_amount(row["credit"])
    turnover = VoucherLine.objects.filter(date__gte=date_from, date__lte=date_to).values("account").annotate(
        debit=Sum("debit"), credit=Sum("credit"))
    for row in turnover:
        rows[row["account"]]["debit"] = summed_amount(row["debit"])
        rows[row["account"]]["credit"] = summed_amount(row["credit"])
    accounts = {account.pk: account for account in MainAccount.objects.filter(pk__in=rows)}
    result = []
    for account_id, row in rows.items():
        row["account"] = accounts[account_id]
        row["closing"] = row["opening"] + row["debit"] - row["credit"]
        result.append(row)
    result.sort(key=lambda row: row["account"].number)
    return result


STATEMENT_ORDER = ("date", "voucher_id", "id")


@dataclass
class AccountStatement:
    """One account's ledger lines in a period, with the balance before it and after it. `rows` is a
    lazy sequence: a page of it is one indexed query, however many lines the account has."""

    opening: Decimal
    debit: Decimal
    credit: Decimal
    count: int
    rows: "StatementRows"

    @property
    def closing(self) -> Decimal:
        return self.opening + self.debit - self.credit


class StatementRows(Sequence):
    """The statement's lines as {"line", "balance"} rows, in date, voucher and line order. Slicing
    reads only that slice (plus an index-only sum of the lines before it, for its first balance);
    iterating, as the exports do, streams the lines once with a server-side cursor."""

    def __init__(self, lines: QuerySet[VoucherLine], opening: Decimal, count: int):
        self._lines = lines.order_by(*STATEMENT_ORDER)
        self._opening = opening
        self._count = count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        if not isinstance(index, slice):
            rows = self[index:index + 1] if index >= 0 else self[self._count + index:self._count + index + 1]
            if not rows:
                raise IndexError(index)
            return rows[0]
        start, stop, step = index.indices(self._count)
        if step != 1:
            raise ValueError("A statement is read in consecutive slices.")
        if start >= stop:
            return []
        balance = self._opening
        if start:
            # Summed over the first `start` entries of the covering index, without visiting the table.
            totals = self._lines.values("debit", "credit")[:start].aggregate(d=Sum("debit"), c=Sum("credit"))
            balance += summed_amount(totals["d"]) - summed_amount(totals["c"])
        # The page's lines are found in the covering index first (skipping `start` entries there
        # is cheap), then read with their voucher, item and transaction: an OFFSET over the joined
        # rows would join every skipped line too.
        ids = list(self._lines.values_list("id", flat=True)[start:stop])
        lines = self._detailed().filter(pk__in=ids).in_bulk()
        return list(self._with_balances([lines[pk] for pk in ids], balance))

    def __iter__(self):
        return self._with_balances(self._detailed().iterator(chunk_size=2000), self._opening)

    def _detailed(self) -> QuerySet[VoucherLine]:
        return self._lines.select_related("voucher", "item", "inventory_transaction")

    @staticmethod
    def _with_balances(lines, balance: Decimal):
        for line in lines:
            balance += line.amount
            yield {"line": line, "balance": balance}


def account_statement(*, account: MainAccount, date_from: date | None = None, date_to: date | None = None
                      ) -> AccountStatement:
    """Three aggregates over the account's index range (opening, turnover and count) and lazy rows."""
    lines = VoucherLine.objects.filter(account=account)
    opening = ZERO
    if date_from:
        before = lines.filter(date__lt=date_from).aggregate(d=Sum("debit"), c=Sum("credit"))
        opening = summed_amount(before["d"]) - summed_amount(before["c"])
        lines = lines.filter(date__gte=date_from)
    if date_to:
        lines = lines.filter(date__lte=date_to)
    period = lines.aggregate(d=Sum("debit"), c=Sum("credit"), n=Count("id"))
    return AccountStatement(opening=opening, debit=summed_amount(period["d"]), credit=summed_amount(period["c"]),
                            count=period["n"], rows=StatementRows(lines, opening, period["n"]))


def unbalanced_vouchers() -> list[str]:
    """Numbers of vouchers whose debits and credits differ (should always be empty)."""
    totals = VoucherLine.objects.values("voucher__number").annotate(d=Sum("debit"), c=Sum("credit"))
    return [row["voucher__number"] for row in totals if row["d"] != row["c"]]
