"""Closing and adjustment: start, process, finalize, pause, resume, reverse and preview runs.

A run's state lives in PostgreSQL (or SQLite): the run row, its bundles and their results. Redis only
carries the queue, so any step can be redone from the database: a bundle's results and its "done"
mark commit together, a crashed bundle rolls back and stays pending, and resuming re-enqueues
whatever is not done.
"""

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, connection, connections, transaction
from django.db.models import Case, F, Q, Sum, When
from django.utils import timezone

from closing.data import TxnInfo, apply_value_deltas, compute_bundle
from ledger.bulk import apply_deltas, copy_rows
from closing.models import (ClosingBundle, ClosingLog, ClosingRun, CostAdjustment, InventoryParameters, RunPostedAmount,
                            Settlement, Specification)
from closing.selectors import latest_adjustment as active_adjustment
from closing.selectors import latest_close, unfinished_run
from closing.signals import run_ended_after_commit
from inventory.models import (
    FINANCIAL_STATUSES,
    InventoryTransaction,
    Item,
    ItemGroup,
    ItemModelGroup,
    SourceType,
    TransactionStatus,
    ValuationMethod,
)
from ledger.errors import DomainError
from ledger.models import MainAccount, Voucher
from ledger.money import ZERO, round_amount
from ledger.services import (LineSpec, PeriodGuard, VoucherDraft, audit_record, number_next, reversing_lines,
                             vouchers_write)

FULLY_SETTLED = ("ROUND(inventory_inventorytransaction.qty_settled + d.d_qty, 6) = "
                 "ROUND(inventory_inventorytransaction.qty, 6)")
ANOTHER_RUN = "Another closing or adjustment has not finished yet ({run}). Wait for it, resume it or reverse it."
SETTLING_METHODS = [m for m in ValuationMethod.values if m not in (ValuationMethod.STANDARD_COST, ValuationMethod.MOVING_AVERAGE)]

Enqueue = Callable[[str, int], None]


def _commit_without_waiting_for_disk() -> None:
    """A bundle's results and its "done" mark commit together, so a bundle lost to a database server
    crash in the short window before its commit reaches disk simply comes back as not done, and
    resume redoes it. That lets bundle commits skip waiting for the WAL flush (each writes tens of
    megabytes): PostgreSQL's synchronous_commit=off for this transaction only; consistency is kept."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def _roomy_sorts(megabytes: int) -> None:
    """Give this transaction's sorts and hash aggregates room in memory (PostgreSQL's default of
    4 MB spills a reversal's million-row aggregate to disk). Reset at commit."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{int(megabytes)}MB'")


def _refresh_statistics(*tables: str) -> None:
    """A close adds hundreds of thousands of settlement and adjustment rows at once; until
    autovacuum notices, the planner believes those tables are tiny and joins them row by row
    (measured: a reversal of 1M transactions planned as a nested loop of index probes). ANALYZE
    samples a few thousand rows, so it costs milliseconds."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"ANALYZE {table}")


RUN_TABLES = ("closing_settlement", "closing_costadjustment", "inventory_inventorytransaction")


# -- starting -------------------------------------------------------------------------------------

@dataclass
class RunRequest:
    run_type: str
    date: date
    specification: str = Specification.TOTAL
    note: str = ""
    min_adjustment: Decimal = ZERO
    items: Sequence[str] = ()
    item_groups: Sequence[str] = ()


def _check_request(request: RunRequest) -> dict:
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
    period = PeriodGuard().period_for(request.date)
    if period is not None and period.status != period.Status.OPEN:
        raise DomainError(f"Fiscal period {period.name} is {period.get_status_display().lower()}: "
                          f"nothing can be posted on {request.date:%Y-%m-%d}.", field="date")
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


def closing_start(*, request: RunRequest, user=None, enqueue: Enqueue | None = None) -> ClosingRun:
    """Queue a close or recalculation. Refused, with nothing written, when the date is not after the
    latest close, its fiscal period is not open, the selection names unknown items or groups, or
    another run is unfinished (the database refuses the second one even when two users click at
    the same moment)."""
    if request.run_type not in (ClosingRun.RunType.CLOSING, ClosingRun.RunType.RECALCULATION):
        raise DomainError(f"{request.run_type} runs are not started here.")
    parameters = InventoryParameters.load()
    with closing_lock():
        selection = _check_request(request)
        run = ClosingRun.objects.create(
            number=number_next(code="closing"), run_type=request.run_type, date=request.date,
            specification=request.specification, note=request.note, min_adjustment=request.min_adjustment,
            max_iterations=parameters.max_iterations, selection=selection,
            started_by=user if getattr(user, "pk", None) else None, phase="queued",
        )
        audit_record(user=user, action=f"{request.run_type}.start", obj=run, date=str(request.date),
                     specification=request.specification)
        if enqueue is not None:
            transaction.on_commit(lambda: enqueue("coordinate", run.pk))
    return run


# -- parameters -----------------------------------------------------------------------------------

PARAMETER_FIELDS = ("storno_for_adjustments", "default_specification", "default_min_adjustment", "items_per_bundle",
                    "max_iterations")


def parameters_update(*, user=None, **changes) -> InventoryParameters:
    """Change the Inventory parameters (README 2.4, 3): validated by the model's constraints, audited
    with the values before and after. Runs already started keep the values they were started with."""
    unknown = set(changes) - set(PARAMETER_FIELDS)
    if unknown:
        raise DomainError(f"Unknown inventory parameter(s): {', '.join(sorted(unknown))}.")
    InventoryParameters.load()
    with transaction.atomic():
        parameters = InventoryParameters.objects.select_for_update().get(pk=1)
        before = {name: str(getattr(parameters, name)) for name in changes}
        for name, value in changes.items():
            setattr(parameters, name, value)
        if parameters.items_per_bundle < 1:
            raise DomainError("The number of items per bundle must be at least 1.", field="items_per_bundle")
        if parameters.max_iterations < 1:
            raise DomainError("The maximum throughputs must be at least 1.", field="max_iterations")
        if parameters.default_min_adjustment < ZERO:
            raise DomainError("The default minimum adjustment cannot be negative.", field="default_min_adjustment")
        parameters.save()
        after = {name: str(getattr(parameters, name)) for name in changes}
        changed = {name: {"from": before[name], "to": after[name]} for name in changes if before[name] != after[name]}
        if changed:
            audit_record(user=user, action="parameters.change", obj=parameters, changes=changed)
    return parameters


# -- coordinating ---------------------------------------------------------------------------------

def _selected_items(run: ClosingRun):
    items = Item.objects.filter(model_group__valuation_method__in=SETTLING_METHODS)
    selection = run.selection or {}
    if selection.get("items") or selection.get("item_groups"):
        items = items.filter(Q(number__in=selection.get("items", [])) | Q(item_group__code__in=selection.get("item_groups", [])))
    open_items = InventoryTransaction.objects.filter(value_open=True).filter(
        Q(status__in=FINANCIAL_STATUSES, date_financial__lte=run.date)
        | Q(status__in=[TransactionStatus.RECEIVED, TransactionStatus.DEDUCTED], date_physical__lte=run.date)
    ).values("item_id")
    return items.filter(pk__in=open_items).order_by("pk").values_list("pk", flat=True)


def run_coordinate(*, run_id: int, enqueue: Enqueue | None = None) -> ClosingRun:
    """Split the run's items into bundles and queue them. Safe to call again: bundles are made once."""
    with transaction.atomic():
        run = ClosingRun.objects.select_for_update().get(pk=run_id)
        if run.status not in (ClosingRun.Status.QUEUED, ClosingRun.Status.RUNNING):
            return run
        if not run.bundles.exists():
            size = InventoryParameters.load().items_per_bundle
            item_ids = list(_selected_items(run))
            bundles = [ClosingBundle(run=run, number=index // size + 1, cost_dimension_ids=item_ids[index:index + size])
                       for index in range(0, len(item_ids), size)]
            ClosingBundle.objects.bulk_create(bundles)
            run.items_total = len(item_ids)
            run.bundles_total = len(bundles)
            run.transactions_total = InventoryTransaction.objects.filter(item_id__in=item_ids, value_open=True).count() if item_ids else 0
        run.status = ClosingRun.Status.RUNNING
        run.phase = "processing bundles"
        run.started_at = run.started_at or timezone.now()
        run.save()
        pending = list(run.bundles.exclude(status=ClosingBundle.Status.DONE).values_list("pk", flat=True))
        if enqueue is not None:
            transaction.on_commit(lambda: _enqueue_bundles(run, pending, enqueue))
    return run


def _enqueue_bundles(run: ClosingRun, bundle_ids: list[int], enqueue: Enqueue) -> None:
    if not bundle_ids:
        enqueue("finalize", run.pk)
    for bundle_id in bundle_ids:
        enqueue("bundle", bundle_id)


# -- processing a bundle --------------------------------------------------------------------------

def _previous_close_date(run: ClosingRun) -> date | None:
    previous = latest_close(exclude=run)
    if previous is not None and previous.date < run.date:
        return previous.date
    return None


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
            _roomy_sorts(64)
            _commit_without_waiting_for_disk()
            run = bundle.run
            if bundle.status == ClosingBundle.Status.DONE:
                return "skipped"
            current = ClosingRun.objects.values_list("status", flat=True).get(pk=run.pk)
            if current != ClosingRun.Status.RUNNING:
                _try_settle_pause(run)  # not _settle_pause: another worker may be in the middle of a bundle
                return "skipped"
            model_groups = {group.pk: group for group in ItemModelGroup.objects.all()}
            outcome = compute_bundle(
                item_ids=bundle.cost_dimension_ids, close_date=run.date, previous_close=_previous_close_date(run),
                settle=run.run_type == ClosingRun.RunType.CLOSING, max_iterations=run.max_iterations,
                model_groups=model_groups)
            counts = _write_outcome(run, outcome)
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
                warnings_count=F("warnings_count") + counts["warnings"],
            )
    except Exception as error:  # noqa: BLE001 - any failure marks the run failed, to be resumed
        _bundle_failed(bundle_id, error)
        return "failed"
    # A pause asked while this bundle was in the middle: the last bundle to end settles it.
    with transaction.atomic():
        _try_settle_pause(run)
    return "done"


def _bundle_failed(bundle_id: int, error: Exception) -> None:
    message = str(error) or error.__class__.__name__
    with transaction.atomic():
        bundle = ClosingBundle.objects.select_for_update().get(pk=bundle_id)
        items = ", ".join(Item.objects.filter(pk__in=bundle.cost_dimension_ids[:5]).values_list("number", flat=True))
        bundle.status = ClosingBundle.Status.FAILED
        bundle.attempts += 1
        bundle.error = message[:2000]
        bundle.save(update_fields=["status", "attempts", "error"])
        ClosingRun.objects.filter(pk=bundle.run_id).exclude(status=ClosingRun.Status.CANCELLED).update(
            status=ClosingRun.Status.FAILED, phase="failed",
            error=f"Bundle {bundle.number} (items {items}{'…' if len(bundle.cost_dimension_ids) > 5 else ''}) failed: {message}"[:4000])


def _settle_pause(run_id: int) -> None:
    """A run asked to pause becomes paused once no bundle of it is being processed."""
    ClosingRun.objects.filter(pk=run_id, status=ClosingRun.Status.PAUSING).update(status=ClosingRun.Status.PAUSED, phase="paused")


def _write_outcome(run: ClosingRun, outcome) -> dict[str, int]:
    is_close = run.run_type == ClosingRun.RunType.CLOSING
    info: dict[int, TxnInfo] = outcome.info
    counts = {"settlements": 0, "adjustments": 0, "warnings": 0}
    system_ids: dict[tuple[int, int], int] = {}
    if is_close:
        system_ids = _create_system_transactions(run, outcome)
    adjustments: list[tuple[TxnInfo, Decimal]] = []
    settlement_rows = []
    deltas: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO])  # qty settled, amount settled, adjustment
    warnings = []
    for dimension_id, result in outcome.results.items():
        for adjustment in result.adjustments:
            if adjustment.txn_id < 0 or adjustment.amount == ZERO:
                continue
            if not is_close and abs(adjustment.amount) < run.min_adjustment:
                continue  # recalculation does not make adjustments below the minimum
            adjustments.append((info[adjustment.txn_id], adjustment.amount))
            deltas[adjustment.txn_id][2] += adjustment.amount
        if is_close:
            for settlement in result.settlements:
                issue_id = system_ids.get((dimension_id, settlement.issue_id), settlement.issue_id)
                receipt_id = system_ids.get((dimension_id, settlement.receipt_id), settlement.receipt_id)
                settlement_rows.append((run.pk, issue_id, receipt_id, settlement.qty, settlement.amount, run.date))
                if settlement.issue_id > 0:
                    deltas[issue_id][0] -= settlement.qty
                    deltas[issue_id][1] -= settlement.amount
                if settlement.receipt_id > 0:
                    deltas[receipt_id][0] += settlement.qty
                    deltas[receipt_id][1] += settlement.amount
        for warning in result.warnings:
            txn = info.get(warning.txn_id)
            warnings.append(ClosingLog(run=run, level=ClosingLog.Level.WARNING, item_id=txn.item_id if txn else None,
                                       transaction_id=warning.txn_id if txn else None, message=warning.message))
    copy_rows("closing_settlement", ["run_id", "issue_id", "receipt_id", "qty", "amount", "date"], settlement_rows, plain=True)
    copy_rows("closing_costadjustment", ["run_id", "transaction_id", "amount", "date"],
              [(run.pk, txn.id, amount, run.date) for txn, amount in adjustments], plain=True)
    if warnings:
        _name_items(warnings)
        ClosingLog.objects.bulk_create(warnings)
    apply_deltas(
        table="inventory_inventorytransaction",
        rows=[(txn_id, *values) for txn_id, values in deltas.items()],
        columns=["id", "d_qty", "d_amount", "d_adjustment"],
        # ROUND keeps SQLite's float arithmetic at the columns' precision; on PostgreSQL it is exact anyway.
        set_sql=("qty_settled = ROUND(inventory_inventorytransaction.qty_settled + d.d_qty, 6), "
                 "cost_amount_settled = ROUND(inventory_inventorytransaction.cost_amount_settled + d.d_amount, 2), "
                 "cost_amount_adjustment = ROUND(inventory_inventorytransaction.cost_amount_adjustment + d.d_adjustment, 2), "
                 f"value_open = CASE WHEN {FULLY_SETTLED} THEN %s ELSE inventory_inventorytransaction.value_open END, "
                 f"date_closed = CASE WHEN {FULLY_SETTLED} THEN %s ELSE inventory_inventorytransaction.date_closed END"),
        params=[False, run.date],
    )
    apply_value_deltas(adjustments)
    counts["settlements"] = len(settlement_rows)
    counts["adjustments"] = len(adjustments)
    counts["warnings"] = len(warnings)
    return counts


def _named(warnings: list[tuple[int | None, int | None, str]]) -> list[str]:
    """Warnings as the log shows them: "Item X, transaction Y: message" (two queries in all)."""
    numbers = dict(Item.objects.filter(pk__in={item for item, _, _ in warnings if item}).values_list("pk", "number"))
    refs = dict(InventoryTransaction.objects.filter(pk__in={txn for _, txn, _ in warnings if txn}).values_list("pk", "ref"))
    return [f"Item {numbers.get(item, '?')}, transaction {refs.get(txn, '?')}: {message}" for item, txn, message in warnings]


def _name_items(warnings: list[ClosingLog]) -> None:
    for warning, message in zip(warnings, _named([(w.item_id, w.transaction_id, w.message) for w in warnings]), strict=True):
        warning.message = message


def _create_system_transactions(run: ClosingRun, outcome) -> dict[tuple[int, int], int]:
    """The weighted average closing issue/receipt pairs: real transactions, settled as the engine
    says. They net to zero in quantity and value, so on-hand and the ledger do not move.

    Returns (cost dimension, engine id) -> transaction id: the engine numbers its system transactions
    -1, -2, ... in every dimension, so the id alone would send every dimension's settlements to the
    last dimension's pair."""
    from inventory.models import CostDimension

    created: dict[tuple[int, int], int] = {}
    pending = []
    wanted = [dimension_id for dimension_id, result in outcome.results.items() if result.system_txns]
    if not wanted:
        return created
    dimensions = CostDimension.objects.select_related("item__item_group").in_bulk(wanted)
    samples: dict[int, TxnInfo] = {}
    for txn in outcome.info.values():
        samples.setdefault(txn.dimension_id, txn)
    for dimension_id in wanted:
        result = outcome.results[dimension_id]
        dimension = dimensions[dimension_id]
        sample = samples[dimension_id]
        settled: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
        for settlement in result.settlements:
            if settlement.issue_id < 0:
                settled[settlement.issue_id][0] -= settlement.qty
                settled[settlement.issue_id][1] -= settlement.amount
            if settlement.receipt_id < 0:
                settled[settlement.receipt_id][0] += settlement.qty
                settled[settlement.receipt_id][1] += settlement.amount
        group = dimension.item.item_group
        for index, system in enumerate(result.system_txns, start=1):
            qty_settled, amount_settled = settled[system.id]
            receipt = system.qty > 0
            pending.append(((dimension_id, system.id), InventoryTransaction(
                ref=f"{run.number}-{dimension_id}-{index}", source_type=SourceType.WEIGHTED_AVERAGE_CLOSING,
                source_number=run.number, user_reference=system.label, item_id=dimension.item_id,
                site_id=dimension.site_id, warehouse_id=sample.warehouse_id, tracking_number=sample.tracking_number,
                cost_dimension_id=dimension_id, qty=system.qty,
                status=TransactionStatus.PURCHASED if receipt else TransactionStatus.SOLD,
                date_physical=system.date, date_financial=system.date, cost_amount_physical=system.amount,
                cost_amount_posted=system.amount, qty_settled=qty_settled, cost_amount_settled=amount_settled,
                value_open=qty_settled != system.qty, date_closed=run.date if qty_settled == system.qty else None,
                inventory_account_id=group.inventory_receipt_account_id if receipt else group.inventory_issue_account_id,
                offset_account_id=group.inventory_issue_account_id if receipt else group.inventory_receipt_account_id,
            )))
    if pending:
        saved = InventoryTransaction.objects.bulk_create([txn for _, txn in pending])
        for (key, _), txn in zip(pending, saved):
            created[key] = txn.pk
    return created


# -- finishing ------------------------------------------------------------------------------------

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
        _refresh_statistics(*RUN_TABLES)
        voucher = _post_run_voucher(run)
        run.voucher = voucher
        run.status = ClosingRun.Status.ENDED
        run.phase = "ended"
        run.ended_at = timezone.now()
        run.save()
        audit_record(user=run.started_by, action=f"{run.run_type}.end", obj=run, voucher=voucher.number if voucher else "",
                     settlements=run.settlements_count, adjustments=run.adjustments_count)
        run_ended_after_commit(run.pk)
    return run


def _is_decrease():
    """An adjustment that lowers the magnitude of its transaction's value (storno posts these as
    negative amounts on the original side)."""
    return Case(When(Q(amount__gt=0, transaction__qty__lt=0) | Q(amount__lt=0, transaction__qty__gt=0), then=True), default=False)


# Where the other side of a run's adjustments goes. A close, recalculation or transaction adjustment
# corrects the original posting, so both sides are the original transaction's accounts (README 3);
# an on-hand adjustment revalues what is on hand, against the item group's cost revaluation account
# (recorded on each adjustment, so a later change of the item group cannot move its reversal).
OFFSET_ACCOUNT = {ClosingRun.RunType.ON_HAND_ADJUSTMENT: "offset_account"}


def _posted_totals(run: ClosingRun, adjustments) -> dict[tuple[int, int, int | None, bool], Decimal]:
    """The run's amounts per (account, item group, item or None, decrease), on the accounts of each
    original transaction (not today's item group setup), whichever side of the transactions each
    account stands on. The item is kept only for a voucher specified per item; increases and
    decreases stay apart only with storno, because they go on different sides."""
    storno = InventoryParameters.load().storno_for_adjustments
    offset_field = OFFSET_ACCOUNT.get(run.run_type, "transaction__offset_account")
    keys = ["transaction__item__item_group", *(["transaction__item"] if run.specification == Specification.ITEM else []),
            *(["decrease"] if storno else [])]
    reaches_ledger = adjustments.filter(
        Q(transaction__status__in=FINANCIAL_STATUSES) | Q(transaction__item__model_group__post_physical_inventory=True))
    totals: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for account_field, direction in (("transaction__inventory_account", 1), (offset_field, -1)):
        for row in reaches_ledger.annotate(decrease=_is_decrease()).values(account_field, *keys).annotate(
                total=Sum("amount")).order_by():
            key = (row[account_field], row["transaction__item__item_group"], row.get("transaction__item"),
                   bool(row.get("decrease")))
            totals[key] += round_amount(row["total"]) * direction
    return totals


def _voucher_lines(run: ClosingRun, totals: dict[tuple[int, int, int | None, bool], Decimal]) -> list[LineSpec]:
    """The run's ledger lines, summarized by its specification: one amount per account (and item
    group / item). A decrease is kept apart only with storno (see _posted_totals), as a storno line."""
    per_group = run.specification != Specification.TOTAL
    lines_totals: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for (account_id, item_group_id, item_id, decrease), total in totals.items():
        lines_totals[(account_id, item_group_id if per_group else None, item_id, decrease)] += total
    accounts = {account.pk: account for account in MainAccount.objects.all()}
    lines: list[LineSpec] = []
    for (account_id, item_group_id, item_id, decrease), total in sorted(
            lines_totals.items(), key=lambda kv: (accounts[kv[0][0]].number, kv[0][1] or 0, kv[0][2] or 0, kv[0][3])):
        if total == ZERO:
            continue
        lines.append(LineSpec(
            account=accounts[account_id], amount=total, storno=decrease,
            item_group_id=item_group_id, item_id=item_id, description=f"{run.get_run_type_display()} {run.number}"))
    return lines


def _posted_amounts(run: ClosingRun, totals: dict[tuple[int, int, int | None, bool], Decimal]) -> list[RunPostedAmount]:
    per_group: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for (account_id, item_group_id, _, _), total in totals.items():
        per_group[(account_id, item_group_id)] += total
    return [RunPostedAmount(run=run, account_id=account_id, item_group_id=item_group_id, amount=total)
            for (account_id, item_group_id), total in sorted(per_group.items()) if total != ZERO]


def _post_run_voucher(run: ClosingRun, *, reversal_of: ClosingRun | None = None) -> Voucher | None:
    """The run's voucher, with what it posted per account and item group (RunPostedAmount); for a
    reversal, the mirror of the reversed run's voucher line by line, so it takes back exactly what
    was posted (to the cent, on the same accounts) even if a transaction's status or the item
    groups have changed since, and without re-reading the run's adjustments."""
    source = reversal_of or run
    if reversal_of is not None:
        lines = reversing_lines(voucher=reversal_of.voucher, storno=InventoryParameters.load().storno_for_adjustments)
        posted = [RunPostedAmount(run=run, account_id=row.account_id, item_group_id=row.item_group_id, amount=-row.amount)
                  for row in reversal_of.posted_amounts.all()]
    else:
        totals = _posted_totals(run, CostAdjustment.objects.filter(run=run))
        lines, posted = _voucher_lines(run, totals), _posted_amounts(run, totals)
    if not lines:
        return None
    description = (f"Reversal of {source.get_run_type_display().lower()} {source.number}" if reversal_of
                   else f"{run.get_run_type_display()} {run.number} up to {run.date:%Y-%m-%d}")
    vouchers = vouchers_write(drafts=[VoucherDraft(date=source.date, description=description, source=Voucher.Source.CLOSING,
                                                   lines=lines, reverses=source.voucher if reversal_of else None)],
                              user=run.started_by)
    RunPostedAmount.objects.bulk_create(posted)
    return vouchers[0] if vouchers else None


# -- pause, resume --------------------------------------------------------------------------------

def closing_pause(*, user=None, run_id: int | None = None) -> ClosingRun:
    """Ask the running close or recalculation (this one, when `run_id` is given) to pause: no new
    bundle starts, bundles being processed finish, then the run is paused."""
    with transaction.atomic():
        runs = ClosingRun.objects.select_for_update().filter(status__in=[ClosingRun.Status.QUEUED, ClosingRun.Status.RUNNING])
        run = (runs.filter(pk=run_id) if run_id is not None else runs).first()
        if run is None:
            raise DomainError("No close or recalculation is running, so there is nothing to pause.")
        run.status = ClosingRun.Status.PAUSING
        run.phase = "pausing"
        run.save(update_fields=["status", "phase"])
        audit_record(user=user, action="closing.pause", obj=run)
    # Nothing may be mid-bundle (the bundle row locks tell): settle to paused right away if so.
    with transaction.atomic():
        _try_settle_pause(run)
    run.refresh_from_db()
    return run


def _try_settle_pause(run: ClosingRun) -> bool:
    # The run row lock orders the workers that end or skip a bundle at the same moment, so that the
    # last of them sees the others' bundles unlocked and settles the pause.
    if not ClosingRun.objects.select_for_update().filter(pk=run.pk, status=ClosingRun.Status.PAUSING).values_list("pk", flat=True):
        return False
    if connection.vendor == "postgresql":
        busy = ClosingBundle.objects.select_for_update(skip_locked=True).filter(run=run).exclude(status=ClosingBundle.Status.DONE)
        total = ClosingBundle.objects.filter(run=run).exclude(status=ClosingBundle.Status.DONE).count()
        if len(list(busy)) < total:
            return False  # some bundle is being processed: the worker settles the pause when it ends
    _settle_pause(run.pk)
    return True


def closing_resume(*, user=None, enqueue: Enqueue | None = None, run_id: int | None = None) -> ClosingRun:
    """Resume a paused or failed run (this one, when `run_id` is given): failed bundles go back to
    pending and every bundle that is not done is queued again — rebuilt from the database, so a lost
    Redis queue loses nothing."""
    with transaction.atomic():
        runs = ClosingRun.objects.select_for_update().filter(
            status__in=[ClosingRun.Status.PAUSED, ClosingRun.Status.PAUSING, ClosingRun.Status.FAILED,
                        ClosingRun.Status.RUNNING, ClosingRun.Status.QUEUED])
        run = (runs.filter(pk=run_id) if run_id is not None else runs).first()
        if run is None:
            raise DomainError("No paused or failed close or recalculation to resume.")
        run.bundles.filter(status=ClosingBundle.Status.FAILED).update(status=ClosingBundle.Status.PENDING)
        run.status = ClosingRun.Status.QUEUED if not run.bundles.exists() else ClosingRun.Status.RUNNING
        run.phase = "resumed"
        run.error = ""
        run.save(update_fields=["status", "phase", "error"])
        audit_record(user=user, action="closing.resume", obj=run)
        if enqueue is not None:
            if run.status == ClosingRun.Status.QUEUED:
                transaction.on_commit(lambda: enqueue("coordinate", run.pk))
            else:
                pending = list(run.bundles.exclude(status=ClosingBundle.Status.DONE).values_list("pk", flat=True))
                transaction.on_commit(lambda: _enqueue_bundles(run, pending, enqueue))
    return run


# -- running in this process ----------------------------------------------------------------------

def run_execute(*, run_id: int, progress: Callable[[ClosingRun], None] | None = None, workers: int = 1) -> ClosingRun:
    """Run a queued or resumed run to the end in this process: the same steps the workers run.
    With `workers` > 1 (PostgreSQL only: SQLite has one writer) bundles are processed by that many
    child processes, each with its own database connection, as that many RQ workers would: the
    engine is Python, so threads would share one core."""
    run = run_coordinate(run_id=run_id)
    pending = list(run.bundles.exclude(status=ClosingBundle.Status.DONE).values_list("pk", flat=True))
    if (workers > 1 and connection.vendor == "postgresql" and len(pending) > 1
            and not connection.in_atomic_block):
        # Children must not inherit this process's open connection (two processes on one socket).
        connections.close_all()
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            for _ in pool.map(_bundle_in_child, pending):
                run.refresh_from_db()
                if progress:
                    progress(run)
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


def _bundle_in_child(bundle_id: int) -> str:
    return bundle_process(bundle_id=bundle_id)


# -- reversing ------------------------------------------------------------------------------------

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
                                  f"{_noun(target)} {target.number}: reverse it first.")
            targets = [target]
        guard = PeriodGuard()
        for target in targets:
            if target.voucher_id:
                # The reversing voucher is dated like the voucher it takes back.
                guard.check(target.date)
        _roomy_sorts(256)
        _refresh_statistics(*RUN_TABLES)
        for target in targets:
            reversed_runs.append(_reverse_run(target, user))
    return reversed_runs


def _noun(run: ClosingRun) -> str:
    return "close" if run.run_type == ClosingRun.RunType.CLOSING else run.get_run_type_display().lower()


def _reverse_run(target: ClosingRun, user) -> ClosingRun:
    reversal = ClosingRun.objects.create(
        number=number_next(code="closing"), run_type=ClosingRun.RunType.REVERSAL, date=target.date,
        specification=target.specification, status=ClosingRun.Status.RUNNING, reverses=target,
        started_by=user if getattr(user, "pk", None) else None, started_at=timezone.now(), phase="reversing",
        note=f"Reversal of {target.number}")
    adjustments = CostAdjustment.objects.filter(run=target)
    system = InventoryTransaction.objects.filter(source_type=SourceType.WEIGHTED_AVERAGE_CLOSING, source_number=target.number)
    _undo_run_sql(target.pk)
    voucher = _post_run_voucher(reversal, reversal_of=target) if target.voucher_id else None
    adjustments_count = adjustments.count()
    # The run's weighted-average closing pair goes, with its settlements; every other settlement
    # and adjustment stays, cancelled with its run.
    Settlement.objects.filter(Q(issue__in=system) | Q(receipt__in=system)).delete()
    system.delete()
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


# Everything a run put on its transactions, taken back in one pass: one row per touched transaction
# with the settled quantity and amount and the adjustment to subtract. The run's own
# weighted-average closing transactions are deleted afterwards, so they are left alone.
RUN_DELTAS = """
CREATE TEMPORARY TABLE tmp_run_deltas AS
SELECT u.id AS id, SUM(u.q) AS q, SUM(u.a) AS a, SUM(u.adj) AS adj FROM (
    SELECT issue_id AS id, -qty AS q, -amount AS a, 0 AS adj FROM closing_settlement WHERE run_id = %s
    UNION ALL
    SELECT receipt_id, qty, amount, 0 FROM closing_settlement WHERE run_id = %s AND receipt_id IS NOT NULL
    UNION ALL
    SELECT transaction_id, 0, 0, amount FROM closing_costadjustment WHERE run_id = %s
) u GROUP BY u.id
"""
UNDO_TRANSACTIONS = """
UPDATE inventory_inventorytransaction
   SET qty_settled = ROUND(inventory_inventorytransaction.qty_settled - s.q, 6),
       cost_amount_settled = ROUND(inventory_inventorytransaction.cost_amount_settled - s.a, 2),
       cost_amount_adjustment = ROUND(inventory_inventorytransaction.cost_amount_adjustment - s.adj, 2),
       value_open = CASE WHEN s.q <> 0 THEN %s ELSE inventory_inventorytransaction.value_open END,
       date_closed = CASE WHEN s.q <> 0 THEN NULL ELSE inventory_inventorytransaction.date_closed END
  FROM tmp_run_deltas s
 WHERE inventory_inventorytransaction.id = s.id
   AND inventory_inventorytransaction.source_type <> 'wa_closing'
"""
# The run's adjustments per on-hand row (item, site, warehouse, tracking number, and the cost
# dimension those fall in), split into financial and physical value: read once, then taken off
# both caches.
RUN_VALUES = """
CREATE TEMPORARY TABLE tmp_run_values AS
SELECT t.cost_dimension_id, t.item_id, t.site_id, t.warehouse_id, t.tracking_number,
       SUM(CASE WHEN t.status IN ('purchased', 'sold') THEN a.amount ELSE 0 END) AS f,
       SUM(CASE WHEN t.status IN ('purchased', 'sold') THEN 0 ELSE a.amount END) AS p
  FROM closing_costadjustment a JOIN inventory_inventorytransaction t ON t.id = a.transaction_id
 WHERE a.run_id = %s
 GROUP BY t.cost_dimension_id, t.item_id, t.site_id, t.warehouse_id, t.tracking_number
"""
UNDO_DIMENSION_VALUES = """
UPDATE inventory_costdimension
   SET financial_value = ROUND(inventory_costdimension.financial_value - s.f, 2),
       physical_value = ROUND(inventory_costdimension.physical_value - s.p, 2)
  FROM (SELECT cost_dimension_id, SUM(f) AS f, SUM(p) AS p FROM tmp_run_values GROUP BY cost_dimension_id) s
 WHERE inventory_costdimension.id = s.cost_dimension_id
"""
UNDO_ON_HAND_VALUES = """
UPDATE inventory_onhand
   SET financial_value = ROUND(inventory_onhand.financial_value - s.f, 2),
       physical_value = ROUND(inventory_onhand.physical_value - s.p, 2)
  FROM (SELECT item_id, site_id, warehouse_id, tracking_number, SUM(f) AS f, SUM(p) AS p
          FROM tmp_run_values GROUP BY item_id, site_id, warehouse_id, tracking_number) s
 WHERE inventory_onhand.item_id = s.item_id AND inventory_onhand.site_id = s.site_id
   AND inventory_onhand.warehouse_id = s.warehouse_id AND inventory_onhand.tracking_number = s.tracking_number
"""


def _undo_run_sql(run_id: int) -> None:
    """Take a run's settlements and adjustments back off the transactions and the cached on-hand
    values, set-based: a handful of statements however many transactions the run touched."""
    with connection.cursor() as cursor:
        # Materialized and analyzed, so the planner knows it joins a million rows, not two hundred
        # (its guess for a grouped UNION), and hashes instead of probing the index row by row.
        cursor.execute("DROP TABLE IF EXISTS tmp_run_deltas")
        cursor.execute(RUN_DELTAS, [run_id, run_id, run_id])
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE tmp_run_deltas")
        cursor.execute(UNDO_TRANSACTIONS, [True])
        cursor.execute("DROP TABLE tmp_run_deltas")
        cursor.execute("DROP TABLE IF EXISTS tmp_run_values")
        cursor.execute(RUN_VALUES, [run_id])
        cursor.execute(UNDO_DIMENSION_VALUES)
        cursor.execute(UNDO_ON_HAND_VALUES)
        cursor.execute("DROP TABLE tmp_run_values")


# -- preview --------------------------------------------------------------------------------------

@dataclass
class Preview:
    accounts: list[dict] = field(default_factory=list)  # account, amount
    item_groups: list[dict] = field(default_factory=list)  # item group, amount (inventory value change)
    warnings: list[str] = field(default_factory=list)
    items: int = 0
    transactions: int = 0
    settlements: int = 0
    adjustments: int = 0


def closing_preview(*, request: RunRequest) -> Preview:
    """A dry run: what a close or recalculation would post, per account and per item group, and the
    warnings it would log. Reads only; writes nothing."""
    selection = _check_request(request)
    run = ClosingRun(run_type=request.run_type, date=request.date, min_adjustment=request.min_adjustment,
                     selection=selection, max_iterations=InventoryParameters.load().max_iterations)
    model_groups = {group.pk: group for group in ItemModelGroup.objects.all()}
    preview = Preview()
    by_account: dict[int, Decimal] = defaultdict(lambda: ZERO)
    by_group: dict[int, Decimal] = defaultdict(lambda: ZERO)
    post_physical = {group.pk for group in model_groups.values() if group.post_physical_inventory}
    item_ids = list(_selected_items(run))
    size = InventoryParameters.load().items_per_bundle
    previous = _previous_close_date(run)
    raw_warnings: list[tuple[int | None, int | None, str]] = []
    with transaction.atomic():
        for start in range(0, len(item_ids), size):
            outcome = compute_bundle(item_ids=item_ids[start:start + size], close_date=run.date, previous_close=previous,
                                     settle=request.run_type == ClosingRun.RunType.CLOSING,
                                     max_iterations=run.max_iterations, model_groups=model_groups)
            preview.items += len(outcome.items)
            preview.transactions += outcome.transactions
            for result in outcome.results.values():
                preview.settlements += len(result.settlements)
                for adjustment in result.adjustments:
                    if adjustment.txn_id < 0 or adjustment.amount == ZERO:
                        continue
                    if request.run_type != ClosingRun.RunType.CLOSING and abs(adjustment.amount) < request.min_adjustment:
                        continue
                    txn = outcome.info[adjustment.txn_id]
                    preview.adjustments += 1
                    by_group[txn.item_group_id] += adjustment.amount
                    if txn.financial or txn.model_group_id in post_physical:
                        by_account[txn.inventory_account_id] += adjustment.amount
                        by_account[txn.offset_account_id] -= adjustment.amount
                raw_warnings += [(outcome.info[w.txn_id].item_id if w.txn_id in outcome.info else None,
                                  w.txn_id if w.txn_id in outcome.info else None, w.message) for w in result.warnings]
        transaction.set_rollback(True)
    preview.warnings = _named(raw_warnings)
    accounts = {account.pk: account for account in MainAccount.objects.filter(pk__in=by_account)}
    groups = {group.pk: group for group in ItemGroup.objects.filter(pk__in=by_group)}
    preview.accounts = [{"account": accounts[pk], "amount": round_amount(amount)} for pk, amount in sorted(
        by_account.items(), key=lambda kv: accounts[kv[0]].number) if round_amount(amount) != ZERO]
    preview.item_groups = [{"item_group": groups[pk], "amount": round_amount(amount)} for pk, amount in sorted(
        by_group.items(), key=lambda kv: groups[kv[0]].code)]
    return preview
