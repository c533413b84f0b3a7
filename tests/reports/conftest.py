"""The reports' book: one FIFO item, WIDGET, posted through the posting services and closed with
the command, so every figure below can be worked out by hand.

    R1  Jan 2  purchase 2 @ 10.00                         20.00
    R2  Jan 3  purchase 2 @ 20.00                         40.00
    S1  Jan 4  sale 3 at the running average 15.00      -45.00   close: FIFO 2 x 10 + 1 x 20 = -40.00 (+5.00)
    P1  Jan 5  receipt 1 @ 30.00, physical only           30.00
    close inventory up to Jan 31
"""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from inventory.models import InventoryTransaction, SourceType
from inventory.services.posting import posting_session
from tests.factories import ItemFactory

D = Decimal


def post_book(company, number: str = "WIDGET", prefix: str = "", item_group: str = "DEFAULT"):
    item = ItemFactory(number=number, name=f"{number} for the reports", default_cost_price=D("10.00"), item_group=item_group)
    where = {"site": company.site, "warehouse": company.warehouse}
    with posting_session() as session:
        for ref, qty, cost, day in (("R1", "2", "10.00", 2), ("R2", "2", "20.00", 3)):
            session.receive(item=item, qty=D(qty), unit_cost=D(cost), posting_date=date(2026, 1, day),
                            source_type=SourceType.PURCHASE, financial=True, ref=prefix + ref, **where)
        session.issue(item=item, qty=D("3"), posting_date=date(2026, 1, 4), source_type=SourceType.SALE,
                      financial=True, ref=prefix + "S1", **where)
        session.receive(item=item, qty=D("1"), unit_cost=D("30.00"), posting_date=date(2026, 1, 5),
                        source_type=SourceType.PURCHASE, financial=False, ref=prefix + "P1", **where)
    return item


def close(on: str = "2026-01-31", *options: str) -> str:
    out = io.StringIO()
    call_command("close_inventory", "--date", on, "--wait", *options, stdout=out)
    return out.getvalue()


@pytest.fixture
def widget(company):
    return post_book(company)


@pytest.fixture
def closed(widget):
    close()
    return widget


def txn(ref: str) -> InventoryTransaction:
    return InventoryTransaction.objects.get(ref=ref)


def edit_line_by_hand(line_filter: dict, **values) -> int:
    """Change voucher lines directly in the database, as someone with a SQL prompt would. PostgreSQL
    refuses an unbalanced voucher at commit (ledger migration 0002_database), so the trigger is switched off
    around the update only and back on right after: nothing is queued for it to check."""
    from django.db import connection

    from ledger.models import VoucherLine

    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            # Check what is already posted first: a table with pending trigger events cannot be altered.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE ledger_voucherline DISABLE TRIGGER ledger_voucherline_balanced")
        try:
            return VoucherLine.objects.filter(**line_filter).update(**values)
        finally:
            if postgres:
                cursor.execute("ALTER TABLE ledger_voucherline ENABLE TRIGGER ledger_voucherline_balanced")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
