"""A movement journal from the new-journal form to the ledger: create it, add a receipt line, post
it, and follow the voucher to the inventory transaction it posted."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from ledger.models import FiscalPeriod
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

    expect(page.get_by_test_id("amount-total")).to_have_text("50.00")  # the lines grid totals its amounts
    page.get_by_role("button", name="Post").click()
    confirm = page.locator("dialog.confirm-dialog")
    expect(confirm).to_contain_text("1 line for 1 item, dated 2026-11-20?")
    confirm.get_by_role("button", name=re.compile(r"^Post ")).click()
    expect(page.get_by_test_id("journal-status")).to_have_text("Posted")
    expect(page.get_by_test_id("actual-cost")).to_have_text("50.00")

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


def test_it_edits_a_journal_line_in_place_and_totals_the_new_amount(logged_in_page):
    """Issue #17, point 11: a line's fields are edited in the grid itself; a refused value is shown
    on that line, a saved one changes the line's amount and the total without leaving the page."""
    ItemFactory(number="WIDGET-8", name="Grid-tested widget")
    page = logged_in_page
    page.goto("/inventory/journals/new/")
    page.get_by_label("Journal type").select_option(label="Movement")
    page.get_by_label("Offset account").select_option(label="5110 Inventory loss")
    page.get_by_role("button", name="Create journal").click()
    for qty in ("5", "2"):
        page.get_by_label("Date", exact=True).fill("2026-11-20")
        page.get_by_label("Item number").fill("WIDGET-8")
        page.get_by_label("Quantity").fill(qty)
        page.get_by_label("Unit cost").fill("10.00")
        page.get_by_label("Warehouse", exact=True).select_option(label="MAIN/MAIN")
        page.get_by_role("button", name="Add line").click()
        expect(page.locator(".messages")).to_contain_text("Line added.")
    expect(page.get_by_test_id("amount-total")).to_have_text("70.00")
    url = page.url

    line = page.locator('#journal-lines tbody tr[data-line="1"]')
    line.get_by_role("link", name="Edit").click()
    quantity = line.get_by_label("Quantity, line 1")
    expect(quantity).to_have_value("5")
    line.get_by_label("Date, line 1", exact=True).fill("")
    line.get_by_role("button", name="Save").click()
    expect(line.locator('td[data-col="date"] .errorlist')).to_contain_text("Date")  # the refusal sits on its line
    expect(page.get_by_test_id("amount-total")).to_have_text("70.00")

    expect(line.get_by_label("Unit cost, line 1")).to_have_value("10")  # what was sent is kept
    held = FiscalPeriod.objects.filter(start_date__lte=date(2026, 10, 15), end_date__gte=date(2026, 10, 15))
    assert held.update(status=FiscalPeriod.Status.ON_HOLD) == 1
    line.get_by_label("Date, line 1", exact=True).fill("2026-10-15")  # the service refuses a period on hold
    line.get_by_role("button", name="Save").click()
    refusal = page.locator("#journal-lines tr.inline-editing.line-error")
    expect(refusal).to_contain_text("nothing can be posted on 2026-10-15")  # right under the line it is about
    expect(page.get_by_test_id("amount-total")).to_have_text("70.00")
    line.get_by_label("Date, line 1", exact=True).fill("2026-11-21")
    line.get_by_label("Quantity, line 1").fill("8")
    line.get_by_label("Unit cost, line 1").fill("12.50")
    line.get_by_role("button", name="Save").click()
    expect(line.get_by_test_id("line-amount")).to_have_text("100.00")
    expect(page.get_by_test_id("amount-total")).to_have_text("120.00")
    expect(page.locator(".messages")).to_contain_text("Line 1 changed.")
    expect(page.locator('#journal-lines [form^="inline-line"]')).to_have_count(0)  # the editor is closed
    expect(line.locator('td[data-col="date"]')).to_have_text("2026-11-21")
    assert page.url == url  # in place: the page was not left
