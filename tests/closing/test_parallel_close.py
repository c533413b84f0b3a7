"""`close_inventory --wait --workers N` on PostgreSQL: bundles processed by N child processes, each
with its own connection, give the books a single process gives, to the cent.

The children read what the test committed, so the test runs outside a transaction."""

from decimal import Decimal

import pytest
from django.db import connection

from closing.models import InventoryParameters

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
