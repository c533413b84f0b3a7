"""A transfer between two sites carries its issue's closed cost (docs/domain.md §2.1: receipts and issues
settle within their financial dimension, and site is always financial; §3: transfers post to
the inventory accounts on both sides).

    R1  receipt 1 @ 10.00 at MAIN                         Jan 2
    R2  receipt 1 @ 22.00 at MAIN                         Jan 3
    transfer journal: 1 unit MAIN -> EAST at the running average 16.00   Jan 4
    S1  sale 1 at EAST, posted at the transfer's 16.00    Jan 5
    close inventory up to Jan 31

FIFO at MAIN settles the transfer issue against R1 (10.00). The transfer receipt at EAST takes that
adjusted cost, and the sale at EAST, settled against the transfer receipt, follows it to 10.00.
"""

from datetime import date
from decimal import Decimal as D

import pytest
from factories import SiteFactory, WarehouseFactory

from inventory.models import InventoryTransaction, Item, Journal
from inventory.services.journals import LineInput, journal_create, journal_line_add, journal_post

CLOSE = "2026-01-31"


@pytest.fixture
def east(company):
    return WarehouseFactory(site=SiteFactory(code="EAST"), code="EAST")


def transfer(books, item: str, qty: str, on: date, to) -> tuple[str, str]:
    journal = journal_create(journal_type=Journal.JournalType.TRANSFER, description="Stock for the east shop")
    journal_line_add(journal=journal, line=LineInput(
        date=on, item=Item.objects.get(number=item), qty=D(qty), site=books.company.site,
        warehouse=books.company.warehouse, to_site=to.site, to_warehouse=to))
    journal_post(journal=journal)
    out, into = InventoryTransaction.objects.filter(journal_line__journal=journal).order_by("qty")
    return out.ref, into.ref


def test_it_moves_the_closed_cost_of_the_transfer_issue_to_the_receiving_site(books, east):
    books.item("PAINT", "FIFO")
    books.post("""
        R1,2026-01-02,PAINT,1,10.00,financial,MAIN,MAIN,
        R2,2026-01-03,PAINT,1,22.00,financial,MAIN,MAIN,
    """)
    out, into = transfer(books, "PAINT", "1", date(2026, 1, 4), east)
    books.post("S1,2026-01-05,PAINT,-1,,financial,EAST,EAST,")
    before = books.costs("PAINT")
    assert (before[out], before[into], before["S1"]) == (D("-16.00"), D("16.00"), D("-16.00"))

    books.close(CLOSE)

    assert sorted(books.settlements()) == sorted([(out, "R1", 1, D("10.00")), ("S1", into, 1, D("10.00"))])
    assert books.adjusted("PAINT") == {out: D("6.00"), into: D("-6.00"), "S1": D("6.00")}
    assert books.costs("PAINT") == {"R1": D("10.00"), "R2": D("22.00"), out: D("-10.00"), into: D("10.00"),
                                    "S1": D("-10.00")}
    rows = books.export("PAINT")
    assert (rows[into].site, rows["S1"].site) == ("EAST", "EAST")
    assert [ref for ref, row in rows.items() if row.value_open] == ["R2"]
    # MAIN keeps R2; EAST has nothing left; the ledger agrees.
    assert books.open_receipts_value("PAINT") == books.on_hand_value("PAINT") == books.balance("1400") == D("22.00")
    assert books.balance("5000") == D("10.00")  # cost of goods sold: the sale at its closed cost
    # Both sides of the transfer are on 1400 and cancel out in the voucher: what is left is the sale.
    voucher_lines = books.last_run().voucher.lines.select_related("account").order_by("account__number")
    assert [(line.account.number, line.debit, line.credit) for line in voucher_lines] == [
        ("1400", D("6.00"), D("0.00")), ("5000", D("0.00"), D("6.00"))]
