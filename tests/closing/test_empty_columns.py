"""Issue #17, point 9: a column empty on every row of the page is hidden; one row with a value
brings it back (common/columns.py, for the django-tables2 lists and the hand-written tables)."""

import re
from types import SimpleNamespace

from django.urls import reverse

from common.columns import filled
from inventory.models import Item


def headings(page: str, table_id: str) -> list[str]:
    table = re.search(rf'<table[^>]*id="{table_id}".*?</thead>', page, re.S).group(0)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<th[^>]*>(.*?)</th>", table, re.S)]


def test_filled_reads_dicts_and_objects_and_keeps_every_column_of_an_empty_table():
    rows = [{"warehouse": {"code": ""}, "lot": None, "site__code": "MAIN"}, SimpleNamespace(warehouse=SimpleNamespace(code="W2"), lot="")]
    assert filled(rows, ["warehouse__code", "lot", "site__code"]) == {"warehouse__code": True, "lot": False, "site__code": True}
    assert filled([], ["lot"]) == {"lot": True}


def test_it_hides_the_warehouse_and_lot_columns_of_open_quantities_until_a_row_uses_them(books, audrey_client):
    books.item("WIDGET", "FIFO", unit_cost="4.00")
    books.item("GADGET", "FIFO", unit_cost="4.00")
    books.post("""
        S1,2026-01-06,WIDGET,-3,,financial,,,
    """)
    url = reverse("closing:open_quantities") + "?date=2026-01-31"

    page = audrey_client.get(url).content.decode()
    assert "Site" in headings(page, "open-quantities")
    assert "Warehouse" not in headings(page, "open-quantities")
    assert "Lot/serial" not in headings(page, "open-quantities")

    Item.objects.filter(number="GADGET").update(warehouse_is_financial=True)  # its cost dimension names the warehouse
    books.post("""
        G1,2026-01-07,GADGET,-2,,financial,,,
    """)
    page = audrey_client.get(url).content.decode()
    assert "Warehouse" in headings(page, "open-quantities")
    assert "Lot/serial" not in headings(page, "open-quantities")


def test_it_hides_the_unused_lot_column_of_the_item_cards_on_hand(books, audrey_client):
    books.item("WIDGET", "FIFO", unit_cost="4.00")
    books.post("""
        R1,2026-01-05,WIDGET,10,5.00,financial,,,
    """)
    page = audrey_client.get(reverse("inventory:item_detail", args=["WIDGET"])).content.decode()
    assert headings(page, "on-hand")[:2] == ["Site", "Warehouse"]
    assert "Lot/serial" not in headings(page, "on-hand")
