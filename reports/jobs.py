"""RQ jobs of the reports app: thin, idempotent, taking ids."""

import django_rq

from reports import services

QUEUE = "default"


def enqueue_book_check(check_id: int) -> None:
    """Put a book check on the default queue. Called after the database commit."""
    django_rq.get_queue(QUEUE).enqueue(book_check, check_id, job_timeout=3600, result_ttl=600, failure_ttl=86400)


def book_check(check_id: int) -> None:
    services.book_check_perform(check_id=check_id)
