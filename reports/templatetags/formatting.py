"""The formatting filters every page uses (common/formatting.py): {% load formatting %}, then
{{ amount|money }}, {{ quantity|qty }}, {{ moment|stamp }}."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

from common import columns, formatting

register = template.Library()


@register.filter
def money(value) -> str:
    return formatting.money(value)


@register.filter
def money_or_blank(value) -> str:
    """For debit/credit columns: nothing rather than a dash where there is no amount."""
    return formatting.money(value, empty="")


@register.filter
def signed_money(value) -> str:
    return formatting.signed_money(value)


@register.filter
def qty(value) -> str:
    return formatting.qty(value)


@register.filter
def stamp(value, seconds: str = "") -> str:
    """A timestamp in the user's time zone, "2026-12-01 09:14" (with seconds: "2026-12-01 09:14:05")."""
    if not value:
        return formatting.DASH
    return date_format(timezone.localtime(value) if timezone.is_aware(value) else value,
                       "Y-m-d H:i:s" if seconds else "Y-m-d H:i")


@register.filter
def iso_stamp(value) -> str:
    """A timestamp stored as ISO text (a JSON document's "2026-02-01T08:00:00+00:00"), shown like stamp."""
    if not value:
        return formatting.DASH
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return stamp(moment)


@register.filter
def filled_columns(rows, paths: str) -> dict[str, bool]:
    """`rows|filled_columns:"warehouse.code,tracking_number"`: for each path, whether any row has a
    value there, so a hand-written table hides a column empty on every row (common.columns)."""
    return columns.filled(rows, [path.strip() for path in paths.split(",")])
