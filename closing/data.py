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

from closing.engine import FixedAdjustment, FixedResult, FixedTxn, close_dimension_fixed
from closing.engine.fixed import amount_fixed
from closing.models import ClosingRun
from common.money import AMOUNT_PLACES
from inventory.models import FINANCIAL_STATUSES, Item, ItemModelGroup, TransactionStatus

FINANCIAL = tuple(str(status) for status in FINANCIAL_STATUSES)
# The enums' values written into the SQL below (constants of the models, never input).
FINANCIAL_SQL = ", ".join(f"'{status}'" for status in FINANCIAL)
PHYSICAL_SQL = ", ".join(f"'{status}'" for status in (TransactionStatus.RECEIVED, TransactionStatus.DEDUCTED))
RunType, RunStatus = ClosingRun.RunType, ClosingRun.Status

# Only what the engine needs, already in the engine's fixed point (quantities in millionths,
# amounts in cents, exact: the columns hold 6 and 2 places; ROUND only undoes SQLite's floats), in
# the field order of `FixedTxn`, then the cost dimension. The writer reads the other columns of the
# few rows it needs them for (`transactions_info`, `dimension_samples`) and lets inventory update
# the cached values from the rows it changes.
STREAM_SQL = f"""
SELECT t.id,
       CAST(ROUND((t.qty - t.qty_settled) * 1000000) AS BIGINT),
       CAST(ROUND((CASE WHEN t.status IN ({FINANCIAL_SQL}) THEN t.cost_amount_posted ELSE t.cost_amount_physical END
                   + t.cost_amount_adjustment - t.cost_amount_settled) * 100) AS BIGINT),
       CASE WHEN t.status IN ({FINANCIAL_SQL}) THEN t.date_financial ELSE t.date_physical END,
       t.status IN ({FINANCIAL_SQL}), t.marked_to_id, t.transfer_issue_id, t.qty > 0,
       t.cost_dimension_id, t.item_id
  FROM inventory_inventorytransaction t
 WHERE t.item_id IN ({{items}})
   AND t.value_open
   AND ((t.status IN ({FINANCIAL_SQL}) AND t.date_financial <= %s)
        OR (t.status IN ({PHYSICAL_SQL}) AND t.date_physical <= %s))
 ORDER BY t.cost_dimension_id, t.id
"""

INFO_SQL = """
SELECT t.id, t.item_id, t.cost_dimension_id, t.site_id, t.warehouse_id, t.tracking_number, t.qty, t.status,
       t.inventory_account_id, t.offset_account_id, i.item_group_id, i.model_group_id
  FROM inventory_inventorytransaction t
  JOIN inventory_item i ON i.id = t.item_id
 WHERE t.id IN ({ids})
"""

# Adjustments made by active recalculations to the value-open transactions of a bundle, with the
# run's id and date; and the ended closes, which net the recalculations made before them. A
# recalculation followed by a close dated on or after it is left out at once: that close covered
# everything the recalculation touched.
RECALCULATION_ADJUSTMENTS_SQL = f"""
SELECT a.transaction_id, r.id, r.date, a.amount
  FROM closing_closingrun r
  JOIN closing_costadjustment a ON a.run_id = r.id
  JOIN inventory_inventorytransaction t ON t.id = a.transaction_id
 WHERE r.run_type = '{RunType.RECALCULATION}' AND NOT r.is_cancelled
   AND NOT EXISTS (SELECT 1 FROM closing_closingrun c
                    WHERE c.run_type = '{RunType.CLOSING}' AND c.status = '{RunStatus.ENDED}' AND NOT c.is_cancelled
                      AND c.id > r.id AND c.date >= r.date)
   AND t.item_id IN ({{items}}) AND t.value_open
"""
ENDED_CLOSES_SQL = f"""
SELECT id, date FROM closing_closingrun WHERE run_type = '{RunType.CLOSING}' AND status = '{RunStatus.ENDED}' AND NOT is_cancelled
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
    """The engine's results for one bundle, keyed by real transaction ids, in fixed point
    (quantities in millionths, amounts in cents)."""

    results: dict[int, FixedResult] = field(default_factory=dict)  # by cost dimension id
    transactions: int = 0
    items: set[int] = field(default_factory=set)
    dimension_items: dict[int, int] = field(default_factory=dict)  # cost dimension id -> item id
    item_of: dict[int, int] = field(default_factory=dict)  # transaction id -> item id, for the warnings
    first_txn: dict[int, int] = field(default_factory=dict)  # cost dimension id -> its first transaction id


def _to_decimal(value, places: Decimal) -> Decimal:
    """Raw cursors on SQLite return decimals as floats; bring them back to the column's precision."""
    if isinstance(value, Decimal):
        return value
    return Decimal(repr(value) if isinstance(value, float) else value).quantize(places)


def _to_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def stream_bundle(*, item_ids: Sequence[int], close_date: date, previous_close: date | None
                  ) -> tuple[dict[int, list[FixedTxn]], dict[int, int]]:
    """Every value-open transaction of these items dated on or before the close date, grouped by
    financial dimension, as the engine's fixed-point data; and each dimension's item. Read through
    a server-side cursor, ten columns a row."""
    by_dimension: dict[int, list[FixedTxn]] = defaultdict(list)
    dimension_items: dict[int, int] = {}
    if not item_ids:
        return by_dimension, dimension_items
    placeholders = ", ".join(["%s"] * len(item_ids))
    sql = STREAM_SQL.format(items=placeholders)
    make = FixedTxn._make
    # PostgreSQL hands back booleans and dates already; SQLite integers and strings need converting.
    convert = connection.vendor != "postgresql"
    prior = previous_close or date.min
    if not convert:
        with connection.cursor() as cursor:
            # Plan for reading every row, not the first tenth (a cursor's default): otherwise
            # PostgreSQL walks the dimension index to skip the sort and reads ten times the rows
            # (measured: 1.4 s instead of 0.15 s per bundle of 18,000 transactions).
            cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, [*item_ids, close_date, close_date])
        while rows := cursor.fetchmany(20000):
            for row in rows:
                if convert:
                    row = (row[0], row[1], row[2], _to_date(row[3]), bool(row[4]), row[5], row[6], bool(row[7]),
                           row[8], row[9])
                dimension_id = row[8]
                if dimension_id not in dimension_items:
                    dimension_items[dimension_id] = row[9]
                # A receipt carried open from the previous close (`is_prior_on_hand`).
                by_dimension[dimension_id].append(make((*row[:7], row[7] and row[3] <= prior)))
    return by_dimension, dimension_items


def transactions_info(ids) -> dict[int, TxnInfo]:
    """The writer's and the preview's view of some transactions (one query)."""
    ids = list(ids)
    info: dict[int, TxnInfo] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 20000):
            chunk = ids[start:start + 20000]
            cursor.execute(INFO_SQL.format(ids=", ".join(["%s"] * len(chunk))), chunk)
            for (txn_id, item_id, dimension_id, site_id, warehouse_id, tracking, qty, status, inventory_account,
                 offset_account, item_group, model_group) in cursor.fetchall():
                info[txn_id] = TxnInfo(txn_id, item_id, dimension_id, site_id, warehouse_id, tracking or "", qty,
                                       status in FINANCIAL, inventory_account, offset_account, item_group, model_group)
    return info


def compute_bundle(*, item_ids: Sequence[int], close_date: date, previous_close: date | None,
                   max_iterations: int, model_groups: dict[int, ItemModelGroup]) -> BundleOutcome:
    """Run the valuation method of each dimension. Transfers move cost between dimensions of the
    same item, which are always in the same bundle: recompute until the transfer costs stop
    changing, at most `max_iterations` times (AX's maximum throughputs)."""
    by_dimension, dimension_items = stream_bundle(item_ids=item_ids, close_date=close_date,
                                                  previous_close=previous_close)
    pending = pending_recalculations(item_ids=item_ids, by_dimension=by_dimension)
    if pending:
        by_dimension = {dimension_id: [txn._replace(amount=txn.amount - pending[txn.id]) if txn.id in pending else txn
                                       for txn in txns] for dimension_id, txns in by_dimension.items()}
    item_model_group = dict(Item.objects.filter(pk__in=set(dimension_items.values())).values_list("pk", "model_group_id"))
    outcome = BundleOutcome(transactions=sum(map(len, by_dimension.values())), dimension_items=dimension_items,
                            first_txn={dimension_id: txns[0].id for dimension_id, txns in by_dimension.items()})
    transfer_issues = {txn.transfer_issue for txns in by_dimension.values() for txn in txns if txn.transfer_issue}
    transfer_costs: dict[int, int] = {}
    for _ in range(max(1, max_iterations)):
        results = {}
        for dimension_id, txns in by_dimension.items():
            model_group = model_groups[item_model_group[dimension_items[dimension_id]]]
            results[dimension_id] = close_dimension_fixed(
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
    outcome.items = set(dimension_items.values())
    outcome.item_of = {warning.txn_id: dimension_items[dimension_id] for dimension_id, result in outcome.results.items()
                       for warning in result.warnings}
    return outcome


def pending_recalculations(*, item_ids: Sequence[int], by_dimension: dict[int, list[FixedTxn]]) -> dict[int, int]:
    """Per transaction, what recalculations have adjusted since a close last valued it, in cents.

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
    pending: dict[int, int] = defaultdict(int)
    for txn_id, run_id, run_date, amount in rows:
        txn_date = dates.get(txn_id)
        if txn_date is None or _to_date(run_date) < txn_date:
            continue
        if any(close_id > run_id and close_date >= txn_date for close_id, close_date in closes):
            continue
        pending[txn_id] += amount_fixed(_to_decimal(amount, AMOUNT_PLACES))
    return {txn_id: amount for txn_id, amount in pending.items() if amount != 0}


def _net_of_pending(result: FixedResult, txns: list[FixedTxn], pending: dict[int, int]) -> FixedResult:
    """The engine's adjustments were made against the amounts before the pending recalculations;
    what the writer applies is the change from the amounts as they stand."""
    changes = {adjustment.txn_id: adjustment.amount for adjustment in result.adjustments}
    for txn in txns:
        if txn.id in pending:
            changes[txn.id] = changes.get(txn.id, 0) - pending[txn.id]
    return replace(result, adjustments=tuple(FixedAdjustment(txn_id, amount)
                                             for txn_id, amount in changes.items() if amount != 0))
