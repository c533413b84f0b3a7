"""Import jobs on real `manage.py rqworker` processes against real Redis and PostgreSQL (issue #15,
point 2): the Import CSV page stores the file and queues the job on the `default` queue; a worker
posts it, or refuses it naming every bad line. Needs DATABASE_URL (PostgreSQL) and REDIS_URL."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from factories import ItemFactory

from inventory.models import ImportJob, InventoryTransaction, Item
from ledger.models import Voucher
from tests.closing.workers import WorkerPool, queues_reserved, skip_reason

SKIP = skip_reason()
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.skipif(SKIP is not None, reason=SKIP or ""),
    pytest.mark.django_db(transaction=True),
]
HEADER = "ref,date,item,qty,unit_cost,update,site,warehouse,marking"
GOOD_ROWS = "G1,2026-03-02,WIDGET,4,10.00,financial,,,\nG2,2026-03-03,WIDGET,-1,,financial,,,\n"


@pytest.fixture
def files_dir(settings, tmp_path, monkeypatch):
    """One folder for the web side (this process) and the workers (they inherit the environment)."""
    folder = tmp_path / "files"
    settings.FILES_DIR = folder
    monkeypatch.setenv("FILES_DIR", str(folder))
    return folder


@pytest.fixture
def pool(tmp_path, files_dir):
    with queues_reserved(), WorkerPool(log_dir=tmp_path) as workers:
        yield workers


def upload(client, content: bytes, kind: str = "transactions"):
    return client.post("/inventory/import/", {"kind": kind, "file": SimpleUploadedFile("upload.csv", content)})


def ended(pool: WorkerPool, job: ImportJob) -> ImportJob:
    """Drain the queue with a burst worker, then the job as it ended."""
    pool.start(burst=True).wait(timeout=120)
    job.refresh_from_db()
    assert job.status in ("succeeded", "failed"), pool.logs()
    return job


def test_it_posts_a_good_file_on_a_worker_and_the_page_follows_it(pool, company, carl_client, carl_clerk):
    ItemFactory(number="WIDGET", model_group="FIFO")

    page = upload(carl_client, f"{HEADER}\n{GOOD_ROWS}".encode())
    job = ImportJob.objects.get()
    assert (page.status_code, page["Location"]) == (302, job.get_absolute_url())
    waiting = carl_client.get(job.get_absolute_url()).content.decode()
    assert f'data-job-status="queued" data-status-url="/inventory/import/{job.pk}/status.json"' in waiting

    job = ended(pool, job)

    assert (job.status, job.rows_read, job.rows_posted, job.error_count) == ("succeeded", 2, 2, 0)
    assert carl_client.get(f"/inventory/import/{job.pk}/status.json").json() == {
        "status": "succeeded", "status_label": "Succeeded", "live": False, "rows_read": 2, "rows_posted": 2,
        "progress": 100, "error_count": 0}
    assert list(InventoryTransaction.objects.order_by("id").values_list("ref", "created_by")) == [
        ("G1", carl_clerk.pk), ("G2", carl_clerk.pk)]
    assert "Imported: 2 rows posted." in carl_client.get(job.get_absolute_url()).content.decode()


def test_it_posts_nothing_from_a_bad_file_and_lists_every_error(pool, company, carl_client):
    ItemFactory(number="WIDGET", model_group="FIFO")
    content = f"{HEADER}\n{GOOD_ROWS}B3,2026-03-05,NOPE,1,1.00,financial,,,\nB4,2026-03-05,WIDGET,1,,financial,,,\n"

    upload(carl_client, content.encode())
    job = ended(pool, ImportJob.objects.get())

    assert (job.status, job.rows_read, job.rows_posted, job.error_count) == ("failed", 4, 0, 2)
    assert job.errors == [{"line": 4, "message": "unknown item 'NOPE'"},
                          {"line": 5, "message": "missing unit_cost: a receipt needs one"}]
    assert (InventoryTransaction.objects.count(), Voucher.objects.count()) == (0, 0)
    page = carl_client.get(job.get_absolute_url()).content.decode()
    assert "Nothing was posted: 2 problems" in page
    csv_text = b"".join(carl_client.get(f"/inventory/import/{job.pk}/errors.csv").streaming_content).decode()
    assert csv_text.splitlines() == ["line,message", "4,unknown item 'NOPE'", "5,missing unit_cost: a receipt needs one"]


def test_it_refuses_an_oversized_upload_before_reading_it(pool, settings, company, carl_client, files_dir):
    settings.IMPORT_MAX_BYTES = 100

    page = upload(carl_client, f"{HEADER}\n{GOOD_ROWS * 10}".encode(), kind="transactions")

    assert page.status_code == 413
    assert "uploads are limited to 100 bytes (IMPORT_MAX_BYTES)" in page.content.decode()
    assert ImportJob.objects.count() == 0
    assert not files_dir.exists() or not any(files_dir.rglob("*.csv"))


def test_it_refuses_a_latin1_file_naming_the_line_and_byte_offset(pool, company, carl_client):
    ItemFactory(number="WIDGET", model_group="FIFO")
    content = f"{HEADER}\n{GOOD_ROWS}Käse,2026-03-05,WIDGET,1,1.00,financial,,,\n".encode("latin-1")

    upload(carl_client, content)
    job = ended(pool, ImportJob.objects.get())

    offset = content.index(b"\xe4")
    assert (job.status, job.rows_posted) == ("failed", 0)
    assert job.errors == [{"line": 4, "message": f"the file is not UTF-8: byte 0xe4 at byte offset {offset} (line 4) "
                                                 "is not valid UTF-8; save the file as UTF-8 and upload it again"}]
    assert InventoryTransaction.objects.count() == 0
    assert not Item.objects.filter(name__contains="\ufffd").exists()  # nothing decoded with replacement characters


def test_it_refuses_a_row_with_more_values_than_the_header(pool, company, carl_client):
    ItemFactory(number="WIDGET", model_group="FIFO")
    content = f"{HEADER}\n{GOOD_ROWS}G3,2026-03-05,WIDGET,1,1.00,financial,,,,surprise\n".encode()

    upload(carl_client, content)
    job = ended(pool, ImportJob.objects.get())

    assert (job.status, job.rows_posted, job.error_count) == ("failed", 0, 1)
    assert job.errors == [{"line": 4, "message": "the row has 10 values but the header has 9 columns"}]
    assert InventoryTransaction.objects.count() == 0
