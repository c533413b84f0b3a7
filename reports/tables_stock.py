"""Tables of the stock reports (reports.selectors_stock). Each figure links to what makes it up; the
exports (CSV, Excel) carry the plain values."""

from urllib.parse import urlencode

import django_tables2 as tables
from django.urls import reverse

from ledger.tables import NUMERIC, AmountColumn, QuantityColumn
from reports.selectors_stock import AGE_BANDS, AGE_FIELDS


def _item_link(record) -> str:
    return reverse("inventory:item_detail", args=[record["item"]])


def _layers_url(age: str = ""):
    def link(record, table) -> str:
        query = {"item": record["item"]}
        if getattr(table, "on", None):
            query["on"] = table.on.isoformat()
        if age:
            query["age"] = age
        return reverse("reports:open_layers") + "?" + urlencode(query)
    return link


class AgeingTable(tables.Table):
    item_group = tables.Column(verbose_name="Item group")
    item = tables.Column(linkify=_item_link)
    item_name = tables.Column(verbose_name="Name", attrs={"td": {"class": "clip"}})
    open_qty = QuantityColumn(verbose_name="Open receipts qty")
    unsettled_issues = QuantityColumn(verbose_name="Issues not yet settled")
    on_hand = QuantityColumn(verbose_name="On hand")
    open_value = AmountColumn(verbose_name="Open value", linkify=_layers_url())

    class Meta:
        attrs = {"class": "table", "id": "ageing"}
        orderable = False
        empty_text = "No open receipts on this date."

    def __init__(self, *args, on=None, **kwargs):
        self.on = on
        extra = [(AGE_FIELDS[band.key], AmountColumn(verbose_name=band.label, linkify=_layers_url(band.key)))
                 for band in AGE_BANDS]
        super().__init__(*args, extra_columns=extra, **kwargs)


def _transaction_link(record) -> str:
    return record["transaction"].get_absolute_url()


class OpenLayerTable(tables.Table):
    next_order = tables.Column(verbose_name="Taken", attrs=NUMERIC, default="—")
    item = tables.Column(linkify=_item_link)
    site = tables.Column()
    warehouse = tables.Column()
    ref = tables.Column(verbose_name="Receipt", linkify=_transaction_link)
    receipt_date = tables.DateColumn(verbose_name="Receipt date", format="Y-m-d")
    age_days = tables.Column(verbose_name="Age (days)", attrs=NUMERIC)
    invoiced = tables.Column(verbose_name="Invoiced")
    qty = QuantityColumn(verbose_name="Received")
    open_qty = QuantityColumn(verbose_name="Open qty")
    unit_cost = AmountColumn(verbose_name="Unit cost")
    open_value = AmountColumn(verbose_name="Open value")

    class Meta:
        attrs = {"class": "table", "id": "open-layers"}
        orderable = False
        empty_text = "No open layer: every receipt is settled."


class NegativeInventoryTable(tables.Table):
    item_group = tables.Column(verbose_name="Item group")
    item = tables.Column(linkify=_item_link)
    item_name = tables.Column(verbose_name="Name", attrs={"td": {"class": "clip"}})
    site = tables.Column()
    warehouse = tables.Column()
    qty = QuantityColumn(verbose_name="Quantity")
    value = AmountColumn(verbose_name="Value", linkify=lambda record, table: _value_transactions(record, table))
    last_issue = tables.DateColumn(verbose_name="Latest issue", format="Y-m-d")

    class Meta:
        attrs = {"class": "table", "id": "negative-inventory"}
        orderable = False
        empty_text = "No item is below zero."

    def __init__(self, *args, as_of=None, **kwargs):
        self.as_of = as_of
        super().__init__(*args, **kwargs)


def _value_transactions(record, table) -> str:
    query = {"item": record["item"], "site": record["site_id"], "warehouse": record["warehouse_id"]}
    if table.as_of:
        query["as_of"] = table.as_of.isoformat()
    return reverse("reports:inventory_value_transactions") + "?" + urlencode(query)


def _cogs_url(record) -> str:
    query = {"month": record["month"].strftime("%Y-%m"), "item_group": record["item_group_id"]}
    return reverse("reports:cogs_transactions") + "?" + urlencode(query)


class MonthColumn(tables.Column):
    """A month as YYYY-MM, on the page and in the export."""

    def render(self, value):
        return value.strftime("%Y-%m")

    def value(self, value):
        return value.strftime("%Y-%m")


class CogsTable(tables.Table):
    month = MonthColumn()
    item_group = tables.Column(verbose_name="Item group")
    sales = tables.Column(verbose_name="Sales", attrs=NUMERIC)
    qty = QuantityColumn(verbose_name="Quantity sold")
    cogs = AmountColumn(verbose_name="COGS", linkify=_cogs_url)
    adjustments = AmountColumn(verbose_name="of which adjustments")
    previous = AmountColumn(verbose_name="Month before")
    change = AmountColumn(verbose_name="Change")
    change_percent = tables.Column(verbose_name="Change %", attrs=NUMERIC, default="—")

    class Meta:
        attrs = {"class": "table", "id": "cogs"}
        orderable = False
        empty_text = "No sale was invoiced in these months."


class CogsTransactionTable(tables.Table):
    ref = tables.Column(verbose_name="Reference", linkify=_transaction_link)
    item = tables.Column(linkify=_item_link)
    site = tables.Column()
    warehouse = tables.Column()
    date = tables.DateColumn(verbose_name="Invoiced", format="Y-m-d")
    qty = QuantityColumn(verbose_name="Quantity sold")
    posted = AmountColumn(verbose_name="Posted cost")
    adjustments = AmountColumn(verbose_name="Adjustments")
    cogs = AmountColumn(verbose_name="COGS")

    class Meta:
        attrs = {"class": "table", "id": "cogs-transactions"}
        orderable = False
        empty_text = "No sale."
