"""Imports as jobs (issue #15, point 2): a CSV file uploaded on the Import CSV page or through the
API is stored under FILES_DIR and posted by a worker on the `default` queue, which records its
progress and its errors on the ImportJob; the page and the API follow it.

The file is read as a stream (inventory.services.csv_files) and a transactions file is posted a
chunk at a time in one database transaction (inventory.services.imports), so memory stays flat
whatever its size and a file with any bad row posts nothing. Progress is written while that
transaction is open on a second connection of its own (PostgreSQL), so the page sees it move.
"""

import csv
import logging
import uuid
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone

from common.audit import audit_record
from common.errors import DomainError
from config.roles import ADD_ITEM, CHANGE_ITEM, POST_JOURNAL
from inventory import queue as job_queue
from inventory.models import ImportJob
from inventory.services import imports
from inventory.services.csv_files import ImportResult
from ledger.models import MainAccount

logger = logging.getLogger(__name__)

ADD_TRANSACTION = "inventory.add_inventorytransaction"
ERROR_CSV_HEADER = ["line", "message"]


class ImportTooLarge(DomainError):
    """The upload is larger than IMPORT_MAX_BYTES: refused before it is read (HTTP 413)."""


def import_permissions(*, kind: str, post: bool = False) -> tuple[str, ...]:
    """What a user needs to import a file of `kind`, on the page and through the API alike: the
    clerk's and accountant's right to post transactions, and to post journals when opening entries
    are to be posted at once."""
    if kind == ImportJob.Kind.ITEMS:  # items are created and changed: the item permissions (#16, point 9)
        return (ADD_ITEM, CHANGE_ITEM)
    return (ADD_TRANSACTION, POST_JOURNAL) if kind == ImportJob.Kind.OPENING and post else (ADD_TRANSACTION,)


def import_size_refusal(size: int) -> str | None:
    """Why an upload of `size` bytes is refused, or None."""
    limit = settings.IMPORT_MAX_BYTES
    if size > limit:
        return (f"The file is {size:,} bytes: uploads are limited to {limit:,} bytes (IMPORT_MAX_BYTES). "
                "Split it into smaller files.")
    return None


def files_dir() -> Path:
    return Path(settings.FILES_DIR)


def import_job_create(*, kind: str, uploaded_file: UploadedFile, user, queue: bool = True,
                      posting_date: date | None = None, offset_account: MainAccount | None = None,
                      description: str = "", post: bool = False) -> ImportJob:
    """Store an uploaded file and queue its import for a worker once committed (`queue=False`: the
    caller runs it, as the benchmark does). The size is checked before a byte is read."""
    if kind not in ImportJob.Kind.values:
        raise DomainError(f"Unknown kind {kind!r}: choose one of {', '.join(ImportJob.Kind.values)}.", field="kind")
    refusal = import_size_refusal(uploaded_file.size or 0)
    if refusal:
        raise ImportTooLarge(refusal, field="file")
    options = {}
    if kind == ImportJob.Kind.OPENING:
        if posting_date is None:
            raise DomainError("Opening entries need the date they are posted on.", field="date")
        if offset_account is None:
            raise DomainError("Opening entries need the account they are posted against.", field="offset_account")
        options = {"date": posting_date.isoformat(), "offset_account": offset_account.number,
                   "description": description, "post": bool(post)}
    import_jobs_lost_fail()
    relative = f"imports/{uuid.uuid4().hex}.csv"
    target = files_dir() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as out:
        out.writelines(uploaded_file.chunks())
    with transaction.atomic():
        job = ImportJob.objects.create(kind=kind, file_name=(uploaded_file.name or "upload.csv")[:255], file_path=relative,
                                       size=uploaded_file.size or 0, options=options,
                                       created_by=user if getattr(user, "pk", None) else None)
        audit_record(user=user, action="import.queued", obj=job, kind=kind, file=job.file_name, size=job.size)
        if queue:
            transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    try:
        job_queue.enqueue_import_job(job_id)
    except Exception as error:
        logger.exception("Import %s could not be queued", job_id)
        ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
            status=ImportJob.Status.FAILED, message=f"It could not be queued for a worker: {error}",
            finished_at=timezone.now())


def import_jobs_lost_fail() -> int:
    """Record jobs that no worker started, or whose worker stopped giving signs of life, within
    ImportJob.LOST_AFTER as failed."""
    deadline = timezone.now() - ImportJob.LOST_AFTER
    return ImportJob.objects.filter(status__in=ImportJob.UNFINISHED).filter(
        Q(heartbeat_at__lt=deadline) | Q(heartbeat_at__isnull=True, started_at__lt=deadline)
        | Q(heartbeat_at__isnull=True, started_at__isnull=True, created_at__lt=deadline)).update(
        status=ImportJob.Status.FAILED, finished_at=timezone.now(),
        message=f"No worker ended it within {ImportJob.LOST_AFTER.seconds // 60} minutes: is a worker running on "
                "the default queue?")


class _ProgressWriter:
    """Writes a running job's progress where the page can see it while the import's own database
    transaction is still open: on PostgreSQL, on a second connection in autocommit. SQLite has one
    writer at a time, so there the progress is only written at the end."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.connection = connections.create_connection(DEFAULT_DB_ALIAS) if connection.vendor == "postgresql" else None

    def __call__(self, result: ImportResult) -> None:
        if self.connection is None:
            return
        with self.connection.cursor() as cursor:
            cursor.execute("UPDATE inventory_importjob SET rows_read = %s, rows_posted = %s, bytes_read = %s, "
                           "error_count = %s, heartbeat_at = %s WHERE id = %s AND status = %s",
                           [result.rows_read, result.posted, result.bytes_read, result.error_count, timezone.now(),
                            self.job_id, ImportJob.Status.RUNNING])

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def import_job_run(*, job_id: int) -> ImportJob:
    """Run a queued import. Claimed with a conditional update, so a job enqueued twice runs once; a
    job that fails to run (not a bad row: an exception) is recorded as failed with the error."""
    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, started_at=now, heartbeat_at=now)
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if not claimed:
        return job
    try:
        result, outcome = _run(job)
    except Exception as error:
        ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.FAILED, finished_at=timezone.now(),
                                                   message=f"{type(error).__name__}: {error}")
        raise
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJob.Status.SUCCEEDED if result.ok else ImportJob.Status.FAILED,
        rows_read=result.rows_read, rows_posted=result.posted, bytes_read=result.bytes_read,
        errors=[{"line": line, "message": message} for line, message in result.errors[:ImportJob.ERRORS_KEPT]],
        error_count=result.error_count, error_file=outcome.get("error_file", ""), result=outcome.get("result", {}),
        finished_at=timezone.now())
    (files_dir() / job.file_path).unlink(missing_ok=True)  # posted or refused: the upload is not needed again
    job.refresh_from_db()
    return job


def _run(job: ImportJob) -> tuple[ImportResult, dict]:
    user = job.created_by
    error_relative = f"imports/{job.pk}-errors.csv"
    error_path = files_dir() / error_relative
    error_path.parent.mkdir(parents=True, exist_ok=True)
    progress = _ProgressWriter(job.pk)
    outcome: dict = {}
    try:
        with open(files_dir() / job.file_path, "rb") as stream, open(error_path, "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(ERROR_CSV_HEADER)
            if job.kind in (ImportJob.Kind.TRANSACTIONS, ImportJob.Kind.ITEMS):
                # Streamed: every error goes to the error file, the first ones onto the job.
                result = ImportResult(error_limit=ImportJob.ERRORS_KEPT,
                                      error_sink=lambda line, message: writer.writerow([line, message]))
                post_file = (imports.transactions_import_file if job.kind == ImportJob.Kind.TRANSACTIONS
                             else imports.items_import_file)
                post_file(stream=stream, user=user, result=result, progress=progress)
            else:
                result = _run_opening(job, stream, user)
                writer.writerows([line, message] for line, message in result.errors)
    finally:
        progress.close()
    if result.error_count:
        outcome["error_file"] = error_relative
    else:
        error_path.unlink(missing_ok=True)
    if result.journal is not None:
        outcome["result"] = {"journal": result.journal.number}
    return result, outcome


def _run_opening(job: ImportJob, stream, user) -> ImportResult:
    """Opening entries: one row per item, lot or serial number on hand, becoming one journal."""
    options = job.options
    account = MainAccount.objects.filter(number=options.get("offset_account"), is_active=True).first()
    if account is None:
        return ImportResult(errors=[(0, f"There is no active account {options.get('offset_account')}.")])
    return imports.opening_import_file(stream=stream, posting_date=date.fromisoformat(options["date"]),
                                       offset_account=account, description=options.get("description", ""),
                                       post=bool(options.get("post")), user=user)


def import_job_error_rows(*, job: ImportJob):
    """Every error of a job as CSV rows (header first): from its error file, or from the errors kept
    on the job when the file is gone."""
    yield ERROR_CSV_HEADER
    path = files_dir() / job.error_file if job.error_file else None
    if path is not None and path.exists():
        with open(path, newline="", encoding="utf-8") as source:
            reader = csv.reader(source)
            next(reader, None)
            yield from reader
        return
    if job.message and not job.errors:
        yield [0, job.message]
    for error in job.errors:
        yield [error["line"], error["message"]]
