"""The stock reports (issue #17, point 15) on the reports' book (tests/reports/conftest.py), closed up
to Jan 31:

    R1  Jan 2  purchase 2 @ 10.00   settled in full by S1            open 0
    R2  Jan 3  purchase 2 @ 20.00   1 settled by S1 (20.00)          open 1, 20.00
    S1  Jan 4  sale 3, posted -45.00, closed at FIFO -40.00 (+5.00)  COGS January 40.00
    P1  Jan 5  receipt 1 @ 30.00, physical only                      open 1, 30.00 (not invoiced)

Open value 20.00 + 30.00 = 50.00: the inventory value of the same day. In February one more sale of
1 goes at the running average the close left, 20.00 (R2's open layer), and SHORT, issued 3 with 1
received at 10.00, stands at -2 worth -20.00."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import SourceType
from inventory.services.posting import posting_session
from reports.selectors_stock import cogs_by_month, inventory_ageing, negative_inventory, open_layers
from tests.factories import ItemFactory

D = Decimal


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.fixture
def february(closed, company):
    where = {"site": company.site, "warehouse": company.warehouse}
    short = ItemFactory(number="SHORT", name="Sold before it came", default_cost_price=D("10.00"))
    with posting_session() as session:
        session.issue(item=closed, qty=D("1"), posting_date=date(2026, 2, 10), source_type=SourceType.SALE,
                      financial=True, ref="S2", **where)
        session.receive(item=short, qty=D("1"), unit_cost=D("10.00"), posting_date=date(2026, 2, 2),
                        source_type=SourceType.PURCHASE, financial=True, ref="SR1", **where)
        session.issue(item=short, qty=D("3"), posting_date=date(2026, 2, 6), source_type=SourceType.MOVEMENT,
                      financial=True, ref="SI1", offset_account=company.accounts["5100"], **where)
    return closed


def test_it_lists_the_open_layers_in_the_order_fifo_takes_them(closed):
    report = open_layers(item_number="WIDGET", on=date(2026, 2, 15))

    assert [(row["ref"], row["next_order"], row["open_qty"], row["open_value"], row["invoiced"], row["age_days"])
            for row in report.rows] == [("R2", 1, D("1"), D("20.00"), "yes", 43), ("P1", None, D("1"), D("30.00"), "not yet", 41)]
    assert report.totals == {"open_qty": D("2"), "open_value": D("50.00")}
    assert report.methods == {"WIDGET": "The oldest financial receipt first (FIFO)."}


def test_it_ages_the_open_value_by_receipt_date_and_ties_to_the_inventory_value(closed):
    early = inventory_ageing(on=date(2026, 2, 3))
    later = inventory_ageing(on=date(2026, 2, 15))

    widget = early.rows[0]
    assert (widget["item"], widget["open_qty"], widget["open_value"], widget["unsettled_issues"], widget["on_hand"]) == (
        "WIDGET", D("2"), D("50.00"), D("0"), D("2"))
    # R2 (Jan 3) is 31 days old on Feb 3, P1 (received Jan 5) 29 days.
    assert (widget["age_0_30"], widget["age_31_60"], widget["age_61_90"]) == (D("30.00"), D("20.00"), D("0.00"))
    assert (later.rows[0]["age_0_30"], later.rows[0]["age_31_60"]) == (D("0.00"), D("50.00"))


def test_it_shows_issues_not_yet_settled_apart_so_the_ageing_adds_up_to_on_hand(february):
    row = next(row for row in inventory_ageing(on=date(2026, 2, 28)).rows if row["item"] == "WIDGET")

    assert (row["open_qty"], row["unsettled_issues"], row["on_hand"]) == (D("2"), D("-1"), D("1"))


def test_it_finds_the_items_below_zero(february):
    rows = negative_inventory(as_of=date(2026, 2, 28))

    assert [(row["item"], row["qty"], row["value"], row["last_issue"]) for row in rows] == [
        ("SHORT", D("-2"), D("-20.00"), date(2026, 2, 6))]
    assert negative_inventory(as_of=date(2026, 2, 5)) == []


def test_it_sets_each_month_of_cost_of_goods_sold_against_the_month_before(february):
    rows = cogs_by_month(first_month=date(2026, 1, 1), last_month=date(2026, 2, 1))

    assert [(row["month"], row["item_group"], row["qty"], row["cogs"], row["adjustments"], row["previous"],
             row["change"], row["change_percent"]) for row in rows] == [
        (date(2026, 1, 1), "DEFAULT", D("3"), D("40.00"), D("-5.00"), D("0"), D("40.00"), None),
        (date(2026, 2, 1), "DEFAULT", D("1"), D("20.00"), D("0.00"), D("40.00"), D("-20.00"), D("-50.0")),
    ]


# -- the pages ----------------------------------------------------------------------------------

def test_it_shows_the_ageing_with_drill_down_to_the_layers_and_exports_it(closed, audrey_client):
    url = reverse("reports:ageing")

    page = audrey_client.get(url, {"on": "2026-02-15"}).content.decode()
    rows = csv_rows(audrey_client.get(url, {"on": "2026-02-15", "_export": "csv"}))

    assert '<td class="num" data-testid="total-open-value">50.00</td>' in page
    assert "/reports/open-layers/?item=WIDGET&amp;on=2026-02-15&amp;age=31-60" in page
    assert rows[0][:7] == ["Item group", "Item", "Name", "Open receipts qty", "Issues not yet settled", "On hand", "Open value"]
    assert rows[1] == ["DEFAULT", "WIDGET", "WIDGET for the reports", "2", "0", "2", "50.00",
                       "0.00", "50.00", "0.00", "0.00", "0.00"]


def test_it_shows_the_layers_of_one_age_band_and_links_each_receipt(closed, carl_client):
    page = carl_client.get(reverse("reports:open_layers"), {"item": "WIDGET", "on": "2026-02-03", "age": "31-60"})

    text = page.content.decode()
    assert page.status_code == 200
    assert '<dd data-testid="open-value">20.00</dd>' in text
    assert ">R2</a>" in text and ">P1</a>" not in text


def test_it_refuses_bad_choices_with_a_message_not_an_error(closed, ada_client):
    ageing = ada_client.get(reverse("reports:ageing"), {"on": "31/02/2026"})
    layers = ada_client.get(reverse("reports:open_layers"), {"age": "ancient"})
    cogs = ada_client.get(reverse("reports:cogs"), {"month_from": "2026-13"})
    backwards = ada_client.get(reverse("reports:cogs"), {"month_from": "2026-03", "month_to": "2026-01"})
    detail = ada_client.get(reverse("reports:cogs_transactions"), {"month": "soon"})
    export = ada_client.get(reverse("reports:ageing"), {"on": "never", "_export": "csv"})

    assert [response.status_code for response in (ageing, layers, cogs, backwards, detail, export)] == [400] * 6
    assert "Enter a valid date." in ageing.content.decode()
    assert "Give a month as YYYY-MM, such as 2026-01 (not &#x27;2026-13&#x27;)." in cogs.content.decode()
    assert "The first month comes after the last: swap them." in backwards.content.decode()


def test_it_shows_negative_inventory_with_a_link_to_the_transactions(february, audrey_client):
    page = audrey_client.get(reverse("reports:negative_inventory"), {"as_of": "2026-02-28"}).content.decode()
    rows = csv_rows(audrey_client.get(reverse("reports:negative_inventory"), {"as_of": "2026-02-28", "_export": "csv"}))

    assert '<p data-testid="negative-count">1 item below zero.</p>' in page
    assert "/reports/inventory-value/transactions/?item=SHORT&amp;site=" in page
    assert rows[1][1:] == ["SHORT", "Sold before it came", "MAIN", "MAIN", "-2", "-20.00", "2026-02-06"]


def test_it_shows_cogs_per_month_with_drill_down_to_the_sales(february, ada_client):
    page = ada_client.get(reverse("reports:cogs"), {"month_from": "2026-01", "month_to": "2026-02"}).content.decode()
    group = february.item_group_id
    detail = ada_client.get(reverse("reports:cogs_transactions"), {"month": "2026-01", "item_group": group}).content.decode()
    rows = csv_rows(ada_client.get(reverse("reports:cogs"), {"month_from": "2026-01", "month_to": "2026-02",
                                                             "_export": "csv"}))

    assert f"/reports/cost-of-goods-sold/transactions/?month=2026-02&amp;item_group={group}" in page
    assert '<dd data-testid="cogs-total">40.00</dd>' in detail and ">S1</a>" in detail
    assert rows[1:] == [["2026-01", "DEFAULT", "1", "3", "40.00", "-5.00", "0.00", "40.00", ""],
                        ["2026-02", "DEFAULT", "1", "1", "20.00", "0.00", "40.00", "-20.00", "-50.0"]]
