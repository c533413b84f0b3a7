"""GET /api/v1/vouchers/ (the ledger feed) and the reports as JSON (issue #15, point 1): a general
ledger pulls every voucher posted since its last call, in posting order, never missing or doubling
one, even while postings commit out of id order between its calls (PostgreSQL)."""

import random
import threading
import time
from datetime import date

import pytest
from django.db import connection, transaction
from factories import ItemFactory

from ledger.models import Voucher

URL = "/api/v1/vouchers/"


def pull_all(client, cursor: str = "", limit: int = 100) -> tuple[list[str], str]:
    """Every voucher number ready now, page after page, and the cursor to continue from."""
    numbers = []
    while True:
        answer = client.get(URL, {"after": cursor, "limit": limit})
        assert answer.status_code == 200, answer.content
        body = answer.json()
        numbers += [voucher["number"] for voucher in body["results"]]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return numbers, cursor


def pull_until(client, cursor: str, count: int, *, timeout: float = 20) -> tuple[list[str], str]:
    """Pull until `count` vouchers came. On PostgreSQL a voucher is served once every transaction
    of this database older than its own has ended; a transaction of another database ending at
    the very moment of a pull can hold the feed back until the next pull (never skip a voucher)."""
    numbers, deadline = [], time.monotonic() + timeout
    while len(numbers) < count and time.monotonic() < deadline:
        more, cursor = pull_all(client, cursor)
        numbers += more
        if len(numbers) < count:
            time.sleep(0.05)
    return numbers, cursor


def voucher(number: str) -> Voucher:
    return Voucher.objects.create(number=number, date=date(2026, 1, 5), description=number, source=Voucher.Source.INVENTORY)


# Committed, as a ledger pulling the feed would see them: the feed serves vouchers of transactions
# that have ended, and a test's own open transaction has not.
@pytest.mark.django_db(transaction=True)
def test_it_feeds_the_vouchers_of_postings_with_their_lines_in_pages(company, carl_api, audrey_api):
    ItemFactory(number="WIDGET")
    carl_api.post("/api/v1/transactions/", {"transactions": [
        {"ref": f"R{n}", "date": "2026-01-02", "item": "WIDGET", "qty": "1", "unit_cost": "2.50", "update": "financial"}
        for n in range(5)]}, format="json")

    expected = list(Voucher.objects.order_by("id").values_list("number", flat=True))
    assert pull_until(audrey_api, "", len(expected))[0] == expected  # ready
    first = audrey_api.get(URL, {"limit": 2}).json()
    numbers, cursor = pull_all(audrey_api, first["next_cursor"], limit=2)

    assert first["has_more"] is True and len(first["results"]) == 2
    assert [v["number"] for v in first["results"]] + numbers == expected and len(expected) == 5
    line = first["results"][0]["lines"][0]
    assert set(line) == {"account", "debit", "credit", "is_storno", "description", "item_group", "item", "transaction"}
    assert [(line["account"], line["debit"], line["credit"], line["item"], line["transaction"])
            for line in first["results"][0]["lines"]] == [("1400", "2.50", "0.00", "WIDGET", "R0"),
                                                          ("2100", "0.00", "2.50", "WIDGET", "R0")]
    assert audrey_api.get(URL, {"after": cursor}).json() == {"results": [], "next_cursor": cursor, "has_more": False}
    carl_api.post("/api/v1/transactions/", {"transactions": [
        {"ref": "S1", "date": "2026-01-03", "item": "WIDGET", "qty": "-1", "update": "financial"}]}, format="json")
    assert len(pull_until(audrey_api, cursor, 1)[0]) == 1
    [sale] = audrey_api.get(URL, {"after": cursor}).json()["results"]
    assert [line["transaction"] for line in sale["lines"]] == ["S1", "S1"]


@pytest.mark.parametrize("query", [{"after": "abc"}, {"after": "1-"}, {"after": "-1-2"}, {"after": "9" * 50},
                                   {"limit": 0}, {"limit": 1001}, {"limit": "x"}])
def test_it_refuses_a_cursor_or_limit_it_did_not_write(company, audrey_api, query):
    response = audrey_api.get(URL, query)

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == next(iter(query))


def test_it_answers_the_inventory_value_and_reconciliation_as_json(company, carl_api, audrey_api):
    ItemFactory(number="WIDGET")
    carl_api.post("/api/v1/transactions/", {"transactions": [
        {"ref": "R1", "date": "2026-01-02", "item": "WIDGET", "qty": "4", "unit_cost": "2.50", "update": "financial"},
        {"ref": "R2", "date": "2026-01-09", "item": "WIDGET", "qty": "1", "unit_cost": "1.00", "update": "physical"}]},
        format="json")

    value = audrey_api.get("/api/v1/reports/inventory-value/", {"as_of": "2026-01-05"}).json()
    reconciliation = audrey_api.get("/api/v1/reports/reconciliation/").json()

    assert value["as_of"] == "2026-01-05"
    assert value["totals"] == {"financial_qty": "4", "physical_qty": "0", "qty": "4", "financial_value": "10.00",
                               "physical_value": "0.00", "value": "10.00"}
    assert [(row["item"], row["site"], row["warehouse"], row["value"]) for row in value["rows"]] == [("WIDGET", "MAIN", "MAIN", "10.00")]
    assert reconciliation["totals"]["difference"] == "0.00"
    assert audrey_api.get("/api/v1/reports/reconciliation/", {"as_of": "someday"}).status_code == 400


# -- PostgreSQL: postings that commit out of id order -----------------------------------------------

POSTGRES_ONLY = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="SQLite has one writer at a time")


@POSTGRES_ONLY
@pytest.mark.django_db(transaction=True)
def test_it_never_skips_a_voucher_whose_transaction_commits_after_a_newer_one(company, audrey_api):
    _, cursor = pull_all(audrey_api)
    inserted, release = threading.Event(), threading.Event()
    older = {}

    def slow_posting():
        try:
            with transaction.atomic():
                older["voucher"] = voucher("SLOW-1")
                inserted.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_posting)
    thread.start()
    assert inserted.wait(timeout=30)
    newer = voucher("FAST-1")  # committed at once, while SLOW-1 (a smaller id) is not yet
    assert older["voucher"].pk < newer.pk

    while_open, cursor = pull_all(audrey_api, cursor)
    release.set()
    thread.join(timeout=30)
    after_commit, cursor = pull_until(audrey_api, cursor, 2)

    # An id cursor would have served FAST-1 first and skipped SLOW-1 for ever.
    assert while_open == []
    assert after_commit == ["SLOW-1", "FAST-1"]
    assert pull_all(audrey_api, cursor)[0] == []


@POSTGRES_ONLY
@pytest.mark.django_db(transaction=True)
def test_it_feeds_every_voucher_exactly_once_while_postings_commit_between_pulls(company, audrey_api):
    writers, per_writer = 4, 15
    rng = random.Random(7)
    pauses = [[rng.uniform(0, 0.02) for _ in range(per_writer)] for _ in range(writers)]

    def writer(number: int):
        try:
            for n, pause in enumerate(pauses[number]):
                with transaction.atomic():
                    voucher(f"W{number}-{n:02d}")
                    time.sleep(pause)  # commit some time after the id was taken
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(writers)]
    for thread in threads:
        thread.start()
    pulled, cursor = [], ""
    while any(thread.is_alive() for thread in threads):
        numbers, cursor = pull_all(audrey_api, cursor, limit=7)
        pulled += numbers
        time.sleep(0.005)
    for thread in threads:
        thread.join()
    numbers, cursor = pull_until(audrey_api, cursor, writers * per_writer - len(pulled))
    pulled += numbers

    expected = {f"W{number}-{n:02d}" for number in range(writers) for n in range(per_writer)}
    assert len(pulled) == len(set(pulled))  # never twice
    assert set(pulled) == expected  # never missed
