"""Batches of the CSV contracts sent as JSON: each object becomes the `{column: text}` row the import
services take, and the services' row errors come back with the field they are about."""

import re
from decimal import Decimal

from api.base import number_text

# The field a service's message is about, by the first column it names. Checked in this order, so
# "marking to unknown ref" is about marking and "qty × unit_cost is too large" about unit_cost.
FIELD_WORDS = [
    ("marking", ("marking",)),
    ("unit_cost", ("unit_cost", "unit cost", "standard cost")),
    ("bin", ("bin",)),
    ("warehouse", ("warehouse",)),
    ("site", ("site",)),
    ("update", ("update",)),
    ("qty", ("qty", "quantity")),
    ("item_group", ("item group",)),
    ("model_group", ("model group",)),
    ("name", ("name",)),
    ("date", ("date", "period", "calendar")),
    ("ref", ("ref",)),
    ("item", ("item",)),
]


def field_of(message: str, fields: set[str]) -> str | None:
    """The request field a service's row error names (None when it names none of `fields`)."""
    # Quoted values are the user's own text (an item number, a ref): they name no field.
    lowered = re.sub(r"'[^']*'", "", message).lower()
    for field, words in FIELD_WORDS:
        if field in fields and any(re.search(rf"(?<![a-z_]){re.escape(word)}(?![a-z_])", lowered) for word in words):
            return field
    return None


def as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return number_text(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def csv_row(data: dict, columns: dict[str, str]) -> dict[str, str]:
    """A parsed JSON object as a CSV contract row: `columns` maps JSON fields to CSV columns."""
    return {column: as_text(data.get(name)) for name, column in columns.items()}


def service_errors(errors: list[tuple[int, str]], *, fields: set[str], rename: dict[str, str] | None = None) -> list[dict]:
    """An ImportResult's `(index, message)` errors as `{"index", "field", "message"}`."""
    rename = rename or {}
    entries = []
    for index, message in errors:
        field = field_of(message, fields | set(rename))
        entries.append({"index": index, "field": rename.get(field, field), "message": message})
    return entries
