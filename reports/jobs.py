"""RQ jobs of the reports app: thin, idempotent, taking ids (queued by reports/queue.py)."""

from reports import exports, services


def book_check(check_id: int) -> None:
    services.book_check_perform(check_id=check_id)


def export_job(job_id: int) -> None:
    exports.export_job_run(job_id=job_id)
