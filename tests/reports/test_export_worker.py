"""Export jobs on a real `manage.py rqworker` against real Redis and PostgreSQL (issue #15, point 3):
a page's export longer than EXPORT_JOB_ROWS is queued on the `default` queue, a worker writes its
file, its owner downloads it and nobody else can. Needs DATABASE_URL (PostgreSQL) and REDIS_URL."""

import csv
import io

import pytest

from reports.models import ExportJob
from tests.closing.workers import WorkerPool, queues_reserved, skip_reason
from tests.reports.conftest import post_book

SKIP = skip_reason()
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.skipif(SKIP is not None, reason=SKIP or ""),
    pytest.mark.django_db(transaction=True),
]


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


def test_it_writes_an_export_on_a_worker_for_its_owner_only(pool, company, settings, carl_client, ada_client):
    settings.EXPORT_JOB_ROWS = 2
    post_book(company, number="=WIDGET")

    response = carl_client.get("/inventory/transactions/", {"item": "=WIDGET", "_export": "csv"}, follow=True)
    job = ExportJob.objects.get()
    assert response.redirect_chain[-1] == (job.get_absolute_url(), 302)
    assert 'data-job-status="queued"' in response.content.decode()

    pool.start(burst=True).wait(timeout=120)
    job.refresh_from_db()
    assert (job.status, job.rows_written, job.rows_total) == ("succeeded", 4, 4), pool.logs() + job.error

    download = carl_client.get(f"/reports/exports/{job.pk}/download/")
    assert download.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))
    header, lines = rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert len(lines) == 4 and all(line["Item"].startswith("'=WIDGET") for line in lines), header
    assert [line["Quantity"] for line in lines].count("-3") == 1  # the sale's quantity stays a number
    assert ada_client.get(f"/reports/exports/{job.pk}/download/").status_code == 404
    assert ada_client.get(job.get_absolute_url()).status_code == 404
