"""Imports as jobs (issue #15, point 2), service level: the streaming reader, chunked posting in one
database transaction, the job's claim, result, errors and error CSV, and progress seen from another
connection while the import's transaction is open (PostgreSQL). Real workers:
tests/inventory/test_import_worker.py."""

import io
from decimal import Decimal
from textwrap import dedent

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from factories import ItemFactory

from inventory import queue as job_queue
from inventory.models import ImportJob, InventoryTransaction, Item
from inventory.services import import_jobs, imports
from inventory.services.csv_files import CsvRows
from inventory.services.import_jobs import (
    ImportTooLarge,
    import_job_create,
    import_job_error_rows,
    import_job_run,
)
from inventory.services.imports import (
    ImportResult,
    transactions_import,
    transactions_post,
)
from ledger.models import Voucher
from tests.closing.workers import database_url

D = Decimal
HEADER = "ref,date,item,qty,unit_cost,update,site,warehouse,marking"
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)")


def body(text: str) -> bytes:
    return dedent(text).lstrip().encode("utf-8")


@pytest.fixture(autouse=True)
def files_dir(settings, tmp_path):
    settings.FILES_DIR = tmp_path / "files"
    return settings.FILES_DIR


@pytest.fixture
def widget(company):
    return ItemFactory(number="WIDGET", model_group="FIFO")


def queued(kind: str = "transactions", content: bytes = b"", user=None, **options) -> ImportJob:
    return import_job_create(kind=kind, uploaded_file=SimpleUploadedFile("file.csv", content), user=user,
                             queue=False, **options)


# -- the reader -------------------------------------------------------------------------------------


def rows_of(content: bytes, required=("a",), known=("a", "b")) -> tuple[list, list, bool]:
    reader = CsvRows(io.BytesIO(content), required=list(required), known=list(known))
    rows = list(reader)
    return rows, reader.errors, reader.failed


def test_it_reads_utf8_with_or_without_a_byte_order_mark_and_skips_blank_lines():
    plain = "a,b\nÄpfel,1\n\n,\n\"two\nlines\",2\n".encode()

    assert rows_of(plain) == ([(2, {"a": "Äpfel", "b": "1"}), (6, {"a": "two\nlines", "b": "2"})], [], False)
    assert rows_of(b"\xef\xbb\xbf" + plain) == rows_of(plain)


def test_it_refuses_a_file_that_is_not_utf8_naming_the_line_and_byte_offset():
    latin1 = "a,b\nok,1\nKäse,2\n".encode("latin-1")

    rows, errors, failed = rows_of(latin1)

    assert failed
    assert errors == [(3, ("the file is not UTF-8: byte 0xe4 at byte offset 10 (line 3) is not valid UTF-8; "
                           "save the file as UTF-8 and upload it again"))]
    assert rows == [(2, {"a": "ok", "b": "1"})]  # read before the bad byte; the caller posts nothing


def test_it_refuses_rows_with_more_values_than_the_header_and_values_over_the_field_size_limit():
    content = b"a,b\n1,2,3\nok,1\n" + b"x" * 200_000 + b",1\nfine,2\n"

    rows, errors, failed = rows_of(content)

    assert not failed
    assert errors == [(2, "the row has 3 values but the header has 2 columns"),
                      (4, "a value is longer than 131,072 characters (the CSV field size limit)")]
    assert rows == [(3, {"a": "ok", "b": "1"}), (5, {"a": "fine", "b": "2"})]


def test_it_names_a_bad_header_on_line_1():
    rows, errors, failed = rows_of(b"a,c\n1,2\n", required=("a", "b"), known=("a", "b"))

    assert failed and rows == []
    assert errors == [(1, "header is missing column(s): b (expected a,b)"), (1, "header has unknown column(s): c")]


@pytest.mark.parametrize(("row", "message"), [
    (f"{'R' * 300},2026-03-02,WIDGET,1,1.00,financial,,,", "ref is 300 characters long: at most 60 are allowed"),
    ("R1,2026-03-02,WIDGET,1E+25,1.00,financial,,,",
     "number '1E+25' in qty is too large (at most 14 digits before the decimal point)"),
    ("R1,2026-03-02,WIDGET,1,1E+25,financial,,,",
     "number '1E+25' in unit_cost is too large (at most 14 digits before the decimal point)"),
    ("R1,2026-03-02,WIDGET,1,0.0000001,financial,,,", "number '0.0000001' in unit_cost has more than 6 decimal places"),
    ("R1,2026-03-02,WIDGET,99999999999999,99999999999999,financial,,,",
     "qty × unit_cost is too large (at most 100,000,000,000,000,000 less one cent)"),
])
def test_it_names_the_line_of_values_the_database_could_not_hold(widget, row, message):
    result = transactions_import(text=f"{HEADER}\nG1,2026-03-01,WIDGET,1,1.00,financial,,,\n{row}\n")

    assert result.errors == [(3, message)]
    assert InventoryTransaction.objects.count() == 0


# -- posting in chunks ------------------------------------------------------------------------------


CROSS_CHUNK_FILE = f"""
    {HEADER}
    R1,2026-03-01,WIDGET,2,10.00,physical,,,
    R2,2026-03-02,WIDGET,3,12.00,financial,,,
    R1,2026-03-03,WIDGET,2,11.00,financial,,,
    S1,2026-03-04,WIDGET,-1,,financial,,,R2
"""


def test_it_posts_in_chunks_what_it_posts_at_once(widget):
    reader = CsvRows(io.BytesIO(body(CROSS_CHUNK_FILE)), required=imports.REQUIRED_TRANSACTION_COLUMNS,
                     known=imports.TRANSACTION_COLUMNS)
    progress: list[tuple[int, int]] = []

    # Chunks of one row: the invoice of R1 and the marking to R2 find rows of earlier chunks.
    result = transactions_post(rows=reader, chunk_rows=1, progress=lambda done: progress.append((done.rows_read, done.posted)))

    assert (result.ok, result.posted, result.rows_read) == (True, 4, 4)
    assert progress == [(1, 1), (2, 2), (3, 3), (4, 4)]
    assert list(InventoryTransaction.objects.order_by("id").values_list("ref", "status", "cost_amount_posted")) == [
        ("R1", "purchased", D("22.00")), ("R2", "purchased", D("36.00")), ("S1", "sold", D("-11.60"))]
    assert InventoryTransaction.objects.get(ref="S1").marked_to.ref == "R2"
    assert Voucher.objects.count() == 3


def test_it_refuses_every_bad_row_across_chunks_and_posts_nothing(widget):
    text = dedent(f"""
        {HEADER}
        R1,2026-03-01,WIDGET,2,10.00,financial,,,
        R1,2026-03-02,WIDGET,1,10.00,physical,,,
        R2,2026-03-02,NOPE,1,10.00,financial,,,
        R1,2026-03-03,WIDGET,2,11.00,financial,,,
        S1,2026-03-04,WIDGET,-1,,financial,,,R9
    """).lstrip()
    reader = CsvRows(io.BytesIO(text.encode()), required=imports.REQUIRED_TRANSACTION_COLUMNS,
                     known=imports.TRANSACTION_COLUMNS)

    result = transactions_post(rows=reader, row_errors=reader.errors, chunk_rows=2)

    assert result.errors == [(3, "duplicate ref 'R1': earlier in the file"), (4, "unknown item 'NOPE'"),
                             (5, "duplicate ref 'R1': it is already financially updated"),
                             (6, "marking to unknown ref 'R9'")]
    assert (result.posted, InventoryTransaction.objects.count(), Voucher.objects.count()) == (0, 0, 0)


def test_it_keeps_the_first_errors_and_counts_them_all(widget):
    lines = "".join(f"B{n},2026-03-01,NOPE,1,1.00,financial,,,\n" for n in range(30))
    seen: list[int] = []
    result = ImportResult(error_limit=10, error_sink=lambda line, message: seen.append(line))

    transactions_post(rows=CsvRows(io.BytesIO(f"{HEADER}\n{lines}".encode()), required=imports.REQUIRED_TRANSACTION_COLUMNS,
                                   known=imports.TRANSACTION_COLUMNS), result=result, chunk_rows=7)

    assert (len(result.errors), result.error_count, seen) == (10, 30, list(range(2, 32)))


def test_it_posts_items_in_chunks_all_or_nothing(company):
    rows = [(2, {"item": "A", "name": "Ax", "item_group": "DEFAULT", "model_group": "FIFO"}),
            (3, {"item": "B", "name": "Bee", "item_group": "DEFAULT", "model_group": "FIFO"}),
            (4, {"item": "C", "name": "C" * 201, "item_group": "DEFAULT", "model_group": "FIFO"}),
            (5, {"item": "A", "name": "Ax again", "item_group": "DEFAULT", "model_group": "FIFO"})]

    refused = imports.items_post(rows=rows, chunk_rows=2)
    posted = imports.items_post(rows=rows[:2], chunk_rows=1)

    assert refused.errors == [(4, "name is 201 characters long: at most 200 are allowed"),
                              (5, "duplicate item 'A' in the file")]
    assert (refused.posted, posted.posted, posted.rows_read) == (0, 2, 2)
    assert sorted(Item.objects.values_list("number", flat=True)) == ["A", "B"]


# -- the job --------------------------------------------------------------------------------------


def test_it_stores_the_file_queues_the_job_on_commit_and_runs_it_once(carl_clerk, widget, files_dir,
                                                                        django_capture_on_commit_callbacks, monkeypatch):
    content = body(f"""
        {HEADER}
        G1,2026-03-02,WIDGET,4,10.00,financial,,,
        G2,2026-03-03,WIDGET,-1,,financial,,,
    """)
    enqueued: list[int] = []
    monkeypatch.setattr(job_queue, "enqueue_import_job", enqueued.append)
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(kind="transactions", uploaded_file=SimpleUploadedFile("in.csv", content), user=carl_clerk)

    assert enqueued == [job.pk]
    assert (files_dir / job.file_path).read_bytes() == content
    assert (job.status, job.size, job.file_name) == ("queued", len(content), "in.csv")

    ran = import_job_run(job_id=job.pk)
    again = import_job_run(job_id=job.pk)  # enqueued twice: the claim lets it run once

    assert (ran.status, ran.rows_read, ran.rows_posted, ran.bytes_read, ran.progress_percent) == (
        "succeeded", 2, 2, len(content), 100)
    assert ran.started_at <= ran.finished_at
    assert (again.status, again.finished_at) == ("succeeded", ran.finished_at)
    assert InventoryTransaction.objects.count() == 2
    assert not (files_dir / job.file_path).exists()  # posted: the upload is not kept


def test_it_records_every_error_of_a_bad_file_and_writes_the_error_csv(carl_clerk, widget):
    job = queued(content=body(f"""
        {HEADER}
        G1,2026-03-02,WIDGET,4,10.00,financial,,,
        B2,2026-03-05,NOPE,1,1.00,financial,,,
        B3,2026-03-05,WIDGET,1,2.00,financial,,,,extra
    """), user=carl_clerk)

    job = import_job_run(job_id=job.pk)

    assert (job.status, job.rows_posted, job.error_count) == ("failed", 0, 2)
    assert job.errors == [{"line": 3, "message": "unknown item 'NOPE'"},
                          {"line": 4, "message": "the row has 10 values but the header has 9 columns"}]
    assert list(import_job_error_rows(job=job)) == [
        ["line", "message"], ["3", "unknown item 'NOPE'"], ["4", "the row has 10 values but the header has 9 columns"]]
    assert InventoryTransaction.objects.count() == 0


def test_it_refuses_a_latin1_file_naming_the_line_and_byte_offset(carl_clerk, widget):
    job = queued(content=f"{HEADER}\nG1,2026-03-02,WIDGET,4,10.00,financial,,,\nGé,2026-03-02,WIDGET,1,1.00,financial,,,\n"
                 .encode("latin-1"), user=carl_clerk)

    job = import_job_run(job_id=job.pk)

    offset = len(HEADER) + 1 + len("G1,2026-03-02,WIDGET,4,10.00,financial,,,\n") + 1
    assert (job.status, job.rows_posted) == ("failed", 0)
    assert job.errors == [{"line": 3, "message": f"the file is not UTF-8: byte 0xe9 at byte offset {offset} (line 3) is "
                                                 "not valid UTF-8; save the file as UTF-8 and upload it again"}]
    assert InventoryTransaction.objects.count() == 0


class UnreadableUpload(SimpleUploadedFile):
    """An upload that fails the test if anything reads it."""

    def chunks(self, chunk_size=None):
        raise AssertionError("the upload was read")

    def read(self, *args):
        raise AssertionError("the upload was read")


def test_it_refuses_an_oversized_upload_before_reading_it(settings, carl_clerk, files_dir):
    settings.IMPORT_MAX_BYTES = 10

    with pytest.raises(ImportTooLarge, match=r"The file is 11 bytes: uploads are limited to 10 bytes \(IMPORT_MAX_BYTES\)"):
        import_job_create(kind="items", uploaded_file=UnreadableUpload("big.csv", b"x" * 11), user=carl_clerk,
                          queue=False)

    assert ImportJob.objects.count() == 0
    assert not files_dir.exists()


def test_it_imports_items_and_opening_entries_as_jobs(ada_accountant, company):
    items = import_job_run(job_id=queued("items", body("""
        item,name,item_group,model_group,unit_cost
        BOLT,Bolt,DEFAULT,FIFO,0.35
    """), user=ada_accountant).pk)
    opening = import_job_run(job_id=queued("opening", body("""
        item,qty,unit_cost
        BOLT,100,0.35
    """), user=ada_accountant, posting_date=company.today, offset_account=company.accounts["3900"], post=True).pk)

    assert (items.status, items.rows_posted) == ("succeeded", 1)
    assert Item.objects.get(number="BOLT").default_cost_price == D("0.35")
    assert (opening.status, opening.rows_posted, opening.options["offset_account"]) == ("succeeded", 1, "3900")
    assert opening.result["journal"].startswith("JNL-")


def test_it_asks_for_the_right_to_post_journals_only_to_post_opening_entries_at_once():
    assert import_jobs.import_permissions(kind="transactions") == ("inventory.add_inventorytransaction",)
    assert import_jobs.import_permissions(kind="opening", post=False) == ("inventory.add_inventorytransaction",)
    assert import_jobs.import_permissions(kind="opening", post=True) == ("inventory.add_inventorytransaction",
                                                                          "inventory.post_journal")


def test_it_fails_a_job_no_worker_ended(carl_clerk, company):
    lost = queued("items", b"item,name,item_group,model_group\n", user=carl_clerk)
    ImportJob.objects.filter(pk=lost.pk).update(created_at=lost.created_at - ImportJob.LOST_AFTER * 2)
    lost.refresh_from_db()
    assert lost.is_lost and not lost.is_live

    queued("items", b"item,name,item_group,model_group\n", user=carl_clerk)  # asking again records it

    lost.refresh_from_db()
    assert lost.status == "failed" and "No worker ended it within 10 minutes" in lost.message


# -- progress while the import's transaction is open ------------------------------------------------


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_it_shows_progress_to_other_connections_while_the_file_is_posting(monkeypatch, carl_clerk, widget):
    lines = "".join(f"R{n},2026-03-02,WIDGET,1,1.00,financial,,,\n" for n in range(5))
    job = queued(content=f"{HEADER}\n{lines}".encode(), user=carl_clerk)
    monkeypatch.setattr(imports, "CHUNK_ROWS", 2)
    seen: list[tuple] = []
    write_progress = import_jobs._ProgressWriter.__call__

    def spied(self, result):
        write_progress(self, result)
        # What the page's request would read now, on a connection of its own.
        with psycopg.connect(database_url()) as other:
            seen.append(other.execute("SELECT j.status, j.rows_read, j.rows_posted, "
                                      "(SELECT count(*) FROM inventory_inventorytransaction) "
                                      "FROM inventory_importjob j WHERE j.id = %s", [job.pk]).fetchone())

    monkeypatch.setattr(import_jobs._ProgressWriter, "__call__", spied)

    done = import_job_run(job_id=job.pk)

    assert seen == [("running", 2, 2, 0), ("running", 4, 4, 0), ("running", 5, 5, 0)]  # nothing committed yet
    assert (done.status, done.rows_posted, InventoryTransaction.objects.count()) == ("succeeded", 5, 5)
