"""The API enforces exactly the pages' role permissions (tests/test_permissions.py), endpoint by
endpoint: every role reads; the clerk and the accountant post transactions, only the accountant
items (the item permissions, issue #16 point 9); only the
accountant starts, pauses, resumes and reverses runs; a user without a role gets 403 everywhere."""

from datetime import date

import pytest
from django.urls import get_resolver
from factories import ItemFactory

from closing.models import ClosingRun
from tests.api.conftest import bearer_client

ACCOUNTANT, CLERK, AUDITOR, NO_ROLE, STAFF = "ada_accountant", "carl_clerk", "audrey_auditor", "nora_norole", "sam_staff"
EVERY_ROLE = {ACCOUNTANT, CLERK, AUDITOR, STAFF}
KEEPERS = {ACCOUNTANT, CLERK, STAFF}
CLOSERS = {ACCOUNTANT, STAFF}

# name: (method, path, body that changes nothing, who may)
ENDPOINTS = {
    "item_list": ("get", "/api/v1/items/", None, EVERY_ROLE),
    "item_list POST": ("post", "/api/v1/items/", {}, CLOSERS),
    "item_detail": ("get", "/api/v1/items/WIDGET/", None, EVERY_ROLE),
    "transaction_list": ("get", "/api/v1/transactions/", None, EVERY_ROLE),
    "transaction_list POST": ("post", "/api/v1/transactions/", {}, KEEPERS),
    "run_list": ("get", "/api/v1/runs/", None, EVERY_ROLE),
    "run_list POST": ("post", "/api/v1/runs/", {}, CLOSERS),
    "run_detail": ("get", "/api/v1/runs/{run}/", None, EVERY_ROLE),
    "run_pause": ("post", "/api/v1/runs/{run}/pause/", None, CLOSERS),  # the run has ended: 409
    "run_resume": ("post", "/api/v1/runs/{run}/resume/", None, CLOSERS),  # the run has ended: 409
    "run_reverse": ("post", "/api/v1/runs/reverse/", {"what": "everything"}, CLOSERS),
    "run_settlements": ("get", "/api/v1/runs/{run}/settlements/", None, EVERY_ROLE),
    "run_log": ("get", "/api/v1/runs/{run}/log/", None, EVERY_ROLE),
    "voucher_feed": ("get", "/api/v1/vouchers/", None, EVERY_ROLE),
    "report_inventory_value": ("get", "/api/v1/reports/inventory-value/", None, EVERY_ROLE),
    "report_reconciliation": ("get", "/api/v1/reports/reconciliation/", None, EVERY_ROLE),
}
# Not this matrix's: the pages for people, the schema, and the imports and exports (their own tests).
OTHERS = {"docs", "tokens", "token_revoke", "schema"}


@pytest.fixture
def run(company) -> ClosingRun:
    ItemFactory(number="WIDGET")
    return ClosingRun.objects.create(number="CLS-000001", run_type=ClosingRun.RunType.CLOSING, date=date(2026, 1, 31),
                                     status=ClosingRun.Status.ENDED, phase="ended")


def test_it_covers_every_endpoint_of_the_api():
    names = {name for name in get_resolver().namespace_dict["api"][1].reverse_dict if isinstance(name, str)}
    ours = {name.split()[0] for name in ENDPOINTS}

    assert names - OTHERS - {name for name in names if "import" in name or "export" in name} == ours


@pytest.mark.parametrize("persona", [ACCOUNTANT, CLERK, AUDITOR, NO_ROLE, STAFF])
def test_it_answers_each_role_as_the_pages_do(request, run, persona):
    client = bearer_client(request.getfixturevalue(persona))

    answers = {}
    for name, (method, path, body, _allowed) in ENDPOINTS.items():
        response = getattr(client, method)(path.format(run=run.pk), body, format="json")
        assert response.status_code < 500, (name, response.content)
        answers[name] = "allowed" if response.status_code not in (401, 403) else response.status_code
    assert answers == {name: "allowed" if persona in allowed else 403 for name, (_, _, _, allowed) in ENDPOINTS.items()}
    run.refresh_from_db()
    assert (run.status, run.is_cancelled) == ("ended", False)  # nothing above changed anything


def test_it_names_the_role_in_a_403(run, carl_clerk):
    response = bearer_client(carl_clerk).post("/api/v1/runs/", {"type": "close", "date": "2026-02-28"}, format="json")

    assert response.status_code == 403
    assert response.json()["errors"] == [{"field": None, "message": "Your role does not allow this."}]
    assert not ClosingRun.objects.exclude(pk=run.pk).exists()
