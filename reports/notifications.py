"""Run notifications (issue #17, point 18): whoever started a close, recalculation, adjustment or
reversal is e-mailed when it ends or fails, through Django's mail settings (EMAIL_* in
config/settings.py; the console backend in development). Called by reports.receivers on the
closing signals, after the run's transaction has committed."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from closing.models import ClosingRun

logger = logging.getLogger(__name__)


def _link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path if settings.SITE_URL else path


def run_notify(*, run_id: int, event: str) -> bool:
    """E-mail the run's starter that it `event` ("ended" or "failed"). False when nobody can be told
    (a run started by the system or the API without a user, or a user without an address)."""
    run = ClosingRun.objects.select_related("started_by", "voucher").get(pk=run_id)
    user = run.started_by
    if user is None or not user.email:
        return False
    kind = run.get_run_type_display()
    lines = [f"Hello {user.get_full_name() or user.get_username()},", ""]
    if event == "failed":
        subject = f"{kind} {run.number} up to {run.date:%Y-%m-%d} failed"
        lines += [f"The {kind.lower()} {run.number} you started failed:", "", run.error or "(no reason recorded)", "",
                  "It keeps the closing lock until it is resumed or cancelled. Open it to resume it:"]
    else:
        subject = f"{kind} {run.number} up to {run.date:%Y-%m-%d} has ended"
        lines += [f"The {kind.lower()} {run.number} you started has ended: {run.settlements_count} settlements, "
                  f"{run.adjustments_count} adjustments, {run.warnings_count} warnings"
                  + (f", voucher {run.voucher.number}." if run.voucher_id else "."), "",
                  "The summary, to check and sign off:", _link(reverse("reports:close_summary", args=[run.pk])), "",
                  "The run:"]
    lines += [_link(run.get_absolute_url()), "", "Costbook"]
    send_mail(subject, "\n".join(lines), None, [user.email])
    return True


def run_notify_safely(*, run_id: int, event: str) -> None:
    """A mail server that does not answer must not turn a run's end into an error: logged instead."""
    try:
        run_notify(run_id=run_id, event=event)
    except Exception:
        logger.exception("Could not e-mail the starter of run %s that it %s", run_id, event)
