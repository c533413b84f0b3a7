"""POST and GET /api/v1/transactions/ (issue #15, point 1): batches of the transactions CSV contract,
all or nothing, idempotent by ref, errors naming each bad row by its 0-based index."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from factories import ItemFactory

from inventory.models import InventoryTransaction
from ledger.models import Voucher
from tests.api.conftest import bearer_client

D = Decimal
URL = "/api/v1/transactions/"


def txn(ref, date, item, qty, unit_cost=None, update="financial", **extra) -> dict:
    row = {"ref": ref, "date": date, "item": item, "qty": qty, "update": update, **extra}
    if unit_cost is not None:
        row["unit_cost"] = unit_cost
    return row


@pytest.fixture
def widget(company):
    return ItemFactory(number="WIDGET", model_group="FIFO")


def test_it_posts_a_batch_and_lists_it_with_current_values(widget, carl_api):
    response = carl_api.post(URL, {"transactions": [
        txn("R1", "2026-01-02", "WIDGET", "2", "10.00"),
        txn("R2", "2026-01-03", "WIDGET", 2, "20.005", update="physical"),
        txn("S1", "2026-01-04", "WIDGET", "-1"),
    ]}, format="json")

    assert (response.status_code, response.json()) == (201, {"posted": 3, "unchanged": 0})
    listed = carl_api.get(URL).json()
    assert (listed["count"], listed["next"], listed["previous"]) == (3, None, None)
    assert listed["results"][0] == {"ref": "R1", "item": "WIDGET", "qty": "2", "status": "purchased",
                                    "date_physical": "2026-01-02", "date_financial": "2026-01-02",
                                    "cost_amount": "20.00", "settled_qty": "0", "adjustment": "0.00"}
    assert [(row["ref"], row["status"], row["cost_amount"], row["date_financial"]) for row in listed["results"][1:]] == [
        ("R2", "received", "40.01", None), ("S1", "sold", "-10.00", "2026-01-04")]


def test_it_takes_decimal_numbers_as_json_numbers_without_a_float(widget, carl_api):
    response = carl_api.post(URL, data='{"transactions": [{"ref": "R1", "date": "2026-01-02", "item": "WIDGET", '
                                       '"qty": 3, "unit_cost": 0.1, "update": "financial"}]}',
                             content_type="application/json")

    assert response.status_code == 201
    assert InventoryTransaction.objects.get(ref="R1").cost_amount_posted == D("0.30")


def test_it_refuses_a_bad_batch_naming_every_bad_row_and_posts_nothing(widget, carl_api):
    response = carl_api.post(URL, {"transactions": [
        txn("R1", "2026-01-02", "WIDGET", "2", "10.00"),
        txn("R2", "2026-01-03", "NOPE", "2", "10.00"),
        txn("R3", "2026-01-03", "WIDGET", "0", "10.00"),
        txn("R4", "2026-01-03", "WIDGET", "-1", "3.00"),
        txn("R5", "2026-01-03", "WIDGET", "1", "1.00", site="NOWHERE"),
    ]}, format="json")

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(error["index"], error["field"]) for error in errors] == [
        (1, "item"), (2, "qty"), (3, "unit_cost"), (4, "site")]
    assert "NOPE" in errors[0]["message"]
    assert InventoryTransaction.objects.count() == 0 and Voucher.objects.count() == 0


def test_it_names_the_rows_it_cannot_read_and_the_rows_the_rules_refuse_at_once(widget, carl_api):
    response = carl_api.post(URL, {"transactions": [
        txn("R1", "2026-01-02", "WIDGET", "2"),  # a receipt without its unit cost
        txn("R2", "2026-01-32", "WIDGET", "2", "1.00"),  # no such day
        txn("R3", "2026-01-03", "WIDGET", "1", "1.00"),
        txn("R4", "2026-01-03", "NOPE", "1", "1.00"),
    ]}, format="json")

    assert response.status_code == 400
    assert [(error["index"], error["field"]) for error in response.json()["errors"]] == [
        (0, "unit_cost"), (1, "date"), (3, "item")]
    assert not InventoryTransaction.objects.exists() and not Voucher.objects.exists()


@pytest.mark.parametrize(("row", "field"), [
    ({"qty": "1E+25"}, "qty"),
    ({"qty": 1e25}, "qty"),
    ({"qty": "abc"}, "qty"),
    ({"qty": True}, "qty"),
    ({"unit_cost": "-"}, "unit_cost"),
    ({"date": "2026-02-30"}, "date"),
    ({"date": "99999-01-01"}, "date"),
    ({"date": 20260101}, "date"),
    ({"ref": "x" * 61}, "ref"),
    ({"ref": 12}, "ref"),
    ({"ref": ""}, "ref"),
    ({"item": None}, "item"),
    ({"update": "later"}, "update"),
    ({"colour": "red"}, "colour"),
    ({"site": "\ud800"}, "site"),
    ({"marking": "\x00"}, "marking"),
])
def test_it_answers_400_naming_the_row_and_field_of_a_value_it_cannot_read(widget, carl_api, row, field):
    good = txn("R1", "2026-01-02", "WIDGET", "2", "10.00")

    # As an outside system sends it: JSON escapes (a lone surrogate cannot be sent any other way).
    body = json.dumps({"transactions": [good, {**good, "ref": "R2", **row}]}, ensure_ascii=True)
    response = carl_api.generic("POST", URL, body, content_type="application/json")

    assert response.status_code == 400, response.content
    assert [(error["index"], error["field"]) for error in response.json()["errors"]] == [(1, field)]
    assert not InventoryTransaction.objects.exists()


@pytest.mark.parametrize("body", [
    b'{"transactions": [', b"[]", b'{"transactions": []}', b'{"transactions": {}}', b'{"transactions": [1]}',
    b'{"rows": []}', b'{"transactions": [{"qty": NaN}]}', b"[" * 100_000, b'"\xff"',
    b'{"transactions": [{"ref": "R1", "date": "2026-01-02", "item": "WIDGET", "qty": 1e999999999, "update": "physical"}]}',
    b'{"transactions": [{"ref": "R1", "date": "2026-01-02", "item": "WIDGET", "qty": 1e-999999999, "update": "physical"}]}',
    b'{"transactions": [{"ref": "R1", "date": "2026-01-02", "item": "WIDGET", "qty": -0, "unit_cost": 1, "update": "physical"}]}',
])
def test_it_answers_400_to_a_body_it_cannot_read(widget, carl_api, body):
    response = carl_api.generic("POST", URL, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]


def test_it_answers_200_to_an_exact_repeat_and_posts_nothing_new(widget, carl_api):
    batch = {"transactions": [txn("R1", "2026-01-02", "WIDGET", "2", "10.00"),
                              txn("R2", "2026-01-03", "WIDGET", "5", "1.50", update="physical"),
                              txn("S1", "2026-01-04", "WIDGET", "-1", update="physical", marking="R1")]}
    assert carl_api.post(URL, batch, format="json").status_code == 201
    vouchers = Voucher.objects.count()

    again = carl_api.post(URL, batch, format="json")

    assert (again.status_code, again.json()) == (200, {"posted": 0, "unchanged": 3})
    assert (InventoryTransaction.objects.count(), Voucher.objects.count()) == (3, vouchers)


def test_it_posts_the_new_rows_of_a_batch_mixing_repeats_and_new_rows(widget, carl_api):
    first = txn("R1", "2026-01-02", "WIDGET", "2", "10.00")
    carl_api.post(URL, {"transactions": [first]}, format="json")

    response = carl_api.post(URL, {"transactions": [first, txn("R2", "2026-01-03", "WIDGET", "1", "4.00")]}, format="json")

    assert (response.status_code, response.json()) == (201, {"posted": 1, "unchanged": 1})
    assert sorted(InventoryTransaction.objects.values_list("ref", flat=True)) == ["R1", "R2"]


@pytest.mark.parametrize("change", [{"qty": "3"}, {"unit_cost": "10.50"}, {"date": "2026-01-05"}, {"site": "MAIN", "warehouse": "OTHER"}])
def test_it_answers_409_to_a_ref_posted_with_different_content_and_posts_nothing(widget, carl_api, change):
    carl_api.post(URL, {"transactions": [txn("R1", "2026-01-02", "WIDGET", "2", "10.00")]}, format="json")

    response = carl_api.post(URL, {"transactions": [txn("R0", "2026-01-02", "WIDGET", "1", "1.00"),
                                                    {**txn("R1", "2026-01-02", "WIDGET", "2", "10.00"), **change}]},
                             format="json")

    assert response.status_code == 409
    assert [(error["index"], error["ref"]) for error in response.json()["errors"]] == [(1, "R1")]
    assert list(InventoryTransaction.objects.values_list("ref", flat=True)) == ["R1"]


def test_it_invoices_a_physical_receipt_once_and_then_treats_the_invoice_like_any_ref(widget, carl_api):
    carl_api.post(URL, {"transactions": [txn("R1", "2026-01-02", "WIDGET", "2", "10.00", update="physical")]}, format="json")
    invoice = {"transactions": [txn("R1", "2026-01-09", "WIDGET", "2", "11.00")]}

    posted = carl_api.post(URL, invoice, format="json")
    repeated = carl_api.post(URL, invoice, format="json")
    other = carl_api.post(URL, {"transactions": [txn("R1", "2026-01-09", "WIDGET", "2", "12.00")]}, format="json")
    wrong_qty = carl_api.post(URL, {"transactions": [txn("R1", "2026-01-09", "WIDGET", "3", "11.00")]}, format="json")

    assert (posted.status_code, repeated.status_code, repeated.json()["unchanged"]) == (201, 200, 1)
    assert (other.status_code, wrong_qty.status_code) == (409, 409)
    receipt = InventoryTransaction.objects.get(ref="R1")
    assert (receipt.status, receipt.date_financial, receipt.cost_amount) == ("purchased", receipt.date_financial, D("22.00"))
    # The physical row sent again is still a repeat of what was posted, not a conflict.
    physical = carl_api.post(URL, {"transactions": [txn("R1", "2026-01-02", "WIDGET", "2", "10.00", update="physical")]},
                             format="json")
    assert physical.status_code == 200


def test_it_pages_and_filters_the_list_in_a_stable_order(company, carl_api):
    ItemFactory(number="A")
    ItemFactory(number="B")
    rows = [txn(f"IN-{n:03d}", f"2026-01-{1 + n % 20:02d}", "A" if n % 2 else "B", "1", "1.00",
                update="physical" if n % 3 else "financial") for n in range(25)]
    assert carl_api.post(URL, {"transactions": rows}, format="json").status_code == 201

    pages, url = [], URL + "?page_size=10"
    while url:
        page = carl_api.get(url).json()
        pages.append([row["ref"] for row in page["results"]])
        url = page["next"]

    assert [len(page) for page in pages] == [10, 10, 5]
    assert [ref for page in pages for ref in page] == [f"IN-{n:03d}" for n in range(25)]
    assert carl_api.get(URL + "?page_size=5000").json()["count"] == 25  # capped at 1,000 a page
    filtered = carl_api.get(URL, {"item": "A", "ref_prefix": "IN-00", "date_from": "2026-01-03",
                                  "date_to": "2026-01-09", "status": "received"}).json()
    assert [row["ref"] for row in filtered["results"]] == ["IN-005", "IN-007"]
    bad = carl_api.get(URL, {"date_from": "yesterday", "status": "lost"})
    assert bad.status_code == 400
    assert {error["field"] for error in bad.json()["errors"]} == {"date_from", "status"}
    assert carl_api.get(URL + "?page=99").status_code == 404


@pytest.mark.postgres
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's plans")
def test_a_ref_prefix_is_found_through_the_ref_index_not_by_reading_every_transaction(company):
    # Refs are compared byte by byte (inventory migration 0003_database), so LIKE 'prefix%' becomes a
    # range of the unique index on ref; under a linguistic collation it could only filter a scan.
    from api.selectors import transaction_list

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = transaction_list(ref_prefix="PO-2026").explain()

    assert "Index Cond: (((ref)::text >= 'PO-2026'::text) AND ((ref)::text < 'PO-2027'::text))" in plan


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="SQLite has one writer at a time")
@pytest.mark.django_db(transaction=True)
def test_it_answers_201_and_200_when_two_clients_send_the_same_batch_at_once(company, carl_clerk):
    ItemFactory(number="WIDGET")
    batch = {"transactions": [txn(f"R{n}", "2026-01-02", "WIDGET", "1", "2.00") for n in range(50)]}
    start = threading.Barrier(2)

    def send() -> tuple[int, dict]:
        client = bearer_client(carl_clerk)
        try:
            start.wait(timeout=30)
            response = client.post(URL, batch, format="json")
            return response.status_code, response.json()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = sorted(pool.map(lambda _: send(), range(2)), key=lambda answer: answer[0])

    assert answers == [(200, {"posted": 0, "unchanged": 50}), (201, {"posted": 50, "unchanged": 0})]
    assert InventoryTransaction.objects.count() == 50
