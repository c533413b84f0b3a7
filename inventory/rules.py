"""Pure rules about inventory data, each one function returning the problems it finds (an empty list
when there is none): forms and imports show them all, services raise the first."""

import re
from datetime import date
from decimal import Decimal

from django.db import models

# Item numbers stand in page and API addresses (/inventory/items/<number>/, /api/v1/items/<number>/):
# a "/", "?", "#" or "%" in one breaks every link to the item (one such item made the item list fail
# for everyone). Letters (any alphabet), digits and . _ - are safe; the number starts with a letter
# or a digit.
ITEM_NUMBER = re.compile(r"[^\W_][\w.\-]*")


def item_number_problems(number: str) -> list[str]:
    if not number:
        return ["the item number is empty"]
    if not ITEM_NUMBER.fullmatch(number):
        return [f"item number {number!r} may contain only letters, digits, '.', '_' and '-', and must start "
                f"with a letter or a digit (it is part of the item's page address)"]
    return []


class Tracking(models.TextChoices):
    """How an item's units are told apart (Item.tracking)."""

    NONE = "none", "None"
    LOT = "lot", "Lot (batch) with expiry date"
    SERIAL = "serial", "Serial number"


def tracking_problems(*, item_number: str, tracking: str, tracking_number: str, expiry_date: date | None,
                      qty: Decimal | None, number_required: bool = True) -> list[tuple[str, str]]:
    """Item tracking (docs/domain.md §5.2), as (field, problem) pairs: a lot- or serial-tracked item
    names its number (unless the caller fills it in later: `number_required`), only lots have an
    expiry date, a serial number moves one unit at a time (a counted zero is allowed). Untracked
    items carry neither. What needs the stock (a serial on hand once, a lot's quantity) is checked
    by posting."""
    problems = []
    if tracking == Tracking.NONE:
        if tracking_number:
            problems.append(("tracking_number",
                             f"{item_number} is not lot- or serial-tracked: leave the lot/serial number empty"))
    elif not tracking_number and number_required:
        problems.append(("tracking_number", f"{item_number} is tracked by {tracking} number: enter its {tracking} number"))
    if expiry_date and tracking != Tracking.LOT:
        problems.append(("expiry_date", f"{item_number} is not lot-tracked: it has no expiry date"))
    if tracking == Tracking.SERIAL and qty is not None and abs(qty) not in (Decimal(0), Decimal(1)):
        problems.append(("qty", f"{item_number} is serial-numbered: post one unit per serial number"))
    return problems
