"""The warehouse lists, paged like the other lists (django-tables2): bin contents, warehouse
entries and bins against inventory."""

from urllib.parse import urlencode

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from common.money import plain_number

NUMERIC = {"td": {"class": "num"}, "th": {"class": "num"}}
PER_PAGE = 50


class QuantityColumn(tables.Column):
    def __init__(self, **kwargs):
        super().__init__(attrs=NUMERIC, **kwargs)

    def render(self, value):
        return plain_number(value)


class BinContentTable(tables.Table):
    """Rows of warehouse.selectors.bin_contents; a quantity opens the entries that make it."""

    item = tables.Column()
    warehouse = tables.Column()
    bin = tables.Column()
    lot = tables.Column()
    serial = tables.Column()
    qty = QuantityColumn(verbose_name="Quantity")

    class Meta:
        attrs = {"class": "table", "id": "bin-contents"}
        empty_text = "The bins are empty."
        row_attrs = {"class": lambda record: "adjustment" if record.bin_kind == "adjustment" else ""}

    def render_bin(self, record):
        return f"{record.bin} (adjustment)" if record.bin_kind == "adjustment" else record.bin

    def render_qty(self, record):
        query = urlencode({"bin": record.bin_id, "item": record.item, "tracking_number": record.tracking_number})
        return format_html('<a href="{}?{}">{}</a>', reverse("warehouse:entry_list"), query, plain_number(record.qty))


class EntryTable(tables.Table):
    date = tables.Column()
    item = tables.Column(accessor="item__number", verbose_name="Item")
    warehouse = tables.Column(accessor="warehouse", orderable=False)
    bin = tables.Column(accessor="bin__code", verbose_name="Bin")
    tracking_number = tables.Column(verbose_name="Lot/serial")
    qty = QuantityColumn(verbose_name="Quantity")
    source_type = tables.Column(verbose_name="Source")
    source_number = tables.Column(verbose_name="Number")

    class Meta:
        attrs = {"class": "table", "id": "entries"}
        empty_text = "No entries."
        order_by = ("-date",)

    def render_warehouse(self, value):
        return f"{value.site.code}/{value.code}"

    def render_source_number(self, record):
        url = (record.transaction.get_absolute_url() if record.transaction_id
               else reverse("warehouse:journal_detail", args=[record.source_number]))
        return format_html('<a href="{}">{}</a>', url, record.source_number)

    def order_date(self, queryset, is_descending):
        prefix = "-" if is_descending else ""
        return queryset.order_by(f"{prefix}date", f"{prefix}id"), True


class ComparisonTable(tables.Table):
    """Rows of warehouse.selectors.bins_vs_inventory; the item opens its bin contents and entries."""

    item = tables.Column()
    warehouse = tables.Column()
    storage = QuantityColumn(verbose_name="Storage bins")
    inventory = QuantityColumn(verbose_name="Inventory")
    difference = QuantityColumn(verbose_name="Difference")
    adjustment = QuantityColumn(verbose_name="Adjustment bin")
    explained = tables.BooleanColumn(verbose_name="Explained", yesno="yes,NO")
    entries = tables.Column(empty_values=(), orderable=False, verbose_name="")

    class Meta:
        attrs = {"class": "table", "id": "comparison"}
        empty_text = "Nothing in bins."
        row_attrs = {"class": lambda record: "" if record.explained else "difference"}

    def render_entries(self, record):
        query = urlencode({"warehouse": record.warehouse_id, "item": record.item})
        return format_html('<a href="{}?{}">Bin contents</a> · <a href="{}?{}">Entries</a>',
                           reverse("warehouse:bin_contents"), query, reverse("warehouse:entry_list"), query)
