"""Reads for the Closing and adjustment pages."""

from django.db.models import QuerySet

from closing.models import ClosingRun


def run_latest() -> ClosingRun | None:
    return ClosingRun.objects.select_related("voucher", "started_by").order_by("-id").first()


def run_list(*, include_cancelled: bool = False) -> QuerySet[ClosingRun]:
    runs = ClosingRun.objects.select_related("voucher", "started_by")
    if not include_cancelled:
        runs = runs.filter(is_cancelled=False).exclude(status=ClosingRun.Status.CANCELLED)
    return runs


def closing_lock_date():
    """Inventory is closed on and before the date of the latest close that is not cancelled —
    from the moment that close is queued, so nothing slips in while it runs."""
    latest = (
        ClosingRun.objects.filter(run_type=ClosingRun.RunType.CLOSING, is_cancelled=False)
        .exclude(status=ClosingRun.Status.CANCELLED)
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )
    return latest


def run_status(*, run: ClosingRun) -> dict:
    """The small status document the page polls and `closing_status --json` prints."""
    elapsed = None
    if run.started_at:
        from django.utils import timezone

        elapsed = ((run.ended_at or timezone.now()) - run.started_at).total_seconds()
    rate = (run.transactions_done / elapsed) if elapsed else 0.0
    remaining = run.transactions_total - run.transactions_done
    eta = (remaining / rate) if rate and run.status == ClosingRun.Status.RUNNING else None
    return {
        "id": run.pk, "number": run.number, "type": run.run_type, "status": run.status, "phase": run.phase,
        "date": run.date.isoformat(), "progress": run.progress_percent,
        "items_total": run.items_total, "items_done": run.items_done,
        "transactions_total": run.transactions_total, "transactions_done": run.transactions_done,
        "bundles_total": run.bundles_total, "bundles_done": run.bundles_done,
        "settlements": run.settlements_count, "adjustments": run.adjustments_count, "warnings": run.warnings_count,
        "voucher": run.voucher.number if run.voucher_id else None,
        "rate_per_second": round(rate, 1), "eta_seconds": round(eta) if eta is not None else None,
        "error": run.error,
    }
