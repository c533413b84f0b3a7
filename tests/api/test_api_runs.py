"""/api/v1/runs/: closes and recalculations started, previewed, followed, paused, resumed and reversed
through the same services as the Closing and adjustment page. Runs are queued by closing.queue.enqueue
after the commit; here a recorder stands in for Redis and services.run_execute does what the workers
do (tests/api/test_api_workers.py runs real workers)."""

from datetime import date
from decimal import Decimal

import pytest
from factories import ItemFactory

from closing import jobs, services
from closing import queue as closing_queue
from closing.models import ClosingRun

D = Decimal
URL = "/api/v1/runs/"


@pytest.fixture
def queued(monkeypatch) -> list[tuple[str, int]]:
    calls: list[tuple[str, int]] = []
    monkeypatch.setattr(closing_queue, "enqueue", lambda kind, object_id: calls.append((kind, object_id)))
    return calls


@pytest.fixture
def january(company, carl_api):
    """WIDGET (FIFO): 2 at 10.00, 2 at 20.00, 3 sold at the average 15.00 (45.00); FIFO settles the
    issue at 40.00, so the close makes the issue 5.00 cheaper. GADGET: sold with nothing received."""
    ItemFactory(number="WIDGET", model_group="FIFO")
    ItemFactory(number="GADGET", model_group="FIFO")
    response = carl_api.post("/api/v1/transactions/", {"transactions": [
        {"ref": "R1", "date": "2026-01-02", "item": "WIDGET", "qty": "2", "unit_cost": "10.00", "update": "financial"},
        {"ref": "R2", "date": "2026-01-03", "item": "WIDGET", "qty": "2", "unit_cost": "20.00", "update": "financial"},
        {"ref": "S1", "date": "2026-01-04", "item": "WIDGET", "qty": "-3", "update": "financial"},
        {"ref": "G1", "date": "2026-01-05", "item": "GADGET", "qty": "10", "unit_cost": "5.00", "update": "physical"},
        {"ref": "G2", "date": "2026-01-06", "item": "GADGET", "qty": "-3", "update": "financial"},
    ]}, format="json")
    assert response.status_code == 201


def test_it_previews_the_ledger_effect_and_writes_nothing(january, ada_api, queued):
    response = ada_api.post(URL, {"type": "close", "date": "2026-01-31", "preview": True}, format="json")

    assert response.status_code == 200
    preview = response.json()
    assert (preview["preview"], preview["settlements"], preview["adjustments"]) == (True, 2, 1)
    assert {(row["account"], row["amount"]) for row in preview["accounts"]} == {("1400", "5.00"), ("5000", "-5.00")}
    assert not ClosingRun.objects.exists() and queued == []


def test_it_queues_a_close_and_the_client_follows_it_to_the_end(january, ada_api, ada_accountant, queued,
                                                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = ada_api.post(URL, {"type": "close", "date": "2026-01-31", "specification": "item"}, format="json")

    run = ClosingRun.objects.get()
    assert response.status_code == 202
    assert response.json() == {"id": run.pk, "status": "queued", "url": f"http://testserver/api/v1/runs/{run.pk}/"}
    assert (run.run_type, run.specification, run.started_by) == ("closing", "item", ada_accountant)
    assert queued == [("coordinate", run.pk)]
    assert ada_api.get(response.json()["url"]).json()["status"] == "queued"

    services.run_execute(run_id=run.pk)

    followed = ada_api.get(response.json()["url"]).json()
    assert (followed["status"], followed["type"], followed["progress"], followed["date"]) == ("ended", "close", 100, "2026-01-31")
    assert followed["counts"]["settlements"] == 2 and followed["counts"]["warnings"] == 1
    assert followed["voucher"] == run.__class__.objects.get().voucher.number
    settlements = ada_api.get(followed["settlements_url"]).json()
    assert [(row["issue"], row["receipt"], row["qty"], row["amount"]) for row in settlements["results"]] == [
        ("S1", "R1", "2", "20.00"), ("S1", "R2", "1", "20.00")]
    log = ada_api.get(followed["log_url"]).json()
    assert [(row["item"], row["transaction"]) for row in log["results"]] == [("GADGET", "G2")]
    listed = ada_api.get(URL).json()
    assert [row["id"] for row in listed["results"]] == [run.pk]


def test_it_refuses_a_second_run_while_one_is_unfinished_with_409(january, ada_api, queued):
    assert ada_api.post(URL, {"type": "close", "date": "2026-01-31"}, format="json").status_code == 202

    response = ada_api.post(URL, {"type": "recalculation", "date": "2026-01-31", "items": ["WIDGET"]}, format="json")

    assert response.status_code == 409
    assert "has not finished yet" in response.json()["errors"][0]["message"]
    assert ClosingRun.objects.count() == 1


@pytest.mark.parametrize(("body", "field"), [
    ({"type": "close", "date": "2026-01-31", "items": ["WIDGET"]}, "items"),
    ({"type": "close", "date": "2026-01-31", "min_adjustment": "1"}, "min_adjustment"),
    ({"type": "closing", "date": "2026-01-31"}, "type"),
    ({"type": "close", "date": "31.01.2026"}, "date"),
    ({"type": "close"}, "date"),
    ({"type": "recalculation", "date": "2026-01-31", "min_adjustment": "-1"}, "min_adjustment"),
    ({"type": "recalculation", "date": "2026-01-31", "items": "WIDGET"}, "items"),
    ({"type": "close", "date": "2026-01-31", "specification": "all"}, "specification"),
    ({"type": "close", "date": "2026-01-31", "preview": "perhaps"}, "preview"),
])
def test_it_refuses_a_request_it_cannot_read_naming_the_field(january, ada_api, queued, body, field):
    response = ada_api.post(URL, body, format="json")

    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert not ClosingRun.objects.exists()


def test_it_refuses_a_date_on_or_before_the_latest_close_on_the_date_field(january, ada_api, queued):
    run = services.closing_start(request=services.RunRequest(run_type="closing", date=date(2026, 1, 31)), queue=False)
    services.run_execute(run_id=run.pk)

    response = ada_api.post(URL, {"type": "recalculation", "date": "2026-01-15", "item_groups": ["DEFAULT"]}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "date"


def test_it_pauses_and_resumes_a_run(january, ada_api, queued):
    started = ada_api.post(URL, {"type": "recalculation", "date": "2026-01-31", "items": ["WIDGET"],
                                 "min_adjustment": "0.50"}, format="json").json()

    paused = ada_api.post(started["url"] + "pause/")
    again = ada_api.post(started["url"] + "pause/")
    resumed = ada_api.post(started["url"] + "resume/")

    assert (paused.status_code, paused.json()["status"]) == (200, "paused")
    assert again.status_code == 409 and "nothing to pause" in again.json()["errors"][0]["message"]
    assert resumed.status_code == 200 and resumed.json()["status"] in ("queued", "running")
    run = ClosingRun.objects.get()
    assert (run.selection, run.min_adjustment) == ({"items": ["WIDGET"], "item_groups": []}, D("0.50"))
    assert ada_api.post(URL + "999999/pause/").status_code == 404


def test_it_reverses_the_latest_close(january, ada_api, queued):
    started = ada_api.post(URL, {"type": "close", "date": "2026-01-31"}, format="json").json()
    services.run_execute(run_id=started["id"])

    response = ada_api.post(URL + "reverse/", {"what": "latest"}, format="json")

    # Queued for the workers like a close (202, follow `url`); the job ends it.
    assert response.status_code == 202
    queued_reversal = response.json()
    assert queued_reversal["status"] == "queued"
    assert ada_api.get(started["url"]).json()["status"] == "ended"
    jobs.reverse(queued_reversal["id"])
    reversal = ada_api.get(queued_reversal["url"]).json()
    assert (reversal["type"], reversal["status"], reversal["reverses"]) == ("reversal", "ended", started["id"])
    assert ada_api.get(started["url"]).json()["status"] == "cancelled"
    nothing_left = ada_api.post(URL + "reverse/", {"what": "latest"}, format="json")
    assert nothing_left.status_code == 400 and nothing_left.json()["errors"][0]["message"]
    missing_date = ada_api.post(URL + "reverse/", {"what": "recalculations"}, format="json")
    assert [error["field"] for error in missing_date.json()["errors"]] == ["recalculations_from"]
