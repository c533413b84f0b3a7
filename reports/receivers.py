"""Listens to closing: after every close, recalculation, adjustment and reversal, check the books
and tell whoever started it; when a run fails, tell them too."""

import logging

from django.dispatch import receiver

from closing.signals import run_ended, run_failed

logger = logging.getLogger(__name__)


@receiver(run_ended, dispatch_uid="reports.check_books_after_run")
def check_books_after_run(sender, run_id: int, **kwargs) -> None:
    from reports.services import run_checks_record

    # The run has committed and ended; a failing check must not turn it into an error, so the
    # failure is logged and the run page shows that no check result is stored.
    try:
        result = run_checks_record(run_id=run_id)
    except Exception:
        logger.exception("Book checks after run %s failed to run", run_id)
        return
    if not result.ok:
        logger.warning("Book checks after run %s found differences: %s", run_id,
                       "; ".join(line for line in result.lines() if line.startswith("FAIL")))


@receiver(run_ended, dispatch_uid="reports.notify_run_ended")
def notify_run_ended(sender, run_id: int, **kwargs) -> None:
    from reports.notifications import run_notify_safely

    run_notify_safely(run_id=run_id, event="ended")


@receiver(run_failed, dispatch_uid="reports.notify_run_failed")
def notify_run_failed(sender, run_id: int, **kwargs) -> None:
    from reports.notifications import run_notify_safely

    run_notify_safely(run_id=run_id, event="failed")
