"""The Closing and adjustment page as an accountant uses it (docs/domain.md §4, "typical accountant flow"):
preview a close, close, watch the run to the end without reloading the page, follow the voucher to
the transactions behind its lines and back to their settlements, pause and resume a run, and reverse
the close.

No Redis here: closing.queue.enqueue is replaced by a worker thread per step (coordinate, bundle,
finalize), calling the very job functions RQ would. The steps wait for a gate the test opens, so the
page is seen queued first and reaches "Ended" only through its polling."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from closing import jobs
from closing import queue as closing_queue
from closing.models import ClosingRun
from inventory.models import SourceType
from inventory.services.posting import posting_session
from tests.browser.conftest import GatedJobs
from tests.factories import ItemFactory

pytestmark = pytest.mark.browser

D = Decimal
SLOW = 30_000  # ms: a run's steps on SQLite, with the page polling every second


@pytest.fixture
def book(company):
    """FIFO WIDGET: 2 at 10.00 and 2 at 20.00 received, 3 sold at the average 15.00 (45.00); the close
    makes S1 40.00 (settled 2 <- R1, 1 <- R2), 5.00 back on inventory account 1400."""
    widget = ItemFactory(number="WIDGET", name="Closing-tested widget", default_cost_price=D("10.00"))
    where = {"site": company.site, "warehouse": company.warehouse}
    with posting_session() as session:
        for ref, qty, cost, day in (("R1", "2", "10.00", 2), ("R2", "2", "20.00", 3)):
            session.receive(item=widget, qty=D(qty), unit_cost=D(cost), posting_date=date(2026, 1, day),
                            source_type=SourceType.PURCHASE, financial=True, ref=ref, **where)
        session.issue(item=widget, qty=D("3"), posting_date=date(2026, 1, 4), source_type=SourceType.SALE,
                      financial=True, ref="S1", **where)
    return widget


@pytest.fixture
def workers(monkeypatch):
    """closing.queue.enqueue without Redis: every step held until the test opens the gate."""
    steps = {"coordinate": jobs.coordinate, "bundle": jobs.process_bundle, "finalize": jobs.finalize,
             "reverse": jobs.reverse}
    jobs_held = GatedJobs(timeout=SLOW / 1000)
    # The steps enqueue their next steps through this patched closing.queue.enqueue.
    monkeypatch.setattr(closing_queue, "enqueue", lambda kind, object_id: jobs_held.start(steps[kind], object_id))
    yield jobs_held.gate
    jobs_held.finish()


def session_status(page):
    return page.locator("#session [data-field=status]")


def watch_to_the_end(page, gate) -> None:
    """Open the gate and see the run end on the page as it is, never reloaded."""
    page.evaluate("window.__marker = 1")
    gate.set()
    expect(session_status(page)).to_have_text("Ended", timeout=SLOW)
    expect(page.get_by_test_id("progress")).to_have_text("100")
    expect(page.get_by_test_id("run-status")).to_have_text("Ended")
    assert page.evaluate("window.__marker") == 1, "the page was reloaded"


def test_it_closes_watches_the_run_drills_down_and_reverses(logged_in_page, book, workers):
    page = logged_in_page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Closing and adjustment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Closing and adjustment")

    # Close procedure > 3. Close: preview first, nothing written.
    page.get_by_text("Close procedure").click()
    page.get_by_role("link", name="3. Close").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Close inventory")
    page.get_by_label("Close inventory up to").fill("2026-01-31")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview")).to_contain_text("nothing has been written")
    inventory = page.locator("#preview-accounts tbody tr", has_text="1400 Inventory")
    expect(inventory.locator("td").nth(1)).to_have_text("5.00")  # debit
    expect(page.locator("#preview-accounts tbody tr", has_text="5000 Cost of goods sold").locator("td").nth(2)).to_have_text("5.00")
    assert ClosingRun.objects.count() == 0

    # Close: queued, then followed live to the end.
    page.get_by_role("button", name="Close", exact=True).click()
    confirm = page.locator("dialog.confirm-dialog")  # issue #17, point 6: nothing is queued before this
    expect(confirm).to_contain_text("Close inventory up to 2026-01-31 for 1 items?")
    expect(confirm).to_contain_text("Afterwards nothing can be posted on or before 2026-01-31.")
    assert ClosingRun.objects.count() == 0
    confirm.get_by_role("button", name="Close up to 2026-01-31").click()
    expect(page).to_have_url(re.compile(r"/closing/runs/\d+/$"))
    expect(page.locator(".messages")).to_contain_text("queued")
    expect(session_status(page)).to_have_text("Queued")
    watch_to_the_end(page, workers)
    run = ClosingRun.objects.get()
    expect(page.locator(".message.run-queued")).to_have_count(0)  # the "queued" banner clears at the end
    expect(page.locator("#session [data-field=settlements]")).to_have_text("2")
    voucher = page.locator("#general [data-field=voucher]").get_by_role("link")
    expect(voucher).to_have_text(run.voucher.number)

    # Run -> voucher in the ledger, and back.
    voucher.click()
    expect(page).to_have_url(re.compile(rf"/ledger/vouchers/{run.voucher.number}/$"))
    expect(page.locator("#voucher-lines tbody tr", has_text="1400 Inventory").locator("td").nth(5)).to_have_text("5.00")
    page.go_back()

    # Voucher lines -> the transactions behind account 1400 -> the transaction -> its settlements.
    page.get_by_role("navigation", name="Run").get_by_role("link", name="Voucher lines").click()
    expect(page.locator("#voucher-accounts tbody tr").first).to_contain_text("1400 Inventory")
    behind = page.locator("#account-adjustments tbody tr")
    expect(behind).to_have_count(1)
    expect(behind).to_contain_text("5.00")
    behind.get_by_role("link", name="S1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Issue S1")
    expect(page.get_by_test_id("cost-amount")).to_have_text("-40.00")
    page.get_by_role("link", name=run.number).first.click()
    page.get_by_role("navigation", name="Run").get_by_role("link", name="Settlements").click()
    settlements = page.locator("#settlements tbody tr")
    expect(settlements).to_have_count(2)
    expect(settlements.nth(0)).to_contain_text("R1")
    expect(settlements.nth(1)).to_contain_text("R2")
    settlements.nth(0).get_by_role("link", name="WIDGET").click()
    expect(page).to_have_url(re.compile(r"/inventory/items/WIDGET/$"))

    # Reverse the close on the workers, followed on the reversal run's page; the close stays visible,
    # cancelled, under All.
    workers.clear()  # the reversal is seen queued first
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Closing and adjustment").click()
    page.locator("#closing-actions").get_by_role("link", name="Reverse").click()
    expect(page.locator("#latest-close")).to_contain_text(run.number)
    page.get_by_label("The latest close").check()
    page.get_by_role("button", name="Reverse", exact=True).click()
    confirm = page.locator("dialog.confirm-dialog")
    expect(confirm).to_contain_text(f"Reverse close {run.label} up to 2026-01-31 (1 item adjusted)?")
    confirm.get_by_role("button", name="Reverse").click()
    reversal = ClosingRun.objects.get(run_type="reversal")
    expect(page).to_have_url(re.compile(rf"/closing/runs/{reversal.pk}/$"))  # lands on the reversal run
    expect(page.locator(".messages")).to_contain_text(f"Reversal {reversal.label} of {run.label} queued.")
    expect(session_status(page)).to_have_text("Queued")
    page.evaluate("window.__marker = 1")
    workers.set()
    expect(session_status(page)).to_have_text("Ended", timeout=SLOW)
    expect(page.locator(".message.run-queued")).to_have_count(0)  # the "queued" message clears at the end
    assert page.evaluate("window.__marker") == 1, "the page was reloaded"
    expect(page.get_by_test_id("reverses")).to_contain_text(run.label)
    page.goto("/closing/?show=all")
    expect(page.locator("#runs tbody tr", has_text=reversal.label)).to_contain_text(run.label)  # the Reverses column
    row = page.locator("#runs tbody tr", has_text=run.number).filter(has_text="Closing")
    expect(row).to_contain_text("Cancelled")
    page.get_by_role("link", name="Active", exact=True).click()
    # The reversed close is hidden; only the reversal's Reverses column still names it.
    expect(page.locator("#runs tbody tr td:first-child", has_text=run.label)).to_have_count(0)
    expect(page.locator("#runs tbody tr", has_text=run.label)).to_have_count(1)


def test_it_pauses_and_resumes_a_running_close(logged_in_page, book, workers):
    run = ClosingRun.objects.create(number="CLS-000900", run_type=ClosingRun.RunType.CLOSING, date=date(2026, 1, 31),
                                    status=ClosingRun.Status.RUNNING, phase="processing bundles", started_at=timezone.now())
    page = logged_in_page
    page.goto(run.get_absolute_url())
    pause = page.locator("#session").get_by_role("button", name="Pause")
    resume = page.locator("#session").get_by_role("button", name="Resume")
    expect(pause).to_be_visible()
    expect(resume).to_be_hidden()

    pause.click()
    expect(page.locator(".messages")).to_contain_text("CLS-000900 is paused")
    expect(session_status(page)).to_have_text("Paused")
    expect(pause).to_be_hidden()

    resume.click()
    expect(page.locator(".messages")).to_contain_text("CLS-000900 resumed.")
    expect(session_status(page)).to_have_text("Queued")

    # The overview follows a live run too, row by row.
    page.get_by_role("link", name="Closing and adjustment", exact=True).first.click()
    row = page.locator("#runs tbody tr", has_text="CLS-000900")
    expect(row.locator("[data-field=status]")).to_have_text("Queued")
    page.evaluate("window.__marker = 1")
    workers.set()
    expect(row.locator("[data-field=status]")).to_have_text("Ended", timeout=SLOW)
    expect(row.locator("[data-field=progress-bar]")).to_have_attribute("aria-valuenow", "100")
    expect(row.locator("[data-field=settlements]")).to_have_text("2")
    expect(row.locator("[data-field=voucher]").get_by_role("link")).to_have_text(re.compile(r"\S+"))
    assert page.evaluate("window.__marker") == 1, "the page was reloaded"
    expect(page.locator("#closing-actions").get_by_role("button", name="Resume")).to_be_disabled()

    row.get_by_role("link", name="CLS-000900").click()
    expect(session_status(page)).to_have_text("Ended")
    expect(resume).to_be_hidden()
    expect(pause).to_be_hidden()
    run.refresh_from_db()
    assert (run.status, run.settlements_count, run.adjustments_count) == ("ended", 2, 1)
