"""The master data pages as Ada the accountant uses them (issue #17, points 12-14): create an item and
edit it, revalue a standard-cost item from its page, close a fiscal period past the latest inventory
close after the warning, and find all of it in the audit log."""

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from inventory.models import Item, SourceType
from inventory.services.posting import posting_session
from ledger.models import FiscalPeriod
from tests.factories import ItemFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow]

D = Decimal


def test_it_creates_edits_and_revalues_an_item(company, logged_in_page):
    page = logged_in_page
    page.goto("/inventory/items/")
    page.get_by_role("link", name="New item").click()
    page.get_by_label("Number").fill("BOLT")
    page.get_by_label("Name").fill("Bolt M6")
    page.get_by_label("Item group").select_option(label=str(company.item_group))
    page.get_by_label("Model group").select_option(label="STD — Standard cost")
    page.get_by_role("button", name="Create item").click()
    expect(page.locator(".errorlist").first).to_contain_text("enter its standard cost")
    expect(page.get_by_label("Name")).to_have_value("Bolt M6")  # kept after the error

    page.get_by_label("Cost price (the standard cost for a standard-cost item)").fill("10")
    page.get_by_role("button", name="Create item").click()
    expect(page.locator("h1")).to_contain_text("BOLT · Bolt M6")

    bolt = Item.objects.get(number="BOLT")
    with posting_session() as session:
        session.receive(item=bolt, qty=D("3"), unit_cost=D("11"), posting_date=date(2026, 1, 5), site=company.site,
                        warehouse=company.warehouse, source_type=SourceType.PURCHASE, financial=True)

    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("Model group")).to_be_disabled()
    expect(page.get_by_test_id("locked-note")).to_contain_text("standard cost revaluation")
    page.get_by_label("Name").fill("Hex bolt M6")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_contain_text("BOLT · Hex bolt M6")

    page.get_by_role("link", name="Revalue standard cost").click()
    expect(page.get_by_test_id("on-hand")).to_contain_text("3 pcs, valued 30.00")
    page.get_by_label("New standard cost").fill("12")
    page.get_by_label("Effective date").fill("2026-01-20")
    page.get_by_role("button", name="Post revaluation").click()
    expect(page.locator(".message").first).to_contain_text("BOLT now at 12")
    bolt.refresh_from_db()
    assert bolt.default_cost_price == D("12")

    page.goto("/ledger/audit-log/?object_type=inventory.Item")
    log = page.locator("#audit-log")
    expect(log).to_contain_text("name: Bolt M6 → Hex bolt M6")
    expect(log).to_contain_text("item.create")


def test_it_closes_a_fiscal_period_after_a_warning(company, logged_in_page):
    ItemFactory(number="NUT")
    page = logged_in_page
    page.get_by_role("link", name="Periods").click()
    expect(page.get_by_test_id("closed-until")).to_have_text("not yet")
    row = page.locator('tr[data-period="2026-01"]')
    row.get_by_role("button", name="Close").click()

    expect(page.get_by_test_id("period-warning")).to_contain_text("Inventory is not closed yet")
    assert FiscalPeriod.objects.get(name="2026-01").status == "open"
    page.get_by_role("button", name="Close the period anyway").click()

    expect(page.locator('tr[data-period="2026-01"]').get_by_test_id("status")).to_have_text("Closed")
    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Action").select_option("fiscal_period.closed")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#audit-log tbody tr")).to_have_count(1)
    expect(page.locator("#audit-log")).to_contain_text("status: open → closed")
