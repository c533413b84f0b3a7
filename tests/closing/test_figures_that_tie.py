"""Issue #17, points 1 to 4, 7 and 10 through the web client: the preview ties to the voucher (with
the part no voucher carries on its own line), a recalculation's preview counts what its run will
count, the settlements tab shows an issue's adjustment once and filters, the adjustment forms keep
what was typed with each error next to its line, and the run page follows the book checks."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from closing.models import ClosingRun
from inventory.models import InventoryTransaction
from tests.closing.test_closing_views import BOOK, DIALOGS, book_items, text


@pytest.fixture
def closed(books) -> ClosingRun:
    book_items(books, "WIDGET", "GADGET")
    books.post(BOOK)
    books.close("2026-01-31")
    return books.last_run()


def test_it_previews_a_recalculation_with_the_counts_its_run_reports(books, ada_client):
    book_items(books, "WIDGET", "GADGET")
    books.post(BOOK)

    response = ada_client.post(DIALOGS["recalculation"], {"date": "2026-01-31", "min_adjustment": "0",
                                                          "specification": "total", "action": "preview"})
    preview = response.context["preview"]
    books.recalculate("2026-01-31")
    run = books.last_run()

    assert (preview.settlements, preview.adjustments) == (run.settlements_count, run.adjustments_count) == (0, 1)
    assert "no settlements (a recalculation settles nothing)" in text(response)


def test_it_ties_the_preview_to_its_voucher_with_totals_and_the_sign_convention(books, ada_client):
    book_items(books, "WIDGET", "GADGET")
    books.post(BOOK)

    response = ada_client.post(DIALOGS["close"], {"date": "2026-01-31", "specification": "total", "action": "preview"})
    preview = response.context["preview"]
    page = text(response)

    assert (preview.debit_total, preview.credit_total, preview.change_total, preview.not_posted_total,
            preview.posted_total) == (D("5.00"), D("5.00"), D("5.00"), D("0.00"), D("5.00"))
    assert 'data-testid="preview-debit-total">5.00<' in page and 'data-testid="preview-posted-total">+5.00<' in page
    assert "<strong>+</strong> raises it (debit inventory)" in page
    books.close("2026-01-31")
    run = books.last_run()
    summary = text(ada_client.get(reverse("reports:close_summary", args=[run.pk])))
    assert "<strong>+</strong> raises it (debit inventory)" in summary  # the summary says the same convention
    assert 'data-testid="value-change-total">+5.00<' in summary and 'data-testid="posted-total">+5.00<' in summary


def test_it_shows_an_issue_adjustment_once_and_filters_by_item_and_transaction(audrey_client, closed):
    url = reverse("closing:run_settlements", args=[closed.pk])

    page = text(audrey_client.get(url))
    by_item = audrey_client.get(url + "?item=gadget")
    by_ref = audrey_client.get(url + "?transaction=R2")

    rows = page.split('id="settlements"')[1].split("</tbody>")[0]
    assert rows.count(">5.00<") == 1 and rows.count("〃") == 1  # S1's adjustment on its first row only
    assert list(by_item.context["settlements"].data) == [] and list(by_item.context["adjustments"].data) == []
    assert [(s.issue.ref, s.receipt.ref) for s in by_ref.context["settlements"].data] == [("S1", "R2")]
    assert "(1 of 2)" in text(by_ref)


def test_it_reports_the_book_checks_to_the_run_page_once_stored(audrey_client, closed):
    status = reverse("closing:run_status", args=[closed.pk])

    before = audrey_client.get(status).json()
    closed.checks = {"ok": True, "checked_at": "2026-02-01T08:00:00", "checks": []}
    closed.save(update_fields=["checks"])
    after = audrey_client.get(status).json()

    assert before["checks_pending"] is True and "Not checked" in before["checks_html"]
    assert after["checks_pending"] is False and "Books agree" in after["checks_html"]
    assert "2026-02-01 08:00" in after["checks_html"] and "T08" not in after["checks_html"]


def test_it_counts_the_items_a_close_takes_in_for_the_confirmation(books, ada_client):
    book_items(books, "WIDGET", "GADGET")
    books.post(BOOK)

    counted = ada_client.get(reverse("closing:run_item_count") + "?date=2026-01-31").json()
    early = ada_client.get(reverse("closing:run_item_count") + "?date=2026-01-03").json()
    bad = ada_client.get(reverse("closing:run_item_count") + "?date=soon")

    assert (counted["items"], early["items"]) == (2, 1)
    assert bad.status_code == 400 and "date" in bad.json()["errors"]


def test_it_keeps_typed_figures_and_shows_each_error_next_to_its_line(books, ada_client):
    books.item("NUT", "FIFO")
    books.post("""
        R1,2026-01-02,NUT,10,10.00,financial,,,
        S1,2026-01-03,NUT,-4,,financial,,,
        R2,2026-02-02,NUT,5,12.00,financial,,,
        R3,2026-02-03,NUT,5,14.00,financial,,,
    """)
    books.close("2026-01-31")
    r2, r3 = InventoryTransaction.objects.get(ref="R2"), InventoryTransaction.objects.get(ref="R3")
    before = ClosingRun.objects.count()

    response = ada_client.post(reverse("closing:adjust_transactions") + "?item=NUT&select=1", {
        "specification": "total", "update_ledger": "on", "note": "", "date": "2026-02-10",
        f"new_value-{r2.pk}": "abc", f"new_value-{r3.pk}": "-5"})
    page = text(response)

    assert response.status_code == 200 and ClosingRun.objects.count() == before
    assert f'name="new_value-{r2.pk}" value="abc"' in page and f'name="new_value-{r3.pk}" value="-5"' in page
    message = "Transaction R2: new value &#x27;abc&#x27; is not a number."
    # R3 is listed first (newest invoice first); R2's message follows R2's inputs, on the row below.
    assert page.index(f'name="new_value-{r3.pk}"') < page.index(f'name="new_value-{r2.pk}"') < page.index(message)
    assert page.count(message) == 1
    assert "could not be posted: see the message" in page
