"""Standard journals (docs/domain.md §5.6, Business Central's "Save as Standard
Journal" and "Get Standard Journals"): a journal's lines saved under a name and recalled into a new
draft journal of the same type, dated on the day they are recalled."""

from datetime import date

from django.db import transaction

from common.audit import audit_record
from common.errors import DomainError
from inventory.models import Journal, JournalLine, StandardJournal, StandardJournalLine
from inventory.services.journals import journal_create


def standard_journal_save(*, journal: Journal, name: str, user=None) -> StandardJournal:
    name = name.strip()
    if not name:
        raise DomainError("Give the standard journal a name.", field="name")
    if journal.journal_type == Journal.JournalType.COUNTING:
        raise DomainError("A physical inventory journal is calculated, not recalled: it cannot be saved as a "
                          "standard journal.")
    lines = list(journal.lines.order_by("line_number"))
    if not lines:
        raise DomainError(f"Journal {journal.number} has no lines to save.")
    with transaction.atomic():
        if StandardJournal.objects.filter(name=name).exists():
            raise DomainError(f"There is already a standard journal named {name!r}: choose another name.", field="name")
        standard = StandardJournal.objects.create(name=name, journal_type=journal.journal_type,
                                                  description=journal.description,
                                                  offset_account=journal.offset_account, created_by=user)
        StandardJournalLine.objects.bulk_create([
            StandardJournalLine(standard_journal=standard, line_number=line.line_number, **line.movement())
            for line in lines
        ])
        audit_record(user=user, action="standard_journal.save", obj=standard, journal=journal.number,
                     lines=len(lines))
    return standard


def standard_journal_recall(*, standard_journal: StandardJournal, posting_date: date, description: str = "",
                            user=None) -> Journal:
    """A new draft journal with the standard journal's lines, all dated `posting_date`. Lines are
    copied as they were saved; validating or posting the new journal checks them as usual."""
    with transaction.atomic():
        journal = journal_create(journal_type=standard_journal.journal_type,
                                 description=description or standard_journal.description or standard_journal.name,
                                 offset_account=standard_journal.offset_account, user=user)
        JournalLine.objects.bulk_create([
            JournalLine(journal=journal, line_number=line.line_number, date=posting_date, **line.movement())
            for line in standard_journal.lines.order_by("line_number")
        ])
        audit_record(user=user, action="standard_journal.recall", obj=journal, standard_journal=standard_journal.name)
    return journal


def standard_journal_delete(*, standard_journal: StandardJournal, user=None) -> None:
    with transaction.atomic():
        audit_record(user=user, action="standard_journal.delete", obj=standard_journal, name=standard_journal.name)
        standard_journal.delete()
