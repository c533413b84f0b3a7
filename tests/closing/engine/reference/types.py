"""Plain data the valuation engine takes and returns.

The engine works on the value-open transactions of one item in one financial dimension. Amounts and
quantities are signed like the quantity (receipts positive, issues negative), as everywhere in Costbook.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum


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
