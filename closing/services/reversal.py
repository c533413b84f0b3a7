"""Reversal: a close, an adjustment or recalculations taken back, the books exactly as before the
run, and the run kept visible as cancelled."""

from datetime import date

from django.utils import timezone

from closing.models import ClosingRun, CostAdjustment
from closing.selectors import latest_adjustment as active_adjustment
from closing.selectors import latest_close
from closing.services.revaluation import revaluation_reversal_refusal, revaluation_reverse
from closing.services.runs import closing_lock, run_noun
from closing.services.vouchers import post_run_voucher
from closing.signals import run_ended_after_commit
from closing.writer import RUN_TABLES, refresh_statistics, roomy_sorts, settlements_delete, undo_run
from common.audit import audit_record
from common.errors import DomainError
from common.numbering import number_next
from inventory.services.valuation import closing_transactions, closing_transactions_delete
from ledger.services import PeriodGuard


def closing_reverse(*, user=None, recalculations_from: date | None = None, latest_adjustment: bool = False
                    ) -> list[ClosingRun]:
    """Reverse the latest active close (one at a time), the latest on-hand or transaction
    adjustment, or every recalculation dated on or after a date (newest first). Settlements are
    cancelled, adjustments and the voucher reversed; the books end exactly as they were before the
    run, and the run stays visible as cancelled."""
    reversed_runs = []
    with closing_lock():
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
        else:
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
            targets = [target]
            if target.run_type == ClosingRun.RunType.STANDARD_COST_REVALUATION:
                refusal = revaluation_reversal_refusal(run=target)
                if refusal:
                    raise DomainError(refusal)
        guard = PeriodGuard()
        for target in targets:
            if target.voucher_id:
                # The reversing voucher is dated like the voucher it takes back.
                guard.check(target.date)
        roomy_sorts(256)
        refresh_statistics(*RUN_TABLES)
        for target in targets:
            reversed_runs.append(_reverse_run(target, user))
    return reversed_runs


def _reverse_run(target: ClosingRun, user) -> ClosingRun:
    reversal = ClosingRun.objects.create(
        number=number_next(code="closing"), run_type=ClosingRun.RunType.REVERSAL, date=target.date,
        specification=target.specification, status=ClosingRun.Status.RUNNING, reverses=target,
        started_by=user if getattr(user, "pk", None) else None, started_at=timezone.now(), phase="reversing",
        note=f"Reversal of {target.number}")
    adjustments = CostAdjustment.objects.filter(run=target)
    system = closing_transactions(run_number=target.number)
    undo_run(target.pk)
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
    reversal.adjustments_count = adjustments_count
    reversal.save()
    audit_record(user=user, action="closing.reverse", obj=target, reversal=reversal.number,
                 voucher=voucher.number if voucher else "")
    run_ended_after_commit(reversal.pk)
    return reversal
