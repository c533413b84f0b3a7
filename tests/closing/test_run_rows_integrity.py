"""Settlements and cost adjustments carry no database foreign keys (closing migration 0003_database): the
close's writer checks the transactions they refer to set-based, and PostgreSQL still refuses to
delete a run or a transaction they refer to."""

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction

from closing.models import ClosingRun, CostAdjustment, Settlement
from inventory.models import InventoryTransaction
from inventory.services.valuation import transactions_settle

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the delete guards are PostgreSQL triggers")


@pytest.fixture
def closed(books):
    books.item("NUT", "FIFO")
    books.post("""
        R1,2026-01-02,NUT,2,10.00,financial
        R2,2026-01-03,NUT,2,14.00,financial
        I1,2026-01-05,NUT,-3,,financial
    """)
    books.close("2026-01-31")
    return books


def test_it_refuses_to_delete_a_transaction_a_settlement_refers_to(closed):
    settlement = Settlement.objects.order_by("id").first()
    with pytest.raises(IntegrityError, match="still referred to by closing_settlement"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM inventory_inventorytransaction WHERE id = %s", [settlement.receipt_id])
    assert InventoryTransaction.objects.filter(pk=settlement.receipt_id).exists()


def test_it_refuses_to_delete_a_run_its_adjustments_refer_to(closed):
    run = ClosingRun.objects.get(run_type=ClosingRun.RunType.CLOSING)
    assert CostAdjustment.objects.filter(run=run).exists()
    with pytest.raises(IntegrityError, match="still referred to by closing_"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM closing_closingrun WHERE id = %s", [run.pk])


def test_it_refuses_to_settle_a_transaction_that_does_not_exist(closed):
    gone = (InventoryTransaction.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1000
    existing = InventoryTransaction.objects.get(ref="I1")
    before = existing.cost_amount_adjustment
    with pytest.raises(RuntimeError, match=f"Transaction {gone} was settled or adjusted by the close but no longer exists"):
        with transaction.atomic():
            transactions_settle(rows=[(existing.pk, 0, 0, 1), (gone, 1_000_000, 500, 0)], closed_on=date(2026, 1, 31))
    existing.refresh_from_db()
    assert existing.cost_amount_adjustment == before  # rolled back with the bundle


def test_a_delete_of_many_transactions_is_refused_whole_naming_the_first_one_still_referred_to(closed):
    # One statement deleting every transaction: the guard checks the statement's deleted rows at
    # once (not row by row) and refuses all of it, naming the lowest id the first referring column
    # (a settlement's issue) holds.
    issue = Settlement.objects.order_by("issue_id").values_list("issue_id", flat=True).first()
    before = InventoryTransaction.objects.count()
    with pytest.raises(IntegrityError, match=rf"Row {issue} of inventory_inventorytransaction is still referred "
                                             r"to by closing_settlement\.issue_id"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM ledger_voucherline")
            cursor.execute("DELETE FROM inventory_inventorytransaction")
    assert InventoryTransaction.objects.count() == before
