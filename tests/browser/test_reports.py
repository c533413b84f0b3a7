"""Reports in the browser: the accountant opens the reconciliation, sees the planted difference
highlighted, follows it to the transaction that causes it; and sees the cost history chart drawn on
the item page; and checks the books in one click, following the queued check to its result."""

import pytest
from playwright.sync_api import expect

from inventory.models import OnHand
from reports import jobs
from reports import queue as job_queue
from tests.browser.conftest import GatedJobs
from tests.reports.conftest import D, close, edit_line_by_hand, post_book, txn

pytestmark = pytest.mark.browser


@pytest.fixture
def closed_book(company):
    widget = post_book(company)
    close()
    return widget


def test_it_shows_a_reconciliation_difference_and_the_transaction_behind_it(closed_book, company, logged_in_page):
    page = logged_in_page
    page.goto("/reports/reconciliation/")
    expect(page.get_by_test_id("reconciliation-status")).to_have_text("✓ The subledger equals the ledger on every inventory account.")

    edit_line_by_hand(dict(inventory_transaction=txn("R2"), account=company.accounts["1400"]), debit=D("41.50"))
    page.get_by_role("link", name="Reports").first.click()
    page.get_by_role("link", name="Inventory-to-ledger reconciliation").click()

    expect(page.get_by_test_id("reconciliation-status")).to_contain_text("differ on 1 account(s)")
    row = page.locator("#reconciliation tbody tr.difference")
    expect(row).to_have_count(1)
    expect(row).to_have_attribute("data-difference", "-1.50")
    row.get_by_role("link", name="-1.50").click()
    disagreeing = page.locator("#amounts-disagree tbody tr")
    expect(disagreeing).to_have_count(1)
    expect(disagreeing).to_contain_text("R2")
    disagreeing.get_by_role("link", name="R2").click()
    expect(page.locator("h1")).to_contain_text("R2")


def test_it_draws_the_cost_history_chart_on_the_item_page(closed_book, logged_in_page):
    page = logged_in_page
    page.goto("/inventory/items/WIDGET/")

    chart = page.locator("#cost-history svg.chart")
    expect(chart).to_be_visible()
    expect(chart.locator("g.posting circle")).to_have_count(1)
    expect(chart.locator("g.settled circle")).to_have_count(1)
    expect(chart.locator('g.settled circle[data-value="13.33"]')).to_have_count(1)
    box = chart.bounding_box()
    assert box["width"] > 300 and box["height"] > 100


@pytest.fixture
def book_check_worker(monkeypatch):
    """reports.queue.enqueue_book_check without Redis: the job held until the test opens the gate."""
    jobs_held = GatedJobs(timeout=30)
    monkeypatch.setattr(job_queue, "enqueue_book_check", lambda check_id: jobs_held.start(jobs.book_check, check_id))
    yield jobs_held.gate
    jobs_held.finish()


def test_it_checks_the_books_in_one_click_and_follows_the_check_to_its_result(closed_book, company, logged_in_page,
                                                                               book_check_worker):
    page = logged_in_page
    OnHand.objects.filter(item__number="WIDGET").update(financial_value=D("19.99"))  # the cache drifted
    page.get_by_role("link", name="Reports").first.click()
    page.get_by_role("link", name="Book checks").click()

    page.get_by_role("button", name="Check the books now").click()

    result = page.locator("#book-check-result")
    expect(result).to_have_attribute("data-check-status", "queued")
    expect(result).to_contain_text("Waiting for a worker… 0 of 6 checks done.")
    book_check_worker.set()
    expect(result.locator("[data-checks]")).to_have_text("✗ The books do not agree.", timeout=30_000)
    expect(result.locator("tr.difference")).to_contain_text("On-hand equals the sum of the transactions")
    expect(result).to_contain_text("cached 19.99, transactions 20.00, difference -0.01")
    expect(page.locator("#recent-checks tbody tr")).to_have_count(1)
