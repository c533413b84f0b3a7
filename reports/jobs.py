"""RQ jobs of the reports app: thin, idempotent, taking ids."""

import django_rq

from reports import exports, services

QUEUE = "default"


def enqueue_book_check(check_id: int) -> None:
    """Put a book check on the default queue. Called after the database commit."""
    django_rq.get_queue(QUEUE).enqueue(book_check, check_id, job_timeout=3600, result_ttl=600, failure_ttl=86400)


def book_check(check_id: int) -> None:
    services.book_check_perform(check_id=check_id)


def enqueue_export_job(job_id: int) -> None:
    """Put an export on the default queue. Called after the database commit."""
    django_rq.get_queue(QUEUE).enqueue(export_job, job_id, job_timeout=3600, result_ttl=600, failure_ttl=86400)


def export_job(job_id: int) -> None:
    exports.export_job_run(job_id=job_id)
