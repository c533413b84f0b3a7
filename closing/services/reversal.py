"""Reversal: a close, an adjustment or recalculations taken back, the books exactly as before the
run, and the run kept visible as cancelled.

A reversal of a large close takes a while (a million transactions: ~15 s), so it is a job like a
close: `reversal_queue` checks and queues a reversal run, a worker performs it (`reversal_perform`,
through closing.jobs.reverse) and the run page follows it. `closing_reverse` does both here, for
the commands and tests."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from closing import queue as steps
from closing.models import ClosingRun, CostAdjustment
from closing.selectors import latest_adjustment as active_adjustment
from closing.selectors import latest_close
from closing.services.revaluation import revaluation_reversal_refusal, revaluation_reverse
from closing.services.runs import closing_lock, queue_away, run_noun
from closing.services.vouchers import post_run_voucher
from closing.signals import run_ended_after_commit, run_failed_after_commit
from closing.writer import RUN_TABLES, refresh_statistics, roomy_sorts, settlements_delete, undo_run
from common.audit import audit_record
from common.errors import DomainError
from common.numbering import number_next
from inventory.services.valuation import closing_transactions, closing_transactions_delete
from ledger.services import PeriodGuard

# The run's `selection` key holding the ids of the runs still to reverse after this one, in order
# (recalculations reversed from a date, newest first).
THEN_REVERSE = "then_reverse"


def closing_reverse(*, user=None, recalculations_from: date | None = None, latest_adjustment: bool = False
                    ) -> list[ClosingRun]:
    """Reverse here, in this process, what `reversal_queue` would queue: the latest active close,
    the latest on-hand or transaction adjustment, or every recalculation dated on or after a date
    (newest first). All or nothing: a reversal that fails leaves the books and runs as they were."""
    with transaction.atomic():
        run = reversal_queue(user=user, recalculations_from=recalculations_from, latest_adjustment=latest_adjustment,
                             queue=False)
        return reversal_perform(run_id=run.pk)


def reversal_queue(*, user=None, recalculations_from: date | None = None, latest_adjustment: bool = False,
                   queue: bool = True) -> ClosingRun:
    """Queue the reversal of the latest active close (one at a time), the latest on-hand or
    transaction adjustment, or every recalculation dated on or after a date (newest first).
    Refused, with nothing written, when there is nothing to reverse, a later run must be reversed
    first, or the voucher's period is not open. Settlements are cancelled, adjustments and the
    voucher reversed; the books end exactly as they were before the run, and the run stays visible
    as cancelled. Returns the (first) reversal run, queued for the workers once committed;
    `queue=False` leaves it for the caller to perform (`reversal_perform`)."""
    with closing_lock():
        targets = _targets(recalculations_from=recalculations_from, latest_adjustment=latest_adjustment)
        guard = PeriodGuard()
        for target in targets:
            if target.voucher_id:
                # The reversing voucher is dated like the voucher it takes back.
                guard.check(target.date)
        # The database allows one unfinished run: the next target's reversal run is made once this
        # one has ended (reversal_perform).
        run = _reversal_run(targets[0], user, then=[target.pk for target in targets[1:]])
        if queue:
            transaction.on_commit(lambda: _queue_or_withdraw(run))
    return run


def _targets(*, recalculations_from: date | None, latest_adjustment: bool) -> list[ClosingRun]:
    if recalculations_from is not None:
        targets = list(ClosingRun.objects.select_for_update().filter(
            run_type=ClosingRun.RunType.RECALCULATION, is_cancelled=False, status=ClosingRun.Status.ENDED,
            date__gte=recalculations_from).order_by("-date", "-id"))
        if not targets:
            raise DomainError(f"No active recalculation is dated on or after {recalculations_from:%Y-%m-%d}.")
        # A close made after a recalculation valued its transactions on top of it: taking the
        # recalculation away alone would leave them at other values than the close settled.
        earliest = min(targets, key=lambda run: run.pk)
        later = latest_close()
        if later is not None and later.pk > earliest.pk:
            raise DomainError(f"Close {later.number} was made after recalculation {earliest.number}: reverse it first.")
        return targets
    if latest_adjustment:
        target = active_adjustment()
        if target is None:
            raise DomainError("There is no active on-hand or transaction adjustment to reverse.")
    else:
        target = latest_close()
        if target is None:
            raise DomainError("There is no active close to reverse.")
    later = ClosingRun.objects.filter(is_cancelled=False, status=ClosingRun.Status.ENDED, id__gt=target.id).exclude(
        run_type=ClosingRun.RunType.REVERSAL).first()
    if later is not None:
        raise DomainError(f"{later.get_run_type_display()} {later.number} was made after "
                          f"{run_noun(target)} {target.number}: reverse it first.")
    if target.run_type == ClosingRun.RunType.STANDARD_COST_REVALUATION:
        refusal = revaluation_reversal_refusal(run=target)
        if refusal:
            raise DomainError(refusal)
    return [target]


def _reversal_run(target: ClosingRun, user, *, then: list[int]) -> ClosingRun:
    return ClosingRun.objects.create(
        number=number_next(code="closing"), run_type=ClosingRun.RunType.REVERSAL, date=target.date,
        specification=target.specification, status=ClosingRun.Status.QUEUED, reverses=target,
        selection={THEN_REVERSE: then} if then else {},
        started_by=user if getattr(user, "pk", None) else None, phase="queued", progress_at=timezone.now(),
        note=f"Reversal of {target.number}")


def _queue_or_withdraw(run: ClosingRun) -> None:
    """Queue a reversal just asked for; if the queue cannot take it, withdraw the run (nothing is
    reversed yet), so no run waits in "queued" for a job that does not exist."""
    try:
        steps.enqueue("reverse", run.pk)
    except Exception as error:  # whatever Redis or the network raised
        ClosingRun.objects.filter(pk=run.pk, status=ClosingRun.Status.QUEUED).delete()
        raise DomainError(queue_away(run, done="queued", error=error)) from error


def reversal_perform(*, run_id: int) -> list[ClosingRun]:
    """Perform a queued reversal run and, when it was asked for several recalculations, the
    reversals that follow it, one after the other. Returns the reversal runs ended here; nothing
    when the run is no longer queued or running (a second delivery of the job). A reversal that
    fails is rolled back whole and its run failed with the error (resume queues it again)."""
    reversals = []
    while run_id is not None:
        reversal, run_id = _perform_one(run_id)
        if reversal is None:
            break
        reversals.append(reversal)
    return reversals


def _perform_one(run_id: int) -> tuple[ClosingRun | None, int | None]:
    # The claim: queued -> running, committed at once so that the run page shows it running.
    ClosingRun.objects.filter(pk=run_id, run_type=ClosingRun.RunType.REVERSAL, status=ClosingRun.Status.QUEUED).update(
        status=ClosingRun.Status.RUNNING, phase="reversing", started_at=timezone.now(), progress_at=timezone.now())
    try:
        with transaction.atomic():
            # The run row stays locked while it is reversed: a second delivery waits here and then
            # finds it ended, and the watch sees someone working on it.
            reversal = ClosingRun.objects.select_for_update().filter(
                pk=run_id, run_type=ClosingRun.RunType.REVERSAL, status=ClosingRun.Status.RUNNING).first()
            if reversal is None:
                return None, None
            roomy_sorts(256)
            refresh_statistics(*RUN_TABLES, only_stale=True)
            _reverse_run(reversal)
            then = list((reversal.selection or {}).get(THEN_REVERSE, []))
            following = None
            if then:
                target = ClosingRun.objects.get(pk=then[0])
                following = _reversal_run(target, reversal.started_by, then=then[1:])
                following.status = ClosingRun.Status.RUNNING
                following.phase = "reversing"
                following.started_at = timezone.now()
                following.save(update_fields=["status", "phase", "started_at"])
    except Exception as error:
        with transaction.atomic():
            ClosingRun.objects.filter(pk=run_id, status__in=[ClosingRun.Status.QUEUED, ClosingRun.Status.RUNNING]).update(
                status=ClosingRun.Status.FAILED, phase="failed", error=str(error) or error.__class__.__name__,
                progress_at=timezone.now())
            run_failed_after_commit(run_id)
        raise
    return reversal, following.pk if following else None


def _reverse_run(reversal: ClosingRun) -> None:
    target = reversal.reverses
    user = reversal.started_by
    adjustments = CostAdjustment.objects.filter(run=target)
    system = closing_transactions(run_number=target.number)
    undo_run(target)
    voucher = post_run_voucher(reversal, reversal_of=target) if target.voucher_id else None
    adjustments_count = adjustments.count()
    # The run's weighted-average closing pair goes, with its settlements; every other settlement
    # and adjustment stays, cancelled with its run.
    settlements_delete(transaction_ids=list(system.values_list("pk", flat=True)))
    closing_transactions_delete(run_number=target.number)
    if target.run_type == ClosingRun.RunType.STANDARD_COST_REVALUATION:
        revaluation_reverse(run=target)
    target.is_cancelled = True
    target.status = ClosingRun.Status.CANCELLED
    target.save(update_fields=["is_cancelled", "status"])
    reversal.voucher = voucher
    reversal.status = ClosingRun.Status.ENDED
    reversal.phase = "ended"
    reversal.ended_at = timezone.now()
    reversal.progress_at = reversal.ended_at
    reversal.adjustments_count = adjustments_count
    reversal.save()
    audit_record(user=user, action="closing.reverse", obj=target, reversal=reversal.number,
                 voucher=voucher.number if voucher else "")
    run_ended_after_commit(reversal.pk)
