"""Issue #17, point 11: a line of a journal not posted yet is changed in the lines grid (?edit=N),
through the service journal_line_change: kept under its number, audited with the values before and
after; a bad change keeps what was typed, names the problem and changes nothing; a posted journal
and a counting journal offer no edit."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone
from factories import ItemFactory

from common.errors import DomainError
from common.models import AuditEntry
from inventory.models import Journal
from inventory.services.counting import counting_journal_create
from inventory.services.journals import LineInput, journal_create, journal_line_add, journal_line_change


@pytest.fixture
def journal(company):
    widget = ItemFactory(number="WIDGET", model_group="FIFO")
    ItemFactory(number="GADGET", model_group="FIFO")
    journal = journal_create(journal_type=Journal.JournalType.PROFIT_LOSS)
    for qty in ("3", "-1"):
        journal_line_add(journal=journal, line=LineInput(date=date(2026, 1, 20), item=widget, qty=D(qty),
                                                         unit_cost=D("5.00") if qty == "3" else None,
                                                         site=company.site, warehouse=company.warehouse))
    return journal


def change(company, **values) -> dict:
    return {"line_number": "1", "date": "2026-01-21", "item": "GADGET", "qty": "4", "unit_cost": "1234.5",
            "warehouse": company.warehouse.pk, **values}


def test_it_opens_a_line_in_the_form_and_changes_it_with_the_audit_before_and_after(carl_client, carl_clerk,
                                                                                    journal, company):
    url = journal.get_absolute_url()
    opened = carl_client.get(f"{url}?edit=1").content.decode()
    assert 'name="line_number" value="1"' in opened
    assert 'name="qty" value="3"' in opened

    response = carl_client.post(url, change(company))

    assert (response.status_code, response["Location"]) == (302, url)
    line = journal.lines.get(line_number=1)
    assert (line.date, line.item.number, line.qty, line.unit_cost) == (date(2026, 1, 21), "GADGET", D("4"), D("1234.5"))
    assert journal.lines.count() == 2 and journal.lines.get(line_number=2).qty == D("-1")  # no line added
    entry = AuditEntry.objects.filter(action="journal.line.change").get()
    assert entry.user == carl_clerk
    assert (entry.detail["before"]["item"], entry.detail["after"]["item"]) == ("WIDGET", "GADGET")
    assert (entry.detail["before"]["qty"], entry.detail["after"]["qty"]) == ("3", "4")
    page = carl_client.get(url).content.decode()
    assert "4,938.00" in page  # the amount column: 4 × 1,234.50, with the thousands separator


def test_it_keeps_what_was_typed_and_changes_nothing_when_the_change_is_refused(carl_client, journal, company):
    response = carl_client.post(journal.get_absolute_url(), change(company, item="NOPE", qty="7"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "NOPE" in html and 'name="qty" value="7"' in html
    assert 'name="line_number" value="1"' in html  # still editing line 1, not adding a line
    line = journal.lines.get(line_number=1)
    assert (line.item.number, line.qty) == ("WIDGET", D("3"))
    assert not AuditEntry.objects.filter(action="journal.line.change").exists()


def test_it_offers_no_edit_on_a_posted_journal_and_refuses_one_by_post(carl_client, journal, company):
    Journal.objects.filter(pk=journal.pk).update(status=Journal.Status.POSTED, posted_at=timezone.now())
    url = journal.get_absolute_url()

    assert 'name="line_number"' not in carl_client.get(f"{url}?edit=1").content.decode()
    carl_client.post(url, change(company))

    assert journal.lines.get(line_number=1).item.number == "WIDGET"


def test_it_refuses_to_change_a_counting_line_through_the_grid(company, journal):
    counting = counting_journal_create(description="Count")
    with pytest.raises(DomainError, match="changes through its counted quantity"):
        journal_line_change(journal=counting, line_number=1, line=LineInput(
            date=date(2026, 1, 20), item=journal.lines.first().item, qty=D("1"), site=company.site,
            warehouse=company.warehouse))
    assert reverse("inventory:journal_detail", args=[counting.number])
