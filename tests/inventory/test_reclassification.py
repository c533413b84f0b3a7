"""Item reclassification journals (docs/domain.md §5.5): new warehouse, lot, serial
number or expiry date for stock on hand, at the same cost; the close carries the settled cost to the
receiving side like a transfer.

PAINT is lot-tracked FIFO; lot and warehouse are not financial dimensions, site is:

    R1  Jan 5   lot L-1  5 @ 10.00 into MAIN/MAIN (expires 2026-06-30)
    R2  Jan 6   lot L-1  3 @ 14.00 into MAIN/MAIN           -> MAIN: 8 units, 92.00, average 11.50
    Jan 10  reclassify 2 of L-1 MAIN/MAIN -> MAIN/BACK as lot L-2 expiring 2026-09-30  (same dimension)
    Jan 12  reclassify 2 of L-2 MAIN/BACK -> EAST/EAST                                  (another site)
    S1  Jan 15  sale of 2 of L-2 at EAST
    close up to Jan 31
"""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from factories import ItemFactory, SiteFactory, WarehouseFactory

from common.errors import DomainError
from inventory.models import InventoryTransaction, Item, Journal, OnHand, SourceType
from inventory.services.journals import LineInput, journal_create, journal_line_add, journal_post, journal_validate
from inventory.services.posting import posting_session
from ledger.models import Voucher
from ledger.selectors import trial_balance

D = Decimal


def jan(day: int) -> date:
    return date(2026, 1, day)


@pytest.fixture
def places(company):
    return {"main": company.warehouse, "back": WarehouseFactory(site=company.site, code="BACK"),
            "east": WarehouseFactory(site=SiteFactory(code="EAST"), code="EAST")}


@pytest.fixture
def paint(company, places):
    item = ItemFactory(number="PAINT", tracking=Item.Tracking.LOT, model_group="FIFO")
    with posting_session() as session:
        for ref, qty, cost, on in (("R1", "5", "10.00", jan(5)), ("R2", "3", "14.00", jan(6))):
            session.receive(item=item, qty=D(qty), unit_cost=D(cost), posting_date=on, site=places["main"].site,
                            warehouse=places["main"], source_type=SourceType.PURCHASE, financial=True, ref=ref,
                            tracking_number="L-1", expiry_date=date(2026, 6, 30))
    return item


def reclassify(item, on, qty, warehouse, tracking_number, *, to_warehouse=None, to_tracking_number="",
               to_expiry_date=None) -> Journal:
    journal = journal_create(journal_type=Journal.JournalType.RECLASSIFICATION, description="Relabel")
    journal_line_add(journal=journal, line=LineInput(
        date=on, item=item, qty=D(qty), site=warehouse.site, warehouse=warehouse, tracking_number=tracking_number,
        to_site=to_warehouse.site if to_warehouse else None, to_warehouse=to_warehouse,
        to_tracking_number=to_tracking_number, to_expiry_date=to_expiry_date))
    return journal_post(journal=journal)


def pair(journal: Journal) -> tuple[InventoryTransaction, InventoryTransaction]:
    out, into = InventoryTransaction.objects.filter(journal_line__journal=journal).order_by("qty")
    return out, into


def on_hand(item) -> list[tuple]:
    return list(OnHand.objects.filter(item=item).exclude(physical_qty=0).order_by("site__code", "warehouse__code",
                                                                                   "tracking_number").values_list(
        "warehouse__code", "tracking_number", "physical_qty", "financial_value"))


def balance(number: str, on: date = date(2026, 1, 31)) -> Decimal:
    rows = {row["account"].number: row for row in trial_balance(date_from=date(2026, 1, 1), date_to=on)}
    row = rows.get(number)
    return row["closing"] if row else D("0.00")


def test_it_relabels_a_lot_within_its_dimension_at_the_same_cost_without_a_voucher(paint, places):
    vouchers = Voucher.objects.count()

    journal = reclassify(paint, jan(10), "2", places["main"], "L-1", to_warehouse=places["back"],
                         to_tracking_number="L-2", to_expiry_date=date(2026, 9, 30))

    out, into = pair(journal)
    assert (out.tracking_number, out.warehouse.code, out.qty, out.cost_amount_posted) == ("L-1", "MAIN", D("-2"), D("-23.00"))
    assert (into.tracking_number, into.warehouse.code, into.qty, into.cost_amount_posted, into.expiry_date) == (
        "L-2", "BACK", D("2"), D("23.00"), date(2026, 9, 30))
    assert into.transfer_issue == out
    assert {out.source_type, into.source_type} == {SourceType.RECLASSIFICATION}
    assert Voucher.objects.count() == vouchers
    assert on_hand(paint) == [("BACK", "L-2", D("2"), D("23.00")), ("MAIN", "L-1", D("6"), D("69.00"))]


def test_it_keeps_the_lots_expiry_date_when_only_the_number_or_warehouse_changes(paint, places):
    journal = reclassify(paint, jan(10), "1", places["main"], "L-1", to_tracking_number="L-9")

    assert pair(journal)[1].expiry_date == date(2026, 6, 30)


def test_it_moves_a_lot_across_sites_and_the_close_carries_the_settled_cost(paint, places):
    within = reclassify(paint, jan(10), "2", places["main"], "L-1", to_warehouse=places["back"],
                        to_tracking_number="L-2", to_expiry_date=date(2026, 9, 30))
    across = reclassify(paint, jan(12), "2", places["back"], "L-2", to_warehouse=places["east"])
    out, into = pair(across)
    assert (out.cost_amount_posted, into.cost_amount_posted, into.site.code, into.tracking_number, into.expiry_date) == (
        D("-23.00"), D("23.00"), "EAST", "L-2", date(2026, 9, 30))
    voucher = Voucher.objects.filter(lines__inventory_transaction=out).distinct().get()
    assert [(line.account.number, line.debit, line.credit) for line in voucher.lines.order_by("-debit")] == [
        ("1400", D("23.00"), D("0.00")), ("1400", D("0.00"), D("23.00"))]
    with posting_session() as session:
        session.issue(item=paint, qty=D("2"), posting_date=jan(15), site=places["east"].site, warehouse=places["east"],
                      source_type=SourceType.SALE, financial=True, ref="S1", tracking_number="L-2")

    call_command("close_inventory", "--date", "2026-01-31", "--wait", stdout=io.StringIO(), stderr=io.StringIO())

    costs = {txn.ref: txn.cost_amount for txn in InventoryTransaction.objects.filter(item=paint)}
    first = pair(within)
    # FIFO at MAIN settles both reclassification issues against R1 at 10.00; each receiving side
    # carries its issue's 20.00, and the sale at EAST follows the lot there.
    assert (costs[first[0].ref], costs[first[1].ref]) == (D("-20.00"), D("20.00"))
    assert (costs[out.ref], costs[into.ref], costs["S1"]) == (D("-20.00"), D("20.00"), D("-20.00"))
    assert balance("5000") == D("20.00")
    assert balance("1400") == D("72.00") == sum(row[3] for row in on_hand(paint))


def test_it_reclassifies_a_serial_number(company, places):
    drill = ItemFactory(number="DRILL", tracking=Item.Tracking.SERIAL)
    with posting_session() as session:
        for serial in ("SN-1", "SN-2"):
            session.receive(item=drill, qty=D("1"), unit_cost=D("80.00"), posting_date=jan(4), site=company.site,
                            warehouse=places["main"], source_type=SourceType.PURCHASE, financial=True,
                            tracking_number=serial)

    reclassify(drill, jan(10), "1", places["main"], "SN-1", to_tracking_number="SN-1A")

    assert on_hand(drill) == [("MAIN", "SN-1A", D("1"), D("80.00")), ("MAIN", "SN-2", D("1"), D("80.00"))]
    with pytest.raises(DomainError) as refused:
        reclassify(drill, jan(11), "1", places["main"], "SN-1A", to_tracking_number="SN-2")
    assert refused.value.errors == [
        "Line 1: Serial number SN-2 of DRILL is already on hand in MAIN/MAIN: a serial number is received once."]


def test_it_refuses_bad_reclassification_lines_with_a_message_on_the_line(paint, places, company):
    bolt = ItemFactory(number="BOLT")
    journal = journal_create(journal_type=Journal.JournalType.RECLASSIFICATION)

    def refused(**changes) -> list[str]:
        line = {"date": jan(10), "item": paint, "qty": D("2"), "site": company.site, "warehouse": places["main"],
                "tracking_number": "L-1", **changes}
        with pytest.raises(DomainError) as error:
            journal_line_add(journal=journal, line=LineInput(**line))
        return error.value.errors

    assert refused() == ["the new warehouse, lot/serial number and expiry date are the same as the current ones: "
                         "change at least one"]
    assert refused(to_warehouse=places["main"], to_tracking_number="L-1", to_expiry_date=date(2026, 6, 30)) == [
        "the new warehouse, lot/serial number and expiry date are the same as the current ones: change at least one"]
    assert refused(item=bolt, tracking_number="", to_expiry_date=date(2027, 1, 1)) == [
        "BOLT is not lot-tracked: it has no expiry date"]
    assert refused(qty=D("-1"), to_tracking_number="L-2") == [
        "a reclassification quantity must be positive (it moves what is on hand)"]
    assert refused(unit_cost=D("1.00"), to_tracking_number="L-2") == [
        "a reclassification keeps the value of what it moves: leave the unit cost empty"]
    assert refused(tracking_number="", to_tracking_number="L-2") == ["PAINT is tracked by lot number: enter its lot number"]
    assert journal.lines.count() == 0
    journal_line_add(journal=journal, line=LineInput(date=jan(10), item=paint, qty=D("9"), site=company.site,
                                                     warehouse=places["main"], tracking_number="L-1",
                                                     to_tracking_number="L-2"))
    assert journal_validate(journal=journal) == []
    with pytest.raises(DomainError) as refused_post:
        journal_post(journal=journal)
    assert refused_post.value.errors == ["Line 1: Lot L-1 of PAINT has 8 on hand in MAIN/MAIN: 9 cannot be issued from it."]
