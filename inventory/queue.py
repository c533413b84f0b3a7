"""Handing inventory's jobs to the workers, on the `default` queue. A job is named by its dotted path,
so the services that queue them do not import the jobs (which call the services)."""

import django_rq

QUEUE = "default"
# A million-row file takes minutes; the queue's default timeout (10 minutes) is for short jobs.
IMPORT_TIMEOUT = 4 * 3600


def enqueue_import_job(job_id: int) -> None:
    """Put an import on the default queue. Called after the database commit."""
    django_rq.get_queue(QUEUE).enqueue("inventory.jobs.import_job", job_id, job_timeout=IMPORT_TIMEOUT,
                                       result_ttl=600, failure_ttl=86400)
