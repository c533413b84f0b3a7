import django_tables2 as tables

from common import formatting
from inventory.models import InventoryTransaction, Item, ItemModelGroup, Journal, StandardJournal

NUMERIC = {"td": {"class": "num"}, "th": {"class": "num"}}


class ItemTable(tables.Table):
    number = tables.Column(linkify=True)
    item_group = tables.Column(verbose_name="Item group")
    model_group = tables.Column(verbose_name="Model group")
    valuation = tables.Column(accessor="model_group__valuation_method", verbose_name="Valuation")
    default_cost_price = tables.Column(verbose_name="Cost price", attrs=NUMERIC)

    class Meta:
        model = Item
        fields = ("number", "name", "unit", "item_type", "item_group", "model_group", "valuation", "tracking", "default_cost_price")
        order_by = ("number",)

    def render_valuation(self, record):
        return record.model_group.get_valuation_method_display()


class ModelGroupTable(tables.Table):
    class Meta:
        model = ItemModelGroup
        fields = ("code", "name", "valuation_method", "include_physical_value", "physical_negative_allowed",
                  "financial_negative_allowed", "post_physical_inventory")
        order_by = ("code",)


class TransactionTable(tables.Table):
    ref = tables.Column(linkify=True, verbose_name="Reference")
    item = tables.Column(linkify=True)
    qty = tables.Column(attrs=NUMERIC, verbose_name="Quantity")
    cost_amount_posted = tables.Column(attrs=NUMERIC, verbose_name="Posted")
    cost_amount_physical = tables.Column(attrs=NUMERIC, verbose_name="Physical")
    cost_amount_adjustment = tables.Column(attrs=NUMERIC, verbose_name="Adjustment")
    cost_amount = tables.Column(attrs=NUMERIC, verbose_name="Cost amount", orderable=False, empty_values=())
    value_open = tables.BooleanColumn(verbose_name="Open")

    class Meta:
        model = InventoryTransaction
        fields = ("ref", "item", "site", "warehouse", "date_physical", "date_financial", "status", "qty",
                  "cost_amount_physical", "cost_amount_posted", "cost_amount_adjustment", "cost_amount", "value_open")
        order_by = ("-date_physical", "-id")

    # On the page: quantities without trailing zeros, amounts 1,234.50 (issue #17, point 8);
    # exports keep the plain figures (the columns' own values).
    def render_qty(self, value):
        return formatting.qty(value)

    def render_cost_amount_posted(self, value):
        return formatting.money(value)

    def render_cost_amount_physical(self, value):
        return formatting.money(value)

    def render_cost_amount_adjustment(self, value):
        return formatting.money(value)

    def render_cost_amount(self, record):
        return formatting.money(record.cost_amount)

    def value_cost_amount(self, record):
        return record.cost_amount


class JournalTable(tables.Table):
    number = tables.Column(linkify=True)
    lines = tables.Column(accessor="line_count", verbose_name="Lines", attrs=NUMERIC, orderable=False)
    voucher = tables.Column(linkify=True)

    class Meta:
        model = Journal
        fields = ("number", "journal_type", "description", "status", "lines", "created_by", "created_at", "posted_at", "voucher")
        order_by = ("-number",)


class StandardJournalTable(tables.Table):
    lines = tables.Column(accessor="line_count", verbose_name="Lines", attrs=NUMERIC, orderable=False)
    recall = tables.TemplateColumn(template_name="inventory/_standard_journal_actions.html", verbose_name="",
                                   orderable=False, exclude_from_export=True)

    class Meta:
        model = StandardJournal
        fields = ("name", "journal_type", "description", "offset_account", "lines", "created_by", "created_at", "recall")
        order_by = ("name",)
