"""A movement journal from the new-journal form to the ledger: create it, add a receipt line, post
it, and follow the voucher to the inventory transaction it posted."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import ItemFactory

pytestmark = pytest.mark.browser


def test_it_posts_a_movement_journal_and_shows_its_voucher(logged_in_page):
    ItemFactory(number="WIDGET-7", name="Journal-tested widget")
    page = logged_in_page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Journals").click()
    page.get_by_role("link", name="New journal").click()

    page.get_by_label("Journal type").select_option(label="Movement")
    page.get_by_label("Description").fill("Found in the back room")
    page.get_by_label("Offset account").select_option(label="5110 Inventory loss")
    page.get_by_role("button", name="Create journal").click()
    expect(page.locator(".messages")).to_contain_text("created")
    expect(page.get_by_test_id("journal-status")).to_have_text("Draft")

    page.get_by_label("Date", exact=True).fill("2026-11-20")
    page.get_by_label("Item number").fill("WIDGET-7")
    page.get_by_label("Quantity").fill("5")
    page.get_by_label("Unit cost").fill("10.00")
    page.get_by_label("Warehouse", exact=True).select_option(label="MAIN/MAIN")
    page.get_by_role("button", name="Add line").click()
    expect(page.locator(".messages")).to_contain_text("Line added.")
    expect(page.locator("#journal-lines tbody tr")).to_have_count(1)
    expect(page.locator("#journal-lines tbody tr")).to_contain_text("WIDGET-7")

    page.get_by_role("button", name="Post").click()
    expect(page.get_by_test_id("journal-status")).to_have_text("Posted")

    page.get_by_role("link", name=re.compile(r"^Voucher ")).click()
    expect(page).to_have_url(re.compile(r"/ledger/vouchers/[^/]+/$"))
    lines = page.locator("#voucher-lines tbody tr")
    expect(lines).to_have_count(2)
    inventory = lines.filter(has_text="1400 Inventory")
    loss = lines.filter(has_text="5110 Inventory loss")
    expect(inventory.locator("td").nth(5)).to_have_text("50.00")  # debit
    expect(inventory.locator("td").nth(6)).to_have_text("0.00")
    expect(loss.locator("td").nth(5)).to_have_text("0.00")
    expect(loss.locator("td").nth(6)).to_have_text("50.00")  # credit
    expect(page.locator("#voucher-lines tfoot")).to_contain_text("50.00")

    inventory.locator("td").nth(3).get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/inventory/transactions/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Receipt "))
    expect(page.get_by_test_id("cost-amount")).to_have_text("50.00")
    expect(page.locator("dl.facts").first).to_contain_text("WIDGET-7")
