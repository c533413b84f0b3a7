"""Adjustment > On-hand and Adjustment > Transactions (docs/domain.md §3.1, §3.2): revalue open receipts
between closes, each posting recorded as a run of the Closing and adjustment page with its cost
adjustments and (unless *update ledger* is cleared) one voucher.

Both run synchronously: they touch a selection of receipts, not the whole inventory. Like a close
they hold the company-wide closing lock while they run (the database refuses a second unfinished
run), and they lock the cost dimensions they change in sorted order, as posting does, so a receipt
cannot be revalued while an issue is being costed from it.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from django.db.models import QuerySet
from django.utils import timezone

from closing.data import TxnInfo
from closing.models import (
    ClosingRun,
    CostAdjustment,
    InventoryParameters,
    Specification,
)
from closing.selectors import latest_close, open_receipts, open_value
from closing.services.runs import closing_lock
from closing.services.vouchers import post_run_voucher
from closing.signals import run_ended_after_commit
from common.audit import audit_record
from common.errors import DomainError
from common.formatting import qty
from common.money import AMOUNT_PLACES, ZERO, round_amount
from common.numbering import number_next
from inventory.models import CostDimension, InventoryTransaction, ValuationMethod
from inventory.services.valuation import cached_values_add, transactions_adjust
from ledger.services import PeriodGuard

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class OnHandChange:
    """The new value of one on-hand line (item and financial dimension, optionally one warehouse):
    exactly one of a new total value, a new cost price, or a percentage change."""

    cost_dimension_id: int
    warehouse_id: int | None = None
    new_value: Decimal | None = None
    new_unit_cost: Decimal | None = None
    percent: Decimal | None = None
    label: str = ""  # how the user knows the line ("line 2, item A at site MAIN"), for messages


@dataclass(frozen=True)
class TransactionChange:
    """The new cost of one receipt: a new total value or a new cost price."""

    ref: str
    new_value: Decimal | None = None
    new_unit_cost: Decimal | None = None


def _specification(specification: str | None) -> str:
    specification = specification or InventoryParameters.load().default_specification
    if specification not in Specification.values:
        raise DomainError(f"Unknown specification {specification!r}: use total, item-group or item.", field="specification")
    return specification


def _one_of(label: str, **values: Decimal | None) -> tuple[str, Decimal] | None:
    given = [(name, value) for name, value in values.items() if value is not None]
    if len(given) > 1:
        names = " or ".join(name.replace("_", " ") for name in values)
        raise DomainError(f"{label}: enter either {names}, not several.")
    return given[0] if given else None


# -- On-hand ------------------------------------------------------------------------------------

def _spread(receipts: list[InventoryTransaction], how: str, figure: Decimal, label: str) -> dict[int, Decimal]:
    """Each open receipt's new open value. A new value is shared in proportion to the open
    quantities (the last receipt takes the rounding, so the line totals exactly what was typed); a
    cost price values each receipt's open quantity; a percentage changes each receipt's value."""
    if how == "new_value":
        if figure < ZERO:
            raise DomainError(f"{label}: the new value {figure} is negative; inventory cannot be valued below zero.")
        if round_amount(figure) != figure:
            raise DomainError(f"{label}: the new value {figure} has more than 2 decimals.")
        return _shares(receipts, figure)
    if how == "new_unit_cost":
        if figure < ZERO:
            raise DomainError(f"{label}: the new cost price {figure} is negative.")
        return {receipt.pk: round_amount(receipt.open_qty * figure) for receipt in receipts}
    if figure < -HUNDRED:
        raise DomainError(f"{label}: a change of {figure} % would make the value negative (at most -100 %).")
    return {receipt.pk: round_amount(receipt.open_value * (HUNDRED + figure) / HUNDRED) for receipt in receipts}


def _shares(receipts: list[InventoryTransaction], total: Decimal) -> dict[int, Decimal]:
    """`total` shared by open quantity to the cent: each receipt gets its exact share rounded down,
    and the cents left over go to the largest remainders (ties: the older receipt), so the shares
    add up to the total and none goes below zero."""
    open_qty = sum((receipt.open_qty for receipt in receipts), ZERO)
    exact = {receipt.pk: total * receipt.open_qty / open_qty for receipt in receipts}
    shares = {pk: share.quantize(AMOUNT_PLACES, rounding=ROUND_DOWN) for pk, share in exact.items()}
    left = int((total - sum(shares.values(), ZERO)) / AMOUNT_PLACES)
    for pk in sorted(exact, key=lambda pk: (-(exact[pk] - shares[pk]), pk))[:left]:
        shares[pk] += AMOUNT_PLACES
    return shares


def on_hand_adjust(*, changes: Sequence[OnHandChange], specification: str | None = None, update_ledger: bool = True,
                   note: str = "", user=None) -> ClosingRun:
    """Post an on-hand adjustment, dated on the latest close (docs/domain.md §3.1): the open receipts of each
    line take their share of the new value, against the item group's cost revaluation account.
    Refused, with nothing written, before the first close, for a line with nothing open, a negative
    value, or while another run is unfinished."""
    specification = _specification(specification)
    with closing_lock():
        close = latest_close()
        if close is None or close.status != ClosingRun.Status.ENDED:
            raise DomainError("An on-hand adjustment is made after a close: close inventory first.")
        _period_open(close.date)
        errors, deltas = [], {}
        plans = []
        for change in changes:
            label = change.label or f"Cost dimension {change.cost_dimension_id}"
            try:
                given = _one_of(label, new_value=change.new_value, new_unit_cost=change.new_unit_cost,
                                percent=change.percent)
            except DomainError as error:
                errors.append(error.message)
                continue
            if given is not None:
                plans.append((change, label, given))
        if not plans and not errors:
            raise DomainError("Nothing to adjust: enter a new value, cost price or percentage on at least one line.")
        _lock_dimensions({change.cost_dimension_id for change, _, _ in plans})
        receipts_by_line = _line_receipts(close.date, [change for change, _, _ in plans])
        for change, label, (how, figure) in plans:
            receipts = receipts_by_line.get((change.cost_dimension_id, change.warehouse_id), [])
            if not receipts:
                errors.append(f"{label}: nothing is open on {close.date:%Y-%m-%d} (no open quantity to adjust).")
                continue
            try:
                targets = _spread(receipts, how, figure, label)
            except DomainError as error:
                errors.append(error.message)
                continue
            for receipt in receipts:
                delta = targets[receipt.pk] - receipt.open_value
                if delta != ZERO:
                    deltas[receipt.pk] = (receipt, delta)
        _refuse(errors)
        if not deltas:
            raise DomainError("Nothing to adjust: every line already has the value entered.")
        return _post(run_type=ClosingRun.RunType.ON_HAND_ADJUSTMENT, on=close.date, deltas=deltas.values(),
                     specification=specification, update_ledger=update_ledger, note=note, user=user)


def _line_receipts(on: date, changes: list[OnHandChange]) -> dict[tuple[int, int | None], list[InventoryTransaction]]:
    dimension_ids = {change.cost_dimension_id for change in changes}
    receipts = list(_for_update(open_receipts(on=on).filter(cost_dimension_id__in=dimension_ids)
                                .select_related("item__item_group"))
                    .order_by("id"))
    by_line = defaultdict(list)
    for change in changes:
        by_line[(change.cost_dimension_id, change.warehouse_id)] = [
            receipt for receipt in receipts if receipt.cost_dimension_id == change.cost_dimension_id
            and (change.warehouse_id is None or receipt.warehouse_id == change.warehouse_id)]
    return by_line


# -- Transactions -------------------------------------------------------------------------------

def transaction_adjust(*, changes: Sequence[TransactionChange], on: date, specification: str | None = None,
                       update_ledger: bool = True, note: str = "", user=None) -> ClosingRun:
    """Post a transaction adjustment (docs/domain.md §3.2): new costs for financially updated receipts that
    no close has settled, dated after the latest close. The issues settled against them take the
    change at the next recalculation or close. With `update_ledger` cleared only the inventory cost
    changes; no voucher is posted."""
    specification = _specification(specification)
    if not changes:
        raise DomainError("Nothing to adjust: select at least one receipt and enter its new value or cost price.")
    with closing_lock():
        close = latest_close()
        if close is not None and on <= close.date:
            # The date the rule compares with is the close's, so the message names it as the limit
            # (issue #17, point 4), and the typed date only as what was refused.
            raise DomainError(f"Posting date {on:%Y-%m-%d} refused: inventory is closed up to {close.date:%Y-%m-%d} "
                              f"({close.label}); post the adjustment after {close.date:%Y-%m-%d}.", field="date")
        _period_open(on)
        refs = [change.ref for change in changes]
        repeated = sorted({ref for ref in refs if refs.count(ref) > 1})
        if repeated:
            raise DomainError(f"Transaction {', '.join(repeated)} is entered more than once.")
        dimension_ids = set(InventoryTransaction.objects.filter(ref__in=refs).values_list("cost_dimension_id", flat=True))
        _lock_dimensions(dimension_ids)
        found = {txn.ref: txn for txn in _for_update(
            InventoryTransaction.objects.filter(ref__in=refs).select_related("item__model_group", "item__item_group")).annotate(
                open_value=open_value())}
        errors, deltas = [], []
        for change in changes:
            try:
                txn = _adjustable(found.get(change.ref), change.ref, on)
                given = _one_of(f"Transaction {change.ref}", new_value=change.new_value, new_unit_cost=change.new_unit_cost)
                if given is None:
                    raise DomainError(f"Transaction {change.ref}: enter its new value or cost price.")
                how, figure = given
                if figure < ZERO:
                    raise DomainError(f"Transaction {change.ref}: the new {'value' if how == 'new_value' else 'cost price'} "
                                      f"{figure} is negative; inventory cannot be valued below zero.")
                target = figure if how == "new_value" else round_amount(txn.qty * figure)
                if round_amount(target) != target:
                    raise DomainError(f"Transaction {change.ref}: the new value {figure} has more than 2 decimals.")
                delta = target - txn.open_value
                if delta == ZERO:
                    raise DomainError(f"Transaction {change.ref}: its value is already {target}; nothing to adjust.")
                deltas.append((txn, delta))
            except DomainError as error:
                errors.append(error.message)
        _refuse(errors)
        return _post(run_type=ClosingRun.RunType.TRANSACTION_ADJUSTMENT, on=on, deltas=deltas,
                     specification=specification, update_ledger=update_ledger, note=note, user=user)


def _adjustable(txn: InventoryTransaction | None, ref: str, on: date) -> InventoryTransaction:
    if txn is None:
        raise DomainError(f"Transaction {ref} does not exist.")
    if txn.qty < 0:
        raise DomainError(f"Transaction {ref} is an issue: only receipts are adjusted; issues take their receipts' "
                          "cost at the next recalculation or close.")
    if not txn.is_financial:
        raise DomainError(f"Transaction {ref} is received but not invoiced: only financially updated receipts are adjusted.")
    if not txn.value_open:
        raise DomainError(f"Transaction {ref} is closed (settled by the close of {txn.date_closed:%Y-%m-%d}): "
                          "it cannot be adjusted any more.")
    if txn.transfer_issue_id is not None:
        raise DomainError(f"Transaction {ref} is the receiving side of a transfer or reclassification: it carries its "
                          "issue's cost, which the close sets; adjust the receipt the goods came from instead.")
    if txn.qty_settled != ZERO:
        raise DomainError(f"Transaction {ref} is already settled for {qty(txn.qty_settled)} of {qty(txn.qty)}: adjust what is "
                          "still open with an on-hand adjustment.")
    model_group = txn.item.model_group
    if not model_group.settles:
        raise DomainError(f"Transaction {ref}: item {txn.item.number} is valued at "
                          f"{ValuationMethod(model_group.valuation_method).label.lower()}, which no close settles: "
                          "it is not adjusted here.")
    if txn.date_financial > on:
        raise DomainError(f"Transaction {ref} is invoiced on {txn.date_financial:%Y-%m-%d}, after the posting date "
                          f"{on:%Y-%m-%d}.")
    return txn


# -- shared -------------------------------------------------------------------------------------

def _period_open(on: date) -> None:
    try:
        PeriodGuard().check(on)
    except DomainError as error:
        raise DomainError(error.message, field="date") from error


def _refuse(errors: list[str]) -> None:
    if errors:
        raise DomainError(errors[0] if len(errors) == 1 else f"{len(errors)} lines cannot be adjusted: {errors[0]}",
                          errors=errors)


def _for_update(queryset: QuerySet) -> QuerySet:
    return queryset.select_for_update(of=("self",))


def _lock_dimensions(dimension_ids: set[int]) -> None:
    # Sorted, like PostingSession, so an adjustment and a posting never wait on each other in a circle.
    list(CostDimension.objects.select_for_update().filter(pk__in=dimension_ids).order_by("key").values_list("pk", flat=True))


def _post(*, run_type: str, on: date, deltas, specification: str, update_ledger: bool, note: str, user) -> ClosingRun:
    """Write the run: one cost adjustment per receipt, the receipts' and the on-hand caches' values,
    the voucher, the audit entry. Inside the caller's atomic block."""
    deltas = sorted(deltas, key=lambda pair: pair[0].pk)
    now = timezone.now()
    run = ClosingRun.objects.create(
        number=number_next(code="closing"), run_type=run_type, date=on, specification=specification, note=note,
        update_ledger=update_ledger, status=ClosingRun.Status.RUNNING, phase="adjusting",
        started_by=user if getattr(user, "pk", None) else None, started_at=now)
    revaluation = run_type == ClosingRun.RunType.ON_HAND_ADJUSTMENT
    CostAdjustment.objects.bulk_create([
        CostAdjustment(run=run, transaction=txn, amount=delta, date=on,
                       offset_account_id=txn.item.item_group.cost_revaluation_account_id if revaluation else None)
        for txn, delta in deltas])
    transactions_adjust(rows=[(txn.pk, delta) for txn, delta in deltas])
    cached_values_add(adjustments=[(_info(txn), delta) for txn, delta in deltas])
    voucher = post_run_voucher(run) if update_ledger else None
    run.voucher = voucher
    run.items_total = run.items_done = len({txn.item_id for txn, _ in deltas})
    run.transactions_total = run.transactions_done = run.adjustments_count = len(deltas)
    run.status, run.phase, run.ended_at = ClosingRun.Status.ENDED, "ended", timezone.now()
    run.save()
    audit_record(user=user, action=f"{run_type}.post", obj=run, date=str(on), voucher=voucher.number if voucher else "",
                 transactions=len(deltas), total=str(sum((delta for _, delta in deltas), ZERO)))
    run_ended_after_commit(run.pk)
    return run


def _info(txn: InventoryTransaction) -> TxnInfo:
    return TxnInfo(txn.pk, txn.item_id, txn.cost_dimension_id, txn.site_id, txn.warehouse_id, txn.tracking_number,
                   txn.qty, True, txn.inventory_account_id, txn.offset_account_id, txn.item.item_group_id,
                   txn.item.model_group_id)
