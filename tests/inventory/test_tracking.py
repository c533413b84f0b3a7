"""Item tracking on every receipt and issue (docs/domain.md §5.2): lots with expiry dates, serial
numbers received once and issued once, neither a financial dimension unless the item says so."""

from datetime import date
from decimal import Decimal

import pytest
from factories import ItemFactory, WarehouseFactory

from common.errors import DomainError
from inventory.models import CostDimension, InventoryTransaction, Item, OnHand, SourceType
from inventory.services.posting import posting_session, running_average

D = Decimal


def jan(day: int) -> date:
    return date(2026, 1, day)


@pytest.fixture
def back(company):
    return WarehouseFactory(site=company.site, code="BACK")


@pytest.fixture
def drill(company):
    return ItemFactory(number="DRILL", tracking=Item.Tracking.SERIAL, model_group="FIFO")


@pytest.fixture
def paint(company):
    return ItemFactory(number="PAINT", tracking=Item.Tracking.LOT, model_group="FIFO")


def receive(item, tracking_number, warehouse, qty="1", unit_cost="80.00", on=None, expiry_date=None):
    with posting_session() as session:
        return session.receive(item=item, qty=D(qty), unit_cost=D(unit_cost), posting_date=on or jan(5),
                               site=warehouse.site, warehouse=warehouse, source_type=SourceType.PURCHASE,
                               financial=True, tracking_number=tracking_number, expiry_date=expiry_date)


def issue(item, tracking_number, warehouse, qty="1", on=None):
    with posting_session() as session:
        return session.issue(item=item, qty=D(qty), posting_date=on or jan(8), site=warehouse.site,
                             warehouse=warehouse, source_type=SourceType.SALE, financial=True,
                             tracking_number=tracking_number)


def refusal(post) -> str:
    before = InventoryTransaction.objects.count()
    with pytest.raises(DomainError) as refused:
        post()
    assert InventoryTransaction.objects.count() == before
    return refused.value.message


def test_it_receives_a_serial_number_once_and_issues_it_once(company, drill, back):
    main = company.warehouse
    receive(drill, "SN-1", main)

    assert refusal(lambda: receive(drill, "SN-1", back)) == (
        "Serial number SN-1 of DRILL is already on hand in MAIN/MAIN: a serial number is received once.")
    issue(drill, "SN-1", main)
    assert refusal(lambda: issue(drill, "SN-1", main, on=jan(9))) == (
        "Serial number SN-1 of DRILL has 0 on hand in MAIN/MAIN: 1 cannot be issued from it.")
    receive(drill, "SN-1", back, on=jan(10))  # returned, into another warehouse: on hand once again
    assert list(OnHand.objects.filter(item=drill).order_by("warehouse__code").values_list(
        "warehouse__code", "tracking_number", "physical_qty")) == [("BACK", "SN-1", D("1")), ("MAIN", "SN-1", D("0"))]


def test_it_refuses_the_same_serial_number_twice_in_one_posting(company, drill, back):
    def twice():
        with posting_session() as session:
            for warehouse in (company.warehouse, back):
                session.receive(item=drill, qty=D("1"), unit_cost=D("80.00"), posting_date=jan(5), site=company.site,
                                warehouse=warehouse, source_type=SourceType.PURCHASE, financial=True,
                                tracking_number="SN-7")

    assert refusal(twice) == "Serial number SN-7 of DRILL is already on hand in MAIN/MAIN: a serial number is received once."
    assert not OnHand.objects.filter(item=drill, physical_qty__gt=0).exists()


def test_it_refuses_serial_quantities_other_than_one_and_unknown_serials(company, drill):
    assert refusal(lambda: receive(drill, "SN-2", company.warehouse, qty="2")) == (
        "DRILL is serial-numbered: post one unit per serial number.")
    assert refusal(lambda: issue(drill, "SN-404", company.warehouse)) == (
        "Serial number SN-404 of DRILL has 0 on hand in MAIN/MAIN: 1 cannot be issued from it.")


def test_it_needs_the_number_of_a_tracked_item_and_an_expiry_date_only_on_lots(company, drill, paint):
    bolt = ItemFactory(number="BOLT")
    main = company.warehouse

    assert refusal(lambda: receive(paint, "", main)) == "PAINT is tracked by lot number: enter its lot number."
    assert refusal(lambda: receive(drill, "", main)) == "DRILL is tracked by serial number: enter its serial number."
    assert refusal(lambda: issue(paint, "", main)) == "PAINT is tracked by lot number: enter its lot number."
    assert refusal(lambda: receive(drill, "SN-1", main, expiry_date=date(2027, 1, 1))) == (
        "DRILL is not lot-tracked: it has no expiry date.")
    assert refusal(lambda: receive(bolt, "", main, expiry_date=date(2027, 1, 1))) == (
        "BOLT is not lot-tracked: it has no expiry date.")
    assert refusal(lambda: receive(bolt, "L-1", main)) == (
        "BOLT is not lot- or serial-tracked: leave the lot/serial number empty.")
    lot = receive(paint, "L-1", main, qty="4", unit_cost="5.00", expiry_date=date(2026, 6, 30))
    assert (lot.tracking_number, lot.expiry_date) == ("L-1", date(2026, 6, 30))


def test_it_issues_no_more_of_a_lot_than_is_on_hand_in_it(company, paint):
    main = company.warehouse
    receive(paint, "L-1", main, qty="4", unit_cost="5.00")
    receive(paint, "L-2", main, qty="6", unit_cost="6.00")

    assert refusal(lambda: issue(paint, "L-1", main, qty="5")) == (
        "Lot L-1 of PAINT has 4 on hand in MAIN/MAIN: 5 cannot be issued from it.")
    issue(paint, "L-1", main, qty="4")


def test_it_keeps_lots_in_one_cost_dimension_unless_the_item_makes_them_financial(company, paint):
    main = company.warehouse
    split = ItemFactory(number="VARNISH", tracking=Item.Tracking.LOT, tracking_is_financial=True)
    for item in (paint, split):
        receive(item, "L-1", main, qty="2", unit_cost="5.00")
        receive(item, "L-2", main, qty="2", unit_cost="7.00")

    shared = CostDimension.objects.get(item=paint)
    assert (shared.tracking_number, shared.financial_qty, shared.financial_value) == ("", D("4"), D("24.00"))
    assert running_average(item=paint, dimension=shared) == D("6")
    assert list(CostDimension.objects.filter(item=split).order_by("tracking_number").values_list(
        "tracking_number", "financial_qty", "financial_value")) == [("L-1", D("2"), D("10.00")), ("L-2", D("2"), D("14.00"))]
    # An issue from lot L-2 is costed at the item's average in the site, not at L-2's own 7.00 ...
    assert issue(paint, "L-2", main).cost_amount_posted == D("-6.00")
    # ... unless lots are financial.
    assert issue(split, "L-2", main).cost_amount_posted == D("-7.00")
