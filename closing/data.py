"""The closing engine's data layer, reading half: stream one bundle's open transactions in and run
the engine on them. No per-transaction queries: one read per bundle. Writing the results out is
closing/writer.py.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from django.db import connection

from closing.engine import AdjustmentOut, DimensionResult, OpenTxn, close_dimension
from common.money import AMOUNT_PLACES, QUANTITY_PLACES, ZERO
from inventory.models import FINANCIAL_STATUSES, ItemModelGroup

FINANCIAL = tuple(str(status) for status in FINANCIAL_STATUSES)

STREAM_SQL = """
SELECT t.id, t.item_id, t.cost_dimension_id, t.site_id, t.warehouse_id, t.tracking_number, t.qty, t.status,
       t.date_physical, t.date_financial, t.cost_amount_physical, t.cost_amount_posted, t.cost_amount_adjustment,
       t.qty_settled, t.cost_amount_settled, t.marked_to_id, t.transfer_issue_id, t.inventory_account_id,
       t.offset_account_id, i.item_group_id, i.model_group_id
  FROM inventory_inventorytransaction t
  JOIN inventory_item i ON i.id = t.item_id
 WHERE t.item_id IN ({items})
   AND t.value_open
   AND ((t.status IN ('purchased', 'sold') AND t.date_financial <= %s)
        OR (t.status IN ('received', 'deducted') AND t.date_physical <= %s))
 ORDER BY t.cost_dimension_id, t.id
"""

# Adjustments made by active recalculations to the value-open transactions of a bundle, with the
# run's id and date; and the ended closes, which net the recalculations made before them. A
# recalculation followed by a close dated on or after it is left out at once: that close covered
# everything the recalculation touched.
RECALCULATION_ADJUSTMENTS_SQL = """
SELECT a.transaction_id, r.id, r.date, a.amount
  FROM closing_closingrun r
  JOIN closing_costadjustment a ON a.run_id = r.id
  JOIN inventory_inventorytransaction t ON t.id = a.transaction_id
 WHERE r.run_type = 'recalculation' AND NOT r.is_cancelled
   AND NOT EXISTS (SELECT 1 FROM closing_closingrun c
                    WHERE c.run_type = 'closing' AND c.status = 'ended' AND NOT c.is_cancelled
                      AND c.id > r.id AND c.date >= r.date)
   AND t.item_id IN ({items}) AND t.value_open
"""
ENDED_CLOSES_SQL = """
SELECT id, date FROM closing_closingrun WHERE run_type = 'closing' AND status = 'ended' AND NOT is_cancelled
"""


@dataclass(frozen=True, slots=True)
class TxnInfo:
    """What the writer needs to know about a transaction besides what the engine saw."""

    id: int
    item_id: int
    dimension_id: int
    site_id: int
    warehouse_id: int
    tracking_number: str
    qty: Decimal
    financial: bool
    inventory_account_id: int | None
    offset_account_id: int | None
    item_group_id: int
    model_group_id: int


@dataclass
class BundleOutcome:
    """The engine's results for one bundle, keyed by real transaction ids."""

    results: dict[int, DimensionResult] = field(default_factory=dict)  # by cost dimension id
    info: dict[int, TxnInfo] = field(default_factory=dict)
    transactions: int = 0
    items: set[int] = field(default_factory=set)


def _to_decimal(value, places: Decimal) -> Decimal:
    """Raw cursors on SQLite return decimals as floats; bring them back to the column's precision."""
    if isinstance(value, Decimal):
        return value
    return Decimal(repr(value) if isinstance(value, float) else value).quantize(places)


def _to_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def stream_bundle(*, item_ids: Sequence[int], close_date: date, previous_close: date | None
                  ) -> tuple[dict[int, list[OpenTxn]], dict[int, TxnInfo]]:
    """Every value-open transaction of these items dated on or before the close date, grouped by
    financial dimension, as the engine's plain data. Read through a server-side cursor."""
    by_dimension: dict[int, list[OpenTxn]] = defaultdict(list)
    info: dict[int, TxnInfo] = {}
    if not item_ids:
        return by_dimension, info
    placeholders = ", ".join(["%s"] * len(item_ids))
    sql = STREAM_SQL.format(items=placeholders)
    # PostgreSQL hands back Decimals and dates already; SQLite floats and strings need converting.
    convert = connection.vendor != "postgresql"
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, [*item_ids, close_date, close_date])
        while rows := cursor.fetchmany(20000):
            for row in rows:
                (txn_id, item_id, dimension_id, site_id, warehouse_id, tracking, qty, status, date_physical,
                 date_financial, amount_physical, amount_posted, adjustment, qty_settled, amount_settled,
                 marked_to, transfer_issue, inventory_account, offset_account, item_group, model_group) = row
                financial = status in FINANCIAL
                if convert:
                    qty = _to_decimal(qty, QUANTITY_PLACES)
                    amount = (_to_decimal(amount_posted if financial else amount_physical, AMOUNT_PLACES)
                              + _to_decimal(adjustment, AMOUNT_PLACES))
                    open_qty = qty - _to_decimal(qty_settled, QUANTITY_PLACES)
                    open_amount = amount - _to_decimal(amount_settled, AMOUNT_PLACES)
                    txn_date = _to_date(date_financial if financial else date_physical)
                else:
                    amount = (amount_posted if financial else amount_physical) + adjustment
                    open_qty = qty - qty_settled
                    open_amount = amount - amount_settled
                    txn_date = date_financial if financial else date_physical
                by_dimension[dimension_id].append(OpenTxn(
                    id=txn_id, qty=open_qty, amount=open_amount, date=txn_date, financial=financial,
                    marked_to=marked_to, transfer_issue=transfer_issue,
                    is_prior_on_hand=bool(previous_close and qty > 0 and txn_date <= previous_close),
                ))
                info[txn_id] = TxnInfo(txn_id, item_id, dimension_id, site_id, warehouse_id, tracking or "", qty,
                                       financial, inventory_account, offset_account, item_group, model_group)
    return by_dimension, info


def compute_bundle(*, item_ids: Sequence[int], close_date: date, previous_close: date | None,
                   max_iterations: int, model_groups: dict[int, ItemModelGroup]) -> BundleOutcome:
    """Run the valuation method of each dimension. Transfers move cost between dimensions of the
    same item, which are always in the same bundle: recompute until the transfer costs stop
    changing, at most `max_iterations` times (AX's maximum throughputs)."""
    by_dimension, info = stream_bundle(item_ids=item_ids, close_date=close_date, previous_close=previous_close)
    pending = pending_recalculations(item_ids=item_ids, by_dimension=by_dimension)
    if pending:
        by_dimension = {dimension_id: [replace(txn, amount=txn.amount - pending[txn.id]) if txn.id in pending else txn
                                       for txn in txns] for dimension_id, txns in by_dimension.items()}
    outcome = BundleOutcome(info=info, transactions=len(info))
    transfer_issues = {txn.transfer_issue for txns in by_dimension.values() for txn in txns if txn.transfer_issue}
    transfer_costs: dict[int, Decimal] = {}
    for _ in range(max(1, max_iterations)):
        results = {}
        for dimension_id, txns in by_dimension.items():
            model_group = model_groups[info[txns[0].id].model_group_id]
            results[dimension_id] = close_dimension(
                txns, method=model_group.valuation_method, include_physical_value=model_group.include_physical_value,
                close_date=close_date, transfer_costs=transfer_costs, max_iterations=max_iterations)
        outcome.results = results
        if not transfer_issues:
            break
        costs = {issue: cost for result in results.values() for issue, cost in result.issue_costs.items()
                 if issue in transfer_issues}
        if costs == transfer_costs:
            break
        transfer_costs = costs
    if pending:
        outcome.results = {dimension_id: _net_of_pending(result, by_dimension[dimension_id], pending)
                           for dimension_id, result in outcome.results.items()}
    outcome.items = {info[txns[0].id].item_id for txns in by_dimension.values()}
    return outcome


def pending_recalculations(*, item_ids: Sequence[int], by_dimension: dict[int, list[OpenTxn]]) -> dict[int, Decimal]:
    """Per transaction, what recalculations have adjusted since a close last valued it.

    A recalculation adjusts without settling, so nothing records which part of an issue it
    corrected. The engine values an issue's open quantity as one amount, pro rata: given the
    recalculated amount, a close (or the next recalculation) would spread the correction of the
    settled part over the unsettled rest as well, and a recalculation followed by a close would not
    give what the close alone gives (docs/domain.md §2.5: a recalculation only anticipates the close). So the
    engine is given each amount as it was before those recalculations, and the writer nets its
    adjustments against them (`_net_of_pending`).

    An adjustment counts while no ended close made after its recalculation covers the transaction
    (such a close has netted it already), and only if the recalculation saw the transaction as it
    is now: one financially updated after the recalculation's date had that adjustment absorbed
    into its invoiced value."""
    if not item_ids:
        return {}
    dates = {txn.id: txn.date for txns in by_dimension.values() for txn in txns}
    with connection.cursor() as cursor:
        cursor.execute(RECALCULATION_ADJUSTMENTS_SQL.format(items=", ".join(["%s"] * len(item_ids))), list(item_ids))
        rows = cursor.fetchall()
        if not rows:
            return {}
        cursor.execute(ENDED_CLOSES_SQL)
        closes = [(run_id, _to_date(on)) for run_id, on in cursor.fetchall()]
    pending: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for txn_id, run_id, run_date, amount in rows:
        txn_date = dates.get(txn_id)
        if txn_date is None or _to_date(run_date) < txn_date:
            continue
        if any(close_id > run_id and close_date >= txn_date for close_id, close_date in closes):
            continue
        pending[txn_id] += _to_decimal(amount, AMOUNT_PLACES)
    return {txn_id: amount for txn_id, amount in pending.items() if amount != ZERO}


def _net_of_pending(result: DimensionResult, txns: list[OpenTxn], pending: dict[int, Decimal]) -> DimensionResult:
    """The engine's adjustments were made against the amounts before the pending recalculations;
    what the writer applies is the change from the amounts as they stand."""
    changes = {adjustment.txn_id: adjustment.amount for adjustment in result.adjustments}
    for txn in txns:
        if txn.id in pending:
            changes[txn.id] = changes.get(txn.id, ZERO) - pending[txn.id]
    return replace(result, adjustments=tuple(AdjustmentOut(txn_id=txn_id, amount=amount)
                                             for txn_id, amount in changes.items() if amount != ZERO))
