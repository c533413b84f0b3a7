"""Handing a run's steps to the workers, on the `closing` queue. A step is named by its job's dotted
path, so the services that queue steps do not import the jobs (which call the services)."""

from datetime import datetime

import django_rq

QUEUE = "closing"
STEPS = {"coordinate": "closing.jobs.coordinate", "bundle": "closing.jobs.process_bundle",
         "finalize": "closing.jobs.finalize", "reverse": "closing.jobs.reverse"}


def enqueue(kind: str, object_id: int) -> None:
    """Put one step of a run on the closing queue. Called after the database commit."""
    django_rq.get_queue(QUEUE).enqueue(STEPS[kind], object_id, job_timeout=3600, result_ttl=600, failure_ttl=86400)


def waiting_steps(*, since: datetime | None = None) -> set[tuple[str, int]]:
    """The steps waiting in the queue for a worker, as (kind, id); with `since`, only those queued
    then or later (a job older than a run cannot be one of its steps: Redis outlived the database).
    Reads the whole queue: for the watch, which asks only about a run that has stopped moving, and
    for resume."""
    queue = django_rq.get_queue(QUEUE)
    kinds = {path: kind for kind, path in STEPS.items()}
    steps = set()
    for job in queue.get_jobs():
        if job is not None and job.func_name in kinds and len(job.args) == 1:
            if since is None or (job.enqueued_at is not None and job.enqueued_at >= since):
                steps.add((kinds[job.func_name], job.args[0]))
    return steps
