"""Closing runs on real RQ workers: `manage.py rqworker closing default` processes, the real Redis and
the PostgreSQL test database.

Every test compares what the workers left in the books with what an uninterrupted `--wait` close
(services.run_execute, in this process) makes of the same data, to the cent: the workers' close is
reversed (closing_reverse puts the books back as they were) and the same close is run again here.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/costbook_t5 REDIS_URL=redis://127.0.0.1:6379/5 \\
        python -m pytest tests/faults/test_runs_on_workers.py

Skipped on SQLite (an in-memory test database cannot be shared with worker processes) and without
a Redis answering at REDIS_URL. Only the `closing` and `default` queues (and their registries) are
emptied, never the whole Redis server.

A bundle is caught in the middle with `ItemsHeld` (tests/closing/workers.py): the test holds row
locks on one item's transactions, so the worker processing that item's bundle waits inside its
transaction until the test lets go — deterministic, and nothing in the production code.
"""

import io
import json
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, fields
from datetime import date

import django_rq
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from closing import services
from closing.benchmark import history_generate
from closing.models import ClosingBundle, ClosingLog, ClosingRun, CostAdjustment, InventoryParameters, Settlement
from common.errors import DomainError
from common.models import AuditEntry
from inventory.models import CostDimension, InventoryTransaction, Item, OnHand, SourceType
from ledger.models import VoucherLine
from reports.checks import CHECK_COUNT, books_check
from reports.services import book_check_request
from tests.closing.workers import (
    PROJECT_DIR,
    ItemsHeld,
    WorkerPool,
    backend_gone,
    queues_reserved,
    skip_reason,
    started_jobs,
    wait_for,
    worker_env,
)

SKIP = skip_reason()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),  # django-rq enqueues on commit; the workers read committed data
    pytest.mark.skipif(SKIP is not None, reason=SKIP or ""),
]

CLOSE_DATE = date(2026, 6, 30)
ITEMS = 30
TRANSACTIONS = 1200
PER_BUNDLE = 3
BUNDLES = ITEMS // PER_BUNDLE
SEED = 11
ANOTHER_RUN = "Another closing or adjustment has not finished yet"

Status = ClosingRun.Status


# -- the books --------------------------------------------------------------------------------------

@pytest.fixture
def history(company):
    """30 items (FIFO, LIFO, weighted average; transfers to a second site, marking, negative and
    physical-only postings) with 1,200 transactions, 3 items a bundle: 10 bundles."""
    InventoryParameters.objects.filter(pk=1).update(items_per_bundle=PER_BUNDLE)
    history = history_generate(transactions=TRANSACTIONS, items=ITEMS, close_date=CLOSE_DATE, seed=SEED)
    # Every item has something to close, so bundle n holds items 3n-2..3n (see item_in_bundle).
    assert InventoryTransaction.objects.filter(date_physical__lte=CLOSE_DATE).values("item").distinct().count() == ITEMS
    return history


@pytest.fixture
def queues():
    """The closing and default queues, empty before and after the test, and this test's alone."""
    with queues_reserved():
        yield


@pytest.fixture
def pool(tmp_path, queues):
    """Worker processes, all killed at the end. Their logs are printed at teardown (pytest shows
    them when the test failed)."""
    workers = WorkerPool(tmp_path)
    try:
        yield workers
    finally:
        workers.stop_all()
        print(workers.logs())


def close_request() -> services.RunRequest:
    return services.RunRequest(run_type=ClosingRun.RunType.CLOSING, date=CLOSE_DATE)


def close_start() -> ClosingRun:
    return services.closing_start(request=close_request())


def item_in_bundle(number: int) -> str:
    """The first item of bundle `number`: bundles take the items in id order, PER_BUNDLE at a time."""
    items = list(Item.objects.filter(number__startswith="BM").order_by("pk").values_list("number", flat=True))
    return items[(number - 1) * PER_BUNDLE]


def bundle(run: ClosingRun, number: int) -> ClosingBundle:
    return ClosingBundle.objects.get(run=run, number=number)


def fresh(run: ClosingRun) -> ClosingRun:
    return ClosingRun.objects.get(pk=run.pk)


def describe(run: ClosingRun) -> str:
    run = fresh(run)
    return f"{run.number} {run.status}, bundles {run.bundles_done}/{run.bundles_total}, error {run.error!r}"


def wait_status(run: ClosingRun, *statuses: str, timeout: float = 30) -> ClosingRun:
    try:
        return wait_for(lambda: (now := fresh(run)).status in statuses and now, timeout=timeout,
                        what=f"{run.number} to be {' or '.join(statuses)}")
    except AssertionError as error:
        raise AssertionError(f"{error}; now {describe(run)}") from None


def closing_queue():
    return django_rq.get_queue("closing")


def queue_idle(*, orphans: frozenset[str] = frozenset()) -> bool:
    """Nothing queued and nothing being worked on (but the jobs of killed workers, which stay
    "started" until RQ finds them abandoned) — twice, 0.3 s apart, so that a job between the queue
    and the started registry is not missed."""
    def idle():
        queue = closing_queue()
        return queue.count == 0 and not set(queue.started_job_registry.get_job_ids()) - orphans
    return idle() and (time.sleep(0.3) is None) and idle()


def wait_idle(*, timeout: float = 30, orphans: frozenset[str] = frozenset()) -> None:
    wait_for(lambda: queue_idle(orphans=orphans), timeout=timeout, what="the workers to finish every queued job")


def assert_stays(run: ClosingRun, *, status: str, bundles_done: int, seconds: float = 1.0) -> None:
    """Nothing moves for a while: polled every 0.2 s."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        now = fresh(run)
        assert (now.status, now.bundles_done) == (status, bundles_done), describe(run)
        time.sleep(0.2)


def waits_for(sessions: list[int]) -> bool:
    """Whether some database session waits for a lock one of `sessions` holds (the pause, for the
    worker's lock on the run row)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pg_blocking_pids(pid) && %s::int[]", [sessions])
        return cursor.fetchone()[0] > 0


def in_background(function) -> Future:
    """Call `function` on a thread with its own database connection (as another user's request)."""
    def call():
        try:
            return function()
        finally:
            connection.close()
    executor = ThreadPoolExecutor(max_workers=1)
    future = executor.submit(call)
    executor.shutdown(wait=False)
    return future


# -- what a close leaves in the books ---------------------------------------------------------------

@dataclass
class Books:
    """A close's result, comparable across runs of the same data. Transactions are keyed by ref; the
    close's own weighted-average closing transactions are named after the run and the cost
    dimension, so they are keyed by item, site and their index in the dimension instead."""

    counts: dict
    transactions: dict  # key -> (qty, posted, qty_settled, cost_amount_settled, cost_amount_adjustment, value_open)
    dimensions: dict  # cost dimension -> (financial qty, financial value, physical qty, physical value)
    on_hand: dict  # (item, site, warehouse, tracking) -> (financial value, physical value)
    settlements: Counter  # (issue, receipt, qty, amount)
    adjustments: Counter  # (transaction, amount)
    voucher_lines: Counter  # (account, debit, credit, storno)
    log: Counter  # warning messages


def books_of(run: ClosingRun) -> Books:
    run = fresh(run)
    keys, transactions = {}, {}
    for (pk, ref, source, item, site, qty, posted, qty_settled, settled, adjustment,
         value_open) in InventoryTransaction.objects.values_list(
            "pk", "ref", "source_type", "item__number", "site__code", "qty", "cost_amount_posted", "qty_settled",
            "cost_amount_settled", "cost_amount_adjustment", "value_open"):
        key = (source, item, site, ref.rsplit("-", 1)[1]) if source == SourceType.WEIGHTED_AVERAGE_CLOSING else ref
        keys[pk] = key
        transactions[key] = (qty, posted, qty_settled, settled, adjustment, value_open)
    settlements = Settlement.objects.filter(run=run)
    adjustments = CostAdjustment.objects.filter(run=run)
    return Books(
        counts={
            "status": run.status, "items": (run.items_done, run.items_total),
            "transactions": (run.transactions_done, run.transactions_total),
            "bundles": (run.bundles_done, run.bundles_total), "settlements": run.settlements_count,
            "adjustments": run.adjustments_count, "warnings": run.warnings_count,
            "settlement rows": settlements.count(), "adjustment rows": adjustments.count(),
            "log rows": ClosingLog.objects.filter(run=run).count(), "has voucher": run.voucher_id is not None,
        },
        transactions=transactions,
        dimensions={key: values for key, *values in CostDimension.objects.values_list(
            "key", "financial_qty", "financial_value", "physical_qty", "physical_value")},
        on_hand={tuple(row[:4]): row[4:] for row in OnHand.objects.values_list(
            "item__number", "site__code", "warehouse__code", "tracking_number", "financial_value", "physical_value")},
        settlements=Counter((keys[issue], keys.get(receipt), qty, amount) for issue, receipt, qty, amount in
                            settlements.values_list("issue_id", "receipt_id", "qty", "amount")),
        adjustments=Counter((keys[txn], amount) for txn, amount in adjustments.values_list("transaction_id", "amount")),
        voucher_lines=Counter(VoucherLine.objects.filter(voucher_id=run.voucher_id).values_list(
            "account__number", "debit", "credit", "is_storno")) if run.voucher_id else Counter(),
        log=Counter(ClosingLog.objects.filter(run=run).values_list("message", flat=True)),
    )


def assert_same_books(workers: Books, wait: Books) -> None:
    problems = []
    for part in fields(Books):
        got, expected = getattr(workers, part.name), getattr(wait, part.name)
        if got != expected:
            differing = sorted((key for key in got.keys() | expected.keys() if got.get(key) != expected.get(key)), key=str)
            examples = "; ".join(f"{key}: workers {got.get(key)} / wait {expected.get(key)}" for key in differing[:5])
            problems.append(f"{part.name}: {len(differing)} differ, e.g. {examples}")
    assert not problems, "the workers' close differs from the --wait close:\n" + "\n".join(problems)


def assert_same_as_wait_run(run: ClosingRun) -> Books:
    """The workers' books against an uninterrupted --wait close of the same data: the workers' close
    is reversed and the same close run again, to the end, in this process. Before that, the book
    checks must find the workers' books in agreement (issue #16 point 14)."""
    workers = books_of(run)
    assert workers.counts["status"] == Status.ENDED, describe(run)
    assert workers.counts["bundles"] == (BUNDLES, BUNDLES)
    checked = books_check()
    assert checked.ok, "\n".join(checked.lines())
    services.closing_reverse()
    again = services.run_execute(run_id=services.closing_start(request=close_request(), queue=False).pk)
    assert again.status == Status.ENDED, again.error
    wait = books_of(again)
    assert wait.counts["settlement rows"] > 0 and wait.counts["adjustment rows"] > 0 and wait.counts["has voucher"]
    assert_same_books(workers, wait)
    return workers


# -- the tests ------------------------------------------------------------------------------------------

def test_it_closes_on_two_workers_as_the_wait_run_does(history, pool):
    pool.start(), pool.start()
    wait_for(pool.ready, timeout=30, what="two workers to register")

    run = close_start()

    run = wait_status(run, Status.ENDED, Status.FAILED)
    assert run.status == Status.ENDED, run.error
    assert (run.bundles_done, run.bundles_total, run.items_done) == (BUNDLES, BUNDLES, ITEMS)
    assert all(pool.jobs_done().values()), pool.jobs_done()  # both workers took bundles
    assert_same_as_wait_run(run)


def test_it_pauses_between_bundles_stays_paused_and_resumes(history, pool):
    pool.start()
    with ItemsHeld(item_in_bundle(4)) as held:
        run = close_start()
        wait_for(held.waiting, timeout=30, what="the worker to be in the middle of bundle 4")
        assert (fresh(run).status, fresh(run).bundles_done) == (Status.RUNNING, 3)

        # Another user pauses while bundle 4 is in the middle (on a thread: today the pause waits
        # for that bundle's transaction — see test_it_pauses_at_once_while_bundles_are_in_the_middle).
        pausing = in_background(services.closing_pause)
        wait_for(lambda: fresh(run).status == Status.PAUSING or waits_for(held.waiting()), timeout=10,
                 what="the pause to be asked")
        held.release()
        assert pausing.result(timeout=30).status in (Status.PAUSING, Status.PAUSED)

    run = wait_status(run, Status.PAUSED)
    wait_idle()
    # Bundle 4 finished; the jobs of bundles 5-10 were taken from the queue and skipped.
    assert (fresh(run).status, fresh(run).bundles_done) == (Status.PAUSED, 4)
    assert bundle(run, 4).status == ClosingBundle.Status.DONE
    assert set(run.bundles.filter(number__gt=4).values_list("status", flat=True)) == {ClosingBundle.Status.PENDING}
    assert_stays(run, status=Status.PAUSED, bundles_done=4)

    services.closing_resume()

    run = wait_status(run, Status.ENDED, Status.FAILED)
    assert_same_as_wait_run(run)


def test_it_processes_bundles_side_by_side(history, pool):
    pool.start(), pool.start()
    wait_for(pool.ready, timeout=30, what="two workers to register")
    with ItemsHeld(item_in_bundle(2)) as held:
        run = close_start()
        wait_for(held.waiting, timeout=30, what="a worker to be in the middle of bundle 2")

        # While one worker is held in bundle 2, the other does every other bundle.
        wait_for(lambda: fresh(run).bundles_done == BUNDLES - 1, timeout=8,
                 what="the other worker to do bundles 1 and 3-10 while bundle 2 is in the middle")
        assert bundle(run, 2).status == ClosingBundle.Status.PENDING
        held.release()

    run = wait_status(run, Status.ENDED, Status.FAILED)
    assert_same_as_wait_run(run)


def test_it_pauses_at_once_while_bundles_are_in_the_middle(history, pool):
    pool.start(), pool.start()
    wait_for(pool.ready, timeout=30, what="two workers to register")
    with ItemsHeld(item_in_bundle(2)) as second, ItemsHeld(item_in_bundle(3)) as third:
        run = close_start()
        wait_for(lambda: second.waiting() and third.waiting(), timeout=8,
                 what="the two workers to be in the middle of bundles 2 and 3 at the same time")

        pausing = in_background(services.closing_pause)
        assert pausing.result(timeout=5).status == Status.PAUSING  # bundles 2 and 3 are in the middle

        second.release()
        # Bundle 2 ends; its worker takes the jobs of bundles 4-10 and skips them. Bundle 3 is still
        # in the middle, so the run is still pausing, not paused.
        wait_for(lambda: bundle(run, 2).status == ClosingBundle.Status.DONE and closing_queue().count == 0
                 and len(started_jobs("closing.jobs.process_bundle")) == 1, timeout=30,
                 what="bundle 2 to end and the other jobs to be skipped")
        assert fresh(run).status == Status.PAUSING, describe(run)

        third.release()
    # The last bundle in the middle ends, and with it the pause.
    run = wait_status(run, Status.PAUSED, timeout=10)
    wait_idle()
    assert_stays(run, status=Status.PAUSED, bundles_done=3)

    services.closing_resume()

    run = wait_status(run, Status.ENDED, Status.FAILED)
    assert_same_as_wait_run(run)


def test_it_recovers_a_worker_killed_in_the_middle_of_a_bundle(history, pool):
    worker = pool.start()
    with ItemsHeld(item_in_bundle(4)) as held:
        run = close_start()
        [session] = wait_for(held.waiting, timeout=30, what="the worker to be in the middle of bundle 4")
        fourth = bundle(run, 4)
        [job] = started_jobs("closing.jobs.process_bundle")
        assert job.args == (fourth.pk,)
        assert (fresh(run).status, fresh(run).bundles_done) == (Status.RUNNING, 3)

        pool.kill(worker)  # SIGKILL, work horse included: the machine died

    # Its database session finds the client gone and rolls back: nothing of bundle 4 stays.
    wait_for(lambda: backend_gone(session), timeout=30, what="the killed worker's database session to end")
    run = fresh(run)
    assert (run.status, run.bundles_done, bundle(run, 4).status) == (Status.RUNNING, 3, ClosingBundle.Status.PENDING)
    assert Settlement.objects.filter(run=run).count() == run.settlements_count
    assert CostAdjustment.objects.filter(run=run).count() == run.adjustments_count

    # A new worker does the jobs still queued (bundles 5-10); RQ does not retry the orphaned one.
    pool.start()
    wait_for(lambda: fresh(run).bundles_done == BUNDLES - 1, timeout=30, what="bundles 5-10 to be done")
    wait_idle(orphans=frozenset({job.id}))
    assert (fresh(run).status, bundle(run, 4).status) == (Status.RUNNING, ClosingBundle.Status.PENDING)

    # The documented recovery: resume rebuilds the queue from the database.
    services.closing_resume()

    run = wait_status(run, Status.ENDED, Status.FAILED)
    assert bundle(run, 4).attempts == 1
    assert_same_as_wait_run(run)  # nothing duplicated: same settlements, adjustments, voucher


def test_it_recovers_a_queue_lost_before_any_worker_ran(history, pool):
    run = close_start()
    assert closing_queue().count == 1  # the coordinate job

    closing_queue().empty()  # Redis flushed
    services.closing_resume()
    pool.start(burst=True).wait(timeout=60)

    run = fresh(run)
    assert run.status == Status.ENDED, describe(run)
    assert_same_as_wait_run(run)


def test_it_recovers_a_queue_lost_in_the_middle(history, pool):
    pool.start()
    with ItemsHeld(item_in_bundle(4)) as held:
        run = close_start()
        wait_for(held.waiting, timeout=30, what="the worker to be in the middle of bundle 4")
        closing_queue().empty()  # the jobs of bundles 5-10 are lost
    wait_for(lambda: fresh(run).bundles_done == 4, timeout=30, what="bundle 4 to end")
    wait_idle()
    assert_stays(run, status=Status.RUNNING, bundles_done=4)

    services.closing_resume()

    run = wait_status(run, Status.ENDED, Status.FAILED)
    assert_same_as_wait_run(run)


def test_it_lets_only_one_of_two_simultaneous_starts_through(company, queues):
    barrier = threading.Barrier(2)
    outcomes: list[ClosingRun | DomainError] = []

    def start():
        barrier.wait(timeout=10)
        try:
            outcomes.append(close_start())
        except DomainError as error:
            outcomes.append(error)

    results = [in_background(start) for _ in range(2)]
    for result in results:
        result.result(timeout=30)

    runs = [outcome for outcome in outcomes if isinstance(outcome, ClosingRun)]
    refusals = [outcome for outcome in outcomes if isinstance(outcome, DomainError)]
    assert (len(runs), len(refusals)) == (1, 1), outcomes
    # closing_start locks the parameters row first, so the loser always waits for the winner and
    # then finds its run unfinished: the same message every time.
    assert ANOTHER_RUN in refusals[0].message, refusals[0].message
    assert list(ClosingRun.objects.values_list("pk", flat=True)) == [runs[0].pk]
    assert closing_queue().count == 1  # the refused start queued nothing


def test_it_fails_on_a_bad_bundle_names_its_items_and_resumes_once_the_data_is_fixed(history, pool):
    broken = item_in_bundle(4)
    on_hand = list(OnHand.objects.filter(item__number=broken))
    OnHand.objects.filter(item__number=broken).delete()  # the item's on-hand rows are missing

    run = close_start()
    pool.start(burst=True).wait(timeout=60)

    run = fresh(run)
    assert run.status == Status.FAILED, describe(run)
    assert broken in run.error and run.error.startswith("Bundle 4 ")
    assert bundle(run, 4).status == ClosingBundle.Status.FAILED
    assert run.bundles_done == 3  # bundles 1-3 done; the jobs of 5-10 found the run failed and skipped
    assert set(run.bundles.filter(number__gt=4).values_list("status", flat=True)) == {ClosingBundle.Status.PENDING}
    assert not Settlement.objects.filter(run=run, issue__item__number=broken).exists()

    for row in on_hand:  # the data fixed
        row.save(force_insert=True)
    services.closing_resume()
    pool.start(burst=True).wait(timeout=60)

    run = fresh(run)
    assert (run.status, run.error) == (Status.ENDED, ""), describe(run)
    assert bundle(run, 4).attempts == 2
    assert_same_as_wait_run(run)


def test_it_is_followed_paused_and_resumed_from_the_command_line(history, pool):
    def command(*args: str) -> str:
        out = io.StringIO()
        call_command(*args, stdout=out)
        return out.getvalue()

    assert command("close_inventory", "--date", str(CLOSE_DATE)).startswith("Queued CLS-")
    run = ClosingRun.objects.get()
    status = json.loads(command("closing_status", "--json"))
    assert {key: status[key] for key in ("id", "number", "type", "status", "progress", "bundles_done", "settlements")} == {
        "id": run.pk, "number": run.number, "type": "closing", "status": "queued", "progress": 0, "bundles_done": 0,
        "settlements": 0}

    assert command("pause_closing") == f"{run.number} is paused.\n"
    pool.start(burst=True).wait(timeout=60)  # takes the coordinate job, finds the run paused
    assert (fresh(run).status, fresh(run).bundles_total) == (Status.PAUSED, 0)
    with pytest.raises(CommandError, match="nothing to pause"):
        command("pause_closing")

    assert command("resume_closing").startswith(f"Resumed {run.number}")
    pool.start(burst=True).wait(timeout=60)

    # The real command, in its own process, on the test database.
    shown = subprocess.run([sys.executable, "manage.py", "closing_status", "--json"], cwd=PROJECT_DIR, env=worker_env(),
                           capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    status = json.loads(shown.stdout)
    run = fresh(run)
    assert {key: status[key] for key in ("id", "type", "status", "progress", "items_done", "items_total", "bundles_done",
                                         "bundles_total", "settlements", "adjustments", "warnings", "voucher", "error")} == {
        "id": run.pk, "type": "closing", "status": "ended", "progress": 100, "items_done": ITEMS, "items_total": ITEMS,
        "bundles_done": BUNDLES, "bundles_total": BUNDLES, "settlements": run.settlements_count,
        "adjustments": run.adjustments_count, "warnings": run.warnings_count, "voucher": run.voucher.number, "error": ""}
    assert run.settlements_count > 0
    assert_same_as_wait_run(run)



def test_it_checks_the_books_on_a_worker_when_asked(history, pool):
    # The Book checks page's one click: the check is queued on the default queue and a real worker
    # runs it (its checks on connections of their own), with the result kept on the check.
    check = book_check_request(as_of=CLOSE_DATE, user=None)

    pool.start(burst=True).wait()

    check.refresh_from_db()
    assert (check.status, check.checks_done, check.error) == ("ended", CHECK_COUNT, "")
    here = books_check(as_of=CLOSE_DATE).to_dict()
    assert [(line["name"], line["ok"], line["count"]) for line in check.result["checks"]] == [
        (line["name"], line["ok"], line["count"]) for line in here["checks"]]


# -- runs never hang in silence (closing/services/watch.py) ----------------------------------------

def status_read(run: ClosingRun) -> dict:
    """What an accountant following the run sees: the page's status document (the same read as
    `closing_status` and the API), which is also where a stalled run is noticed."""
    out = io.StringIO()
    call_command("closing_status", "--json", stdout=out)
    document = json.loads(out.getvalue())
    assert document["id"] == run.pk
    return document


def test_it_queues_a_run_again_by_itself_when_its_worker_died_in_the_middle_of_a_bundle(history, pool, settings):
    settings.CLOSING_STALL_SECONDS = 2
    worker = pool.start()
    with ItemsHeld(item_in_bundle(4)) as held:
        run = close_start()
        [session] = wait_for(held.waiting, timeout=30, what="the worker to be in the middle of bundle 4")
        pool.kill(worker)
    wait_for(lambda: backend_gone(session), timeout=30, what="the killed worker's database session to end")
    pool.start()
    wait_for(lambda: fresh(run).bundles_done == BUNDLES - 1, timeout=30, what="bundles 5-10 to be done")
    assert status_read(run)["status"] == Status.RUNNING  # bundle 4's job is gone, but the run moved just now

    # Nobody resumes it: following it is enough, once it has not moved for the stall time.
    ended = wait_for(lambda: status_read(run)["status"] == Status.ENDED and fresh(run), timeout=60,
                     what="the watch to queue bundle 4 again and the run to end", interval=0.5)
    assert (ended.requeues, bundle(ended, 4).attempts) == (1, 1)
    [requeued] = AuditEntry.objects.filter(action="closing.requeue", object_id=str(run.pk))
    assert requeued.detail["reason"].startswith("no progress for ")
    assert_same_as_wait_run(ended)


def test_it_queues_a_run_again_by_itself_when_the_queue_was_lost(history, pool, settings):
    settings.CLOSING_STALL_SECONDS = 2
    run = close_start()
    closing_queue().empty()  # Redis flushed before any worker ran
    pool.start()
    time.sleep(1)
    assert status_read(run)["status"] == Status.QUEUED  # nothing queued, but not yet quiet for 2 s

    ended = wait_for(lambda: status_read(run)["status"] == Status.ENDED and fresh(run), timeout=60,
                     what="the watch to queue the run again and the run to end", interval=0.5)
    assert ended.requeues == 1
    assert_same_as_wait_run(ended)


def test_it_fails_a_run_that_stalls_again_and_again_with_the_reason_and_no_eta(history, queues, settings):
    settings.CLOSING_STALL_SECONDS = 1
    settings.CLOSING_MAX_REQUEUES = 2
    run = close_start()
    for attempt in range(1, 3):
        closing_queue().empty()  # every time it is queued again, the queue is lost again
        time.sleep(1.1)
        document = status_read(run)
        assert (document["status"], document["requeues"]) == (Status.QUEUED, attempt)
    closing_queue().empty()
    time.sleep(1.1)
    document = status_read(run)
    assert (document["status"], document["phase"], document["eta_seconds"]) == (Status.FAILED, "stalled", None)
    assert document["error"].startswith("Stalled: no progress for ")
    assert "queued again 2 times without progress; resume the close once the workers run" in document["error"]

    services.closing_resume()  # the documented way out, once the workers run
    assert fresh(run).requeues == 0


def test_it_reverses_a_close_on_a_worker_as_the_wait_reversal_does(history, pool):
    pool.start()
    wait_for(pool.ready, timeout=30, what="a worker to register")
    services.run_execute(run_id=services.closing_start(request=close_request(), queue=False).pk)

    reversal = services.reversal_queue()

    reversal = wait_status(reversal, Status.ENDED, Status.FAILED)
    assert reversal.status == Status.ENDED, reversal.error
    workers = books_of(reversal)
    services.run_execute(run_id=services.closing_start(request=close_request(), queue=False).pk)
    [here] = services.closing_reverse()
    assert workers.voucher_lines and workers.counts["adjustments"] > 0
    assert_same_books(workers, books_of(here))
