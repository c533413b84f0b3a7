"""Writing a bundle's outcome: settlements, adjustments, the weighted-average closing pair and
the warnings, all in the bundle's transaction. This module decides what is written; closing's rows
go out through its data layer (closing/writer.py), and what changes on inventory's tables inventory
writes (inventory/services/valuation.py)."""

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

from closing.data import transactions_info
from closing.engine import FixedAdjustment, FixedResult
from closing.engine.fixed import amount_decimal, quantity_decimal
from closing.models import ClosingLog, ClosingRun
from closing.writer import write_adjustments, write_settlements
from inventory.models import (
    CostDimension,
    InventoryTransaction,
    Item,
    SourceType,
    TransactionStatus,
)
from inventory.services.valuation import closing_transactions_insert, transactions_settle


def kept_adjustments(result: FixedResult, *, is_close: bool, min_adjustment: Decimal) -> Iterator[FixedAdjustment]:
    """The engine's adjustments a run keeps: those of real transactions (not the weighted-average
    closing pair, which the writer creates settled at its value) that change something, and, in a
    recalculation, not those below the minimum adjustment (docs/domain.md §2.5). The writer and the
    preview both ask here, so the preview cannot count what the run would drop. Amounts in cents."""
    below = min_adjustment * 100  # in cents; compared exactly, int against Decimal
    for adjustment in result.adjustments:
        if adjustment.txn_id < 0 or adjustment.amount == 0:
            continue
        if not is_close and abs(adjustment.amount) < below:
            continue
        yield adjustment


def reaches_ledger(*, financial: bool, posts_physical: bool) -> bool:
    """Whether an adjustment of a transaction goes to the ledger: a financially updated one always,
    a physical-only one where its model group posts physical inventory."""
    return financial or posts_physical


def write_outcome(run: ClosingRun, outcome) -> dict[str, int]:
    """Everything in the engine's fixed point (quantities in millionths, amounts in cents) until the
    rows are written."""
    is_close = run.run_type == ClosingRun.RunType.CLOSING
    counts = {"settlements": 0, "adjustments": 0, "warnings": 0}
    system_ids: dict[tuple[int, int], int] = {}
    if is_close:
        system_ids = _create_system_transactions(run, outcome)
    adjustments: list[tuple[int, int]] = []
    settlement_rows = []
    deltas: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])  # qty settled, amount settled, adjustment
    warnings = []
    run_id, on = run.pk, run.date
    for dimension_id, result in outcome.results.items():
        for adjustment in kept_adjustments(result, is_close=is_close, min_adjustment=run.min_adjustment):
            adjustments.append(adjustment)
            deltas[adjustment.txn_id][2] += adjustment.amount
        if is_close:
            append = settlement_rows.append
            for issue_id, receipt_id, qty, amount in result.settlements:
                if issue_id > 0:
                    delta = deltas[issue_id]
                    delta[0] -= qty
                    delta[1] -= amount
                else:
                    issue_id = system_ids[(dimension_id, issue_id)]
                if receipt_id > 0:
                    delta = deltas[receipt_id]
                    delta[0] += qty
                    delta[1] += amount
                else:
                    receipt_id = system_ids[(dimension_id, receipt_id)]
                append((issue_id, receipt_id, qty, amount))
        for warning in result.warnings:
            item_id = outcome.item_of.get(warning.txn_id)
            warnings.append(ClosingLog(run=run, level=ClosingLog.Level.WARNING, item_id=item_id,
                                       transaction_id=warning.txn_id if item_id else None, message=warning.message))
    write_settlements(run_id=run_id, on=on, rows=settlement_rows)
    write_adjustments(run_id=run_id, on=on, adjustments=adjustments)
    if warnings:
        _name_items(warnings)
        ClosingLog.objects.bulk_create(warnings)
    transactions_settle(rows=[(txn_id, *values) for txn_id, values in deltas.items()], closed_on=on)
    counts["settlements"] = len(settlement_rows)
    counts["adjustments"] = len(adjustments)
    counts["warnings"] = len(warnings)
    return counts


def named_warnings(warnings: list[tuple[int | None, int | None, str]]) -> list[str]:
    """Warnings as the log shows them: "Item X, transaction Y: message" (two queries in all)."""
    numbers = dict(Item.objects.filter(pk__in={item for item, _, _ in warnings if item}).values_list("pk", "number"))
    refs = dict(InventoryTransaction.objects.filter(pk__in={txn for _, txn, _ in warnings if txn}).values_list("pk", "ref"))
    return [f"Item {numbers.get(item, '?')}, transaction {refs.get(txn, '?')}: {message}" for item, txn, message in warnings]


def _name_items(warnings: list[ClosingLog]) -> None:
    for warning, message in zip(warnings, named_warnings([(w.item_id, w.transaction_id, w.message) for w in warnings]), strict=True):
        warning.message = message


def _create_system_transactions(run: ClosingRun, outcome) -> dict[tuple[int, int], int]:
    """The weighted average closing issue/receipt pairs: real transactions, settled as the engine
    says. They net to zero in quantity and value, so on-hand and the ledger do not move.

    Returns (cost dimension, engine id) -> transaction id: the engine numbers its system transactions
    -1, -2, ... in every dimension, so the id alone would send every dimension's settlements to the
    last dimension's pair."""
    created: dict[tuple[int, int], int] = {}
    pending = []
    wanted = [dimension_id for dimension_id, result in outcome.results.items() if result.system_txns]
    if not wanted:
        return created
    dimensions = CostDimension.objects.select_related("item__item_group").in_bulk(wanted)
    # Each pair sits in the warehouse and lot of its dimension's first transaction the close read.
    first = transactions_info(outcome.first_txn[dimension_id] for dimension_id in wanted)
    samples = {dimension_id: first[outcome.first_txn[dimension_id]] for dimension_id in wanted}
    for dimension_id in wanted:
        result = outcome.results[dimension_id]
        dimension = dimensions[dimension_id]
        sample = samples[dimension_id]
        settled: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for settlement in result.settlements:
            if settlement.issue_id < 0:
                settled[settlement.issue_id][0] -= settlement.qty
                settled[settlement.issue_id][1] -= settlement.amount
            if settlement.receipt_id < 0:
                settled[settlement.receipt_id][0] += settlement.qty
                settled[settlement.receipt_id][1] += settlement.amount
        group = dimension.item.item_group
        for index, system in enumerate(result.system_txns, start=1):
            qty_settled, amount_settled = (quantity_decimal(settled[system.id][0]),
                                           amount_decimal(settled[system.id][1]))
            qty, amount = quantity_decimal(system.qty), amount_decimal(system.amount)
            receipt = system.qty > 0
            pending.append(((dimension_id, system.id), InventoryTransaction(
                ref=f"{run.number}-{dimension_id}-{index}", source_type=SourceType.WEIGHTED_AVERAGE_CLOSING,
                source_number=run.number, user_reference=system.label, item_id=dimension.item_id,
                site_id=dimension.site_id, warehouse_id=sample.warehouse_id, tracking_number=sample.tracking_number,
                cost_dimension_id=dimension_id, qty=qty,
                status=TransactionStatus.PURCHASED if receipt else TransactionStatus.SOLD,
                date_physical=system.date, date_financial=system.date, cost_amount_physical=amount,
                cost_amount_posted=amount, qty_settled=qty_settled, cost_amount_settled=amount_settled,
                value_open=qty_settled != qty, date_closed=run.date if qty_settled == qty else None,
                inventory_account_id=group.inventory_receipt_account_id if receipt else group.inventory_issue_account_id,
                offset_account_id=group.inventory_issue_account_id if receipt else group.inventory_receipt_account_id,
            )))
    if pending:
        saved = closing_transactions_insert(transactions=[txn for _, txn in pending])
        for (key, _), pk in zip(pending, saved, strict=True):
            created[key] = pk
    return created
