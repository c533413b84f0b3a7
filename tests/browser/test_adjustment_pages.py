"""Adjustment > On-hand and Adjustment > Transactions as an accountant uses them (docs/domain.md §3.1, §3.2):
from the Closing and adjustment page's Adjustment menu, select, type the new figures, post, and land
on the run with the receipts it changed and its voucher.

The book (NUT, FIFO): receipts R1 10 @ 10.00, R2 10 @ 12.00, R3 5 @ 14.00, issue I1 of 12, closed up
to 2026-01-31. Open afterwards: 8 of R2 (96.00) and 5 of R3 (70.00)."""

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from closing import services
from closing.models import ClosingRun
from inventory.models import SourceType
from inventory.services.posting import posting_session
from tests.closing.nut_book import open_value
from tests.factories import ItemFactory

pytestmark = pytest.mark.browser

D = Decimal


@pytest.fixture
def closed_book(company):
    nut = ItemFactory(number="NUT", name="Hex nut", model_group="FIFO")
    where = {"site": company.site, "warehouse": company.warehouse}
    with posting_session() as session:
        for ref, qty, cost, day in (("R1", "10", "10.00", 2), ("R2", "10", "12.00", 5), ("R3", "5", "14.00", 8)):
            session.receive(item=nut, qty=D(qty), unit_cost=D(cost), posting_date=date(2026, 1, day),
                            source_type=SourceType.PURCHASE, financial=True, ref=ref, **where)
        session.issue(item=nut, qty=D("12"), posting_date=date(2026, 1, 10), source_type=SourceType.SALE,
                      financial=True, ref="I1", **where)
    run = services.closing_start(request=services.RunRequest(run_type="closing", date=date(2026, 1, 31)), queue=False)
    services.run_execute(run_id=run.pk)
    return nut


def test_it_revalues_on_hand_inventory_from_the_adjustment_menu(closed_book, logged_in_page):
    page = logged_in_page
    page.goto("/closing/")
    page.get_by_text("Adjustment", exact=True).click()
    page.get_by_role("link", name="On-hand").click()

    expect(page.locator("#posting-date")).to_contain_text("2026-01-31")
    line = page.locator("#on-hand-lines tbody tr").first
    expect(line).to_contain_text("NUT")
    expect(line).to_contain_text("166.00")
    page.get_by_label("New value, line 1").fill("-5")
    page.get_by_role("button", name="Post").click()
    expect(page.get_by_role("alert").first).to_contain_text("the new value -5 is negative")
    assert not ClosingRun.objects.filter(run_type="on_hand_adjustment").exists()

    page.get_by_label("New value, line 1").fill("195.00")
    page.get_by_label("Note").fill("Market value at year end")
    page.get_by_role("button", name="Post").click()

    expect(page.locator(".message").first).to_contain_text("2 receipt(s) revalued")
    run = ClosingRun.objects.get(run_type="on_hand_adjustment")
    assert (open_value("R2"), open_value("R3")) == (D("120.00"), D("75.00"))
    page.get_by_role("link", name=run.voucher.number).first.click()
    expect(page.locator("body")).to_contain_text("5300")
    expect(page.locator("body")).to_contain_text("29.00")


def test_it_adjusts_a_receipt_from_the_transactions_form(closed_book, logged_in_page):
    page = logged_in_page
    page.goto("/closing/adjust/transactions/")
    page.get_by_label("Item number").fill("NUT")
    page.get_by_role("button", name="Select").click()

    rows = page.locator("#adjustable-transactions tbody tr")
    expect(rows).to_have_count(1)  # R1 is closed and R2 partly settled: only R3 may be adjusted
    expect(rows.first).to_contain_text("R3")
    page.get_by_label("New cost price of R3").fill("15.00")
    page.get_by_label("Posting date").fill("2026-02-03")
    page.get_by_role("button", name="Post").click()

    expect(page.locator(".message").first).to_contain_text("1 receipt(s) adjusted")
    run = ClosingRun.objects.get(run_type="transaction_adjustment")
    assert (str(run.date), open_value("R3")) == ("2026-02-03", D("75.00"))
