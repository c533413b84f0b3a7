"""The running average (docs/domain.md §1.1), once for every caller: posting costs issues at it,
the item page and the API show it. Pure: amounts and quantities in, a price out."""

from decimal import Decimal

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
