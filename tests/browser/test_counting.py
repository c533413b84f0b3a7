"""A physical inventory journal from the new-journal form to the ledger: calculate the expected
quantity, print the count sheet, enter the count, post the difference and follow its voucher."""

import re
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from inventory.models import SourceType
from inventory.services.posting import posting_session
from tests.factories import ItemFactory

pytestmark = pytest.mark.browser


def test_it_calculates_counts_and_posts_a_physical_inventory_journal(logged_in_page, company):
    bolt = ItemFactory(number="BOLT-8", name="Hex bolt M8")
    with posting_session() as session:
        session.receive(item=bolt, qty=Decimal("7"), unit_cost=Decimal("11.00"), posting_date=date(2026, 1, 5),
                        site=company.site, warehouse=company.warehouse, source_type=SourceType.PURCHASE, financial=True)
    page = logged_in_page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Journals").click()
    page.get_by_role("link", name="New journal").click()
    page.get_by_label("Journal type").select_option(label="Physical inventory")
    page.get_by_label("Description").fill("Year-end count")
    page.get_by_role("button", name="Create journal").click()
    expect(page.get_by_test_id("journal-status")).to_have_text("Draft")

    page.get_by_label("Count as of").fill("2026-01-20")
    page.get_by_role("button", name="Calculate inventory").click()
    expect(page.locator(".messages")).to_contain_text("Calculated 1 line (as of 2026-01-20).")
    row = page.locator("#journal-lines tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("BOLT-8")
    expect(page.get_by_label("Counted quantity, line 1")).to_have_value("7")

    sheet = page.context.new_page()
    sheet.goto(page.url + "count-sheet/?expected=0")
    expect(sheet.locator("#count-sheet tbody tr")).to_contain_text("Hex bolt M8")
    expect(sheet.locator("#count-sheet thead")).not_to_contain_text("Expected")
    sheet.close()

    page.get_by_label("Counted quantity, line 1").fill("5")
    page.get_by_role("button", name="Save counts").click()
    expect(page.locator(".messages")).to_contain_text("Counts saved (1 line changed).")
    expect(page.get_by_test_id("difference")).to_have_text("-2")

    page.get_by_role("button", name="Post").click()
    page.locator("dialog.confirm-dialog").get_by_role("button", name=re.compile(r"^Post ")).click()
    expect(page.get_by_test_id("journal-status")).to_have_text("Posted")
    expect(page.get_by_label("Counted quantity, line 1")).to_have_count(0)

    page.get_by_role("link", name=re.compile(r"^Voucher ")).click()
    lines = page.locator("#voucher-lines tbody tr")
    expect(lines).to_have_count(2)
    expect(lines.filter(has_text="5110 Inventory loss").locator("td").nth(5)).to_have_text("22.00")  # debit
    expect(lines.filter(has_text="1400 Inventory").locator("td").nth(6)).to_have_text("22.00")  # credit

    page.goto(f"/inventory/items/{bolt.number}/")
    expect(page.get_by_test_id("last-counted")).to_have_text("2026-01-20 by ada")
    expect(page.locator("#on-hand tbody tr")).to_contain_text("5")
