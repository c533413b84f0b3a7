"""Reads for the Closing and adjustment pages."""

import calendar
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from closing.models import ClosingLog, ClosingRun, CostAdjustment, Settlement
from common.money import (
    AMOUNT_FIELD,
    QUANTITY_FIELD,
    ZERO,
    round_amount,
    round_quantity,
    round_unit_cost,
)
from inventory.models import (
    FINANCIAL_STATUSES,
    InventoryTransaction,
    SourceType,
    TransactionStatus,
    ValuationMethod,
)
from ledger.models import MainAccount, VoucherLine

# The valuation methods whose issues a close settles against receipts (standard cost and moving
# average cost every issue as it is posted, and settle nothing).
SETTLING_METHODS = [method for method in ValuationMethod.values
                    if method not in (ValuationMethod.STANDARD_COST, ValuationMethod.MOVING_AVERAGE)]

AMOUNT = DecimalField(**AMOUNT_FIELD)
QUANTITY = DecimalField(**QUANTITY_FIELD)


def run_latest() -> ClosingRun | None:
    return ClosingRun.objects.select_related("voucher", "started_by").order_by("-id").first()


def run_list(*, include_cancelled: bool = False) -> QuerySet[ClosingRun]:
    runs = ClosingRun.objects.select_related("voucher", "started_by")
    if not include_cancelled:
        runs = runs.filter(is_cancelled=False).exclude(status=ClosingRun.Status.CANCELLED)
    return runs


def latest_close(*, exclude: ClosingRun | None = None) -> ClosingRun | None:
    """The active close: the newest close that is not cancelled, whatever its status (a queued or
    running close already counts, so nothing slips in while it runs)."""
    runs = ClosingRun.objects.filter(run_type=ClosingRun.RunType.CLOSING, is_cancelled=False).exclude(
        status=ClosingRun.Status.CANCELLED)
    if exclude is not None:
        runs = runs.exclude(pk=exclude.pk)
    return runs.order_by("-date", "-id").first()


def latest_adjustment() -> ClosingRun | None:
    """The newest active on-hand or transaction adjustment: the one a reversal would take back."""
    return (ClosingRun.objects.filter(run_type__in=[ClosingRun.RunType.ON_HAND_ADJUSTMENT,
                                                    ClosingRun.RunType.TRANSACTION_ADJUSTMENT,
                                                    ClosingRun.RunType.STANDARD_COST_REVALUATION],
                                      is_cancelled=False, status=ClosingRun.Status.ENDED)
            .select_related("voucher").order_by("-id").first())


def unfinished_run() -> ClosingRun | None:
    """The run holding the company-wide closing lock, if any."""
    return ClosingRun.objects.filter(status__in=ClosingRun.UNFINISHED).first()


def closing_lock_date():
    """Inventory is closed on and before the date of the active close."""
    latest = latest_close()
    return latest.date if latest is not None else None


WATCHED = (ClosingRun.Status.QUEUED, ClosingRun.Status.RUNNING)


def run_is_moving(run: ClosingRun) -> bool:
    """A queued or running run that moved (started, a bundle done, resumed...) within the stall time
    (CLOSING_STALL_SECONDS); a run that is not live is not moving."""
    if run.status not in WATCHED:
        return False
    quiet = timedelta(seconds=settings.CLOSING_STALL_SECONDS)
    return run.progress_at is None or timezone.now() - run.progress_at < quiet


def run_status(*, run: ClosingRun) -> dict:
    """The small status document the page polls and `closing_status --json` prints. A run that is
    not moving has no ETA, and can be resumed from the page (`stuck`)."""
    elapsed = None
    if run.started_at:
        elapsed = ((run.ended_at or timezone.now()) - run.started_at).total_seconds()
    rate = (run.transactions_done / elapsed) if elapsed else 0.0
    remaining = run.transactions_total - run.transactions_done
    moving = run_is_moving(run)
    eta = (remaining / rate) if rate and run.status == ClosingRun.Status.RUNNING and moving else None
    return {
        "id": run.pk, "number": run.number, "type": run.run_type, "status": run.status, "phase": run.phase,
        "date": run.date.isoformat(), "progress": run.progress_percent,
        "items_total": run.items_total, "items_done": run.items_done,
        "transactions_total": run.transactions_total, "transactions_done": run.transactions_done,
        "bundles_total": run.bundles_total, "bundles_done": run.bundles_done,
        "settlements": run.settlements_count, "adjustments": run.adjustments_count, "warnings": run.warnings_count,
        "voucher": run.voucher.number if run.voucher_id else None,
        "rate_per_second": round(rate, 1), "eta_seconds": round(eta) if eta is not None else None,
        "error": run.error, "moving": moving, "stuck": run.status in WATCHED and not moving,
        "requeues": run.requeues,
    }


# -- the dialogs' defaults --------------------------------------------------------------------------

def _month_end(day: date) -> date:
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def close_date_proposal(*, today: date) -> date | None:
    """The date the Close dialog proposes (docs/domain.md §2.4): the last month end that has fully
    passed (the end of the month before today), never a future date; None when that month end is
    not after the latest active close (nothing has passed since: the next month end is still to come)."""
    passed = today.replace(day=1) - timedelta(days=1)
    latest = closing_lock_date()
    if latest is not None and passed <= latest:
        return None
    return passed


def next_month_end(*, after: date) -> date:
    """The first month end after a date (the next close a company makes once it has passed)."""
    end = _month_end(after)
    return end if end > after else _month_end(end + timedelta(days=1))


# -- Close procedure > 1. Check open quantities ----------------------------------------------------

def _settling_items() -> Q:
    # Standard cost and moving average are never settled, so nothing of theirs "stays open".
    return ~Q(item__model_group__valuation_method__in=[ValuationMethod.STANDARD_COST, ValuationMethod.MOVING_AVERAGE])


def _sum_when(condition: Q, value) -> Coalesce:
    return Coalesce(Sum(Case(When(condition, then=value), default=Value(ZERO), output_field=QUANTITY)),
                    Value(ZERO), output_field=QUANTITY)


def open_quantities(*, on: date, show_receipts: bool = False) -> QuerySet:
    """What a close up to `on` will leave unsettled (docs/domain.md §2.3, AX "Open quantity report"), one row
    per item and financial dimension: the open quantity of its financial issues, the open quantity
    of the financial receipts they can settle against, and the receipts not invoiced yet (physical
    only: the close cannot use them). Open qty = issues beyond the financial receipts.

    One grouped query over the value-open transactions dated on or before `on`."""
    issue_open = -(F("qty") - F("qty_settled"))
    receipt_open = F("qty") - F("qty_settled")
    rows = (
        InventoryTransaction.objects.filter(value_open=True).filter(_settling_items())
        .filter(Q(status__in=FINANCIAL_STATUSES, date_financial__lte=on)
                | Q(status__in=[TransactionStatus.RECEIVED, TransactionStatus.DEDUCTED], date_physical__lte=on))
        .values("cost_dimension_id", "item__number", "item__name", "cost_dimension__site__code",
                "cost_dimension__warehouse__code", "cost_dimension__tracking_number")
        .annotate(
            issue_qty=_sum_when(Q(status=TransactionStatus.SOLD), issue_open),
            receipt_qty=_sum_when(Q(status=TransactionStatus.PURCHASED), receipt_open),
            physical_receipt_qty=_sum_when(Q(status=TransactionStatus.RECEIVED), F("qty")),
            physical_issue_qty=_sum_when(Q(status=TransactionStatus.DEDUCTED), -F("qty")),
        )
        .annotate(open_qty=ExpressionWrapper(F("issue_qty") - F("receipt_qty"), output_field=QUANTITY))
    )
    unsettled = Q(issue_qty__gt=F("receipt_qty"))
    if show_receipts:
        unsettled |= Q(physical_receipt_qty__gt=0)
    return rows.filter(unsettled).order_by("item__number", "cost_dimension__site__code", "cost_dimension_id")


# -- Close procedure > 2. Check cost prices -------------------------------------------------------

def cost_price_deviations(*, on: date, max_percent: Decimal) -> QuerySet[InventoryTransaction]:
    """Financial receipts up to `on` that the next close will use (still value-open) whose unit cost
    deviates from the item's cost price by more than `max_percent` (docs/domain.md §1.3 COSTDEV-1; base =
    item cost price). Items without a cost price have no base and are left out.

    Compared without dividing, |cost - qty × price| × 100 > max % × qty × price, so the database
    decides exactly (SQLite would divide integers as integers)."""
    cost = ExpressionWrapper(F("cost_amount_posted") + F("cost_amount_adjustment"), output_field=AMOUNT)
    base = ExpressionWrapper(F("qty") * F("item__default_cost_price"), output_field=AMOUNT)
    return (
        InventoryTransaction.objects.filter(status=TransactionStatus.PURCHASED, date_financial__lte=on, value_open=True,
                                            item__default_cost_price__gt=0)
        .exclude(source_type=SourceType.WEIGHTED_AVERAGE_CLOSING)
        .select_related("item", "site", "warehouse")
        .annotate(cost=cost, base=base)
        .annotate(gap=ExpressionWrapper(Func(F("cost") - F("base"), function="ABS") * 100, output_field=AMOUNT),
                  allowed=ExpressionWrapper(F("base") * max_percent, output_field=AMOUNT))
        .filter(gap__gt=F("allowed"))
        .order_by("item__number", "date_financial", "id")
    )


# -- one run's tabs -------------------------------------------------------------------------------

def run_log(*, run: ClosingRun) -> QuerySet[ClosingLog]:
    return ClosingLog.objects.filter(run=run).select_related("item", "transaction").order_by("id")


def run_settlements(*, run: ClosingRun) -> QuerySet[Settlement]:
    """The run's settlements, issue → receipt, each with what the run adjusted on its issue."""
    issue_adjustment = (CostAdjustment.objects.filter(run=run, transaction=OuterRef("issue_id")).order_by()
                        .values("transaction_id").annotate(total=Sum("amount")).values("total"))
    # An issue settled against several receipts has one adjustment: it is shown on the issue's
    # first settlement row only (issue #17, point 3), the rows of one issue being kept together.
    first_of_issue = (Settlement.objects.filter(run=run, issue_id=OuterRef("issue_id")).order_by("id").values("id")[:1])
    return (Settlement.objects.filter(run=run)
            .select_related("issue", "issue__item", "receipt")
            .annotate(issue_adjustment=Subquery(issue_adjustment, output_field=AMOUNT),
                      first_of_issue=Subquery(first_of_issue))
            .order_by("issue_id", "id"))


def run_adjustments(*, run: ClosingRun) -> QuerySet[CostAdjustment]:
    return CostAdjustment.objects.filter(run=run).select_related("transaction", "transaction__item").order_by("id")


def voucher_source(run: ClosingRun) -> tuple[ClosingRun, int]:
    """A reversal's voucher takes back the reversed run's adjustments: those rows, with the sign turned."""
    if run.run_type == ClosingRun.RunType.REVERSAL and run.reverses_id:
        return run.reverses, -1
    return run, 1


def run_voucher_accounts(*, run: ClosingRun) -> list[dict]:
    """The run's voucher, one row per account: debit and credit summed over its lines."""
    if not run.voucher_id:
        return []
    rows = (VoucherLine.objects.filter(voucher_id=run.voucher_id).values("account_id")
            .annotate(debit=Sum("debit"), credit=Sum("credit"), lines=Count("id")).order_by("account__number"))
    rows = list(rows)
    accounts = MainAccount.objects.in_bulk([row["account_id"] for row in rows])
    for row in rows:
        row["account"] = accounts[row["account_id"]]
    return rows


def run_account_adjustments(*, run: ClosingRun, account: MainAccount) -> QuerySet[CostAdjustment]:
    """The adjustments behind the run's voucher lines on one account: those whose transaction posts
    to it (as inventory or offset account) and that reach the ledger, each with its signed effect
    on the account (debit positive), as the voucher was built (closing.services.vouchers.posted_totals)."""
    source, sign = voucher_source(run)
    on_inventory = Q(transaction__inventory_account=account)
    if source.run_type in (ClosingRun.RunType.ON_HAND_ADJUSTMENT, ClosingRun.RunType.STANDARD_COST_REVALUATION):
        on_offset = Q(offset_account=account)
    else:
        on_offset = Q(transaction__offset_account=account)
    effect = Case(
        When(on_inventory & on_offset, then=Value(ZERO)),
        When(on_inventory, then=F("amount") * sign),
        default=F("amount") * -sign,
        output_field=AMOUNT,
    )
    return (
        CostAdjustment.objects.filter(run=source).filter(on_inventory | on_offset)
        .filter(Q(transaction__status__in=FINANCIAL_STATUSES) | Q(transaction__item__model_group__post_physical_inventory=True))
        .select_related("transaction", "transaction__item", "transaction__item__item_group")
        .annotate(account_amount=effect)
        .order_by("transaction__item__number", "transaction_id", "id")
    )


# -- Adjustment > On-hand and Adjustment > Transactions (docs/domain.md §3.1, §3.2) ----------------

def open_value() -> ExpressionWrapper:
    """A transaction's value not yet taken by settlements."""
    return ExpressionWrapper(F("cost_amount_posted") + F("cost_amount_adjustment") - F("cost_amount_settled"),
                             output_field=AMOUNT)


def open_receipts(*, on: date | None = None) -> QuerySet[InventoryTransaction]:
    """Financially updated receipts the close has not fully settled, of items the close settles
    (standard cost and moving average items are revalued otherwise): what an adjustment may change.
    Annotated with their open quantity and open value."""
    receipts = (InventoryTransaction.objects.filter(status=TransactionStatus.PURCHASED, value_open=True).filter(_settling_items())
                .exclude(source_type=SourceType.WEIGHTED_AVERAGE_CLOSING)
                # A transfer's receiving side carries its issue's cost, which the next close sets
                # again while the issue is open: revaluing it then would not last.
                .exclude(transfer_issue__value_open=True))
    if on is not None:
        receipts = receipts.filter(date_financial__lte=on)
    return receipts.annotate(
        open_qty=ExpressionWrapper(F("qty") - F("qty_settled"), output_field=QUANTITY), open_value=open_value(),
    ).filter(open_qty__gt=0)


def on_hand_adjustment_lines(*, on: date, items: list[str] | tuple = (), item_groups: list[str] | tuple = (),
                             sites: list[str] | tuple = (), warehouse=None) -> list[dict]:
    """One line per item and financial dimension with what is open on the close date: quantity,
    value and cost price of its open receipts (AX "Adjustment of on-hand inventory"). With a
    warehouse, only the receipts stored there: the line and its adjustment cover just those."""
    receipts = open_receipts(on=on)
    if items:
        receipts = receipts.filter(item__number__in=items)
    if item_groups:
        receipts = receipts.filter(item__item_group__code__in=item_groups)
    if sites:
        receipts = receipts.filter(site__code__in=sites)
    if warehouse is not None:
        receipts = receipts.filter(warehouse=warehouse)
    rows = list(
        receipts.values("cost_dimension_id", "item__number", "item__name", "item__item_group__code",
                        "cost_dimension__site__code", "cost_dimension__warehouse__code",
                        "cost_dimension__tracking_number")
        .annotate(qty=Sum("open_qty"), value=Sum("open_value"), receipts=Count("id"))
        .order_by("item__number", "cost_dimension__site__code", "cost_dimension_id")
    )
    for row in rows:
        row["warehouse_id"] = warehouse.pk if warehouse is not None else None
        # Summed as floats on SQLite: back to the columns' precision.
        row["qty"], row["value"] = round_quantity(row["qty"]), round_amount(row["value"])
        row["cost_price"] = round_unit_cost(row["value"] / row["qty"])
    return rows


def adjustable_transactions() -> QuerySet[InventoryTransaction]:
    """Receipts a transaction adjustment may change: financially updated, not settled at all by a
    close (docs/domain.md §3.2: "cannot post once the transaction is settled"), of settling items."""
    return (open_receipts().filter(qty_settled=0, transfer_issue__isnull=True)
            .select_related("item", "item__item_group", "site", "warehouse")
            .order_by("-date_financial", "-id"))


def transaction_closing_history(*, transaction: InventoryTransaction) -> dict:
    """Every settlement and adjustment that touched this transaction, newest run first: the answer
    to "why does this issue cost what it costs"."""
    settlements = Settlement.objects.filter(issue=transaction) | Settlement.objects.filter(receipt=transaction)
    return {
        "settlements": settlements.select_related("run", "issue", "receipt").order_by("-run_id", "id"),
        "adjustments": CostAdjustment.objects.filter(transaction=transaction).select_related("run").order_by("-run_id", "id"),
    }
