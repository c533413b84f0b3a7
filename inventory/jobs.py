"""RQ jobs of the inventory app: thin, idempotent, taking ids."""

import django_rq

from inventory.services import import_jobs

QUEUE = "default"
# A million-row file takes minutes; the queue's default timeout (10 minutes) is for short jobs.
IMPORT_TIMEOUT = 4 * 3600


def enqueue_import_job(job_id: int) -> None:
    """Put an import on the default queue. Called after the database commit."""
    django_rq.get_queue(QUEUE).enqueue(import_job, job_id, job_timeout=IMPORT_TIMEOUT, result_ttl=600,
                                       failure_ttl=86400)


def import_job(job_id: int) -> None:
    import_jobs.import_job_run(job_id=job_id)
