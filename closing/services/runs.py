"""Starting a run: the request, its checks, the company-wide closing lock, and which items a
run takes and what is queued next."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from closing import queue as steps
from closing.models import ClosingRun, InventoryParameters, Specification
from closing.selectors import SETTLING_METHODS, latest_close, unfinished_run
from common.audit import audit_record
from common.errors import DomainError
from common.money import ZERO
from common.numbering import number_next
from inventory.models import (
    FINANCIAL_STATUSES,
    InventoryTransaction,
    Item,
    ItemGroup,
    TransactionStatus,
)
from inventory.services.posting_gate import posting_gate_close
from ledger.services import PeriodGuard

ANOTHER_RUN = "Another closing or adjustment has not finished yet ({run}). Wait for it, resume it or reverse it."

@dataclass
class RunRequest:
    run_type: str
    date: date
    specification: str = Specification.TOTAL
    note: str = ""
    min_adjustment: Decimal = ZERO
    items: Sequence[str] = ()
    item_groups: Sequence[str] = ()


def check_request(request: RunRequest) -> dict:
    if request.specification not in Specification.values:
        raise DomainError(f"Unknown specification {request.specification!r}: use total, item-group or item.",
                          field="specification")
    if request.min_adjustment < ZERO:
        raise DomainError("The minimum adjustment cannot be negative.", field="min_adjustment")
    previous = latest_close()
    if previous is not None and request.date <= previous.date:
        raise DomainError(
            f"Inventory is already closed up to {previous.date:%Y-%m-%d} ({previous.number}): choose a date after it.",
            field="date")
    problems = PeriodGuard().problems(request.date)
    if problems:
        raise DomainError(problems[0], field="date")
    selection = {}
    if request.run_type == ClosingRun.RunType.RECALCULATION and (request.items or request.item_groups):
        known_items = set(Item.objects.filter(number__in=request.items).values_list("number", flat=True))
        unknown = [number for number in request.items if number not in known_items]
        if unknown:
            raise DomainError(f"Unknown item(s) in the selection: {', '.join(unknown)}.", field="items")
        known_groups = set(ItemGroup.objects.filter(code__in=request.item_groups).values_list("code", flat=True))
        unknown = [code for code in request.item_groups if code not in known_groups]
        if unknown:
            raise DomainError(f"Unknown item group(s) in the selection: {', '.join(unknown)}.", field="item_groups")
        selection = {"items": list(request.items), "item_groups": list(request.item_groups)}
    return selection


@contextmanager
def closing_lock() -> Iterator[None]:
    """The company-wide closing lock, for whatever starts a run or reverses one: one atomic block
    that waits for any other start (the parameters row) and refuses while a run is unfinished. Two
    users starting at the same moment are told apart by the database's one-unfinished-run
    constraint, and the second is refused with the same message."""
    InventoryParameters.load()
    try:
        with transaction.atomic():
            InventoryParameters.objects.select_for_update().get(pk=1)
            running = unfinished_run()
            if running is not None:
                raise DomainError(ANOTHER_RUN.format(run=running))
            yield
    except IntegrityError as error:
        # PostgreSQL names the constraint; SQLite names the column of the unique index.
        if "one_unfinished_closing_run" in str(error) or "closing_closingrun.exclusive" in str(error):
            raise DomainError(ANOTHER_RUN.format(run="started by another user just now")) from error
        raise


def closing_start(*, request: RunRequest, user=None, queue: bool = True) -> ClosingRun:
    """Queue a close or recalculation. Refused, with nothing written, when the date is not after the
    latest close, its fiscal period is not open, the selection names unknown items or groups, or
    another run is unfinished (the database refuses the second one even when two users click at
    the same moment). Queued for the workers once committed; `queue=False` leaves it for the caller
    to run here (`--wait`, the benchmark, tests)."""
    if request.run_type not in (ClosingRun.RunType.CLOSING, ClosingRun.RunType.RECALCULATION):
        raise DomainError(f"{request.run_type} runs are not started here.")
    parameters = InventoryParameters.load()
    with closing_lock():
        selection = check_request(request)
        if request.run_type == ClosingRun.RunType.CLOSING and not posting_gate_close():
            raise DomainError(POSTINGS_OPEN)
        run = ClosingRun.objects.create(
            number=number_next(code="closing"), run_type=request.run_type, date=request.date,
            specification=request.specification, note=request.note, min_adjustment=request.min_adjustment,
            max_iterations=parameters.max_iterations, selection=selection,
            started_by=user if getattr(user, "pk", None) else None, phase="queued", progress_at=timezone.now(),
        )
        audit_record(user=user, action=f"{request.run_type}.start", obj=run, date=str(request.date),
                     specification=request.specification)
        if queue:
            transaction.on_commit(lambda: _queue_or_withdraw(run))
    return run


POSTINGS_OPEN = ("Postings are being made right now (an import, a journal or a batch from the API): a close starts "
                 "only when none is open, so that nothing is posted into the period it closes while it reads it. "
                 "Start the close again once they are posted.")
QUEUE_AWAY = ("The job queue (Redis) cannot be reached, so the {what} was not {done} ({error}). Start the workers' "
              "Redis and try again, or run it here with --wait.")


def run_noun(run: ClosingRun) -> str:
    """How messages name a run: "close", "recalculation", "on-hand adjustment"..."""
    return "close" if run.run_type == ClosingRun.RunType.CLOSING else run.get_run_type_display().lower()


def first_step(run: ClosingRun) -> str:
    """The step a queued run starts with: a reversal is one job, any other run is coordinated."""
    return "reverse" if run.run_type == ClosingRun.RunType.REVERSAL else "coordinate"


def queue_away(run: ClosingRun, *, done: str, error: Exception) -> str:
    return QUEUE_AWAY.format(what=run_noun(run), done=done, error=(str(error) or error.__class__.__name__).rstrip(". "))


def _queue_or_withdraw(run: ClosingRun) -> None:
    """Queue a run just started; if the queue cannot take it, withdraw the run (it has nothing yet:
    no bundle, no result), so no run waits in "queued" for a job that does not exist."""
    try:
        steps.enqueue("coordinate", run.pk)
    except Exception as error:  # whatever Redis or the network raised
        ClosingRun.objects.filter(pk=run.pk, status=ClosingRun.Status.QUEUED, bundles__isnull=True).delete()
        raise DomainError(queue_away(run, done="started", error=error)) from error


def run_items(run: ClosingRun):
    items = Item.objects.filter(model_group__valuation_method__in=SETTLING_METHODS)
    selection = run.selection or {}
    if selection.get("items") or selection.get("item_groups"):
        items = items.filter(Q(number__in=selection.get("items", [])) | Q(item_group__code__in=selection.get("item_groups", [])))
    open_items = InventoryTransaction.objects.filter(value_open=True).filter(
        Q(status__in=FINANCIAL_STATUSES, date_financial__lte=run.date)
        | Q(status__in=[TransactionStatus.RECEIVED, TransactionStatus.DEDUCTED], date_physical__lte=run.date)
    ).values("item_id")
    return items.filter(pk__in=open_items).order_by("pk").values_list("pk", flat=True)


def enqueue_bundles(run: ClosingRun, bundle_ids: list[int]) -> None:
    """Queue a run's pending bundles, or its final step when none is left."""
    if not bundle_ids:
        steps.enqueue("finalize", run.pk)
    for bundle_id in bundle_ids:
        steps.enqueue("bundle", bundle_id)


def previous_close_date(run: ClosingRun) -> date | None:
    previous = latest_close(exclude=run)
    if previous is not None and previous.date < run.date:
        return previous.date
    return None
