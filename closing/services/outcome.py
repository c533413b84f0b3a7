"""Writing a bundle's outcome: settlements, adjustments, the weighted-average closing pair and
the warnings, all in the bundle's transaction. This module decides what is written; closing's rows
go out through its data layer (closing/writer.py), and what changes on inventory's tables inventory
writes (inventory/services/valuation.py)."""

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

from closing.data import TxnInfo
from closing.engine import AdjustmentOut, DimensionResult
from closing.models import ClosingLog, ClosingRun
from closing.writer import write_adjustments, write_settlements
from common.money import ZERO
from inventory.models import (
    CostDimension,
    InventoryTransaction,
    Item,
    SourceType,
    TransactionStatus,
)
from inventory.services.valuation import cached_values_add, closing_transactions_insert, transactions_settle


def kept_adjustments(result: DimensionResult, *, is_close: bool, min_adjustment: Decimal) -> Iterator[AdjustmentOut]:
    """The engine's adjustments a run keeps: those of real transactions (not the weighted-average
    closing pair, which the writer creates settled at its value) that change something, and, in a
    recalculation, not those below the minimum adjustment (docs/domain.md §2.5). The writer and the
    preview both ask here, so the preview cannot count what the run would drop."""
    for adjustment in result.adjustments:
        if adjustment.txn_id < 0 or adjustment.amount == ZERO:
            continue
        if not is_close and abs(adjustment.amount) < min_adjustment:
            continue
        yield adjustment


def reaches_ledger(*, financial: bool, posts_physical: bool) -> bool:
    """Whether an adjustment of a transaction goes to the ledger: a financially updated one always,
    a physical-only one where its model group posts physical inventory."""
    return financial or posts_physical


def write_outcome(run: ClosingRun, outcome) -> dict[str, int]:
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
        for adjustment in kept_adjustments(result, is_close=is_close, min_adjustment=run.min_adjustment):
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
    write_settlements(settlement_rows)
    write_adjustments(run_id=run.pk, on=run.date, adjustments=[(txn.id, amount) for txn, amount in adjustments])
    if warnings:
        _name_items(warnings)
        ClosingLog.objects.bulk_create(warnings)
    transactions_settle(rows=[(txn_id, *values) for txn_id, values in deltas.items()], closed_on=run.date)
    cached_values_add(adjustments=adjustments)
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
        saved = closing_transactions_insert(transactions=[txn for _, txn in pending])
        for (key, _), pk in zip(pending, saved, strict=True):
            created[key] = pk
    return created
