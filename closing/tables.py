from decimal import Decimal

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from closing.models import ClosingLog, ClosingRun, CostAdjustment, Settlement
from common import formatting
from common.columns import HidesEmptyColumns
from common.money import ZERO, round_amount
from inventory.models import InventoryTransaction

NUMERIC = {"td": {"class": "num"}, "th": {"class": "num"}}
# Rows of runs in these states ask the page script to keep them up to date (static/js/closing.js).
LIVE_STATUSES = ("queued", "running", "pausing")


def plain(value: Decimal | None) -> str:
    """A quantity without trailing zeros and never in exponent form: 3, -1.5, 1,250."""
    return formatting.qty(value)


def money(value: Decimal | None) -> str:
    """An amount with thousands separators and 2 decimals: 1,234.50."""
    return formatting.money(value)


def live_number(field: str) -> dict:
    return {"td": {"class": "num", "data-field": field}, "th": {"class": "num"}}


def _item_url(number: str) -> str:
    return reverse("inventory:item_detail", args=[number])


def _run_row_attrs():
    return {
        "data-run-id": lambda record: record.pk,
        "data-status": lambda record: record.status,
        "data-status-url": lambda record: reverse("closing:run_status", args=[record.pk])
        if record.status in LIVE_STATUSES else "",
    }


NOWRAP = {"td": {"class": "nowrap"}}


class RunTable(HidesEmptyColumns):
    # Fits a 1366-px screen (issue #17, point 9): the specification and the log flag are on the run
    # page; the number carries the run's type (CLS-, REC-, ADJ-, REV-).
    number = tables.Column(linkify=True, verbose_name="Run", attrs=NOWRAP)
    date = tables.DateColumn(verbose_name="Date", attrs=NOWRAP)
    run_type = tables.Column(verbose_name="Type")
    status = tables.TemplateColumn(
        '{% if record.is_cancelled and record.status != "cancelled" %}'
        '<span class="status status-cancelled" data-field="status" title="{{ record.get_status_display }}, then reversed">Cancelled</span>'
        '{% else %}<span class="status status-{{ record.status }}" data-field="status">{{ record.get_status_display }}</span>{% endif %}')
    reverses = tables.Column(verbose_name="Reverses", attrs=NOWRAP, default="")
    voucher = tables.Column(linkify=True, attrs={"td": {"class": "nowrap", "data-field": "voucher"}})
    started_by = tables.Column(verbose_name="By", default="system")
    started_at = tables.TemplateColumn(
        '{% load formatting %}<span data-field="started_at">{{ record.started_at|stamp }}</span><br>'
        '<span data-field="ended_at">{{ record.ended_at|stamp }}</span>',
        verbose_name="Started / ended", attrs=NOWRAP)
    progress = tables.TemplateColumn(
        '<div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="{{ record.progress_percent }}" '
        'data-field="progress-bar" title="{{ record.progress_percent }}%"><span style="width: {{ record.progress_percent }}%"></span></div>',
        orderable=False)
    # data-field: filled in from status.json while the run is live (static/js/closing.js).
    items_total = tables.Column(verbose_name="Items", attrs=live_number("items_total"))
    settlements_count = tables.Column(verbose_name="Settled", attrs=live_number("settlements"))
    adjustments_count = tables.Column(verbose_name="Adjusted", attrs=live_number("adjustments"))
    warnings_count = tables.Column(verbose_name="Warnings", attrs=live_number("warnings"))
    # The book checks stored on the run after it ended (reports app): a tick, a cross or a dash.
    checks = tables.TemplateColumn('{% load reports_tags %}{% checks_badge record %}', verbose_name="Checks", orderable=False)
    hide_when_empty = ("reverses",)

    class Meta:
        model = ClosingRun
        fields = ("number", "date", "run_type", "status", "reverses", "voucher", "started_by", "started_at",
                  "progress", "items_total", "settlements_count", "adjustments_count", "warnings_count", "checks")
        order_by = ("-number",)
        attrs = {"class": "table", "id": "runs"}
        empty_text = "No closing or adjustment yet."
        row_attrs = _run_row_attrs()

    def render_number(self, record):
        return format_html('<span title="{}">{}</span>', record.number, record.label)

    def render_reverses(self, record):
        return format_html('<a href="{}">{}</a>', record.reverses.get_absolute_url(), record.reverses.label)

    def render_warnings_count(self, record, value):
        if not value:
            return value
        return format_html('<a href="{}">{}</a>', reverse("closing:run_log", args=[record.pk]), value)


class LogTable(tables.Table):
    level = tables.TemplateColumn('<span class="level level-{{ record.level }}">{{ record.get_level_display }}</span>')
    item = tables.Column(accessor="item__number", verbose_name="Item")
    transaction = tables.Column(accessor="transaction__ref", verbose_name="Transaction")
    message = tables.Column(orderable=False)

    class Meta:
        model = ClosingLog
        fields = ("level", "item", "transaction", "message", "created_at")
        attrs = {"class": "table", "id": "log"}
        empty_text = "No messages."

    def render_item(self, record, value):
        return format_html('<a href="{}">{}</a>', record.item.get_absolute_url(), value)

    def render_transaction(self, record, value):
        return format_html('<a href="{}">{}</a>', record.transaction.get_absolute_url(), value)


class SettlementTable(tables.Table):
    issue = tables.Column(accessor="issue__ref", verbose_name="Issue")
    arrow = tables.Column(empty_values=(), orderable=False, verbose_name="")
    receipt = tables.Column(accessor="receipt__ref", verbose_name="Receipt", default="—")
    item = tables.Column(accessor="issue__item__number", verbose_name="Item", linkify=lambda record: record.issue.item.get_absolute_url())
    qty = tables.Column(attrs=NUMERIC, verbose_name="Quantity")
    amount = tables.Column(attrs=NUMERIC, verbose_name="Amount")
    issue_adjustment = tables.Column(attrs=NUMERIC, verbose_name="Issue adjustment (run, once per issue)", default="—")
    date = tables.DateColumn()

    class Meta:
        model = Settlement
        fields = ("issue", "arrow", "receipt", "item", "qty", "amount", "issue_adjustment", "date")
        attrs = {"class": "table", "id": "settlements"}
        empty_text = "No settlements."

    def render_issue(self, record, value):
        return format_html('<a href="{}">{}</a>', record.issue.get_absolute_url(), value)

    def render_arrow(self):
        return "←"

    def render_receipt(self, record, value):
        return format_html('<a href="{}">{}</a>', record.receipt.get_absolute_url(), value)

    def render_qty(self, value):
        return plain(value)

    def render_amount(self, value):
        return money(value)

    def render_issue_adjustment(self, record, value):
        # Once per issue, on its first settlement row; the other rows of the issue say so.
        if record.pk != record.first_of_issue:
            return mark_safe('<span class="muted" title="Shown on the issue\'s first settlement">〃</span>')
        return money(value)


class AdjustmentTable(tables.Table):
    transaction = tables.Column(accessor="transaction__ref", verbose_name="Transaction",
                                linkify=lambda record: record.transaction.get_absolute_url())
    item = tables.Column(accessor="transaction__item__number", verbose_name="Item",
                         linkify=lambda record: record.transaction.item.get_absolute_url())
    status = tables.Column(accessor="transaction__status", verbose_name="Status")
    qty = tables.Column(accessor="transaction__qty", verbose_name="Quantity", attrs=NUMERIC)
    amount = tables.Column(attrs=NUMERIC, verbose_name="Adjustment")
    date = tables.DateColumn()

    class Meta:
        model = CostAdjustment
        fields = ("transaction", "item", "status", "qty", "amount", "date")
        attrs = {"class": "table", "id": "adjustments"}
        empty_text = "No adjustments."

    def render_status(self, record):
        return record.transaction.get_status_display()

    def render_qty(self, value):
        return plain(value)

    def render_amount(self, value):
        return money(value)


class AccountAdjustmentTable(AdjustmentTable):
    """The transactions behind one account's voucher lines."""

    item_group = tables.Column(accessor="transaction__item__item_group__code", verbose_name="Item group")
    posts_as = tables.Column(empty_values=(), orderable=False, verbose_name="Account is")
    account_amount = tables.Column(attrs=NUMERIC, verbose_name="On this account (debit +)")

    class Meta(AdjustmentTable.Meta):
        fields = ("transaction", "item", "item_group", "status", "qty", "amount", "posts_as", "account_amount")
        attrs = {"class": "table", "id": "account-adjustments"}
        empty_text = "No adjustment of this run posts to this account."

    def __init__(self, *args, account=None, **kwargs):
        self.account = account
        super().__init__(*args, **kwargs)

    def render_account_amount(self, value):
        return money(value)

    def render_posts_as(self, record):
        roles = []
        if record.transaction.inventory_account_id == self.account.pk:
            roles.append("inventory account")
        if record.transaction.offset_account_id == self.account.pk:
            roles.append("offset account")
        return " and ".join(roles)


class VoucherAccountTable(tables.Table):
    account = tables.Column(linkify=lambda record: record["account"].get_absolute_url(), orderable=False)
    debit = tables.Column(attrs=NUMERIC, orderable=False)
    credit = tables.Column(attrs=NUMERIC, orderable=False)
    lines = tables.Column(attrs=NUMERIC, orderable=False, verbose_name="Voucher lines")
    transactions = tables.Column(empty_values=(), orderable=False, verbose_name="")

    class Meta:
        attrs = {"class": "table", "id": "voucher-accounts"}

    def __init__(self, *args, selected=None, **kwargs):
        self.selected = selected
        super().__init__(*args, **kwargs)

    def render_debit(self, value):
        return money(value)

    def render_credit(self, value):
        return money(value)

    def render_transactions(self, record):
        label = "Shown below" if self.selected and self.selected.pk == record["account_id"] else "Transactions"
        return format_html('<a href="?account={}">{}</a>', record["account_id"], label)


class OpenQuantityTable(HidesEmptyColumns):
    item = tables.Column(accessor="item__number", verbose_name="Item", linkify=lambda record: _item_url(record["item__number"]))
    name = tables.Column(accessor="item__name", verbose_name="Name")
    site = tables.Column(accessor="cost_dimension__site__code", verbose_name="Site")
    warehouse = tables.Column(accessor="cost_dimension__warehouse__code", verbose_name="Warehouse", default="")
    tracking = tables.Column(accessor="cost_dimension__tracking_number", verbose_name="Lot/serial", default="")
    issue_qty = tables.Column(attrs=NUMERIC, verbose_name="Open financial issues")
    receipt_qty = tables.Column(attrs=NUMERIC, verbose_name="Financial receipts")
    physical_receipt_qty = tables.Column(attrs=NUMERIC, verbose_name="Received, not invoiced")
    open_qty = tables.Column(attrs={"td": {"class": "num", "data-field": "open-qty"}, "th": {"class": "num"}},
                             verbose_name="Open qty", empty_values=())
    reason = tables.Column(empty_values=(), orderable=False, verbose_name="Why")
    transactions = tables.Column(empty_values=(), orderable=False, verbose_name="")
    hide_when_empty = ("warehouse", "tracking")

    class Meta:
        attrs = {"class": "table", "id": "open-quantities"}
        empty_text = "Nothing will stay open: every financial issue has a financial receipt to settle against."

    def render_issue_qty(self, value):
        return plain(value)

    def render_receipt_qty(self, value):
        return plain(value)

    def render_physical_receipt_qty(self, value):
        return plain(value)

    def render_open_qty(self, record):
        return plain(max(record["open_qty"], ZERO))

    def render_reason(self, record):
        reasons = []
        if record["issue_qty"] > record["receipt_qty"]:
            reasons.append("financial issues beyond the financial receipts to settle against")
        if record["physical_receipt_qty"] > 0:
            reasons.append(f"{plain(record['physical_receipt_qty'])} received but not invoiced yet")
        return "; ".join(reasons).capitalize()

    def render_transactions(self, record):
        url = reverse("inventory:transaction_list") + f"?item={record['item__number']}&value_open=open"
        return format_html('<a href="{}">Open transactions</a>', url)


class CostPriceTable(tables.Table):
    ref = tables.Column(linkify=True, verbose_name="Receipt")
    item = tables.Column(linkify=True)
    date_financial = tables.DateColumn(verbose_name="Financial date")
    qty = tables.Column(attrs=NUMERIC, verbose_name="Quantity")
    cost = tables.Column(attrs=NUMERIC, verbose_name="Cost amount")
    unit_cost = tables.Column(attrs=NUMERIC, verbose_name="Unit cost", empty_values=(), orderable=False)
    cost_price = tables.Column(accessor="item__default_cost_price", attrs=NUMERIC, verbose_name="Item cost price")
    deviation = tables.Column(attrs={"td": {"class": "num", "data-field": "deviation"}, "th": {"class": "num"}},
                              verbose_name="Deviation", empty_values=(), orderable=False)

    class Meta:
        model = InventoryTransaction
        fields = ("ref", "item", "date_financial", "qty", "cost", "unit_cost", "cost_price", "deviation")
        attrs = {"class": "table", "id": "cost-prices"}
        empty_text = "No receipt deviates by more than the maximum."

    @staticmethod
    def _unit_cost(record) -> Decimal:
        return record.cost / record.qty

    def render_qty(self, value):
        return plain(value)

    def render_cost(self, value):
        return money(value)

    def render_unit_cost(self, record):
        return money(self._unit_cost(record))

    def render_cost_price(self, value):
        return money(value)

    def render_deviation(self, record):
        price = record.item.default_cost_price
        percent = round_amount((self._unit_cost(record) - price) * 100 / price)
        return f"{'+' if percent > 0 else ''}{percent} %"
