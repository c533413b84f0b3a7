"""The audit trail: who did what, when, with before/after values. Written in the same transaction
as the change it records."""

from collections.abc import Iterable
from decimal import Decimal

from common.models import AuditEntry


def audit_record(*, user, action: str, obj=None, object_type: str = "", object_id: str = "", **detail) -> AuditEntry:
    if obj is not None:
        object_type = object_type or obj._meta.label
        object_id = object_id or str(obj.pk)
    known = user if getattr(user, "pk", None) else None
    return AuditEntry.objects.create(user=known, username=known.get_username() if known else "", action=action,
                                     object_type=object_type, object_id=object_id, detail=detail)


def audit_values(obj, fields: Iterable[str]) -> dict[str, str]:
    """A record's values as the audit log keeps them: text, a related record by what it shows
    (an account as "1400 Inventory", an item group by its code), empty for none."""
    values = {}
    for name in fields:
        value = getattr(obj, name)
        if isinstance(value, Decimal):
            value = f"{value.normalize():f}"  # 10.000000 and 10 are one cost price
        values[name] = "" if value is None else str(value)
    return values


def audit_changes(before: dict[str, str], after: dict[str, str]) -> dict[str, dict[str, str]]:
    """{field: {"from": old, "to": new}} for the fields whose value changed."""
    return {name: {"from": before.get(name, ""), "to": value} for name, value in after.items()
            if before.get(name, "") != value}
