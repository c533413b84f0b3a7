"""The report pages as an accountant opens them: figures on the page, drill-down links, exports with
the filters applied, the checks on the Closing and adjustment pages and the chart on the item page."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import openpyxl
from django.urls import reverse
from django.utils import timezone

from closing.models import ClosingRun
from inventory.models import OnHand
from reports.models import BookCheck
from reports.services import book_check_perform, book_check_request, run_checks_record

D = Decimal


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_it_shows_the_inventory_value_with_links_to_the_transactions_behind_it(closed, audrey_client):
    page = audrey_client.get(reverse("reports:inventory_value"), {"as_of": "2026-01-31"}).content.decode()

    assert '<td class="num" data-testid="total-value">50.00</td>' in page
    assert "/reports/inventory-value/transactions/?item=WIDGET&amp;site=" in page
    assert "Inventory value as of 2026-01-31" in page


def test_it_exports_the_inventory_value_with_the_filters_applied(closed, carl_client):
    url = reverse("reports:inventory_value")

    rows = csv_rows(carl_client.get(url, {"as_of": "2026-01-04", "_export": "csv"}))
    empty = csv_rows(carl_client.get(url, {"as_of": "2026-01-04", "item": "NOTHING", "_export": "csv"}))

    assert rows[0] == ["Item group", "Item", "Name", "Site", "Warehouse", "Financial qty", "Financial value",
                       "Physical qty (not invoiced)", "Physical value", "Quantity", "Value"]
    assert rows[1:] == [["DEFAULT", "WIDGET", "WIDGET for the reports", "MAIN", "MAIN", "1", "15.00", "0", "0.00", "1", "15.00"]]
    assert empty[1:] == []


def test_it_exports_the_inventory_value_to_excel(closed, ada_client):
    response = ada_client.get(reverse("reports:inventory_value"), {"_export": "xlsx"})

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    value = sheet[2][-1]
    # A number cell (common.spreadsheets), shown with its two decimals.
    assert (value.data_type, value.value, value.number_format) == ("n", 50, "0.00")


def test_it_lists_the_transactions_behind_a_figure(closed, company, ada_client):
    response = ada_client.get(reverse("reports:inventory_value_transactions"), {
        "item": "WIDGET", "site": company.site.pk, "warehouse": company.warehouse.pk, "as_of": "2026-01-31",
        "update": "financial"})

    assert '<strong data-testid="drill-value">20.00</strong>' in response.content.decode()
    exported = csv_rows(ada_client.get(reverse("reports:inventory_value_transactions"), {
        "item": "WIDGET", "as_of": "2026-01-31", "update": "physical", "_export": "csv"}))
    assert [(row[0], row[-1]) for row in exported[1:]] == [("P1", "30.00")]


def test_it_shows_the_reconciliation_and_links_a_difference_to_its_causes(closed, company, audrey_client):
    from tests.reports.conftest import edit_line_by_hand, txn
    edit_line_by_hand(dict(inventory_transaction=txn("R2"), account=company.accounts["1400"]), debit=D("41.50"))

    page = audrey_client.get(reverse("reports:reconciliation")).content.decode()
    details = audrey_client.get(reverse("reports:reconciliation_details"), {"account": company.accounts["1400"].pk}).content.decode()
    exported = csv_rows(audrey_client.get(reverse("reports:reconciliation"), {"_export": "csv"}))

    assert "The subledger and the ledger differ on 1 account(s)." in page
    assert f'?account={company.accounts["1400"].pk}">-1.50</a>' in page
    assert '<section class="card" id="amounts-disagree"><h2>Transactions whose voucher lines disagree (1)</h2>' in details
    assert exported[1:] == [["1400 Inventory", "DEFAULT", "20.00", "21.50", "-1.50"]]


def test_it_exports_the_trial_balance_and_the_account_statement(closed, company, ada_client):
    trial = csv_rows(ada_client.get(reverse("ledger:trial_balance"), {
        "date_from": "2026-01-01", "date_to": "2026-01-31", "_export": "csv"}))
    statement = csv_rows(ada_client.get(reverse("ledger:account_statement", args=[company.accounts["1400"].pk]),
                                        {"_export": "csv"}))

    assert ["1400", "Inventory", "0.00", "65.00", "45.00", "20.00"] in trial
    assert [row[-1] for row in statement[1:]] == ["20.00", "60.00", "15.00", "20.00"]


def test_it_prints_the_close_summary_and_exports_its_items(closed, ada_client):
    run = ClosingRun.objects.get(run_type="closing")

    page = ada_client.get(reverse("reports:close_summary", args=[run.pk])).content.decode()
    exported = csv_rows(ada_client.get(reverse("reports:close_summary", args=[run.pk]), {"_export": "csv"}))

    assert '<td class="num" data-testid="cogs-total">-5.00</td>' in page
    assert "Prepared by" in page
    assert exported == [["Item", "Item group", "Adjusted issues", "COGS change"], ["WIDGET", "DEFAULT", "1", "-5.00"]]


def test_it_shows_the_checks_on_the_run_page_and_in_the_run_list(closed, ada_client):
    run = ClosingRun.objects.get(run_type="closing")
    run_checks_record(run_id=run.pk)

    detail = ada_client.get(run.get_absolute_url()).content.decode()
    listing = ada_client.get(reverse("closing:run_list")).content.decode()

    assert 'data-checks="ok">✓ Books agree</span>' in detail
    assert reverse("reports:close_summary", args=[run.pk]) in detail
    assert 'title="Books agree" data-checks="ok">✓</span>' in listing


def test_it_shows_the_differences_on_the_run_page(closed, ada_client):
    OnHand.objects.filter(item__number="WIDGET").update(financial_value=D("19.99"))
    run = ClosingRun.objects.get(run_type="closing")
    run_checks_record(run_id=run.pk)

    detail = ada_client.get(run.get_absolute_url()).content.decode()

    assert 'data-checks="failed">✗ Differences found</span>' in detail
    assert "on_hand WIDGET MAIN/MAIN, figure financial_value, cached 19.99, transactions 20.00, difference -0.01" in detail


def test_it_queues_the_book_checks_in_one_click_and_shows_the_result_once_a_worker_ran_them(
        closed, carl_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        response = carl_client.post(reverse("reports:book_checks"), {"as_of": "2026-01-31"})

    check = BookCheck.objects.get()
    assert (response.status_code, response["Location"]) == (302, check.get_absolute_url())
    assert len(queued) == 1  # enqueued for a worker once committed
    waiting = carl_client.get(check.get_absolute_url()).content.decode()
    assert f'data-check-status="queued" data-status-url="{reverse("reports:book_check_status", args=[check.pk])}"' in waiting
    assert '<span data-field="label">Waiting for a worker…</span> <span data-field="done">0</span> of 6 checks done.' in waiting
    assert carl_client.get(reverse("reports:book_check_status", args=[check.pk])).json() == {
        "status": "queued", "status_label": "Queued", "live": True, "checks_done": 0, "checks_total": 6, "progress": 0,
        "ok": None}

    book_check_perform(check_id=check.pk)  # what the worker does (tests/faults/test_runs_on_workers.py runs a real one)

    page = carl_client.get(check.get_absolute_url()).content.decode()
    assert '<p class="checks-ok" data-checks="ok">✓ The books agree as of 2026-01-31.</p>' in page
    assert "data-status-url" not in page
    assert carl_client.get(reverse("reports:book_check_status", args=[check.pk])).json()["checks_done"] == 6
    assert carl_client.get(reverse("reports:book_checks")).content.decode().count("✓ The books agree as of 2026-01-31.") == 1


def test_it_shows_the_differences_a_book_check_found(closed, carl_client):
    OnHand.objects.filter(item__number="WIDGET").update(financial_value=D("19.99"))
    check = book_check_request(as_of=None, user=None, queue=False)
    book_check_perform(check_id=check.pk)

    page = carl_client.get(reverse("reports:book_checks")).content.decode()

    assert '<p class="checks-failed" data-checks="failed">✗ The books do not agree.</p>' in page
    assert "on_hand WIDGET MAIN/MAIN, figure financial_value, cached 19.99, transactions 20.00, difference -0.01" in page


def test_it_stops_following_a_check_its_worker_lost(closed, carl_client):
    check = book_check_request(as_of=None, user=None, queue=False)
    BookCheck.objects.filter(pk=check.pk).update(created_at=timezone.now() - BookCheck.LOST_AFTER - timedelta(minutes=1))

    page = carl_client.get(check.get_absolute_url()).content.decode()
    status = carl_client.get(reverse("reports:book_check_status", args=[check.pk]))

    assert "data-status-url" not in page
    assert "No worker has ended this check after 11\xa0minutes: is a worker running on the default queue?" in page
    assert (status.json()["status"], status.json()["live"]) == ("queued", False)
    assert carl_client.get(reverse("reports:book_check_status", args=[check.pk + 1])).status_code == 404


def test_it_refuses_a_date_that_is_not_one_and_queues_nothing(closed, carl_client):
    response = carl_client.post(reverse("reports:book_checks"), {"as_of": "31/01/2026"})

    assert response.status_code == 400
    assert "<li>As of: Enter a valid date.</li>" in response.content.decode()
    assert not BookCheck.objects.exists()


def test_it_charts_the_cost_history_on_the_item_page(closed, audrey_client):
    page = audrey_client.get(reverse("inventory:item_detail", args=["WIDGET"])).content.decode()

    assert '<section class="card" id="cost-history">' in page
    assert 'data-date="2026-01-04" data-value="15.00"' in page  # S1 at posting
    assert 'data-date="2026-01-31" data-value="13.33"' in page  # S1 settled: 40.00 / 3


def test_it_links_every_report_from_the_reports_page(audrey_client):
    page = audrey_client.get(reverse("ledger:report_list")).content.decode()

    for name in ("reports:inventory_value", "reports:reconciliation", "reports:book_checks", "ledger:trial_balance"):
        assert f'href="{reverse(name)}"' in page
