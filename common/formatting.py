"""How figures read on every page and export (issue #17, point 8): amounts with thousands
separators and 2 decimals, quantities without trailing zeros, timestamps in the user's time zone
without the ISO "T". Pure functions; the templates use them through reports/templatetags/formatting.py."""

from decimal import Decimal, InvalidOperation

from common.money import round_amount

DASH = "—"


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        raise TypeError("money and quantities are never floats")
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return None


def money(value, empty: str = DASH) -> str:
    """1234567.5 -> "1,234,567.50"; -0.004 -> "0.00"; None -> the dash."""
    number = _decimal(value)
    if number is None:
        return empty
    text = f"{round_amount(number):,.2f}"
    return "0.00" if text == "-0.00" else text


def qty(value, empty: str = DASH) -> str:
    """A quantity without trailing zeros, never in exponent form, grouped: 1,250, -1.5, 0."""
    number = _decimal(value)
    if number is None:
        return empty
    text = f"{number.normalize():,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "0", "") else text


def signed_money(value, empty: str = DASH) -> str:
    """An amount whose sign matters (a change): +1,234.50, -0.03, 0.00."""
    text = money(value, empty)
    number = _decimal(value)
    if number is not None and round_amount(number) > 0:
        return "+" + text
    return text
