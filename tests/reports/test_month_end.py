"""The month end around a close (issue #17, points 16 to 18) on the reports' book (conftest): Ada
closes January, is e-mailed when it ends (or fails), signs the summary off; Audrey the auditor sees
the sign-off, void once the close is reversed; the start page says where the month end stands."""

from datetime import date

import pytest
from django.core import mail
from django.urls import reverse

from closing.models import ClosingRun
from closing.services import bundles
from closing.services.bundles import run_execute
from closing.services.reversal import closing_reverse
from closing.services.runs import RunRequest, closing_start
from common.errors import DomainError
from common.models import AuditEntry
from reports.models import CloseSignOff
from reports.selectors_home import month_end_status, next_period_end
from reports.services import close_sign_off


@pytest.fixture
def ada_with_mail(ada_accountant):
    ada_accountant.email = "ada@example.com"
    ada_accountant.save()
    return ada_accountant


def close_as(user, on: date = date(2026, 1, 31)) -> ClosingRun:
    run = closing_start(request=RunRequest(run_type=ClosingRun.RunType.CLOSING, date=on), user=user, queue=False)
    return run_execute(run_id=run.pk)


# -- 18. run notifications --------------------------------------------------------------------------

def test_it_mails_whoever_started_the_close_when_it_ends(widget, ada_with_mail, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = close_as(ada_with_mail)

    assert run.status == ClosingRun.Status.ENDED
    [message] = mail.outbox
    assert message.to == ["ada@example.com"]
    assert message.subject == f"Closing {run.number} up to 2026-01-31 has ended"
    assert f"has ended: {run.settlements_count} settlements, 1 adjustments, 0 warnings" in message.body
    assert f"/reports/close-summary/{run.pk}/" in message.body


def test_it_mails_whoever_started_the_close_when_it_fails(widget, ada_with_mail, monkeypatch,
                                                           django_capture_on_commit_callbacks):
    def broken(**kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(bundles, "compute_bundle", broken)
    with django_capture_on_commit_callbacks(execute=True):
        run = close_as(ada_with_mail)

    assert run.status == ClosingRun.Status.FAILED
    [message] = mail.outbox
    assert message.subject == f"Closing {run.number} up to 2026-01-31 failed"
    assert "the disk is full" in message.body and "Open it to resume it" in message.body


def test_it_mails_nobody_when_the_starter_has_no_address(widget, ada_accountant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        close_as(ada_accountant)

    assert mail.outbox == []


# -- 17. sign-off -----------------------------------------------------------------------------------

def test_it_lets_an_accountant_sign_the_summary_off_and_shows_it_to_the_auditor(widget, ada_accountant, ada_client,
                                                                                 audrey_client):
    run = close_as(ada_accountant)
    url = reverse("reports:close_summary", args=[run.pk])

    offered = ada_client.get(url).content.decode()
    signed = ada_client.post(reverse("reports:close_sign_off", args=[run.pk]), {"comment": "Tied to voucher, 5.00"})
    seen = audrey_client.get(url).content.decode()

    assert "Sign off the summary" in offered
    assert signed.status_code == 302
    sign_off = CloseSignOff.objects.get(run=run)
    assert (sign_off.signed_by_name, sign_off.comment, sign_off.is_void) == ("Ada", "Tied to voucher, 5.00", False)
    assert "Signed off by <strong>Ada</strong>" in seen and "Tied to voucher, 5.00" in seen
    assert "Sign off the summary" not in seen
    assert AuditEntry.objects.filter(action="closing.sign_off", object_id=str(run.pk)).exists()


def test_it_refuses_the_sign_off_to_the_auditor_and_a_second_one(widget, ada_accountant, ada_client, audrey_client):
    run = close_as(ada_accountant)
    close_sign_off(run=run, user=ada_accountant, comment="")

    forbidden = audrey_client.post(reverse("reports:close_sign_off", args=[run.pk]), {"comment": "me too"})
    again = ada_client.post(reverse("reports:close_sign_off", args=[run.pk]), {"comment": "once more"})

    assert forbidden.status_code == 403
    assert again.status_code == 400
    assert f"{run.number} was already signed off by Ada on" in again.content.decode()
    assert CloseSignOff.objects.count() == 1


def test_it_shows_the_sign_off_void_once_the_close_is_reversed(widget, ada_accountant, audrey_client):
    run = close_as(ada_accountant)
    close_sign_off(run=run, user=ada_accountant, comment="Checked")

    closing_reverse(user=ada_accountant)
    page = audrey_client.get(reverse("reports:close_summary", args=[run.pk])).content.decode()

    assert CloseSignOff.objects.get(run=run).is_void
    assert "Void</span> Signed off by <strong>Ada</strong>" in page
    assert f"void since {run.number} was reversed by" in page
    with pytest.raises(DomainError, match="was reversed: there is nothing left to sign off"):
        close_sign_off(run=ClosingRun.objects.get(pk=run.pk), user=ada_accountant)


# -- 16. the start page -----------------------------------------------------------------------------

def test_it_tells_the_accountant_where_the_month_end_stands(widget, ada_accountant, ada_client):
    before = month_end_status(today=date(2026, 2, 3))
    run = close_as(ada_accountant)
    after = month_end_status(today=date(2026, 2, 3))
    page = ada_client.get("/").content.decode()

    assert before.latest_close is None and before.next_period_end == date(2026, 1, 31)
    assert [step.text for step in before.steps] == ["Close inventory up to 2026-01-31"]
    assert after.latest_close == run and after.next_period_end == date(2026, 2, 28)
    assert [step.text for step in after.steps] == [f"Sign off the summary of {run.number}"]
    assert f'<dd data-testid="latest-close"><a href="/closing/runs/{run.pk}/">{run.number}</a> up to 2026-01-31' in page
    assert '<dd data-testid="unfinished-runs">None</dd>' in page
    assert "What to do next" in page


def test_it_takes_the_next_period_end_from_the_fiscal_periods(company):
    # company_bootstrap sets up the months of 2026 as fiscal periods.
    assert next_period_end(after=date(2026, 1, 31), today=date(2026, 3, 1)) == date(2026, 2, 28)
    assert next_period_end(after=None, today=date(2026, 3, 10)) == date(2026, 2, 28)


def test_it_shows_the_overview_without_the_month_end_to_a_user_without_a_role(widget, nora_client):
    page = nora_client.get("/").content.decode()

    assert "What to do next" not in page and "Inventory transactions" in page
