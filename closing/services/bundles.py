"""Coordinating and processing a run: split it into bundles, process each (on a worker or here),
and end it with its voucher once every bundle is done.

A run's state lives in PostgreSQL (or SQLite): the run row, its bundles and their results. Redis only
carries the queue, so any step can be redone from the database: a bundle's results and its "done"
mark commit together, a crashed bundle rolls back and stays pending, and resuming re-enqueues
whatever is not done.
"""

import ctypes
import gc
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

from django.db import connection, connections, transaction
from django.db.models import F
from django.utils import timezone

from closing.data import compute_bundle
from closing.models import ClosingBundle, ClosingRun, InventoryParameters
from closing.services.outcome import write_outcome
from closing.services.pause import try_settle_pause
from closing.services.runs import (
    enqueue_bundles,
    previous_close_date,
    run_items,
)
from closing.services.vouchers import post_run_voucher
from closing.signals import run_ended_after_commit, run_failed_after_commit
from closing.writer import (
    RUN_TABLES,
    commit_without_waiting_for_disk,
    refresh_statistics,
    roomy_sorts,
)
from common.audit import audit_record
from inventory.models import InventoryTransaction, Item, ItemModelGroup


def run_coordinate(*, run_id: int, queue: bool = True) -> ClosingRun:
    """Split the run's items into bundles and queue them (`queue=False`: the caller processes them
    itself). Safe to call again: bundles are made once."""
    with transaction.atomic():
        run = ClosingRun.objects.select_for_update().get(pk=run_id)
        if run.status not in (ClosingRun.Status.QUEUED, ClosingRun.Status.RUNNING):
            return run
        if not run.bundles.exists():
            size = InventoryParameters.load().items_per_bundle
            item_ids = list(run_items(run))
            bundles = [ClosingBundle(run=run, number=index // size + 1, cost_dimension_ids=item_ids[index:index + size])
                       for index in range(0, len(item_ids), size)]
            ClosingBundle.objects.bulk_create(bundles)
            run.items_total = len(item_ids)
            run.bundles_total = len(bundles)
            run.transactions_total = InventoryTransaction.objects.filter(item_id__in=item_ids, value_open=True).count() if item_ids else 0
        run.status = ClosingRun.Status.RUNNING
        run.phase = "processing bundles"
        run.started_at = run.started_at or timezone.now()
        run.progress_at = timezone.now()
        run.save()
        pending = list(run.bundles.exclude(status=ClosingBundle.Status.DONE).values_list("pk", flat=True))
        if queue:
            transaction.on_commit(lambda: enqueue_bundles(run, pending))
    return run


def bundle_process(*, bundle_id: int) -> str:
    """Process one bundle: claim it, compute it and write its results in one transaction.

    Returns what happened: "done", "skipped" (already done, or the run is pausing/paused/failed) or
    "failed". A worker killed half-way leaves nothing behind: the transaction rolls back and the
    bundle stays pending for the retry or the resume."""
    try:
        with transaction.atomic():
            # The row lock is the claim: two workers given the same bundle take turns, and the second
            # finds it done. SKIP LOCKED is not used so that a retry waits for a live worker's result.
            # of=("self",): the bundle row only. Without it PostgreSQL locks the joined run row too, for
            # the whole bundle: the run's bundles would be processed one at a time and a pause would wait.
            bundle = ClosingBundle.objects.select_for_update(of=("self",)).select_related("run").get(pk=bundle_id)
            roomy_sorts(64)
            commit_without_waiting_for_disk()
            run = bundle.run
            if bundle.status == ClosingBundle.Status.DONE:
                return "skipped"
            current = ClosingRun.objects.values_list("status", flat=True).get(pk=run.pk)
            if current != ClosingRun.Status.RUNNING:
                try_settle_pause(run)  # not settle_pause: another worker may be in the middle of a bundle
                return "skipped"
            model_groups = {group.pk: group for group in ItemModelGroup.objects.all()}
            outcome = compute_bundle(
                item_ids=bundle.cost_dimension_ids, close_date=run.date, previous_close=previous_close_date(run),
                max_iterations=run.max_iterations, model_groups=model_groups)
            counts = write_outcome(run, outcome)
            bundle.status = ClosingBundle.Status.DONE
            bundle.attempts += 1
            bundle.transactions = outcome.transactions
            bundle.finished_at = timezone.now()
            bundle.error = ""
            bundle.save(update_fields=["status", "attempts", "transactions", "finished_at", "error"])
            ClosingRun.objects.filter(pk=run.pk).update(
                bundles_done=F("bundles_done") + 1, items_done=F("items_done") + len(bundle.cost_dimension_ids),
                transactions_done=F("transactions_done") + outcome.transactions,
                settlements_count=F("settlements_count") + counts["settlements"],
                adjustments_count=F("adjustments_count") + counts["adjustments"],
                warnings_count=F("warnings_count") + counts["warnings"], progress_at=timezone.now(),
            )
    except Exception as error:
        run = _bundle_failed(bundle_id, error)
        if run is None:
            return "failed"
    # A pause asked while this bundle was in the middle: the last bundle to end settles it.
    with transaction.atomic():
        try_settle_pause(run)
    return "done"


def _bundle_failed(bundle_id: int, error: Exception) -> ClosingRun | None:
    """Record a bundle's failure and fail its run, to be resumed. Returns None, or the run when the
    bundle turns out to be done after all: the connection was lost after the server committed
    (the error reached us, the COMMIT had reached PostgreSQL), so its results are in the books and
    redoing it would settle and adjust its transactions twice."""
    message = str(error) or error.__class__.__name__
    if not connection.is_usable():
        connection.close()  # a lost connection: the next query opens a new one
    with transaction.atomic():
        bundle = ClosingBundle.objects.select_for_update().select_related("run").get(pk=bundle_id)
        if bundle.status == ClosingBundle.Status.DONE:
            return bundle.run
        items = ", ".join(Item.objects.filter(pk__in=bundle.cost_dimension_ids[:5]).values_list("number", flat=True))
        bundle.status = ClosingBundle.Status.FAILED
        bundle.attempts += 1
        bundle.error = message[:2000]
        bundle.save(update_fields=["status", "attempts", "error"])
        ClosingRun.objects.filter(pk=bundle.run_id).exclude(status=ClosingRun.Status.CANCELLED).update(
            status=ClosingRun.Status.FAILED, phase="failed",
            error=f"Bundle {bundle.number} (items {items}{'…' if len(bundle.cost_dimension_ids) > 5 else ''}) failed: {message}"[:4000])
        run_failed_after_commit(bundle.run_id)
    return None


def run_finalize(*, run_id: int) -> ClosingRun:
    """Once every bundle is done: post the run's one voucher and end it. Claimed with a conditional
    update so that only one worker posts, however many saw the last bundle finish."""
    with transaction.atomic():
        run = ClosingRun.objects.select_for_update().get(pk=run_id)
        if run.status != ClosingRun.Status.RUNNING:
            return run
        if run.bundles.exclude(status=ClosingBundle.Status.DONE).exists():
            return run
        run.phase = "posting to ledger"
        refresh_statistics(*RUN_TABLES)
        voucher = post_run_voucher(run)
        run.voucher = voucher
        run.status = ClosingRun.Status.ENDED
        run.phase = "ended"
        run.ended_at = timezone.now()
        run.save()
        audit_record(user=run.started_by, action=f"{run.run_type}.end", obj=run, voucher=voucher.number if voucher else "",
                     settlements=run.settlements_count, adjustments=run.adjustments_count)
        run_ended_after_commit(run.pk)
    return run


def run_execute(*, run_id: int, progress: Callable[[ClosingRun], None] | None = None, workers: int = 1) -> ClosingRun:
    """Run a queued or resumed run to the end in this process: the same steps the workers run.
    With `workers` > 1 (PostgreSQL only: SQLite has one writer) bundles are processed by that many
    child processes, each with its own database connection, as that many RQ workers would: the
    engine is Python, so threads would share one core."""
    run = run_coordinate(run_id=run_id, queue=False)
    pending = list(run.bundles.exclude(status=ClosingBundle.Status.DONE).values_list("pk", flat=True))
    if (workers > 1 and connection.vendor == "postgresql" and len(pending) > 1
            and not connection.in_atomic_block):
        # Children must not inherit this process's open connection (two processes on one socket).
        connections.close_all()
        # Nor make their garbage collector walk every object this process holds (a command that
        # generated or read a large history first may hold a lot), touching, and so copying, every
        # inherited page: what exists now is frozen out of collection until the children end.
        gc.collect()
        gc.freeze()
        try:
            with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                                     initializer=_die_with_parent, initargs=(os.getpid(),)) as pool:
                for _ in pool.map(_bundle_in_child, pending):
                    run.refresh_from_db()
                    if progress:
                        progress(run)
        finally:
            gc.unfreeze()
    else:
        for bundle_id in pending:
            outcome = bundle_process(bundle_id=bundle_id)
            run.refresh_from_db()
            if progress:
                progress(run)
            if outcome == "failed" or run.status != ClosingRun.Status.RUNNING:
                return run
    run.refresh_from_db()
    if run.status != ClosingRun.Status.RUNNING:
        return run
    return run_finalize(run_id=run_id)


def _die_with_parent(parent_pid: int) -> None:
    """A bundle process ends when the command that started it does: a `close_inventory --wait
    --workers N` killed with -9 must not leave children holding database connections and row locks
    (Linux: the kernel sends them SIGKILL when the parent dies; their transactions roll back and the
    bundles stay pending for resume)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before the kernel was asked
        os._exit(1)


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _bundle_in_child(bundle_id: int) -> str:
    return bundle_process(bundle_id=bundle_id)
