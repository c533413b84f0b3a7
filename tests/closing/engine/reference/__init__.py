"""The Decimal valuation engine as it was before the fixed-point engine (issue #19), kept verbatim as
the oracle the property tests compare closing/engine/ with. Never imported by the application.

The valuation engine: pure functions from the open transactions of one item in one financial
dimension to settlements, adjustments, system transactions and warnings. No ORM, no clock, no I/O.

One module per valuation method, chosen from `METHODS` by the method's value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from types import MappingProxyType

from . import fifo, lifo, lifo_date, no_settlement, weighted_average, weighted_average_date
from .common import Book
from .types import (
    WA_CLOSING_LABEL,
    AdjustmentOut,
    DimensionResult,
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
    "OpenTxn",
    "SettlementOut",
    "SystemTxnOut",
    "ValuationMethod",
    "WarningOut",
    "close_dimension",
]

METHODS: dict[str, Callable[[Book], DimensionResult]] = {
    ValuationMethod.FIFO: fifo.close,
    ValuationMethod.LIFO: lifo.close,
    ValuationMethod.LIFO_DATE: lifo_date.close,
    ValuationMethod.WEIGHTED_AVERAGE: weighted_average.close,
    ValuationMethod.WEIGHTED_AVERAGE_DATE: weighted_average_date.close,
    ValuationMethod.STANDARD_COST: no_settlement.close,
    ValuationMethod.MOVING_AVERAGE: no_settlement.close,
}

_NO_TRANSFER_COSTS: Mapping[int, Decimal] = MappingProxyType({})


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
    try:
        closer = METHODS[method]
    except KeyError:
        raise ValueError(f"unknown valuation method {method!r}") from None
    book = Book(
        txns, close_date=close_date, include_physical_value=include_physical_value,
        transfer_costs=transfer_costs, max_iterations=max_iterations,
    )
    return closer(book)
