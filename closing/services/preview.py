"""The preview: a dry run of a close or recalculation that writes nothing."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from closing.data import compute_bundle, transactions_info
from closing.engine.fixed import amount_decimal
from closing.models import ClosingRun, InventoryParameters
from closing.services.outcome import kept_adjustments, named_warnings, reaches_ledger
from closing.services.runs import (
    RunRequest,
    check_request,
    previous_close_date,
    run_items,
)
from common.money import ZERO, round_amount
from inventory.models import ItemGroup, ItemModelGroup
from ledger.models import MainAccount


@dataclass
class Preview:
    accounts: list[dict] = field(default_factory=list)  # account, amount
    # item group, amount (inventory value change: + raises it, debit inventory), not_posted (the part
    # of it no voucher line carries: physical-only transactions whose model group posts no physical
    # value), posted (what the voucher's inventory lines carry)
    item_groups: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    items: int = 0
    transactions: int = 0
    settlements: int = 0
    adjustments: int = 0

    @property
    def debit_total(self) -> Decimal:
        return sum((row["amount"] for row in self.accounts if row["amount"] > 0), ZERO)

    @property
    def credit_total(self) -> Decimal:
        return sum((-row["amount"] for row in self.accounts if row["amount"] < 0), ZERO)

    @property
    def change_total(self) -> Decimal:
        return sum((row["amount"] for row in self.item_groups), ZERO)

    @property
    def not_posted_total(self) -> Decimal:
        return sum((row["not_posted"] for row in self.item_groups), ZERO)

    @property
    def posted_total(self) -> Decimal:
        return self.change_total - self.not_posted_total


def closing_preview(*, request: RunRequest) -> Preview:
    """A dry run: what a close or recalculation would post, per account and per item group, and the
    warnings it would log. Reads only; writes nothing."""
    selection = check_request(request)
    run = ClosingRun(run_type=request.run_type, date=request.date, min_adjustment=request.min_adjustment,
                     selection=selection, max_iterations=InventoryParameters.load().max_iterations)
    model_groups = {group.pk: group for group in ItemModelGroup.objects.all()}
    preview = Preview()
    by_account: dict[int, Decimal] = defaultdict(lambda: ZERO)
    by_group: dict[int, Decimal] = defaultdict(lambda: ZERO)
    not_posted: dict[int, Decimal] = defaultdict(lambda: ZERO)
    post_physical = {group.pk for group in model_groups.values() if group.post_physical_inventory}
    item_ids = list(run_items(run))
    size = InventoryParameters.load().items_per_bundle
    previous = previous_close_date(run)
    raw_warnings: list[tuple[int | None, int | None, str]] = []
    with transaction.atomic():
        for start in range(0, len(item_ids), size):
            outcome = compute_bundle(item_ids=item_ids[start:start + size], close_date=run.date, previous_close=previous,
                                     max_iterations=run.max_iterations, model_groups=model_groups)
            preview.items += len(outcome.items)
            preview.transactions += outcome.transactions
            kept = {dimension_id: list(kept_adjustments(
                result, is_close=request.run_type == ClosingRun.RunType.CLOSING, min_adjustment=request.min_adjustment))
                for dimension_id, result in outcome.results.items()}
            info = transactions_info({adjustment.txn_id for adjustments in kept.values() for adjustment in adjustments})
            for dimension_id, result in outcome.results.items():
                # A recalculation settles nothing (docs/domain.md §2.5): the engine's settlements
                # only price its adjustments, and the run reports none, so the preview neither.
                if request.run_type == ClosingRun.RunType.CLOSING:
                    preview.settlements += len(result.settlements)
                for adjustment in kept[dimension_id]:
                    txn = info[adjustment.txn_id]
                    amount = amount_decimal(adjustment.amount)
                    preview.adjustments += 1
                    by_group[txn.item_group_id] += amount
                    if reaches_ledger(financial=txn.financial, posts_physical=txn.model_group_id in post_physical):
                        by_account[txn.inventory_account_id] += amount
                        by_account[txn.offset_account_id] -= amount
                    else:
                        not_posted[txn.item_group_id] += amount
                raw_warnings += [(outcome.item_of.get(w.txn_id), w.txn_id if w.txn_id in outcome.item_of else None,
                                  w.message) for w in result.warnings]
        transaction.set_rollback(True)
    preview.warnings = named_warnings(raw_warnings)
    accounts = {account.pk: account for account in MainAccount.objects.filter(pk__in=by_account)}
    groups = {group.pk: group for group in ItemGroup.objects.filter(pk__in=by_group)}
    preview.accounts = [{"account": accounts[pk], "amount": round_amount(amount)} for pk, amount in sorted(
        by_account.items(), key=lambda kv: accounts[kv[0]].number) if round_amount(amount) != ZERO]
    preview.item_groups = [{"item_group": groups[pk], "amount": round_amount(amount),
                            "not_posted": round_amount(not_posted[pk]),
                            "posted": round_amount(amount) - round_amount(not_posted[pk])}
                           for pk, amount in sorted(by_group.items(), key=lambda kv: groups[kv[0]].code)]
    return preview
