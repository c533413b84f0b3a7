"""Plain data the valuation engine takes and returns.

The engine works on the value-open transactions of one item in one financial dimension. Amounts and
quantities are signed like the quantity (receipts positive, issues negative), as everywhere in Costbook.

Two faces of the same data. The engine computes on exact fixed-point integers (`Fixed*`: quantities
in millionths, amounts in cents; closing/engine/fixed.py), which is what the close's data layer
streams in and writes out. `OpenTxn` and the `*Out` types carry the same values as `Decimal`, for
callers that think in money (tests, tools): `close_dimension` converts at the edge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple


class ValuationMethod(StrEnum):
    """The values of `inventory.models.ValuationMethod`, repeated here so the engine needs no Django."""

    FIFO = "fifo"
    LIFO = "lifo"
    LIFO_DATE = "lifo_date"
    WEIGHTED_AVERAGE = "weighted_average"
    WEIGHTED_AVERAGE_DATE = "weighted_average_date"
    STANDARD_COST = "standard_cost"
    MOVING_AVERAGE = "moving_average"


WA_CLOSING_LABEL = "Weighted average inventory closing"


@dataclass(frozen=True, slots=True)
class OpenTxn:
    id: int  # db id (system transactions the engine creates get negative ids: -1, -2, ...)
    qty: Decimal  # signed OPEN (not yet settled) quantity; receipts > 0, issues < 0
    amount: Decimal  # signed current cost amount of that open quantity
    date: date  # financial date when financial, else physical date
    financial: bool  # financially updated (purchased/sold) vs physical only (received/deducted)
    marked_to: int | None = None  # on an issue: the receipt id it is marked to (overrides the method)
    transfer_issue: int | None = None  # on a receipt: id of the transfer issue whose cost it must carry
    is_prior_on_hand: bool = False  # receipt carried open from a previous close


@dataclass(frozen=True, slots=True)
class SettlementOut:
    issue_id: int
    receipt_id: int
    qty: Decimal  # > 0 (magnitude)
    amount: Decimal  # receipt cost taken, as a magnitude (sign of the receipt's amount)


@dataclass(frozen=True, slots=True)
class AdjustmentOut:
    txn_id: int
    amount: Decimal  # signed change of the transaction's cost amount (signed like its quantity)


@dataclass(frozen=True, slots=True)
class SystemTxnOut:
    """A transaction the close creates, e.g. the weighted average closing issue/receipt pair."""

    id: int  # negative temporary id, referenced by SettlementOut
    qty: Decimal  # signed
    amount: Decimal  # signed
    date: date
    label: str


@dataclass(frozen=True, slots=True)
class WarningOut:
    txn_id: int
    message: str


@dataclass(frozen=True, slots=True)
class DimensionResult:
    settlements: tuple[SettlementOut, ...]
    adjustments: tuple[AdjustmentOut, ...]
    system_txns: tuple[SystemTxnOut, ...]
    warnings: tuple[WarningOut, ...]
    # Final signed cost amount of the open quantity of every issue given to the close (its settled part
    # at the settled cost, any unsettled rest unchanged), for carrying a transfer issue's cost to its
    # receipt in another dimension.
    issue_costs: Mapping[int, Decimal]


EMPTY_RESULT = DimensionResult(settlements=(), adjustments=(), system_txns=(), warnings=(), issue_costs={})


class FixedTxn(NamedTuple):
    """`OpenTxn` in fixed point. A named tuple, not a dataclass: a close makes a million of them."""

    id: int
    qty: int  # signed open quantity in millionths
    amount: int  # signed open cost amount in cents
    date: date
    financial: bool
    marked_to: int | None = None
    transfer_issue: int | None = None
    is_prior_on_hand: bool = False


class FixedSettlement(NamedTuple):
    issue_id: int
    receipt_id: int
    qty: int  # millionths, > 0
    amount: int  # cents, the receipt cost taken (sign of the receipt's amount)


class FixedAdjustment(NamedTuple):
    txn_id: int
    amount: int  # cents, signed change of the transaction's cost amount


class FixedSystemTxn(NamedTuple):
    id: int
    qty: int  # millionths, signed
    amount: int  # cents, signed
    date: date
    label: str


@dataclass(frozen=True, slots=True)
class FixedResult:
    """`DimensionResult` in fixed point."""

    settlements: tuple[FixedSettlement, ...]
    adjustments: tuple[FixedAdjustment, ...]
    system_txns: tuple[FixedSystemTxn, ...]
    warnings: tuple[WarningOut, ...]
    issue_costs: Mapping[int, int]  # cents


EMPTY_FIXED_RESULT = FixedResult(settlements=(), adjustments=(), system_txns=(), warnings=(), issue_costs={})
