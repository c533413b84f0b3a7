"""Gap-free numbers for vouchers, journals, runs and every other numbered record."""

from django.db import transaction

from common.audit import audit_changes, audit_record, audit_values
from common.errors import DomainError
from common.models import NumberSequence

SEQUENCES = {
    "voucher": "INV",
    "journal": "JNL",
    "closing": "CLS",
    "transaction": "TRX",
}


def number_block(*, code: str, count: int = 1) -> list[str]:
    """Draw `count` consecutive numbers of a sequence. The row is locked until the caller's
    transaction commits, so two processes never hand out the same number."""
    NumberSequence.objects.get_or_create(code=code, defaults={"prefix": SEQUENCES.get(code, code[:3].upper())})
    sequence = NumberSequence.objects.select_for_update().get(code=code)
    first = sequence.next_value
    sequence.next_value = first + count
    sequence.save(update_fields=["next_value"])
    return [f"{sequence.prefix}-{value:0{sequence.width}d}" for value in range(first, first + count)]


def number_next(*, code: str) -> str:
    return number_block(code=code, count=1)[0]


# -- number sequences -------------------------------------------------------------------------------

NUMBER_SEQUENCE_FIELDS = ("code", "prefix", "next_value", "width")


def number_sequence_save(*, sequence: NumberSequence, user=None) -> NumberSequence:
    """Create or change a number sequence (the admin), audited. The next number never goes back:
    numbers already handed out would be handed out again."""
    if not (sequence.code or "").strip() or not (sequence.prefix or "").strip():
        raise DomainError("A number sequence needs a code and a prefix.", field="prefix")
    if not 1 <= (sequence.width or 0) <= 12:
        raise DomainError(f"Width {sequence.width}: a number has between 1 and 12 digits.", field="width")
    with transaction.atomic():
        stored = NumberSequence.objects.select_for_update().filter(pk=sequence.pk).first() if sequence.pk else None
        before = audit_values(stored, NUMBER_SEQUENCE_FIELDS) if stored else {}
        if stored is not None and sequence.next_value < stored.next_value:
            raise DomainError(f"Sequence {stored.code} has handed out numbers up to {stored.next_value - 1}: the next "
                              f"number cannot go back to {sequence.next_value}.", field="next_value")
        sequence.save()
        changes = audit_changes(before, audit_values(sequence, NUMBER_SEQUENCE_FIELDS))
        if changes:
            audit_record(user=user, action="number_sequence.create" if stored is None else "number_sequence.change",
                         obj=sequence, changes=changes)
    return sequence
