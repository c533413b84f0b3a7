"""Storms on a close running on real RQ worker processes (issue #16 point 14, docs/reliability.md):
its workers' database sessions terminated at random moments, its workers killed (SIGKILL) at random
moments, and pause, resume and start requests arriving from several users at once. Whatever the storm does, the run ends with the books an
undisturbed close of the same history makes, to the cent, no bundle counted twice, one run, and
the book checks green.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/costbook_faults REDIS_URL=redis://127.0.0.1:6379/5 \\
        python -m pytest tests/faults/test_storms.py            # FAULTS_SEED=n repeats a storm's choices

The undisturbed close is made after the storm: the stormed close is reversed (closing_reverse puts
the books back as they were) and the same close is run to the end in this process.
"""

import io
import json
import random
import subprocess
import sys
import threading
import time
from collections import Counter

import django_rq
import psycopg
import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.urls import reverse

from closing import services
from closing.models import ClosingBundle, ClosingRun, CostAdjustment, Settlement
from common.models import AuditEntry
from tests.closing.workers import PROJECT_DIR, database_url, skip_reason, wait_for, worker_env
from tests.faults.conftest import BUNDLES, CLOSE_DATE, ITEMS, WORKER_LABEL
from tests.faults.test_runs_on_workers import assert_same_books, books_of

SKIP = skip_reason()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),  # the workers read what the test committed
    pytest.mark.skipif(SKIP is not None, reason=SKIP or ""),
]

Status = ClosingRun.Status
LABELLED = {"PGAPPNAME": WORKER_LABEL}


def close_start() -> ClosingRun:
    return services.closing_start(request=services.RunRequest(run_type=ClosingRun.RunType.CLOSING, date=CLOSE_DATE))


def fresh(run: ClosingRun) -> ClosingRun:
    return ClosingRun.objects.get(pk=run.pk)


def describe(run: ClosingRun) -> str:
    run = fresh(run)
    return (f"{run.number} {run.status} ({run.phase}), bundles {run.bundles_done}/{run.bundles_total}, "
            f"requeues {run.requeues}, error {run.error!r}")


def status_read(run: ClosingRun) -> dict:
    """What someone following the run sees (`closing_status --json`, the page's read): the read that
    lets the watch queue a stalled run again (closing/services/watch.py)."""
    out = io.StringIO()
    call_command("closing_status", "--json", stdout=out)
    document = json.loads(out.getvalue())
    assert document["id"] == run.pk
    return document


def two_labelled_workers(pool) -> None:
    pool.start(env=LABELLED), pool.start(env=LABELLED)
    wait_for(pool.ready, timeout=60, what="two workers to register")


# -- what must hold after any storm -------------------------------------------------------------------

def assert_counted_once(run: ClosingRun) -> None:
    """Every bundle done, each counted once in the run's totals, and the totals equal to the rows."""
    run = fresh(run)
    bundles = ClosingBundle.objects.filter(run=run)
    assert (run.status, run.bundles_total, run.bundles_done) == (Status.ENDED, BUNDLES, BUNDLES), describe(run)
    assert bundles.count() == BUNDLES and not bundles.exclude(status=ClosingBundle.Status.DONE).exists()
    assert run.items_done == run.items_total == ITEMS
    assert run.transactions_done == bundles.aggregate(read=Sum("transactions"))["read"] <= run.transactions_total
    assert run.settlements_count == Settlement.objects.filter(run=run).count()
    assert run.adjustments_count == CostAdjustment.objects.filter(run=run).count()
    assert ClosingRun.objects.count() == 1


def assert_books_agree() -> None:
    out = io.StringIO()
    call_command("check_books", stdout=out)  # CommandError (exit 1) on any difference
    assert out.getvalue().rstrip().endswith("The books agree."), out.getvalue()


def assert_same_as_an_undisturbed_close(run: ClosingRun) -> None:
    stormed = books_of(run)
    services.closing_reverse()
    again = services.run_execute(run_id=services.closing_start(
        request=services.RunRequest(run_type=ClosingRun.RunType.CLOSING, date=CLOSE_DATE), queue=False).pk)
    assert again.status == Status.ENDED, again.error
    undisturbed = books_of(again)
    assert undisturbed.counts["settlement rows"] > 0 and undisturbed.counts["adjustment rows"] > 0
    assert undisturbed.counts["has voucher"]
    assert_same_books(stormed, undisturbed)


# -- (a) a storm of terminated database sessions -----------------------------------------------------

class Terminator(threading.Thread):
    """Terminates (pg_terminate_backend) one database session of the labelled workers at a random
    moment, again and again, until it has terminated `times` of them or is stopped. Only sessions
    of the test database that carry the workers' label: the test's own sessions, and every other
    database on the server, are left alone. Each hit is kept as (state, query) of the session."""

    def __init__(self, rng: random.Random, *, times: int):
        super().__init__(daemon=True)
        self.rng = rng
        self.times = times
        self.hits: list[tuple[str, str]] = []
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with psycopg.connect(database_url(), autocommit=True, application_name="costbook-fault-storm") as conn:
                while len(self.hits) < self.times and not self.stopping.wait(self.rng.uniform(0.02, 0.15)):
                    sessions = conn.execute(
                        "SELECT pid, state, left(query, 80) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND application_name = %s AND pid <> pg_backend_pid() ORDER BY pid", [WORKER_LABEL]).fetchall()
                    if not sessions:
                        continue
                    pid, state, query = self.rng.choice(sessions)
                    if conn.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]:
                        self.hits.append((state, query))
        except BaseException as error:  # seen by the test, not lost on this thread
            self.error = error

    def __enter__(self) -> "Terminator":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.join(timeout=30)


TERMINATIONS = 12


def test_it_ends_a_close_whose_worker_sessions_are_terminated_at_random_moments(history, pool, settings, seed):
    settings.CLOSING_STALL_SECONDS = 2  # the watch (run by every status read) queues a stalled run again soon
    two_labelled_workers(pool)
    run = close_start()
    resumes = 0
    with Terminator(random.Random(seed), times=TERMINATIONS) as storm:
        # Followed as an accountant would: reading its status (the watch queues it again when its
        # job died with a session) and resuming it when a bundle failed on a terminated session.
        deadline = time.monotonic() + 240
        while (document := status_read(run))["status"] != Status.ENDED:
            if document["status"] == Status.FAILED:
                services.closing_resume()
                resumes += 1
            assert time.monotonic() < deadline, (f"seed {seed}: not ended; {describe(run)}; "
                                                 f"{len(storm.hits)} sessions terminated; resumed {resumes} times")
            time.sleep(0.2)
    assert storm.error is None, storm.error
    print(f"seed {seed}: {len(storm.hits)} sessions terminated, resumed {resumes} times, queued again by the watch "
          f"{AuditEntry.objects.filter(action='closing.requeue').count()} times:\n" +
          "\n".join(f"  {state}: {query}" for state, query in storm.hits))
    # The storm hit the close: each termination slows it down, so it rarely ends before the storm.
    assert len(storm.hits) >= TERMINATIONS // 2, f"seed {seed}: only {len(storm.hits)} sessions terminated"

    assert_counted_once(run)
    assert_books_agree()
    assert_same_as_an_undisturbed_close(run)


# -- (a') workers killed at random moments ------------------------------------------------------------

KILLS = 4


def test_it_ends_a_close_whose_workers_are_killed_at_random_moments(history, pool, settings, seed):
    settings.CLOSING_STALL_SECONDS = 2
    rng = random.Random(seed)
    two_labelled_workers(pool)
    run = close_start()
    kills, resumes, moved_at = 0, 0, -1
    deadline = time.monotonic() + 240
    while (document := status_read(run))["status"] != Status.ENDED:
        if document["status"] == Status.FAILED:
            services.closing_resume()
            resumes += 1
        # Once the run has moved since the last kill, SIGKILL a worker and its job process (the
        # machine died), at a random moment, and start another in its place.
        if kills < KILLS and document["bundles_done"] > moved_at:
            time.sleep(rng.uniform(0, 0.5))
            pool.kill(rng.choice([worker for worker in pool.workers if worker.alive()]))
            pool.start(env=LABELLED)
            kills, moved_at = kills + 1, fresh(run).bundles_done
        assert time.monotonic() < deadline, f"seed {seed}: not ended; {describe(run)}; {kills} kills, {resumes} resumes"
        time.sleep(0.2)
    print(f"seed {seed}: {kills} workers killed, resumed {resumes} times, queued again by the watch "
          f"{AuditEntry.objects.filter(action='closing.requeue').count()} times")
    assert kills == KILLS, f"seed {seed}: the run ended after {kills} kills"

    assert_counted_once(run)
    assert_books_agree()
    assert_same_as_an_undisturbed_close(run)


# -- (b) a storm of pauses, resumes and starts ------------------------------------------------------

def queued_steps() -> Counter:
    """The closing queue's jobs as (job, id) -> how many times it is queued."""
    return Counter((job.func_name.rsplit(".", 1)[1], *job.args) for job in django_rq.get_queue("closing").get_jobs())


def test_it_queues_each_step_once_however_often_the_run_is_resumed(history, queues):
    # No worker runs: what resume queues stays in the queue to be counted.
    run = close_start()
    for _ in range(3):  # resumed by three users before any worker took the run
        services.closing_resume()
    assert queued_steps() == Counter({("coordinate", run.pk): 1})

    services.run_coordinate(run_id=run.pk)  # a worker split it into bundles
    for _ in range(3):  # resumed again and again while its bundles wait for the workers
        services.closing_resume()
        services.closing_pause()
    services.closing_resume()

    bundles = ClosingBundle.objects.filter(run=run).values_list("pk", flat=True)
    assert queued_steps() == Counter({("coordinate", run.pk): 1, **{("process_bundle", pk): 1 for pk in bundles}})
    assert len(bundles) == BUNDLES


class PageUser(threading.Thread):
    """An accountant on the run's page, clicking Pause, Resume and (in another tab) Start a close, at
    random, `clicks` times, on a database connection of this thread's own."""

    def __init__(self, rng: random.Random, *, user, run: ClosingRun, clicks: int):
        super().__init__(daemon=True)
        self.rng, self.user, self.run_pk, self.clicks = rng, user, run.pk, clicks
        self.done: dict[str, int] = {"pause": 0, "resume": 0, "refused": 0, "start": 0}
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            client = Client()
            client.force_login(self.user)
            for _ in range(self.clicks):
                client.cookies.pop("messages", None)  # only this click's messages (nobody reads the page)
                action = self.rng.choice(["pause", "pause", "resume", "resume", "start"])
                if action == "start":
                    response = client.post(reverse("closing:close"), {"date": str(CLOSE_DATE), "specification": "total",
                                                                      "action": "start"})
                    self.done["start" if response.status_code == 302 else "refused"] += 1
                else:
                    response = client.post(reverse(f"closing:run_{action}", args=[self.run_pk]))
                    levels = {message.level_tag for message in get_messages(response.wsgi_request)}
                    assert response.status_code == 302 and len(levels) == 1, (response.status_code, levels)
                    self.done[action if levels == {"success"} else "refused"] += 1
                time.sleep(self.rng.uniform(0, 0.1))
        except BaseException as error:
            self.error = error
        finally:
            connection.close()


# Another operator at a terminal: the commands, in a process of their own.
COMMAND_USER = """
import io, json, os, random, time
from django.core.management import CommandError, call_command
from closing.models import ClosingRun

rng = random.Random(int(os.environ["FAULTS_ACTOR_SEED"]))
deadline = time.monotonic() + 120
while not ClosingRun.objects.filter(status="running").exists():  # until the close runs
    assert time.monotonic() < deadline, "no close started"
    time.sleep(0.05)
done = {"pause": 0, "resume": 0, "refused": 0, "start": 0}
for _ in range(int(os.environ["FAULTS_ACTOR_COMMANDS"])):
    action = rng.choice(["pause", "pause", "resume", "resume", "start"])
    command = {"pause": ["pause_closing"], "resume": ["resume_closing"],
               "start": ["close_inventory", "--date", os.environ["FAULTS_CLOSE_DATE"]]}[action]
    try:
        call_command(*command, stdout=io.StringIO())
        done[action] += 1
    except CommandError:
        done["refused"] += 1
    time.sleep(rng.uniform(0, 0.1))
print(json.dumps(done))
"""


@pytest.fixture
def terminals():
    """The operators' processes of a test, killed at the end whatever happened."""
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def command_user(seed: int, *, commands: int) -> subprocess.Popen:
    env = {**worker_env(), "FAULTS_ACTOR_SEED": str(seed), "FAULTS_ACTOR_COMMANDS": str(commands),
           "FAULTS_CLOSE_DATE": str(CLOSE_DATE)}
    return subprocess.Popen([sys.executable, "manage.py", "shell", "-c", COMMAND_USER], cwd=PROJECT_DIR, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_it_ends_a_close_through_a_storm_of_pauses_resumes_and_starts(history, pool, seed, ada_accountant, terminals):
    two_labelled_workers(pool)
    rng = random.Random(seed)
    # Two operators at terminals (processes: started first, they act once the close runs) and
    # three accountants on the page (threads).
    terminals += [command_user(rng.randrange(1_000_000), commands=25) for _ in range(2)]
    run = close_start()
    users = [PageUser(random.Random(rng.randrange(1_000_000)), user=ada_accountant, run=run, clicks=25)
             for _ in range(3)]
    for user in users:
        user.start()
    for user in users:
        user.join(timeout=240)
    answers = [terminal.communicate(timeout=240) for terminal in terminals]
    for user in users:
        assert user.error is None, f"seed {seed}: {user.error!r}"
    outcomes = [user.done for user in users]
    for terminal, (out, err) in zip(terminals, answers, strict=True):
        assert terminal.returncode == 0, f"seed {seed}: {err[-3000:]}"
        outcomes.append(json.loads(out.strip().splitlines()[-1]))
    total = {key: sum(outcome[key] for outcome in outcomes) for key in outcomes[0]}
    print(f"seed {seed}: {total} ({outcomes})")

    # The storm over, the run is left as the last request left it: paused, or on its way to the end.
    if fresh(run).status in (Status.PAUSING, Status.PAUSED):
        services.closing_resume()
        total["resume"] += 1
    run = wait_for(lambda: (now := fresh(run)).status in (Status.ENDED, Status.FAILED) and now, timeout=180,
                   what=f"the run to end after the storm (seed {seed})")

    assert run.status == Status.ENDED, describe(run)
    print(f"seed {seed}: jobs the workers ran: {sum(pool.jobs_done().values())}")
    assert total["start"] == 0  # every start refused: one run, never two
    # Every pause and resume that was answered "done" is recorded once, and none more.
    assert AuditEntry.objects.filter(action="closing.pause").count() == total["pause"]
    assert AuditEntry.objects.filter(action="closing.resume").count() == total["resume"]
    assert total["pause"] >= 3 and total["resume"] >= 3, f"seed {seed}: the storm hardly touched the run: {total}"
    # No bundle lost or done twice: each processed once (a bundle's attempts count its processings).
    assert set(ClosingBundle.objects.filter(run=run).values_list("attempts", flat=True)) == {1}
    assert_counted_once(run)
    assert_books_agree()
    assert_same_as_an_undisturbed_close(run)

