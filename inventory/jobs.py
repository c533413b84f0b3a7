"""RQ jobs of the inventory app: thin, idempotent, taking ids (queued by inventory/queue.py)."""

from inventory.services import import_jobs


def import_job(job_id: int) -> None:
    import_jobs.import_job_run(job_id=job_id)
