"""The Fiscal periods page (issue #17, point 13) and the Audit log page (point 14).

Ada the accountant opens, holds and closes periods; closing one that ends after the latest inventory
close (here: the close CLS-1 of 2026-01-31) asks her first. Audrey the auditor reads the audit log;
Carl the clerk may do neither."""

import csv
import io
from datetime import date

import pytest
from django.urls import reverse

from closing.models import ClosingRun
from common.audit import audit_record
from common.errors import DomainError
from common.models import AuditEntry
from ledger.models import FiscalPeriod
from ledger.services import fiscal_period_status_set


def period(name: str) -> FiscalPeriod:
    return FiscalPeriod.objects.get(name=name)


def status_url(name: str) -> str:
    return reverse("ledger:fiscal_period_status", args=[period(name).pk])


def closed_in_january():
    ClosingRun.objects.create(number="CLS-1", run_type=ClosingRun.RunType.CLOSING, date=date(2026, 1, 31),
                              status=ClosingRun.Status.ENDED)


def test_it_lists_the_periods_with_the_inventory_close_date(company, audrey_client):
    closed_in_january()

    page = audrey_client.get(reverse("ledger:fiscal_period_list") + "?year=2026").content.decode()

    assert page.count('<tr data-period="2026-') == 12
    assert '<strong data-testid="closed-until">2026-01-31</strong>' in page
    assert 'name="status"' not in page  # an auditor changes nothing


def test_it_closes_a_period_the_inventory_close_covers_at_once(company, ada_client):
    closed_in_january()

    response = ada_client.post(status_url("2026-01"), {"status": "closed"})

    assert response.status_code == 302
    assert period("2026-01").status == "closed"
    entry = AuditEntry.objects.get(action="fiscal_period.closed")
    assert (entry.username, entry.object_type, entry.detail["changes"]) == (
        "ada", "ledger.FiscalPeriod", {"status": {"from": "open", "to": "closed"}})


def test_it_warns_before_closing_a_period_after_the_latest_inventory_close(company, ada_client):
    closed_in_january()

    asked = ada_client.post(status_url("2026-02"), {"status": "closed"})

    page = asked.content.decode()
    assert asked.status_code == 200
    assert "Inventory is only up to 2026-01-31, before the end of 2026-02 (2026-02-28)" in page
    assert 'name="confirm" value="1"' in page
    assert period("2026-02").status == "open"
    assert not AuditEntry.objects.filter(object_type="ledger.FiscalPeriod").exists()

    confirmed = ada_client.post(status_url("2026-02"), {"status": "closed", "confirm": "1"})

    assert confirmed.status_code == 302
    assert period("2026-02").status == "closed"


def test_it_puts_a_period_on_hold_and_opens_it_again(company, ada_client):
    ada_client.post(status_url("2026-03"), {"status": "on_hold"})
    assert period("2026-03").status == "on_hold"
    ada_client.post(status_url("2026-03"), {"status": "open"})

    assert period("2026-03").status == "open"
    assert list(AuditEntry.objects.filter(object_type="ledger.FiscalPeriod").order_by("id")
                .values_list("action", flat=True)) == ["fiscal_period.on_hold", "fiscal_period.open"]


def test_it_says_why_a_status_is_refused(company, ada_client):
    response = ada_client.post(status_url("2026-03"), {"status": "open"}, follow=True)

    assert "Period 2026-03 is already open." in response.content.decode()


def test_it_forbids_the_period_changes_to_a_clerk_and_an_auditor(company, carl_client, audrey_client):
    for client in (carl_client, audrey_client):
        assert client.post(status_url("2026-01"), {"status": "closed", "confirm": "1"}).status_code == 403
    assert period("2026-01").status == "open"


def test_it_warns_in_the_service_when_inventory_was_never_closed(company, ada_accountant):
    with pytest.raises(DomainError, match="Inventory is not closed yet") as refused:
        fiscal_period_status_set(period=period("2026-01"), status="closed", user=ada_accountant)
    assert refused.value.field == "confirm"


# -- the audit log ----------------------------------------------------------------------------------

def some_entries(ada_accountant, carl_clerk):
    audit_record(user=ada_accountant, action="item.change", object_type="inventory.Item", object_id="BOLT",
                 changes={"name": {"from": "Bolt", "to": "Hex bolt"}})
    audit_record(user=carl_clerk, action="journal.post", object_type="inventory.Journal", object_id="JNL-000001",
                 lines=3)


def test_it_shows_who_did_what_with_the_values_before_and_after(company, audrey_client, ada_accountant, carl_clerk):
    some_entries(ada_accountant, carl_clerk)

    page = audrey_client.get(reverse("ledger:audit_log")).content.decode()

    assert "name: Bolt → Hex bolt" in page
    assert "lines=3" in page
    assert ">ada<" in page and ">carl<" in page


def test_it_filters_by_user_action_and_object(company, audrey_client, ada_accountant, carl_clerk):
    some_entries(ada_accountant, carl_clerk)
    url = reverse("ledger:audit_log")

    by_user = audrey_client.get(url + "?user=carl").content.decode()
    by_action = audrey_client.get(url + "?action=item.change").content.decode()
    by_object = audrey_client.get(url + "?object_type=inventory.Item&object_id=bolt").content.decode()

    assert "JNL-000001" in by_user and "Hex bolt" not in by_user
    assert "Hex bolt" in by_action and "JNL-000001" not in by_action
    assert "Hex bolt" in by_object and "JNL-000001" not in by_object


def test_it_exports_the_filtered_log(company, ada_client, ada_accountant, carl_clerk):
    some_entries(ada_accountant, carl_clerk)

    response = ada_client.get(reverse("ledger:audit_log") + "?action=item.change&_export=csv")

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["When", "User", "Action", "Object type", "Object", "Before → after", "Detail"]
    assert [row[1:6] for row in rows[1:]] == [["ada", "item.change", "inventory.Item", "BOLT", "name: Bolt → Hex bolt"]]


def test_it_keeps_the_log_from_a_clerk(company, carl_client):
    assert carl_client.get(reverse("ledger:audit_log")).status_code == 403
    assert "Audit log</a>" not in carl_client.get(reverse("ledger:fiscal_period_list")).content.decode()
