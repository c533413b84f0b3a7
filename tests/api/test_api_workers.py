"""A close started through the API is queued on the real workers, like the page's (issue #15,
point 1): real `manage.py rqworker` processes, real Redis and the test PostgreSQL database
(tests/closing/workers.py). The client follows the run by its URL to the end and pulls the close's
voucher from the feed."""

import pytest
from factories import ItemFactory

from tests.api.conftest import bearer_client
from tests.closing.workers import WorkerPool, queues_reserved, skip_reason, wait_for

SKIP = skip_reason()
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),  # django-rq enqueues on commit; the workers read committed data
    pytest.mark.skipif(SKIP is not None, reason=SKIP or ""),
]


@pytest.fixture
def pool(tmp_path):
    with queues_reserved():
        workers = WorkerPool(tmp_path)
        try:
            yield workers
        finally:
            workers.stop_all()
            print(workers.logs())


def next_cursor_after(client, *, count: int) -> str | None:
    """The feed's cursor once it has served `count` vouchers from the start."""
    body = client.get("/api/v1/vouchers/").json()
    return body["next_cursor"] if len(body["results"]) == count else None


def finished(client, url: str) -> dict | None:
    run = client.get(url).json()
    return run if run["status"] in ("ended", "failed") else None


def test_it_closes_on_the_workers_and_the_client_follows_the_run_to_its_voucher(company, ada_accountant, pool):
    ItemFactory(number="WIDGET", model_group="FIFO")
    client = bearer_client(ada_accountant)
    assert client.post("/api/v1/transactions/", {"transactions": [
        {"ref": "R1", "date": "2026-01-02", "item": "WIDGET", "qty": "2", "unit_cost": "10.00", "update": "financial"},
        {"ref": "R2", "date": "2026-01-03", "item": "WIDGET", "qty": "2", "unit_cost": "20.00", "update": "financial"},
        {"ref": "S1", "date": "2026-01-04", "item": "WIDGET", "qty": "-3", "update": "financial"},
    ]}, format="json").status_code == 201
    cursor = wait_for(lambda: next_cursor_after(client, count=3), timeout=20, what="the postings' vouchers in the feed")

    started = client.post("/api/v1/runs/", {"type": "close", "date": "2026-01-31"}, format="json")
    assert started.status_code == 202
    pool.start(burst=True).wait(timeout=120)

    run = wait_for(lambda: finished(client, started.json()["url"]), timeout=60, what="the close to end")
    assert (run["status"], run["progress"], run["counts"]["settlements"], run["checks"]["ok"]) == ("ended", 100, 2, True)
    closing = wait_for(lambda: client.get("/api/v1/vouchers/", {"after": cursor}).json()["results"],
                       timeout=20, what="the close's voucher in the feed")
    assert [voucher["number"] for voucher in closing] == [run["voucher"]]
    assert {(line["account"], line["debit"], line["credit"]) for line in closing[0]["lines"]} == {
        ("1400", "5.00", "0.00"), ("5000", "0.00", "5.00")}
