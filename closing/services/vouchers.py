"""A run's voucher: its adjustments summed per account (and item group or item, by the run's
specification) on the accounts of each original transaction, with what it posted recorded per
account and item group; a reversal's voucher mirrors the reversed run's line by line."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Case, Q, Sum, When

from closing.models import (
    ClosingRun,
    CostAdjustment,
    InventoryParameters,
    RunPostedAmount,
    Specification,
)
from common.money import ZERO, round_amount
from inventory.models import FINANCIAL_STATUSES
from ledger.models import MainAccount, Voucher
from ledger.services import LineSpec, VoucherDraft, reversing_lines, vouchers_write


def _is_decrease():
    """An adjustment that lowers the magnitude of its transaction's value (storno posts these as
    negative amounts on the original side)."""
    return Case(When(Q(amount__gt=0, transaction__qty__lt=0) | Q(amount__lt=0, transaction__qty__gt=0), then=True), default=False)


# Where the other side of a run's adjustments goes. A close, recalculation or transaction adjustment
# corrects the original posting, so both sides are the original transaction's accounts (docs/domain.md §3);
# an on-hand adjustment revalues what is on hand, against the item group's cost revaluation account
# (recorded on each adjustment, so a later change of the item group cannot move its reversal).
OFFSET_ACCOUNT = {ClosingRun.RunType.ON_HAND_ADJUSTMENT: "offset_account",
                  ClosingRun.RunType.STANDARD_COST_REVALUATION: "offset_account"}


def posted_totals(run: ClosingRun, adjustments) -> dict[tuple[int, int, int | None, bool], Decimal]:
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
    # One pass over the adjustments for both sides (a close: 400,000 adjustments joined with their
    # transactions), each group then added to its inventory account and taken off its offset account.
    inventory_field = "transaction__inventory_account"
    for row in reaches_ledger.annotate(decrease=_is_decrease()).values(inventory_field, offset_field, *keys).annotate(
            total=Sum("amount")).order_by():
        total = round_amount(row["total"])
        rest = (row["transaction__item__item_group"], row.get("transaction__item"), bool(row.get("decrease")))
        totals[(row[inventory_field], *rest)] += total
        totals[(row[offset_field], *rest)] -= total
    return totals


def _voucher_lines(run: ClosingRun, totals: dict[tuple[int, int, int | None, bool], Decimal]) -> list[LineSpec]:
    """The run's ledger lines, summarized by its specification: one amount per account (and item
    group / item). A decrease is kept apart only with storno (see posted_totals), as a storno line."""
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


def post_run_voucher(run: ClosingRun, *, reversal_of: ClosingRun | None = None) -> Voucher | None:
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
        totals = posted_totals(run, CostAdjustment.objects.filter(run=run))
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
