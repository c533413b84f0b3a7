"""Two people posting the same item at the same moment (PostgreSQL only: real row locks, one
connection per thread).

Why this fails without the lock: a posting reads the dimension's running totals, computes the issue
cost from them and writes the new totals back as absolute values. Without `select_for_update` on the
CostDimension row both threads, released together by the barrier, read the same totals; the second
write overwrites the first, so the dimension loses a receipt or an issue (its totals no longer equal
the sum of its transactions) and the next issue is costed from the wrong average. With the lock the
second posting waits until the first commits and then reads its totals (READ COMMITTED re-reads the
locked row), exactly as if the two had been posted one after the other.
"""

import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from factories import ItemFactory

from common.money import ZERO, amount_for
from inventory.models import CostDimension, InventoryTransaction, Journal, OnHand, SourceType
from inventory.services.journals import LineInput, journal_create, journal_line_add, journal_post
from inventory.services.posting import posting_session
from ledger.selectors import unbalanced_vouchers

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks (set DATABASE_URL)"),
    pytest.mark.django_db(transaction=True),
]

D = Decimal
ROUNDS = 40
ON = date(2026, 1, 20)


def side_by_side(*workers: Callable[[int], None], rounds: int = ROUNDS) -> None:
    """Run each worker `rounds` times in its own thread, all released together every round."""
    barrier = threading.Barrier(len(workers))
    failures: list[BaseException] = []

    def run(worker):
        try:
            for n in range(rounds):
                barrier.wait(timeout=60)
                worker(n)
        except BaseException as error:
            failures.append(error)
            barrier.abort()
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=run, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a posting thread hung"
    assert [error for error in failures if not isinstance(error, threading.BrokenBarrierError)] == []


def replay(item) -> tuple[Decimal, Decimal]:
    """Post the item's transactions again one after the other (in the order they were written,
    which is the order their dimension lock was taken) and check each issue's cost against what
    sequential posting gives (docs/domain.md §1.1, IPV off). Returns the financial qty and value."""
    qty, value = ZERO, ZERO
    for txn in InventoryTransaction.objects.filter(item=item).order_by("id"):
        if txn.qty < 0:
            if -txn.qty == qty and value >= ZERO:
                expected = -value  # the last units take what is left
            else:
                average = value / qty if qty > ZERO and value >= ZERO else item.default_cost_price
                expected = -amount_for(-txn.qty, average)
            assert txn.cost_amount_posted == expected, f"{txn.ref} posted at {txn.cost_amount_posted}, sequential gives {expected}"
        qty += txn.qty
        value += txn.cost_amount_posted
    return qty, value


def assert_books_add_up(item) -> None:
    qty, value = replay(item)
    sums = InventoryTransaction.objects.filter(item=item).aggregate(qty=Sum("qty"), value=Sum("cost_amount_posted"))
    assert (sums["qty"], sums["value"]) == (qty, value)
    dimension = CostDimension.objects.get(item=item)
    assert (dimension.financial_qty, dimension.financial_value) == (qty, value)
    on_hand = OnHand.objects.filter(item=item).aggregate(qty=Sum("financial_qty"), physical=Sum("physical_qty"),
                                                         value=Sum("financial_value"))
    assert (on_hand["qty"], on_hand["physical"], on_hand["value"]) == (qty, qty, value)
    assert unbalanced_vouchers() == []


def test_it_keeps_the_running_average_when_receipts_and_issues_of_one_item_race(company):
    item = ItemFactory(model_group="FIFO", default_cost_price=D("10.00"))
    where = dict(item=item, site=company.site, warehouse=company.warehouse, posting_date=ON)
    with posting_session() as session:
        session.receive(qty=D("50"), unit_cost=D("10.00"), source_type=SourceType.PURCHASE, financial=True, ref="START", **where)

    def receive(n: int) -> None:
        with posting_session() as session:  # receipts at 11.00 .. 17.00 move the average every time
            session.receive(qty=D("2"), unit_cost=D(11 + n % 7), source_type=SourceType.PURCHASE, financial=True,
                            ref=f"R-{n}", **where)

    def issue(n: int) -> None:
        with posting_session() as session:
            session.issue(qty=D("3"), source_type=SourceType.SALE, financial=True, ref=f"I-{n}", **where)

    side_by_side(receive, issue)

    assert InventoryTransaction.objects.filter(item=item).count() == 1 + 2 * ROUNDS
    assert_books_add_up(item)
    assert CostDimension.objects.get(item=item).financial_qty == D("50") + ROUNDS * (D("2") - D("3"))


def test_it_keeps_the_books_when_two_sellers_issue_the_same_item(company):
    item = ItemFactory(model_group="WAVG", default_cost_price=D("10.00"))
    where = dict(item=item, site=company.site, warehouse=company.warehouse, posting_date=ON)
    with posting_session() as session:
        session.receive(qty=D("300"), unit_cost=D("10.00"), source_type=SourceType.PURCHASE, financial=True, ref="START", **where)
        session.receive(qty=D("1"), unit_cost=D("1.00"), source_type=SourceType.PURCHASE, financial=True, ref="ODD", **where)

    def seller(name: str):
        def sell(n: int) -> None:
            with posting_session() as session:
                session.issue(qty=D("1"), source_type=SourceType.SALE, financial=True, ref=f"{name}-{n}", **where)
        return sell

    side_by_side(seller("A"), seller("B"))

    assert_books_add_up(item)
    assert CostDimension.objects.get(item=item).financial_qty == D("301") - 2 * ROUNDS


def test_it_does_not_deadlock_when_journals_lock_two_items_in_opposite_order(company):
    # Each journal names the items in a different order; the session locks them sorted by key.
    first, second = ItemFactory(model_group="FIFO"), ItemFactory(model_group="FIFO")
    with posting_session() as session:
        for item in (first, second):
            session.receive(item=item, qty=D("100"), unit_cost=D("5.00"), posting_date=ON, site=company.site,
                            warehouse=company.warehouse, source_type=SourceType.PURCHASE, financial=True)

    def journal_of(items):
        def post(n: int) -> None:
            journal = journal_create(journal_type=Journal.JournalType.PROFIT_LOSS)
            for item in items:
                journal_line_add(journal=journal, line=LineInput(date=ON, item=item, qty=D("-1"), site=company.site,
                                                                 warehouse=company.warehouse))
            journal_post(journal=journal)
        return post

    side_by_side(journal_of([first, second]), journal_of([second, first]), rounds=15)

    assert Journal.objects.filter(status=Journal.Status.POSTED).count() == 30
    for item in (first, second):
        assert_books_add_up(item)
        assert CostDimension.objects.get(item=item).financial_qty == D("70")
