"""POST /api/v1/exports/, GET /api/v1/exports/{id}/ and its download (issue #15, point 3): the same
export jobs as the pages, through the same service and permissions. The worker is run in-process
here (tests/reports/test_export_worker.py runs a real one)."""

import csv
import io

import openpyxl
import pytest
from rest_framework.test import APIClient

from reports.exports import export_job_run
from reports.models import ExportJob
from tests.factories import ItemFactory
from tests.reports.conftest import close, post_book

URL = "/api/v1/exports/"
LINK = '=HYPERLINK("http://evil.example","x")'


@pytest.fixture(autouse=True)
def files_dir(settings, tmp_path):
    settings.FILES_DIR = tmp_path / "files"
    return settings.FILES_DIR


def api_client(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_it_queues_an_export_follows_it_and_downloads_it(company, ada_accountant, django_capture_on_commit_callbacks):
    post_book(company, number="=WIDGET")
    client = api_client(ada_accountant)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(URL, {"kind": "transactions", "format": "csv", "item": "=WIDGET"}, format="json")

    job = ExportJob.objects.get()
    assert response.status_code == 202
    assert response.json() == {"id": job.pk, "url": f"http://testserver/api/v1/exports/{job.pk}/"}
    assert len(queued) == 1
    waiting = client.get(f"{URL}{job.pk}/").json()
    assert {key: waiting[key] for key in ("status", "rows_written", "progress", "download_url", "params")} == {
        "status": "queued", "rows_written": 0, "progress": 0, "download_url": None, "params": {"item": "=WIDGET"}}

    export_job_run(job_id=job.pk)

    done = client.get(f"{URL}{job.pk}/").json()
    assert {key: done[key] for key in ("kind", "format", "status", "rows_written", "rows_total", "progress", "file_name")} == {
        "kind": "transactions", "format": "csv", "status": "succeeded", "rows_written": 4, "rows_total": 4,
        "progress": 100, "file_name": "transactions.csv"}
    assert done["download_url"] == f"http://testserver/api/v1/exports/{job.pk}/download/"
    download = client.get(done["download_url"])
    assert download.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert [row[1] for row in rows[1:]] == ["'=WIDGET"] * 4 and [row[6] for row in rows[1:]] == ["2", "2", "-3", "1"]


def test_it_exports_a_page_table_to_excel_with_inert_text(company, carl_clerk):
    ItemFactory(number="LINKED", name=LINK)
    client = api_client(carl_clerk)
    job_id = client.post(URL, {"kind": "items", "format": "xlsx", "q": "LINK"}, format="json").json()["id"]
    export_job_run(job_id=job_id)

    download = client.get(f"{URL}{job_id}/download/")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert (sheet["B2"].data_type, sheet["B2"].value) == ("s", LINK)


def test_it_shows_an_export_to_the_user_who_asked_only(company, carl_clerk, ada_accountant):
    job_id = api_client(carl_clerk).post(URL, {"kind": "items"}, format="json").json()["id"]
    export_job_run(job_id=job_id)
    other = api_client(ada_accountant)
    assert other.get(f"{URL}{job_id}/").status_code == 404
    assert other.get(f"{URL}{job_id}/download/").status_code == 404
    assert api_client(carl_clerk).get(f"{URL}{job_id + 1}/").status_code == 404


def test_it_answers_401_403_and_400_never_500(company, nora_norole, audrey_auditor):
    anonymous = api_client(None)
    assert anonymous.post(URL, {"kind": "items"}, format="json").status_code == 401
    assert anonymous.get(f"{URL}1/").status_code == 401
    assert anonymous.get(f"{URL}1/download/").status_code == 401

    # Signed in without a role: no page opens, so no export of any kind.
    for kind in ("items", "transactions", "trial_balance", "vouchers"):
        assert api_client(nora_norole).post(URL, {"kind": kind}, format="json").status_code == 403

    auditor = api_client(audrey_auditor)
    unknown = auditor.post(URL, {"kind": "items", "colour": "red"}, format="json")
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["field"] == "colour"
    bad_date = auditor.post(URL, {"kind": "trial_balance", "date_to": "31.01.2026"}, format="json")
    assert bad_date.status_code == 400 and bad_date.json()["errors"][0]["field"] == "date_to"
    bad_kind = auditor.post(URL, {"kind": "secrets"}, format="json")
    assert bad_kind.status_code == 400 and bad_kind.json()["errors"][0]["field"] == "kind"
    bad_format = auditor.post(URL, {"kind": "transactions", "format": "xlsx"}, format="json")
    assert bad_format.status_code == 400 and bad_format.json()["errors"][0]["field"] == "format"
    nested = auditor.post(URL, {"kind": "items", "q": {"$ne": 1}}, format="json")
    assert nested.status_code == 400
    assert auditor.post(URL, ["items"], format="json").status_code == 400
    assert not ExportJob.objects.exists()


def test_it_exports_the_trial_balance_and_the_inventory_value(company, audrey_auditor):
    post_book(company)
    close()
    client = api_client(audrey_auditor)
    for body in ({"kind": "trial_balance", "date_from": "2026-01-01", "date_to": "2026-01-31"},
                 {"kind": "inventory_value", "format": "xlsx", "as_of": "2026-01-31"},
                 {"kind": "vouchers", "date_to": "2026-01-31"}):
        response = client.post(URL, body, format="json")
        assert response.status_code == 202, response.json()
        job = export_job_run(job_id=response.json()["id"])
        assert job.status == "succeeded" and job.rows_written > 0
    assert ExportJob.objects.get(kind="trial_balance").file_name == "trial-balance-2026-01-01-2026-01-31.csv"
