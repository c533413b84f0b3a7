"""Reads for the ledger pages and reports."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch, QuerySet, Sum

from ledger.models import MainAccount, Voucher, VoucherLine
from ledger.money import ZERO, round_amount


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
    for line in VoucherLine.objects.filter(inventory_transaction=transaction).select_related("voucher", "account").order_by("voucher__date", "voucher_id", "id"):
        entry = grouped.setdefault(line.voucher_id, {"voucher": line.voucher, "lines": []})
        entry["lines"].append(line)
    return list(grouped.values())


def _amount(value) -> Decimal:
    """Database sums come back with the backend's own precision (SQLite: a float-like decimal);
    round them in Python to the cent."""
    return round_amount(Decimal(str(value))) if value is not None else ZERO


def trial_balance(*, date_from: date, date_to: date) -> list[dict]:
    """Opening balance, debit and credit turnover and closing balance per account. Storno lines are
    negative amounts on their own side, so they reduce that side's turnover (the convention storno
    exists for, domain README 3): a debit storno of -5 lowers debit turnover by 5, where an ordinary
    reversal would add 5 to the credit side and inflate both turnovers. Two grouped sums over the
    lines (opening before the period, turnover in it), whatever the number of lines."""
    rows: dict[int, dict] = defaultdict(lambda: {"opening": ZERO, "debit": ZERO, "credit": ZERO})
    opening = VoucherLine.objects.filter(voucher__date__lt=date_from).values("account").annotate(
        debit=Sum("debit"), credit=Sum("credit"))
    for row in opening:
        rows[row["account"]]["opening"] = _amount(row["debit"]) - _amount(row["credit"])
    turnover = VoucherLine.objects.filter(voucher__date__gte=date_from, voucher__date__lte=date_to).values("account").annotate(
        debit=Sum("debit"), credit=Sum("credit"))
    for row in turnover:
        rows[row["account"]]["debit"] = _amount(row["debit"])
        rows[row["account"]]["credit"] = _amount(row["credit"])
    accounts = {account.pk: account for account in MainAccount.objects.filter(pk__in=rows)}
    result = []
    for account_id, row in rows.items():
        row["account"] = accounts[account_id]
        row["closing"] = row["opening"] + row["debit"] - row["credit"]
        result.append(row)
    result.sort(key=lambda row: row["account"].number)
    return result


def account_statement(*, account: MainAccount, date_from: date | None = None, date_to: date | None = None) -> tuple[Decimal, list[dict]]:
    lines = VoucherLine.objects.filter(account=account).select_related("voucher", "item", "inventory_transaction")
    opening = ZERO
    if date_from:
        before = VoucherLine.objects.filter(account=account, voucher__date__lt=date_from).aggregate(d=Sum("debit"), c=Sum("credit"))
        opening = _amount(before["d"]) - _amount(before["c"])
        lines = lines.filter(voucher__date__gte=date_from)
    if date_to:
        lines = lines.filter(voucher__date__lte=date_to)
    balance = opening
    rows = []
    for line in lines.order_by("voucher__date", "voucher_id", "id"):
        balance += line.debit - line.credit
        rows.append({"line": line, "balance": balance})
    return opening, rows


def unbalanced_vouchers() -> list[str]:
    """Numbers of vouchers whose debits and credits differ (should always be empty)."""
    totals = VoucherLine.objects.values("voucher__number").annotate(d=Sum("debit"), c=Sum("credit"))
    return [row["voucher__number"] for row in totals if row["d"] != row["c"]]
