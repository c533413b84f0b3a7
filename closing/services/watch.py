"""Watching runs, so that none hangs in silence.

A run waits on its workers: the coordinator, a job per bundle, the finalize step, each a job in
Redis. A worker killed in the middle of a bundle, a job process killed, a queue flushed or a final
step whose connection was cut leave the run "running" with nothing working on it and nothing
waiting to. The watch tells those apart from a run that is just slow or waiting for a free worker,
and acts, within a minute (CLOSING_STALL_SECONDS):

- the run has not moved (no bundle done, no step started) for that long;
- nobody is working on it: PostgreSQL holds a row lock for every bundle being processed and for
  the run row while the coordinator or the finalize step runs, and drops it with the connection of
  a process that died, so "no lock held" means "no live worker" (probed with SKIP LOCKED);
- none of its steps waits in the queue (closing.queue.waiting_steps).

Such a run is queued again from the database, as resume would, up to CLOSING_MAX_REQUEUES times;
after that it is failed with the reason (phase "stalled"), for someone to resume once the workers
run. Every status read (the run page, `closing_status`, the API) calls `run_watch`.
"""

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from redis.exceptions import RedisError

from closing import queue as steps
from closing.models import ClosingBundle, ClosingRun
from closing.selectors import WATCHED, run_is_moving
from closing.services.runs import enqueue_bundles, first_step, run_noun
from closing.signals import run_failed_after_commit
from common.audit import audit_record

WAITING = {"queued", "deferred", "scheduled"}
STALLED = ("nobody is working on it and none of its steps waits in the queue (a worker or its job process "
           "died, or the queue was lost in Redis)")


def _in_hand(run: ClosingRun, pending: list[int]) -> bool | None:
    """Whether a live process holds the run row or one of its pending bundles (None: this database
    cannot tell, SQLite)."""
    if connection.vendor != "postgresql":
        return None
    with transaction.atomic():
        if not ClosingRun.objects.select_for_update(skip_locked=True).filter(pk=run.pk).values_list("pk", flat=True):
            return True
        free = ClosingBundle.objects.select_for_update(skip_locked=True).filter(pk__in=pending).values_list("pk", flat=True)
        return len(list(free)) < len(pending)


def _waiting_in_queue(run: ClosingRun, pending: list[int]) -> bool | None:
    """Whether one of the run's steps waits in Redis for a worker (None: Redis cannot be asked)."""
    try:
        waiting = steps.waiting_steps(since=run.created_at)
    except (RedisError, OSError):  # Redis away: the watch cannot judge, and does nothing
        return None
    mine = {("coordinate", run.pk), ("finalize", run.pk), ("reverse", run.pk), *(("bundle", bundle_id) for bundle_id in pending)}
    return bool(waiting & mine)


def run_watch(*, run_id: int) -> ClosingRun:
    """Look at a run that has not moved for the stall time; queue it again, or fail it as stalled,
    when nothing works on it and nothing waits to. Cheap for a run that moves: one row read."""
    run = ClosingRun.objects.get(pk=run_id)
    if run.status not in WATCHED or run_is_moving(run):
        return run
    pending = list(run.bundles.exclude(status=ClosingBundle.Status.DONE).values_list("pk", flat=True))
    if _in_hand(run, pending) is not False:
        return run  # someone is working on it (or, on SQLite, nobody can tell)
    if _waiting_in_queue(run, pending) is not False:
        return run  # waiting for a free worker (or Redis cannot be asked)
    return _queue_again_or_stall(run)


def _queue_again_or_stall(run: ClosingRun) -> ClosingRun:
    quiet = timezone.now() - run.progress_at
    with transaction.atomic():
        locked = ClosingRun.objects.select_for_update(skip_locked=True).filter(pk=run.pk, status__in=WATCHED).first()
        if locked is None or locked.progress_at != run.progress_at:
            return ClosingRun.objects.get(pk=run.pk)  # someone else acted, or it moved meanwhile
        run = locked
        reason = f"no progress for {int(quiet.total_seconds())} s: {STALLED}"
        if run.requeues < settings.CLOSING_MAX_REQUEUES:
            run.requeues += 1
            run.progress_at = timezone.now()
            run.phase = f"queued again ({run.requeues} of {settings.CLOSING_MAX_REQUEUES})"
            run.save(update_fields=["requeues", "progress_at", "phase"])
            audit_record(user=None, action="closing.requeue", obj=run, reason=reason, attempt=run.requeues)
            pending = list(run.bundles.exclude(status=ClosingBundle.Status.DONE).values_list("pk", flat=True))
            if run.status == ClosingRun.Status.QUEUED or run.run_type == ClosingRun.RunType.REVERSAL:
                # A reversal is one job, which takes a queued or a running reversal run.
                transaction.on_commit(lambda: steps.enqueue(first_step(run), run.pk))
            else:
                transaction.on_commit(lambda: enqueue_bundles(run, pending))
        else:
            run.status = ClosingRun.Status.FAILED
            run.phase = "stalled"
            run.error = (f"Stalled: {reason}. It was queued again {run.requeues} times without progress; resume the "
                         f"{run_noun(run)} once the workers run.")
            run.save(update_fields=["status", "phase", "error"])
            audit_record(user=None, action="closing.stalled", obj=run, reason=reason)
            run_failed_after_commit(run.pk)
    return run
