"""Adjustment > On-hand, Adjustment > Transactions, the Reverse dialog's latest-adjustment option and
the Inventory parameters page, through the web client, persona by persona.

The book (NUT, FIFO) and its close are those of scenarios/test_scenario_adjustments.py: after the
close of January 31, 8 of R2 (96.00) and 5 of R3 (70.00) are open, 13 pieces worth 166.00."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from closing.models import ClosingRun, InventoryParameters
from inventory.models import InventoryTransaction
from tests.closing.nut_book import NUT_FIFO_BOOK

ON_HAND = reverse("closing:adjust_on_hand")
TRANSACTIONS = reverse("closing:adjust_transactions")
PARAMETERS = reverse("closing:parameters")


@pytest.fixture
def closed(books):
    books.item("NUT", "FIFO")
    books.post(NUT_FIFO_BOOK)
    books.close("2026-01-31")
    return books


def line_key() -> str:
    return f"{InventoryTransaction.objects.get(ref='R2').cost_dimension_id}-0"


def open_values() -> dict[str, D]:
    return {t.ref: t.cost_amount - t.cost_amount_settled for t in InventoryTransaction.objects.filter(ref__in=["R2", "R3"])}


def posting(**fields) -> dict:
    return {"specification": "total", "update_ledger": "on", "note": "", **fields}


# -- On-hand --------------------------------------------------------------------------------------

def test_it_lists_one_line_per_item_and_dimension_with_its_open_quantity_value_and_cost_price(closed, ada_client):
    page = ada_client.get(ON_HAND).content.decode()

    assert 'id="posting-date">2026-01-31' in page
    row = page.split('<table class="table" id="on-hand-lines">')[1].split("</tbody>")[0]
    assert "NUT" in row and ">13<" in row and ">166.00<" in row and ">12.769231<" in row


def test_it_posts_a_new_value_from_the_page_and_shows_the_run(closed, ada_client):
    response = ada_client.post(ON_HAND, posting(**{f"new_value-{line_key()}": "195.00", "note": "Market value"}))

    run = ClosingRun.objects.get(run_type="on_hand_adjustment")
    assert (response.status_code, response["Location"]) == (302, run.get_absolute_url())
    assert open_values() == {"R2": D("120.00"), "R3": D("75.00")}
    assert (run.note, run.started_by.username, str(run.date)) == ("Market value", "ada", "2026-01-31")
    shown = ada_client.get(reverse("closing:run_settlements", args=[run.pk])).content.decode()
    assert "R2" in shown and "24.00" in shown and "R3" in shown and "5.00" in shown


@pytest.mark.parametrize(("typed", "message"), [
    ({"new_value": "abc"}, "Line 1 (item NUT at site MAIN): new value &#x27;abc&#x27; is not a number."),
    ({"new_value": "-1"}, "Line 1 (item NUT at site MAIN): the new value -1 is negative; inventory cannot be valued below zero."),
    ({"new_value": "100", "percent": "5"}, "Line 1 (item NUT at site MAIN): enter either new value or new unit cost or percent, not several."),
    ({}, "Nothing to adjust: enter a new value, cost price or percentage on at least one line."),
])
def test_it_shows_what_is_wrong_on_the_form_and_posts_nothing(closed, ada_client, typed, message):
    before = (closed.counts(), open_values())

    response = ada_client.post(ON_HAND, posting(**{f"{name}-{line_key()}": value for name, value in typed.items()}))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert (closed.counts(), open_values()) == before


def test_it_says_an_on_hand_adjustment_needs_a_close_first(books, ada_client):
    page = ada_client.get(ON_HAND).content.decode()

    assert 'id="no-close"' in page and "close inventory</a> first" in page


@pytest.mark.parametrize("persona", ["carl_client", "audrey_client", "nora_client"])
def test_it_forbids_adjustments_to_users_without_the_accountant_role(closed, request, persona):
    client = request.getfixturevalue(persona)
    before = (closed.counts(), open_values())

    assert client.post(ON_HAND, posting(**{f"new_value-{line_key()}": "195.00"})).status_code == 403
    ref = InventoryTransaction.objects.get(ref="R3").pk
    assert client.post(TRANSACTIONS + "?item=NUT", posting(date="2026-02-02", **{f"new_value-{ref}": "1"})).status_code == 403
    assert (closed.counts(), open_values()) == before


# -- Transactions ---------------------------------------------------------------------------------

def test_it_lists_only_receipts_no_close_has_settled_and_posts_a_new_cost_price(closed, ada_client):
    page = ada_client.get(TRANSACTIONS, {"item": "NUT", "select": "1"}).content.decode()
    table = page.split('id="adjustable-transactions">')[1].split("</tbody>")[0]
    assert ">R3<" in table and ">R1<" not in table and ">R2<" not in table  # R1 closed, R2 partly settled

    r3 = InventoryTransaction.objects.get(ref="R3")
    response = ada_client.post(TRANSACTIONS + "?item=NUT&select=1",
                               posting(date="2026-02-03", **{f"new_unit_cost-{r3.pk}": "15.00"}))

    run = ClosingRun.objects.get(run_type="transaction_adjustment")
    assert (response.status_code, response["Location"]) == (302, run.get_absolute_url())
    r3.refresh_from_db()
    assert (r3.cost_amount, str(run.date)) == (D("75.00"), "2026-02-03")


def test_it_refuses_a_posting_date_in_the_closed_period_on_the_date_field(closed, ada_client):
    r3 = InventoryTransaction.objects.get(ref="R3")
    before = closed.counts()

    response = ada_client.post(TRANSACTIONS + "?item=NUT&select=1",
                               posting(date="2026-01-31", **{f"new_value-{r3.pk}": "80.00"}))

    assert response.status_code == 200
    close = ClosingRun.objects.get(run_type="closing")
    assert (f"Posting date: Posting date 2026-01-31 refused: inventory is closed up to 2026-01-31 ({close.label}); "
            "post the adjustment after 2026-01-31.") in response.content.decode()
    assert closed.counts() == before


# -- Reverse the latest adjustment ----------------------------------------------------------------

def test_it_reverses_the_latest_adjustment_from_the_reverse_dialog(closed, ada_client, jobs_here):
    ada_client.post(ON_HAND, posting(**{f"new_value-{line_key()}": "195.00"}))
    adjustment = ClosingRun.objects.get(run_type="on_hand_adjustment")
    assert adjustment.label in ada_client.get(reverse("closing:reverse")).content.decode()

    with jobs_here():
        response = ada_client.post(reverse("closing:reverse"), {"what": "adjustment"})

    assert response.status_code == 302
    adjustment.refresh_from_db()
    assert adjustment.is_cancelled
    assert open_values() == {"R2": D("96.00"), "R3": D("70.00")}


# -- Inventory parameters -------------------------------------------------------------------------

def test_it_lets_the_accountant_change_the_parameters_and_records_who_did(company, ada_client):
    response = ada_client.post(PARAMETERS, {"storno_for_adjustments": "on", "default_specification": "item",
                                            "default_min_adjustment": "0.50", "items_per_bundle": "50",
                                            "max_iterations": "10"})

    assert response.status_code == 302
    parameters = InventoryParameters.load()
    assert (parameters.storno_for_adjustments, parameters.default_specification, parameters.default_min_adjustment,
            parameters.items_per_bundle, parameters.max_iterations) == (True, "item", D("0.50"), 50, 10)
    from common.models import AuditEntry
    entry = AuditEntry.objects.get(action="parameters.change")
    assert entry.user.username == "ada"
    assert entry.detail["changes"]["storno_for_adjustments"] == {"from": "False", "to": "True"}


def test_it_refuses_a_bundle_size_of_zero_on_the_field(company, ada_client):
    response = ada_client.post(PARAMETERS, {"default_specification": "total", "default_min_adjustment": "0",
                                            "items_per_bundle": "0", "max_iterations": "10"})

    assert response.status_code == 200
    assert "Number of items per bundle: Ensure this value is greater than or equal to 1." in response.content.decode()
    assert InventoryParameters.load().items_per_bundle == 200


@pytest.mark.parametrize("persona", ["carl_client", "audrey_client"])
def test_it_shows_the_parameters_read_only_to_clerks_and_auditors(company, request, persona):
    client = request.getfixturevalue(persona)

    page = client.get(PARAMETERS).content.decode()

    assert "Your role may read these parameters, not change them." in page and "disabled" in page
    assert client.post(PARAMETERS, {"storno_for_adjustments": "on", "default_specification": "total",
                                     "default_min_adjustment": "0", "items_per_bundle": "5",
                                     "max_iterations": "1"}).status_code == 403
    assert InventoryParameters.load().storno_for_adjustments is False
