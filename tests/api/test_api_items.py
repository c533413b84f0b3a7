"""POST, GET /api/v1/items/ and GET /api/v1/items/{number}/: items under the items CSV contract."""

from decimal import Decimal

import pytest

from inventory.models import Item

D = Decimal
URL = "/api/v1/items/"


def item(number, model_group="FIFO", **extra) -> dict:
    return {"number": number, "name": f"Item {number}", "item_group": "DEFAULT", "model_group": model_group, **extra}


def test_it_creates_and_updates_items_and_shows_on_hand_and_running_average(company, ada_api, carl_api):
    refused = carl_api.post(URL, {"items": [item("WIDGET", unit_cost="4.5")]}, format="json")
    created = ada_api.post(URL, {"items": [item("WIDGET", unit_cost="4.5"), item("GADGET", "WAVG")]}, format="json")
    updated = ada_api.post(URL, {"items": [item("WIDGET", name="Blue widget")]}, format="json")
    carl_api.post("/api/v1/transactions/", {"transactions": [
        {"ref": "R1", "date": "2026-01-02", "item": "WIDGET", "qty": "2", "unit_cost": "10.00", "update": "financial"},
        {"ref": "R2", "date": "2026-01-03", "item": "WIDGET", "qty": "1", "unit_cost": "11.00", "update": "financial"},
        {"ref": "R3", "date": "2026-01-03", "item": "WIDGET", "qty": "5", "unit_cost": "1.00", "update": "physical"},
    ]}, format="json")

    assert refused.status_code == 403  # items take the item permissions, which a clerk has not (#16, point 9)
    assert (created.status_code, created.json()) == (201, {"posted": 2, "created": 2})
    assert (updated.status_code, updated.json()) == (200, {"posted": 1, "created": 0})
    assert (Item.objects.get(number="WIDGET").name, Item.objects.get(number="WIDGET").default_cost_price) == ("Blue widget", D(0))
    listed = carl_api.get(URL).json()
    assert [row["number"] for row in listed["results"]] == ["GADGET", "WIDGET"]
    detail = carl_api.get(URL + "WIDGET/").json()
    assert {key: detail[key] for key in ("number", "name", "item_group", "model_group", "unit_cost", "running_average")} == {
        "number": "WIDGET", "name": "Blue widget", "item_group": "DEFAULT", "model_group": "FIFO", "unit_cost": "0",
        "running_average": "10.333333"}
    assert detail["on_hand"] == {"physical_qty": "8", "financial_qty": "3", "financial_value": "31.00",
                                 "physical_value": "5.00"}
    assert [(row["site"], row["running_average"]) for row in detail["dimensions"]] == [("MAIN", "10.333333")]
    assert carl_api.get(URL + "NOPE/").status_code == 404


def test_it_refuses_a_bad_batch_naming_every_row_and_changes_nothing(company, ada_api):
    response = ada_api.post(URL, {"items": [
        item("A"), item("B", item_group="NOPE"), item("C", "STD"), item("A"), {**item("D"), "unit_cost": "-1"},
        {**item("E"), "colour": "red"},
    ]}, format="json")

    assert response.status_code == 400
    assert [(error["index"], error["field"]) for error in response.json()["errors"]] == [(5, "colour")]

    response = ada_api.post(URL, {"items": [item("A"), item("B", item_group="NOPE"), item("C", "STD"), item("A"),
                                             {**item("D"), "unit_cost": "-1"}, item("E", model_group="NOPE")]}, format="json")

    assert response.status_code == 400
    assert [(error["index"], error["field"]) for error in response.json()["errors"]] == [
        (1, "item_group"), (2, "unit_cost"), (3, "number"), (4, "unit_cost"), (5, "model_group")]
    assert not Item.objects.exists()


def test_it_refuses_an_item_number_that_would_break_its_address(company, ada_api):
    response = ada_api.post(URL, {"items": [item("OK-1"), item("A/B"), item("WHAT?")]}, format="json")

    assert response.status_code == 400
    assert [error["index"] for error in response.json()["errors"]] == [1, 2]
    assert "may contain only letters, digits" in response.json()["errors"][0]["message"]
    assert not Item.objects.exists()


@pytest.mark.parametrize("body", [{"items": [item("A", unit_cost="1E+25")]}, {"items": [item("x" * 41)]},
                                  {"items": [{"number": "A"}]}, {"items": "A"}, {"items": [None]}])
def test_it_answers_400_to_values_it_cannot_read(company, ada_api, body):
    response = ada_api.post(URL, body, format="json")

    assert response.status_code == 400
    assert all(error["message"] for error in response.json()["errors"])
    assert not Item.objects.exists()
