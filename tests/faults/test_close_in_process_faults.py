"""Faults injected into a close run in this process (`close_inventory --wait`) or started from it:
whatever breaks, the books end as an uninterrupted close leaves them, to the cent, and a close that
cannot be queued leaves nothing behind (issue #16). Moved here from tests/closing/test_faults.py.

The test runs outside a transaction, so the bundles really commit."""

import io
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection, connections
from django.urls import reverse

from closing.models import ClosingBundle, ClosingRun, InventoryParameters
from closing.services import RunRequest, bundles, closing_start
from tests.closing.workers import PROJECT_DIR, worker_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)")

MODEL_GROUPS = ["FIFO", "LIFO", "WAVG", "FIFO-IPV"]


def a_month_of(items: list[str]) -> str:
    rows = []
    for n, item in enumerate(items):
        for day, (qty, cost) in enumerate([(5, 10 + n % 7), (3, 12 + n % 5), (4, 9 + n % 3)], start=1):
            rows.append(f"{item}-R{day},2026-01-{day * 5:02d},{item},{qty},{cost}.{n % 100:02d},financial")
        rows.append(f"{item}-I1,2026-01-07,{item},-4,,financial")
        rows.append(f"{item}-I2,2026-01-17,{item},-5,,financial")
    return "\n".join(rows)


def books_state(books) -> tuple:
    own = {ref: row for ref, row in books.export().items() if not ref.startswith("CLS-")}
    settlements = sorted(s for s in books.settlements() if not s[0].startswith("CLS-") and not (s[1] or "").startswith("CLS-"))
    return own, settlements, books.balance("1400"), books.balance("5000")


@postgres_only
def test_it_counts_a_bundle_committed_before_its_connection_was_lost_as_done(books, monkeypatch):
    items = [f"F{n:02d}" for n in range(12)]
    books.items("\n".join(f"{item},{item},DEFAULT,{MODEL_GROUPS[n % len(MODEL_GROUPS)]}," for n, item in enumerate(items)))
    books.post(a_month_of(items))
    InventoryParameters.objects.filter(pk=1).update(items_per_bundle=5)  # 3 bundles

    # The first bundle's COMMIT reaches the server, then the connection drops before the answer does.
    armed = {"bundle": False, "faults": 0}
    write_outcome = bundles.write_outcome
    database = connections["default"]
    commit = database._commit

    def writing(run, outcome):
        armed["bundle"] = armed["faults"] == 0
        return write_outcome(run, outcome)

    def committing():
        commit()
        if armed["bundle"]:
            armed["bundle"], armed["faults"] = False, armed["faults"] + 1
            raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(bundles, "write_outcome", writing)
    monkeypatch.setattr(database, "_commit", committing)
    books.close("2026-01-31")
    monkeypatch.undo()

    run = books.last_run()
    assert armed["faults"] == 1
    assert (run.status, run.bundles_total, run.bundles_done) == ("ended", 3, 3)
    assert not ClosingBundle.objects.filter(run=run).exclude(status=ClosingBundle.Status.DONE).exists()
    faulted = books_state(books)

    books.reverse()
    books.close("2026-01-31")
    assert books_state(books) == faulted


def point_the_queues_nowhere(settings) -> None:
    """The workers' Redis is gone: the queues point at a local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.RQ_QUEUES = {name: {**queue, "URL": f"redis://127.0.0.1:{port}/0"} for name, queue in settings.RQ_QUEUES.items()}


def test_it_leaves_no_queued_run_behind_when_redis_cannot_be_reached(books, settings):
    books.items("A,Widget,DEFAULT,FIFO,")
    books.post("R1,2026-01-05,A,2,10.00,financial\nI1,2026-01-06,A,-1,,financial")
    point_the_queues_nowhere(settings)
    with pytest.raises(CommandError) as refused:
        call_command("close_inventory", "--date", "2026-01-31", stdout=io.StringIO())
    assert str(refused.value).startswith("The job queue (Redis) cannot be reached, so the close was not started")
    assert "Traceback" not in str(refused.value)
    assert not ClosingRun.objects.exists()
    books.close("2026-01-31")  # nothing holds the closing lock: a close run here (no Redis needed) goes through
    assert books.last_run().status == "ended"


def test_it_fails_a_resumed_run_again_with_the_reason_when_redis_cannot_be_reached(books, settings):
    books.items("A,Widget,DEFAULT,FIFO,")
    books.post("R1,2026-01-05,A,2,10.00,financial\nI1,2026-01-06,A,-1,,financial")
    run = closing_start(request=RunRequest(run_type="closing", date=date(2026, 1, 31)), queue=False)  # not queued
    ClosingRun.objects.filter(pk=run.pk).update(status=ClosingRun.Status.FAILED, error="worker lost")
    point_the_queues_nowhere(settings)
    with pytest.raises(CommandError, match=r"^The job queue \(Redis\) cannot be reached, so the close was not resumed"):
        call_command("resume_closing", stdout=io.StringIO())
    run.refresh_from_db()
    assert run.status == ClosingRun.Status.FAILED
    assert run.error.startswith("The job queue (Redis) cannot be reached")


def test_it_tells_the_accountant_on_the_page_that_the_queue_is_away_and_starts_nothing(books, settings, ada_client):
    books.items("A,Widget,DEFAULT,FIFO,")
    books.post("R1,2026-01-05,A,2,10.00,financial")
    point_the_queues_nowhere(settings)

    response = ada_client.post(reverse("closing:close"), {"date": "2026-01-31", "specification": "total",
                                                          "action": "start"})

    assert response.status_code == 200
    assert "The job queue (Redis) cannot be reached, so the close was not started" in response.content.decode()
    assert not ClosingRun.objects.exists()


def children_of(pid: int) -> set[int]:
    """The live processes whose parent is `pid` (from /proc)."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.add(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@postgres_only
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_it_leaves_no_bundle_process_behind_when_a_close_with_workers_is_killed(books):
    items = [f"K{n:03d}" for n in range(240)]
    books.items("\n".join(f"{item},{item},DEFAULT,{MODEL_GROUPS[n % len(MODEL_GROUPS)]}," for n, item in enumerate(items)))
    books.post(a_month_of(items))
    InventoryParameters.objects.filter(pk=1).update(items_per_bundle=1)  # 240 bundles: the close takes a while

    command = [sys.executable, "manage.py", "close_inventory", "--date", "2026-01-31", "--wait", "--workers", "2"]
    close = subprocess.Popen(command, cwd=PROJECT_DIR, env=worker_env(), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while len(children := children_of(close.pid)) < 2 and time.monotonic() < deadline and close.poll() is None:
            time.sleep(0.05)
        assert len(children) >= 2, "the close never started its bundle processes"
        close.kill()
        close.wait(10)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [pid for pid in children if alive(pid)]
    finally:
        if close.poll() is None:
            close.kill()
        for pid in children_of(close.pid) | set(locals().get("children", ())):
            if alive(pid):
                os.kill(pid, signal.SIGKILL)

    with connection.cursor() as cursor:  # their connections went with them
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                       " AND state <> 'idle' AND backend_type = 'client backend'")
        assert cursor.fetchone()[0] == 0
