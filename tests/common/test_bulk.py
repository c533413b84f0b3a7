"""Bulk writes that replace PostgreSQL's per-row foreign-key checks (issue #15, point 4): the
writers check references set-based (references_check), the tables referred to refuse deletes
(delete guards of ledger migration 0002_database and inventory migration 0003_database), and instance_new builds
the same row as the model's constructor."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from factories import ItemFactory

from common.bulk import instance_new, references_check
from common.errors import DomainError
from inventory.models import InventoryTransaction, Item, SourceType
from inventory.services.posting import posting_session
from ledger.models import Voucher, VoucherLine
from ledger.services import VOUCHER_LINE_COLUMNS, LineSpec, voucher_post

D = Decimal
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)")


def receipt(company, item, qty="2", unit_cost="10"):
    with posting_session() as session:
        return session.receive(item=item, qty=D(qty), unit_cost=D(unit_cost), posting_date=date(2026, 1, 5),
                               site=company.site, warehouse=company.warehouse, source_type=SourceType.PURCHASE,
                               financial=True)


def test_it_names_the_first_reference_to_nothing(company):
    item = ItemFactory()
    line = (None, date(2026, 1, 5), company.accounts["1400"].pk, D("1.00"), D("0"), False, "", item.item_group_id,
            item.pk + 1000, None)

    with pytest.raises(DomainError, match=rf"refers to item {item.pk + 1000} \(item\), which does not exist"):
        references_check(model=VoucherLine, columns=VOUCHER_LINE_COLUMNS, rows=[line])


def test_it_passes_rows_whose_references_all_exist(company):
    item = ItemFactory()
    txn = receipt(company, item)
    voucher = Voucher.objects.latest("id")
    line = (voucher.pk, date(2026, 1, 5), company.accounts["1400"].pk, D("1.00"), D("0"), False, "",
            item.item_group_id, item.pk, txn.pk)

    references_check(model=VoucherLine, columns=VOUCHER_LINE_COLUMNS, rows=[line], unlocked=("voucher",))


def test_it_refuses_a_voucher_line_for_a_transaction_that_does_not_exist(company):
    inventory, accrual = company.accounts["1400"], company.accounts["2100"]

    with pytest.raises(DomainError, match="refers to inventory transaction 987654"):
        voucher_post(date=date(2026, 1, 5), description="stray", source=Voucher.Source.INVENTORY, lines=[
            LineSpec(account=inventory, amount=D("5.00"), transaction_id=987654),
            LineSpec(account=accrual, amount=D("-5.00"), transaction_id=987654),
        ])
    assert not Voucher.objects.filter(description="stray").exists()


def test_it_refuses_a_transaction_of_an_item_that_does_not_exist(company):
    item = ItemFactory()
    with pytest.raises(DomainError, match=rf"refers to item {item.pk + 1000} \(item\)"):
        with posting_session() as session:
            txn = session.receive(item=item, qty=D("1"), unit_cost=D("1"), posting_date=date(2026, 1, 5),
                                  site=company.site, warehouse=company.warehouse, source_type=SourceType.PURCHASE,
                                  financial=True)
            txn.item_id = item.pk + 1000  # what a bug in a writer would do (the cached item goes too)

    assert not InventoryTransaction.objects.exists()


def test_it_builds_the_row_the_constructor_builds(company):
    item = ItemFactory()
    values = dict(ref="R-1", source_type=SourceType.PURCHASE, item=item, site=company.site,
                  warehouse=company.warehouse, qty=D("3"), status="purchased", date_physical=date(2026, 1, 5),
                  date_financial=date(2026, 1, 5), cost_amount_physical=D("30.00"), journal_line=None)

    fast, slow = instance_new(InventoryTransaction, **values), InventoryTransaction(**values)

    fields = [field.attname for field in InventoryTransaction._meta.concrete_fields]
    assert [getattr(fast, name) for name in fields] == [getattr(slow, name) for name in fields]
    assert fast.item is item and fast.site is company.site and fast._state.adding


@postgres_only
@pytest.mark.postgres
def test_it_refuses_in_the_database_to_delete_what_a_transaction_or_line_refers_to(company):
    item = ItemFactory()
    txn = receipt(company, item)

    # Past Django's PROTECT, straight in SQL: the delete guards answer.
    with pytest.raises(IntegrityError, match="still referred to by inventory_inventorytransaction.item_id"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM inventory_item WHERE id = %s", [item.pk])
    with pytest.raises(IntegrityError, match="still referred to by ledger_voucherline.inventory_transaction_id"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM inventory_inventorytransaction WHERE id = %s", [txn.pk])
    with pytest.raises(IntegrityError, match="still referred to by inventory_inventorytransaction.site_id"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM inventory_site WHERE id = %s", [company.site.pk])
    assert Item.objects.filter(pk=item.pk).exists()

    unused = ItemFactory()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM inventory_item WHERE id = %s", [unused.pk])
    assert not Item.objects.filter(pk=unused.pk).exists()


def test_it_refuses_a_voucher_reversing_one_that_does_not_exist(company):
    inventory, accrual = company.accounts["1400"], company.accounts["2100"]
    ghost = Voucher(pk=987654, number="GHOST")  # never saved: what a bug in a writer would name

    with pytest.raises(DomainError, match=r"refers to voucher 987654 \(reverses\), which does not exist"):
        voucher_post(date=date(2026, 1, 5), description="stray reversal", source=Voucher.Source.REVERSAL, reverses=ghost,
                     lines=[LineSpec(account=inventory, amount=D("5.00")), LineSpec(account=accrual, amount=D("-5.00"))])
    assert not Voucher.objects.filter(description="stray reversal").exists()


@postgres_only
@pytest.mark.postgres
def test_it_refuses_in_the_database_to_delete_what_the_mostly_empty_keys_refer_to(company, django_user_model):
    # The keys usually empty on a posted row (its user, the receipt an issue is marked to, the voucher
    # a reversal reverses) have no database foreign key either: the delete guards answer for them.
    user = django_user_model.objects.create_user("poster")
    item = ItemFactory()
    with posting_session(user=user) as session:
        bought = session.receive(item=item, qty=D("2"), unit_cost=D("10"), posting_date=date(2026, 1, 5),
                                 site=company.site, warehouse=company.warehouse, source_type=SourceType.PURCHASE,
                                 financial=True)
        session.issue(item=item, qty=D("1"), posting_date=date(2026, 1, 6), site=company.site,
                      warehouse=company.warehouse, source_type=SourceType.SALE, financial=True, marked_to=bought)
    original = Voucher.objects.get(lines__inventory_transaction=bought, lines__account=company.accounts["1400"])
    lines = [LineSpec(account=line.account, amount=line.credit - line.debit) for line in original.lines.all()]
    voucher_post(date=date(2026, 1, 7), description="reversal", source=Voucher.Source.REVERSAL, lines=lines,
                 reverses=original)

    with pytest.raises(IntegrityError, match=r"still referred to by (inventory_inventorytransaction|ledger_voucher)"
                                             r"\.created_by_id"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM auth_user WHERE id = %s", [user.pk])
    with pytest.raises(IntegrityError, match="still referred to by inventory_inventorytransaction.marked_to_id"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM ledger_voucherline WHERE inventory_transaction_id = %s", [bought.pk])
            cursor.execute("DELETE FROM inventory_inventorytransaction WHERE id = %s", [bought.pk])
    with pytest.raises(IntegrityError, match="still referred to by ledger_voucher.reverses_id"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM ledger_voucherline WHERE voucher_id = %s", [original.pk])
            cursor.execute("DELETE FROM ledger_voucher WHERE id = %s", [original.pk])
    assert Voucher.objects.filter(pk=original.pk).exists() and django_user_model.objects.filter(pk=user.pk).exists()
