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
