"""The fault-injection suite (issue #16 point 14, docs/reliability.md): closes put under faults, each
ending with the books compared, to the cent, with an uninterrupted close of the same history.

    books                 the closing suites' books (tests/closing/conftest.py), for closes run here
    history               40 items, 1,600 transactions, one item a bundle: a close of 40 bundles
    queues                the closing and default queues, empty and this test's alone
    pool                  real `manage.py rqworker` processes, killed at the end, logs printed
    seed                  the storms' random seed (FAULTS_SEED=n to repeat one)

The storm tests label their workers' database sessions (`application_name`, through libpq's
PGAPPNAME) so that a storm terminates those sessions and nothing else: not the test's own, and
never a session of another database on the same server.
"""

import os
import random
from datetime import date

import pytest

from closing.benchmark import history_generate
from closing.models import InventoryParameters
from inventory.models import InventoryTransaction
from tests.closing.conftest import books  # noqa: F401  (the fixture, for the closes run in this process)
from tests.closing.workers import WorkerPool, queues_reserved

CLOSE_DATE = date(2026, 6, 30)
ITEMS = 40
TRANSACTIONS = 1600
PER_BUNDLE = 1
BUNDLES = ITEMS // PER_BUNDLE
WORKER_LABEL = "costbook-fault-worker"


@pytest.fixture
def history(company):
    """A year of postings over 40 items (FIFO, LIFO, weighted average; transfers to a second site,
    marking, negative and physical-only postings), one item a bundle."""
    InventoryParameters.objects.filter(pk=1).update(items_per_bundle=PER_BUNDLE)
    made = history_generate(transactions=TRANSACTIONS, items=ITEMS, close_date=CLOSE_DATE, seed=7)
    assert InventoryTransaction.objects.filter(date_physical__lte=CLOSE_DATE).values("item").distinct().count() == ITEMS
    return made


@pytest.fixture
def queues():
    with queues_reserved():
        yield


@pytest.fixture
def pool(tmp_path, queues):
    workers = WorkerPool(tmp_path)
    try:
        yield workers
    finally:
        workers.stop_all()
        print(workers.logs())


@pytest.fixture
def seed() -> int:
    """The storm's seed: FAULTS_SEED=n repeats the choices of a run (not its timing), which every
    failure message names."""
    return int(os.environ.get("FAULTS_SEED") or random.SystemRandom().randrange(1_000_000))
