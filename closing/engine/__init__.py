"""The valuation engine: pure functions from the open transactions of one item in one financial
dimension to settlements, adjustments, system transactions and warnings. No ORM, no clock, no I/O.

One module per valuation method, chosen from `METHODS` by the method's value. The engine computes in
exact fixed point (quantities in millionths, amounts in cents: `fixed.py`); `close_dimension_fixed`
is what the close's data layer calls, `close_dimension` the same with `Decimal` in and out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from types import MappingProxyType

from . import fifo, lifo, lifo_date, no_settlement, weighted_average, weighted_average_date
from .common import Book
from .fixed import amount_decimal, amount_fixed, quantity_decimal, quantity_fixed
from .types import (
    WA_CLOSING_LABEL,
    AdjustmentOut,
    DimensionResult,
    FixedAdjustment,
    FixedResult,
    FixedSettlement,
    FixedSystemTxn,
    FixedTxn,
    OpenTxn,
    SettlementOut,
    SystemTxnOut,
    ValuationMethod,
    WarningOut,
)

__all__ = [
    "METHODS",
    "WA_CLOSING_LABEL",
    "AdjustmentOut",
    "DimensionResult",
    "FixedAdjustment",
    "FixedResult",
    "FixedSettlement",
    "FixedSystemTxn",
    "FixedTxn",
    "OpenTxn",
    "SettlementOut",
    "SystemTxnOut",
    "ValuationMethod",
    "WarningOut",
    "close_dimension",
    "close_dimension_fixed",
]

METHODS: dict[str, Callable[[Book], FixedResult]] = {
    ValuationMethod.FIFO: fifo.close,
    ValuationMethod.LIFO: lifo.close,
    ValuationMethod.LIFO_DATE: lifo_date.close,
    ValuationMethod.WEIGHTED_AVERAGE: weighted_average.close,
    ValuationMethod.WEIGHTED_AVERAGE_DATE: weighted_average_date.close,
    ValuationMethod.STANDARD_COST: no_settlement.close,
    ValuationMethod.MOVING_AVERAGE: no_settlement.close,
}

_NO_TRANSFER_COSTS: Mapping = MappingProxyType({})


def close_dimension(
    txns: Sequence[OpenTxn],
    *,
    method: str,
    include_physical_value: bool,
    close_date: date,
    transfer_costs: Mapping[int, Decimal] = _NO_TRANSFER_COSTS,
    max_iterations: int = 100,
) -> DimensionResult:
    """Close or recalculate one item in one financial dimension.

    `txns`: its value-open transactions in any order; those dated after `close_date` are ignored.
    `transfer_costs`: transfer issue id (in another dimension) -> that issue's final signed cost amount
    for its full quantity; a receipt whose `transfer_issue` is in it carries the opposite amount.
    A recalculation computes exactly what a close computes: the caller just does not persist the
    settlements (closing/services/outcome.py), so the engine is not told which it is.
    """
    fixed = close_dimension_fixed(
        [FixedTxn(t.id, quantity_fixed(t.qty), amount_fixed(t.amount), t.date, t.financial, t.marked_to,
                  t.transfer_issue, t.is_prior_on_hand) for t in txns],
        method=method, include_physical_value=include_physical_value, close_date=close_date,
        transfer_costs={issue: amount_fixed(cost) for issue, cost in transfer_costs.items()},
        max_iterations=max_iterations,
    )
    return DimensionResult(
        settlements=tuple(SettlementOut(issue_id=s.issue_id, receipt_id=s.receipt_id, qty=quantity_decimal(s.qty),
                                        amount=amount_decimal(s.amount)) for s in fixed.settlements),
        adjustments=tuple(AdjustmentOut(txn_id=a.txn_id, amount=amount_decimal(a.amount)) for a in fixed.adjustments),
        system_txns=tuple(SystemTxnOut(id=s.id, qty=quantity_decimal(s.qty), amount=amount_decimal(s.amount),
                                       date=s.date, label=s.label) for s in fixed.system_txns),
        warnings=fixed.warnings,
        issue_costs={txn_id: amount_decimal(cost) for txn_id, cost in fixed.issue_costs.items()},
    )


def close_dimension_fixed(
    txns: Sequence[FixedTxn],
    *,
    method: str,
    include_physical_value: bool,
    close_date: date,
    transfer_costs: Mapping[int, int] = _NO_TRANSFER_COSTS,
    max_iterations: int = 100,
) -> FixedResult:
    """`close_dimension` in fixed point: quantities in millionths, amounts (and `transfer_costs`) in
    cents, exact integers in and out."""
    try:
        closer = METHODS[method]
    except KeyError:
        raise ValueError(f"unknown valuation method {method!r}") from None
    book = Book(
        txns, close_date=close_date, include_physical_value=include_physical_value,
        transfer_costs=transfer_costs, max_iterations=max_iterations,
    )
    return closer(book)
