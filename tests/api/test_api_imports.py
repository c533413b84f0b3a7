"""POST /api/v1/imports/ and GET /api/v1/imports/{id}/ (issue #15, point 2): the same import jobs as
the Import CSV page, through the same service and permissions. The worker is run in-process here
(tests/inventory/test_import_worker.py runs real ones)."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from factories import ItemFactory
from rest_framework.test import APIClient

from inventory.models import ImportJob, InventoryTransaction, Journal
from inventory.services.import_jobs import import_job_run

D = Decimal
HEADER = "ref,date,item,qty,unit_cost,update,site,warehouse,marking"
URL = "/api/v1/imports/"


@pytest.fixture(autouse=True)
def files_dir(settings, tmp_path):
    settings.FILES_DIR = tmp_path / "files"
    return settings.FILES_DIR


def api_client(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def csv_file(text: str, name: str = "upload.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_it_queues_an_import_and_answers_202_with_the_job_url(company, carl_clerk, django_capture_on_commit_callbacks):
    ItemFactory(number="WIDGET", model_group="FIFO")
    client = api_client(carl_clerk)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(URL, {"kind": "transactions", "file": csv_file(
            f"{HEADER}\nG1,2026-03-02,WIDGET,4,10.00,financial,,,\nG2,2026-03-03,WIDGET,-1,,financial,,,\n")},
            format="multipart")

    job = ImportJob.objects.get()
    assert response.status_code == 202
    assert response.json() == {"id": job.pk, "url": f"http://testserver/api/v1/imports/{job.pk}/"}
    assert len(queued) == 1  # enqueued on the default queue once committed
    waiting = client.get(f"{URL}{job.pk}/").json()
    assert (waiting["status"], waiting["rows_read"], waiting["progress"], waiting["errors"]) == ("queued", 0, 0, [])

    import_job_run(job_id=job.pk)

    done = client.get(f"{URL}{job.pk}/").json()
    assert {key: done[key] for key in ("id", "kind", "status", "rows_read", "rows_posted", "progress", "errors",
                                       "error_count", "error_csv_url")} == {
        "id": job.pk, "kind": "transactions", "status": "succeeded", "rows_read": 2, "rows_posted": 2, "progress": 100,
        "errors": [], "error_count": 0, "error_csv_url": None}
    assert done["created_at"] and done["started_at"] and done["finished_at"]
    assert InventoryTransaction.objects.count() == 2


def test_it_reports_the_errors_of_a_bad_file_with_its_line_numbers(company, carl_clerk):
    ItemFactory(number="WIDGET", model_group="FIFO")
    client = api_client(carl_clerk)
    job_id = client.post(URL, {"kind": "transactions", "file": csv_file(
        f"{HEADER}\nG1,2026-03-02,WIDGET,4,10.00,financial,,,\nB2,2026-03-05,NOPE,1,1.00,financial,,,\n"
        f"{'R' * 300},2026-03-05,WIDGET,1E+25,1.00,financial,,,\n")}, format="multipart").json()["id"]

    import_job_run(job_id=job_id)

    body = client.get(f"{URL}{job_id}/").json()
    assert (body["status"], body["rows_posted"], body["error_count"]) == ("failed", 0, 2)
    assert body["errors"] == [{"line": 3, "message": "unknown item 'NOPE'"},
                              {"line": 4, "message": "ref is 300 characters long: at most 60 are allowed"}]
    assert body["error_csv_url"] == f"http://testserver/inventory/import/{job_id}/errors.csv"
    assert InventoryTransaction.objects.count() == 0


def test_it_names_the_field_of_a_bad_request(company, carl_clerk):
    client = api_client(carl_clerk)

    no_file = client.post(URL, {"kind": "transactions"}, format="multipart")
    bad_kind = client.post(URL, {"kind": "orders", "file": csv_file("a\n")}, format="multipart")
    opening = client.post(URL, {"kind": "opening", "file": csv_file("item,qty,unit_cost\n"), "offset_account": "9999"},
                          format="multipart")

    assert (no_file.status_code, list(no_file.json())) == (400, ["file"])
    assert (bad_kind.status_code, list(bad_kind.json())) == (400, ["kind"])
    assert opening.status_code == 400
    assert opening.json() == {"date": ["Opening entries need the date they are posted on."],
                              "offset_account": ["There is no active account 9999."]}
    assert ImportJob.objects.count() == 0


def test_it_refuses_an_oversized_file_with_413(settings, company, carl_clerk, files_dir):
    settings.IMPORT_MAX_BYTES = 100

    response = api_client(carl_clerk).post(URL, {"kind": "transactions", "file": csv_file("x" * 101)}, format="multipart")

    assert response.status_code == 413
    assert response.json()["file"] == [("The file is 101 bytes: uploads are limited to 100 bytes (IMPORT_MAX_BYTES). "
                                        "Split it into smaller files.")]
    assert ImportJob.objects.count() == 0 and not files_dir.exists()


def test_it_imports_opening_entries_and_posts_them_at_once(company, ada_accountant):
    ItemFactory(number="BOLT")
    data = {"kind": "opening", "date": "2026-01-01", "offset_account": "3900", "post": "true",
            "description": "Go-live"}

    response = api_client(ada_accountant).post(URL, {**data, "file": csv_file("item,qty,unit_cost\nBOLT,100,0.35\n")},
                                               format="multipart")
    job = import_job_run(job_id=response.json()["id"])

    journal = Journal.objects.get(journal_type=Journal.JournalType.OPENING)
    assert (job.status, job.result) == ("succeeded", {"journal": journal.number})
    assert (journal.description, journal.status) == ("Go-live", Journal.Status.POSTED)
    assert journal.voucher.lines.get(account__number="1400").debit == D("35.00")


def test_it_shows_users_their_own_imports_only(company, carl_clerk, ada_accountant, sam_staff):
    # A clerk imports transactions (items need the item permissions, which accountants hold).
    job_id = api_client(carl_clerk).post(URL, {"kind": "transactions", "file": csv_file("ref,date,item,qty\n")},
                                         format="multipart").json()["id"]

    assert api_client(carl_clerk).get(f"{URL}{job_id}/").status_code == 200
    assert api_client(ada_accountant).get(f"{URL}{job_id}/").status_code == 404
    assert api_client(sam_staff).get(f"{URL}{job_id}/").status_code == 200  # superuser


def test_it_refuses_anonymous_requests_and_roles_that_may_not_import(company, audrey_auditor, nora_norole):
    anonymous = api_client(None).post(URL, {"kind": "items", "file": csv_file("item\n")}, format="multipart")

    assert anonymous.status_code == 401
    assert anonymous["Content-Type"] == "application/json"
    assert api_client(None).get(f"{URL}1/").status_code == 401
    for user in (audrey_auditor, nora_norole):
        assert api_client(user).post(URL, {"kind": "items", "file": csv_file("item\n")},
                                     format="multipart").status_code == 403
    assert ImportJob.objects.count() == 0
