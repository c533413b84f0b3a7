"""The accountant's start page (issue #17, point 16): where the month end stands and what to do next.

Every figure is a small query: the home page is opened all day, so nothing here reads the big
tables through (items below zero come from the on-hand figures the postings keep; the negative
inventory report, one click away, counts them from the transactions)."""

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from closing.models import ClosingLog, ClosingRun
from inventory.models import Journal, OnHand
from ledger.models import FiscalPeriod
from reports.models import BookCheck, CloseSignOff


@dataclass(frozen=True)
class NextStep:
    text: str
    url: str
    urgent: bool = False


@dataclass
class MonthEnd:
    latest_close: ClosingRun | None
    latest_close_signed: CloseSignOff | None
    next_period_end: date
    unfinished_runs: list[ClosingRun]
    warnings_run: ClosingRun | None
    warnings: list[ClosingLog]
    warnings_count: int
    items_below_zero: int
    book_check: dict | None  # {"ok", "when", "url", "label"} of the latest book check, run's or on demand
    open_journals: int
    steps: list[NextStep] = field(default_factory=list)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def next_period_end(*, after: date | None, today: date) -> date:
    """The end of the fiscal period after the latest close (a month end when no period is set up);
    with no close yet, the last month end that has passed."""
    if after is None:
        return today.replace(day=1) - timedelta(days=1)
    period = FiscalPeriod.objects.filter(end_date__gt=after).order_by("end_date").first()
    return period.end_date if period else month_end(after + timedelta(days=1))


def _latest_book_check() -> dict | None:
    """The newer of the run's automatic checks and the checks asked for on demand."""
    run = ClosingRun.objects.exclude(checks={}).only("pk", "number", "checks", "ended_at", "created_at").first()
    check = BookCheck.objects.filter(status=BookCheck.Status.ENDED).order_by("-ended_at", "-id").first()
    run_when = run.ended_at or run.created_at if run else None
    if check is not None and (run is None or (check.ended_at and check.ended_at >= run_when)):
        return {"ok": check.ok, "when": check.ended_at, "url": check.get_absolute_url(),
                "label": str(check)}
    if run is not None:
        return {"ok": run.checks.get("ok"), "when": run_when, "url": run.get_absolute_url(),
                "label": f"after {run.number}"}
    return None


def month_end_status(*, today: date | None = None) -> MonthEnd:
    today = today or timezone.localdate()
    latest = (ClosingRun.objects.filter(run_type=ClosingRun.RunType.CLOSING, status=ClosingRun.Status.ENDED,
                                        is_cancelled=False).select_related("started_by").order_by("-date", "-id").first())
    signed = CloseSignOff.objects.filter(run=latest).first() if latest else None
    unfinished = list(ClosingRun.objects.filter(status__in=ClosingRun.UNFINISHED).order_by("-id")[:5])
    # Warnings of the latest run that logged any and is still in force: what the close left open.
    warnings_run = (ClosingRun.objects.filter(is_cancelled=False, warnings_count__gt=0)
                    .exclude(status=ClosingRun.Status.CANCELLED).order_by("-id").first())
    warnings = list(ClosingLog.objects.filter(run=warnings_run).exclude(level=ClosingLog.Level.INFO)
                    .select_related("item").order_by("id")[:5]) if warnings_run else []
    below_zero = (OnHand.objects.filter(Q(physical_qty__lt=0) | Q(financial_qty__lt=0))
                  .values("item_id").distinct().count())
    status = MonthEnd(
        latest_close=latest, latest_close_signed=signed,
        next_period_end=next_period_end(after=latest.date if latest else None, today=today),
        unfinished_runs=unfinished, warnings_run=warnings_run, warnings=warnings,
        warnings_count=warnings_run.warnings_count if warnings_run else 0,
        items_below_zero=below_zero, book_check=_latest_book_check(),
        open_journals=Journal.objects.filter(status=Journal.Status.DRAFT).count())
    status.steps = _next_steps(status, today)
    return status


def _next_steps(status: MonthEnd, today: date) -> list[NextStep]:
    """What to do next, most urgent first, as an accountant works through a month end."""
    steps = []
    for run in status.unfinished_runs:
        verb = "Resume" if run.status in (ClosingRun.Status.FAILED, ClosingRun.Status.PAUSED) else "Follow"
        steps.append(NextStep(f"{verb} {run.number} ({run.get_run_type_display().lower()}, {run.get_status_display().lower()})",
                              run.get_absolute_url(), urgent=run.status == ClosingRun.Status.FAILED))
    if status.book_check and status.book_check["ok"] is False:
        steps.append(NextStep("The latest book check found differences: look at them", status.book_check["url"], urgent=True))
    if status.open_journals:
        steps.append(NextStep(f"Post or delete the {status.open_journals} journal{'s' if status.open_journals != 1 else ''} "
                              "not yet posted", reverse("inventory:journal_list") + "?status=draft"))
    if status.items_below_zero:
        steps.append(NextStep(f"Check the {status.items_below_zero} item{'s' if status.items_below_zero != 1 else ''} "
                              "below zero before closing", reverse("reports:negative_inventory")))
    if status.next_period_end < today and not status.unfinished_runs:
        steps.append(NextStep(f"Close inventory up to {status.next_period_end:%Y-%m-%d}", reverse("closing:run_list")))
    if status.latest_close and status.latest_close_signed is None:
        steps.append(NextStep(f"Sign off the summary of {status.latest_close.number}",
                              reverse("reports:close_summary", args=[status.latest_close.pk])))
    if status.warnings_count:
        steps.append(NextStep(f"Review the {status.warnings_count} warning{'s' if status.warnings_count != 1 else ''} "
                              f"of {status.warnings_run.number}", reverse("closing:run_log", args=[status.warnings_run.pk])))
    if not steps:
        steps.append(NextStep(f"Nothing is waiting: the next close is up to {status.next_period_end:%Y-%m-%d}",
                              reverse("closing:run_list")))
    return steps
