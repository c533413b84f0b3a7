"""The running average (docs/domain.md §1.1), once for every caller: posting costs issues at it,
the item page and the API show it; and the moving average's receipt rules (§1.3), which posting
applies. Pure: amounts and quantities in, a price or an amount out."""

from decimal import Decimal

from common.money import amount_for, round_amount
from inventory.models.setup import ValuationMethod

ZERO = Decimal(0)


def average_basis(*, valuation_method: str, include_physical_value: bool, financial_qty: Decimal,
                  financial_value: Decimal, physical_qty: Decimal, physical_value: Decimal) -> tuple[Decimal, Decimal]:
    """The quantity and value the average is taken over: the financial ones, plus the physical ones
    when the model group includes physical value (moving average always does)."""
    include_physical = include_physical_value or valuation_method == ValuationMethod.MOVING_AVERAGE
    if not include_physical:
        return financial_qty, financial_value
    return financial_qty + physical_qty, financial_value + physical_value


def running_average(*, valuation_method: str, include_physical_value: bool, default_cost_price: Decimal,
                    financial_qty: Decimal, financial_value: Decimal, physical_qty: Decimal,
                    physical_value: Decimal) -> Decimal:
    """Value / quantity of the basis; a zero or negative quantity, or a negative value, falls back
    to the item's default cost price, and standard cost is always the standard. Unrounded: postings
    round quantity x price, pages round the price for display."""
    if valuation_method == ValuationMethod.STANDARD_COST:
        return default_cost_price
    quantity, value = average_basis(valuation_method=valuation_method, include_physical_value=include_physical_value,
                                    financial_qty=financial_qty, financial_value=financial_value,
                                    physical_qty=physical_qty, physical_value=physical_value)
    if quantity <= ZERO or value < ZERO:
        return default_cost_price
    return value / quantity


def moving_average_receipt_value(*, qty: Decimal, unit_cost: Decimal, on_hand_qty: Decimal, on_hand_value: Decimal,
                                 default_cost_price: Decimal) -> Decimal:
    """Moving average receipt into negative on-hand (docs/domain.md §1.3 MA-neg): the part that brings
    on-hand from negative to zero is valued at the current moving average, the part above zero
    at the receipt's cost; if on-hand stays at or below zero the whole receipt is at the
    current average. The difference to the invoice goes to the price difference account.
    `on_hand_qty` and `on_hand_value` are the dimension's, financial plus physical."""
    if on_hand_qty >= ZERO:
        return amount_for(qty, unit_cost)
    current = on_hand_value / on_hand_qty if on_hand_value / on_hand_qty > ZERO else default_cost_price
    to_zero = min(qty, -on_hand_qty)
    return amount_for(to_zero, current) + amount_for(qty - to_zero, unit_cost)


def moving_average_invoice_variance(*, difference: Decimal, receipt_qty: Decimal, on_hand_qty: Decimal) -> Decimal:
    """Moving average (docs/domain.md §1.3 MA-1): the invoice's `difference` to the value already on the
    receipt is capitalised only for the units still on hand (`on_hand_qty`, the dimension's
    financial plus physical quantity including this receipt); the rest goes to the price
    difference account. Returns the part expensed, as a receipt adjustment (signed)."""
    if difference == ZERO:
        return ZERO
    still_on_hand = min(max(on_hand_qty, ZERO), receipt_qty)
    capitalised = round_amount(difference * still_on_hand / receipt_qty)
    return capitalised - difference
