"""Precision rules for money, quantities and unit costs, in one place.

Amounts are rounded half-up to 2 places per transaction; quantities and unit costs keep 6 places.
SQLite and PostgreSQL round differently, so rounding always happens here, in Python, before a value
reaches the database. Never construct a Decimal from a float.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ZERO = Decimal("0")
AMOUNT_PLACES = Decimal("0.01")
QUANTITY_PLACES = Decimal("0.000001")
UNIT_COST_PLACES = Decimal("0.000001")

# Field sizes shared by every model column that holds one of these.
AMOUNT_FIELD = {"max_digits": 20, "decimal_places": 2}
QUANTITY_FIELD = {"max_digits": 20, "decimal_places": 6}
UNIT_COST_FIELD = {"max_digits": 20, "decimal_places": 6}


def to_decimal(value: object) -> Decimal:
    """Parse user or file input into a Decimal; refuse floats so no binary noise gets in."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        raise TypeError("money and quantities are never floats")
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} is not a number") from exc
    if not result.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return result


# The rounding mode is passed by position: by keyword, `quantize` takes twice as long (C argument
# parsing), and an import rounds a few amounts per row.
def round_amount(value: Decimal) -> Decimal:
    return value.quantize(AMOUNT_PLACES, ROUND_HALF_UP)


def round_quantity(value: Decimal) -> Decimal:
    return value.quantize(QUANTITY_PLACES, ROUND_HALF_UP)


def round_unit_cost(value: Decimal) -> Decimal:
    return value.quantize(UNIT_COST_PLACES, ROUND_HALF_UP)


def amount_for(quantity: Decimal, unit_cost: Decimal) -> Decimal:
    """Cost amount of a quantity at a unit cost, signed like the quantity."""
    return round_amount(quantity * unit_cost)


def unit_cost_of(amount: Decimal, quantity: Decimal) -> Decimal:
    if quantity == ZERO:
        return ZERO
    return round_unit_cost(amount / quantity)


def summed_amount(value) -> Decimal:
    """A database sum as an amount: the backends return their own precision (SQLite a float-like
    decimal, None for no rows), so it is rounded here, in Python, to the cent."""
    return round_amount(Decimal(str(value))) if value is not None else ZERO


def summed_quantity(value) -> Decimal:
    """A database sum as a quantity, rounded in Python to six places (None for no rows: zero)."""
    return round_quantity(Decimal(str(value))) if value is not None else ZERO


def plain_number(value: Decimal) -> str:
    """A number without trailing zeros and never in exponent form, as files and the API write
    quantities: 2, -1.5, 0."""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "0") else text
