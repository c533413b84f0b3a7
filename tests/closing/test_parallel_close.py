"""A close spread over processes gives the books a single process gives, to the cent, on PostgreSQL:
`close_inventory --wait --workers N` (bundles in N child processes, each with its own connection),
and 4 real RQ workers on real Redis closing a generated history of 100,000 transactions in which
every valuation method, marking and transfers between sites occur.

The children and workers read what the test committed, so the tests run outside a transaction."""

from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from closing import services
from closing.benchmark import history_generate
from closing.models import ClosingRun, InventoryParameters
from inventory.models import InventoryTransaction, Item, ItemModelGroup
from tests.closing.workers import WorkerPool, queues_reserved, skip_reason, wait_for
from tests.faults.test_runs_on_workers import assert_same_books, books_of

pytestmark = [
    pytest.mark.slow,  # child processes
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"),
]

MODEL_GROUPS = ["FIFO", "LIFO", "LIFODATE", "WAVG", "WAVGDATE", "FIFO-IPV"]


def a_month_of(items: list[str]) -> str:
    """Per item: four receipts at different costs and three issues in between, one of them
    physical only; deterministic, so both closes see the same book."""
    rows = []
    for n, item in enumerate(items):
        for day, (qty, cost) in enumerate([(5, 10 + n % 7), (3, 12 + n % 5), (4, 9 + n % 3), (6, 14)], start=1):
            rows.append(f"{item}-R{day},2026-01-{day * 5:02d},{item},{qty},{cost}.{n % 100:02d},financial")
        rows.append(f"{item}-I1,2026-01-07,{item},-4,,financial")
        rows.append(f"{item}-I2,2026-01-17,{item},-5,,financial")
        rows.append(f"{item}-I3,2026-01-22,{item},-2,,physical")
    return "\n".join(rows)


def books_state(books, items: list[str]) -> tuple:
    """Everything the close decides, without the refs of its weighted-average closing pairs (they
    carry the run's number, which differs between the two closes)."""
    own = {ref: row for ref, row in books.export().items() if not ref.startswith("CLS-")}
    # Sorted: bundles finishing in another order write their settlements in another order.
    settlements = sorted(s for s in books.settlements() if not s[0].startswith("CLS-") and not (s[1] or "").startswith("CLS-"))
    system = [books.system_transactions(item) for item in items]
    return own, settlements, system, books.balance("1400"), books.balance("5000")


def test_it_closes_in_two_processes_exactly_as_in_one(books):
    items = [f"P{n:02d}" for n in range(24)]
    books.items("\n".join(f"{item},{item},DEFAULT,{MODEL_GROUPS[n % len(MODEL_GROUPS)]}," for n, item in enumerate(items)))
    books.post(a_month_of(items))
    InventoryParameters.objects.filter(pk=1).update(items_per_bundle=5)  # 5 bundles

    books.close("2026-01-31", "--workers", "2")
    in_two = books_state(books, items)
    run = books.last_run()
    assert (run.status, run.bundles_total, run.bundles_done) == ("ended", 5, 5)
    books.reverse()
    books.close("2026-01-31")

    assert books_state(books, items) == in_two
    assert in_two[3] != Decimal("0.00") and any(in_two[2])


WORKERS_SKIP = skip_reason()
CLOSE_DATE = date(2026, 6, 30)


@pytest.mark.redis
@pytest.mark.skipif(WORKERS_SKIP is not None, reason=WORKERS_SKIP or "")
def test_it_closes_100k_transactions_on_four_rq_workers_exactly_as_in_one_process(company, tmp_path):
    # The benchmark's generator: FIFO, LIFO and weighted-average items, marked issues, transfers
    # between two sites, physical-only postings, items going negative. Its items are then spread
    # over all twelve model groups, so every method (with and without include physical value)
    # closes part of the history.
    history_generate(transactions=100_000, items=600, close_date=CLOSE_DATE, seed=7)
    groups = list(ItemModelGroup.objects.order_by("code"))
    item_ids = list(Item.objects.filter(number__startswith="BM").order_by("pk").values_list("pk", flat=True))
    for index, group in enumerate(groups):
        Item.objects.filter(pk__in=item_ids[index::len(groups)]).update(model_group=group)
    InventoryParameters.objects.filter(pk=1).update(items_per_bundle=25)  # 24 bundles for 4 workers
    considered = InventoryTransaction.objects.filter(date_physical__lte=CLOSE_DATE)
    assert considered.count() >= 90_000
    assert considered.exclude(marked_to=None).exists() and considered.exclude(transfer_issue=None).exists()

    with queues_reserved(timeout=1800), WorkerPool(tmp_path) as pool:
        for _ in range(4):
            pool.start()
        wait_for(pool.ready, timeout=60, what="four workers to register")
        run = services.closing_start(request=services.RunRequest(run_type=ClosingRun.RunType.CLOSING, date=CLOSE_DATE))
        run = wait_for(lambda: (now := ClosingRun.objects.get(pk=run.pk)).status in ("ended", "failed") and now,
                       timeout=1200, what="the close on four workers to end", interval=1)
        assert run.status == "ended", f"{run.error}\n{pool.logs()}"
        assert sum(1 for done in pool.jobs_done().values() if done) >= 2, pool.jobs_done()
        on_workers = books_of(run)

    services.closing_reverse()
    in_one = books_of(services.run_execute(run_id=services.closing_start(
        request=services.RunRequest(run_type=ClosingRun.RunType.CLOSING, date=CLOSE_DATE), queue=False).pk))
    assert in_one.counts["status"] == "ended"
    assert in_one.counts["settlements"] > 50_000 and in_one.counts["adjustments"] > 10_000
    methods = Counter(Item.objects.filter(pk__in=item_ids).values_list("model_group__valuation_method", flat=True))
    assert len(methods) == 7  # every valuation method
    assert_same_books(on_workers, in_one)
