"""Tables of the reports. Rows are dicts from reports.selectors; links (drill-down) go on the
figures, and exports (CSV, Excel) carry the plain values."""

from urllib.parse import urlencode

import django_tables2 as tables
from django.urls import reverse

from common.columns import HidesEmptyColumns
from ledger.tables import NUMERIC, AmountColumn, QuantityColumn


def _value_url(update: str = ""):
    def link(record, table):
        query = {"item": record["item"], "site": record["site_id"], "warehouse": record["warehouse_id"]}
        if getattr(table, "as_of", None):
            query["as_of"] = table.as_of.isoformat()
        if update:
            query["update"] = update
        return reverse("reports:inventory_value_transactions") + "?" + urlencode(query)
    return link


class InventoryValueTable(HidesEmptyColumns):
    item_group = tables.Column(verbose_name="Item group")
    item = tables.Column(verbose_name="Item", linkify=lambda record: reverse("inventory:item_detail", args=[record["item"]]))
    item_name = tables.Column(verbose_name="Name")
    site = tables.Column()
    warehouse = tables.Column()
    financial_qty = QuantityColumn(verbose_name="Financial qty")
    financial_value = AmountColumn(verbose_name="Financial value", linkify=_value_url("financial"))
    physical_qty = QuantityColumn(verbose_name="Physical qty (not invoiced)")
    physical_value = AmountColumn(verbose_name="Physical value", linkify=_value_url("physical"))
    qty = QuantityColumn(verbose_name="Quantity")
    value = AmountColumn(verbose_name="Value", linkify=_value_url())
    hide_when_empty = ("warehouse",)

    class Meta:
        attrs = {"class": "table", "id": "inventory-value"}
        order_by = ("item_group", "item", "site", "warehouse")
        empty_text = "No inventory on this date."

    def __init__(self, *args, as_of=None, **kwargs):
        self.as_of = as_of
        super().__init__(*args, **kwargs)


class ValueTransactionTable(tables.Table):
    ref = tables.Column(verbose_name="Reference", linkify=lambda record: record["transaction"].get_absolute_url())
    item = tables.Column()
    site = tables.Column()
    warehouse = tables.Column()
    date = tables.DateColumn(verbose_name="Date", format="Y-m-d")
    update = tables.Column(verbose_name="Counted as")
    status = tables.Column()
    qty = QuantityColumn(verbose_name="Quantity")
    value = AmountColumn(verbose_name="Value on the date")

    class Meta:
        attrs = {"class": "table", "id": "value-transactions"}
        orderable = False


def _details_url(record, table):
    query = {"account": record["account_id"]}
    if record["item_group_id"]:
        query["item_group"] = record["item_group_id"]
    if table.as_of:
        query["as_of"] = table.as_of.isoformat()
    return reverse("reports:reconciliation_details") + "?" + urlencode(query)


class ReconciliationTable(tables.Table):
    account = tables.Column(verbose_name="Inventory account", accessor="account",
                            linkify=lambda record: reverse("ledger:account_statement", args=[record["account_id"]]))
    item_group = tables.Column(verbose_name="Item group", default="(no item group)")
    subledger = AmountColumn(verbose_name="Subledger (transactions)")
    ledger = AmountColumn(verbose_name="Ledger balance")
    difference = AmountColumn(verbose_name="Difference", linkify=_details_url)

    class Meta:
        attrs = {"class": "table", "id": "reconciliation"}
        orderable = False
        row_attrs = {"class": lambda record: "difference" if record["difference"] else "",
                     "data-difference": lambda record: f"{record['difference']:.2f}"}

    def __init__(self, *args, as_of=None, **kwargs):
        self.as_of = as_of
        super().__init__(*args, **kwargs)


class CogsByItemTable(tables.Table):
    item = tables.Column(linkify=lambda record: reverse("inventory:item_detail", args=[record["item"]]))
    item_group = tables.Column(verbose_name="Item group")
    adjustments = tables.Column(verbose_name="Adjusted issues", attrs=NUMERIC)
    cogs_change = AmountColumn(verbose_name="COGS change")

    class Meta:
        attrs = {"class": "table", "id": "cogs-by-item"}
        orderable = False
