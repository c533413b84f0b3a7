from decimal import Decimal

import django_tables2 as tables
from django.urls import reverse

from common import formatting
from common.models import AuditEntry
from common.table_exports import export_response as table_export_response
from ledger.models import MainAccount, Voucher

NUMERIC = {"td": {"class": "num"}, "th": {"class": "num"}}


class AccountTable(tables.Table):
    number = tables.Column(linkify=True)

    class Meta:
        model = MainAccount
        fields = ("number", "name", "account_type", "is_active")
        order_by = ("number",)


class VoucherTable(tables.Table):
    number = tables.Column(linkify=True)

    class Meta:
        model = Voucher
        fields = ("number", "date", "description", "source", "created_by", "created_at")
        order_by = ("-date", "-number")


def audit_changes_text(detail: dict) -> str:
    """An entry's before/after values as one line: "status: open → closed; name: A → B"."""
    changes = detail.get("changes") or {}
    return "; ".join(f"{name}: {change.get('from', '')} → {change.get('to', '')}" if isinstance(change, dict)
                     else f"{name}: {change}" for name, change in changes.items())


def audit_detail_text(detail: dict) -> str:
    """Everything else the entry recorded (counts, voucher, dates), "key=value" joined."""
    return "; ".join(f"{key}={value}" for key, value in detail.items() if key != "changes")


class AuditEntryTable(tables.Table):
    at = tables.DateTimeColumn(verbose_name="When", format="Y-m-d H:i:s")
    username = tables.Column(verbose_name="User", empty_values=())
    action = tables.Column()
    object_type = tables.Column(verbose_name="Object type")
    object_id = tables.Column(verbose_name="Object")
    changes = tables.Column(verbose_name="Before → after", accessor="detail", orderable=False, empty_values=())
    other = tables.Column(verbose_name="Detail", accessor="detail", orderable=False, empty_values=())

    class Meta:
        model = AuditEntry
        fields = ("at", "username", "action", "object_type", "object_id", "changes", "other")
        order_by = ("-at",)
        attrs = {"class": "table", "id": "audit-log"}

    def render_username(self, value, record):
        return value or (record.user.get_username() if record.user_id else "system")

    def value_username(self, value, record):
        return self.render_username(value, record)

    def render_changes(self, value):
        return audit_changes_text(value or {})

    def render_other(self, value):
        return audit_detail_text(value or {})


def export_response(request, table: tables.Table, name: str, *, kind: str | None = None, extra: dict | None = None):
    """The table as a CSV or Excel download when the page is asked for one (?_export=csv|xlsx, the
    list pages' convention), else None. Function views use it as SafeExportMixin serves class views:
    through the formula-safe writers, and with an export job `kind`, longer than EXPORT_JOB_ROWS
    rows as an export job (common.table_exports)."""
    return table_export_response(request, table, name, kind=kind, extra=extra)


def plain(value) -> str:
    """A quantity without trailing zeros and never in exponent form: 3, -1.5."""
    if value is None:
        return ""
    text = f"{Decimal(value).normalize():f}"
    return "0" if text in ("-0", "0") else text


class QuantityColumn(tables.Column):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", NUMERIC)
        super().__init__(*args, **kwargs)

    def render(self, value):  # on the page: grouped, no trailing zeros (issue #17, point 8); exports stay plain
        return formatting.qty(value, empty="")

    def value(self, value):
        return plain(value)


class AmountColumn(tables.Column):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", NUMERIC)
        super().__init__(*args, **kwargs)

    def render(self, value):  # on the page: 1,234.50 (issue #17, point 8); exports stay plain
        return formatting.money(value, empty="")

    def value(self, value):
        return f"{value:.2f}"


class TrialBalanceTable(tables.Table):
    number = tables.Column(verbose_name="Account", accessor="account__number",
                           linkify=lambda record, table: reverse("ledger:account_statement", args=[record["account"].pk])
                           + table.period_query)
    name = tables.Column(verbose_name="Name", accessor="account__name")
    opening = AmountColumn(verbose_name="Opening")
    debit = AmountColumn(verbose_name="Debit")
    credit = AmountColumn(verbose_name="Credit")
    closing = AmountColumn(verbose_name="Closing")

    class Meta:
        attrs = {"class": "table", "id": "trial-balance"}
        orderable = False
        empty_text = "Nothing posted."

    def __init__(self, *args, period_query: str = "", **kwargs):
        self.period_query = period_query
        super().__init__(*args, **kwargs)


class StatementTable(tables.Table):
    date = tables.DateColumn(accessor="line__date", format="Y-m-d")
    voucher = tables.Column(accessor="line__voucher__number", linkify=lambda record: record["line"].voucher.get_absolute_url())
    description = tables.Column(accessor="line__voucher__description")
    storno = tables.BooleanColumn(accessor="line__is_storno", verbose_name="Storno")
    transaction = tables.Column(accessor="line__inventory_transaction__ref", verbose_name="Transaction", default="",
                                linkify=lambda record: record["line"].inventory_transaction.get_absolute_url()
                                if record["line"].inventory_transaction_id else None)
    debit = AmountColumn(accessor="line__debit")
    credit = AmountColumn(accessor="line__credit")
    balance = AmountColumn(verbose_name="Balance")

    class Meta:
        attrs = {"class": "table", "id": "account-statement"}
        orderable = False
