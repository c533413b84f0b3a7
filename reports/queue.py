"""Handing the reports app's jobs to the workers, on the `default` queue. A job is named by its dotted
path, so the services that queue them do not import the jobs (which call the services)."""

import django_rq

QUEUE = "default"


def enqueue_book_check(check_id: int) -> None:
    """Put a book check on the default queue. Called after the database commit."""
    django_rq.get_queue(QUEUE).enqueue("reports.jobs.book_check", check_id, job_timeout=3600, result_ttl=600,
                                       failure_ttl=86400)


def enqueue_export_job(job_id: int) -> None:
    """Put an export on the default queue. Called after the database commit."""
    django_rq.get_queue(QUEUE).enqueue("reports.jobs.export_job", job_id, job_timeout=3600, result_ttl=600,
                                       failure_ttl=86400)
