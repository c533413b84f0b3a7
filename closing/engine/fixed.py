"""Exact fixed-point arithmetic for the engine: quantities in millionths, amounts in cents, both
plain Python integers, and the conversions to and from `Decimal` at the engine's edge.

Integers are exact, so the engine gives to the cent what the `Decimal` engine gave: the only
rounding is `round_half_up`, half away from zero like `common.money.round_amount`, applied where
the Decimal engine rounded (per settlement, per settled part of an issue, per carried transfer
cost). Quantities (6 places) and amounts (2 places) are what the database columns hold, so reading
them in is exact too; a value with more places is refused rather than rounded silently.
"""

from __future__ import annotations

from decimal import Decimal

QTY_SCALE = 1_000_000  # millionths of a unit
AMOUNT_SCALE = 100  # cents


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to an integer, halves away from zero (ROUND_HALF_UP)."""
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    if numerator >= 0:
        return (2 * numerator + denominator) // (2 * denominator)
    return -((-2 * numerator + denominator) // (2 * denominator))


def _scaled(value: Decimal, scale: int, what: str) -> int:
    scaled = value * scale
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{what} {value} has more decimal places than the books keep")
    return int(scaled)


def quantity_fixed(value: Decimal) -> int:
    """A quantity as millionths (exact; more than 6 places is refused)."""
    return _scaled(value, QTY_SCALE, "quantity")


def amount_fixed(value: Decimal) -> int:
    """An amount as cents (exact; more than 2 places is refused)."""
    return _scaled(value, AMOUNT_SCALE, "amount")


def quantity_decimal(millionths: int) -> Decimal:
    return Decimal(millionths).scaleb(-6)


def amount_decimal(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def quantity_text(millionths: int) -> str:
    """2000000 -> "2", 2500000 -> "2.5", 100000000 -> "100" (never "1E+2")."""
    return format(quantity_decimal(millionths).normalize(), "f")
