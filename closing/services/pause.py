"""Pause and resume: a pause lets running bundles finish and starts no new one; resume queues
again, from the database, whatever is not done."""

from django.db import connection, transaction
from django.utils import timezone
from redis.exceptions import RedisError

from closing import queue as steps
from closing.models import ClosingBundle, ClosingRun
from closing.services.runs import first_step, queue_away
from common.audit import audit_record
from common.errors import DomainError


def settle_pause(run_id: int) -> None:
    """A run asked to pause becomes paused once no bundle of it is being processed."""
    ClosingRun.objects.filter(pk=run_id, status=ClosingRun.Status.PAUSING).update(status=ClosingRun.Status.PAUSED, phase="paused")


def closing_pause(*, user=None, run_id: int | None = None) -> ClosingRun:
    """Ask the running close or recalculation (this one, when `run_id` is given) to pause: no new
    bundle starts, bundles being processed finish, then the run is paused."""
    with transaction.atomic():
        runs = ClosingRun.objects.select_for_update().filter(status__in=[ClosingRun.Status.QUEUED, ClosingRun.Status.RUNNING])
        run = (runs.filter(pk=run_id) if run_id is not None else runs).first()
        if run is None:
            raise DomainError("No close or recalculation is running, so there is nothing to pause.")
        run.status = ClosingRun.Status.PAUSING
        run.phase = "pausing"
        run.save(update_fields=["status", "phase"])
        audit_record(user=user, action="closing.pause", obj=run)
    # Nothing may be mid-bundle (the bundle row locks tell): settle to paused right away if so.
    with transaction.atomic():
        try_settle_pause(run)
    run.refresh_from_db()
    return run


def try_settle_pause(run: ClosingRun) -> bool:
    # The run row lock orders the workers that end or skip a bundle at the same moment, so that the
    # last of them sees the others' bundles unlocked and settles the pause.
    if not ClosingRun.objects.select_for_update().filter(pk=run.pk, status=ClosingRun.Status.PAUSING).values_list("pk", flat=True):
        return False
    if connection.vendor == "postgresql":
        busy = ClosingBundle.objects.select_for_update(skip_locked=True).filter(run=run).exclude(status=ClosingBundle.Status.DONE)
        total = ClosingBundle.objects.filter(run=run).exclude(status=ClosingBundle.Status.DONE).count()
        if len(list(busy)) < total:
            return False  # some bundle is being processed: the worker settles the pause when it ends
    settle_pause(run.pk)
    return True


def closing_resume(*, user=None, queue: bool = True, run_id: int | None = None) -> ClosingRun:
    """Resume a paused or failed run (this one, when `run_id` is given): failed bundles go back to
    pending and every bundle that is not done is queued again — rebuilt from the database, so a lost
    Redis queue loses nothing."""
    with transaction.atomic():
        runs = ClosingRun.objects.select_for_update().filter(
            status__in=[ClosingRun.Status.PAUSED, ClosingRun.Status.PAUSING, ClosingRun.Status.FAILED,
                        ClosingRun.Status.RUNNING, ClosingRun.Status.QUEUED])
        run = (runs.filter(pk=run_id) if run_id is not None else runs).first()
        if run is None:
            raise DomainError("No paused or failed close or recalculation to resume.")
        run.bundles.filter(status=ClosingBundle.Status.FAILED).update(status=ClosingBundle.Status.PENDING)
        run.status = ClosingRun.Status.QUEUED if not run.bundles.exists() else ClosingRun.Status.RUNNING
        run.phase = "resumed"
        run.error = ""
        run.progress_at = timezone.now()
        run.requeues = 0  # whoever resumes gives the watch its retries back
        run.save(update_fields=["status", "phase", "error", "progress_at", "requeues"])
        audit_record(user=user, action="closing.resume", obj=run)
        if queue:
            pending = list(run.bundles.exclude(status=ClosingBundle.Status.DONE).values_list("pk", flat=True))
            transaction.on_commit(lambda: _queue_or_fail(run, pending))
    return run


def _queue_or_fail(run: ClosingRun, pending: list[int]) -> None:
    """Queue what a resumed run has left; if the queue cannot take it, the run is failed again with
    the reason (to be resumed once Redis is back) instead of running with nothing queued.

    A step still waiting in the queue is not queued again: it is taken after this resume committed,
    so it sees the run resumed. Without this, every resume of a running run, or of one paused before
    its queue drained, queued each pending bundle once more (a pause/resume storm of 56 requests
    made 312 jobs of a 40-bundle close, tests/faults/test_storms.py). When the queue cannot be read,
    everything is queued, as before."""
    try:
        waiting = steps.waiting_steps(since=run.created_at)
    except (RedisError, OSError):
        waiting = set()
    try:
        if run.status == ClosingRun.Status.QUEUED:
            if (first_step(run), run.pk) not in waiting:
                steps.enqueue(first_step(run), run.pk)
        elif pending:
            for bundle_id in pending:
                if ("bundle", bundle_id) not in waiting:
                    steps.enqueue("bundle", bundle_id)
        elif ("finalize", run.pk) not in waiting:
            steps.enqueue("finalize", run.pk)  # every bundle done: what is left is the voucher
    except Exception as error:  # whatever Redis or the network raised
        message = queue_away(run, done="resumed", error=error)
        ClosingRun.objects.filter(pk=run.pk).update(status=ClosingRun.Status.FAILED, phase="failed", error=message)
        raise DomainError(message) from error
