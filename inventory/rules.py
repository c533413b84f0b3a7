"""Pure rules about inventory data, each one function returning the problems it finds (an empty list
when there is none): forms and imports show them all, services raise the first."""

import re

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
