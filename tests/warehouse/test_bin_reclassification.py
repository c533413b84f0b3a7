"""Bin moves and warehouse reclassification, Modify bin content and Change default bins
(docs/domain.md §5.1). A move between bins touches neither inventory nor value; a new lot or serial
number at bin level leaves its counterpart in the adjustment bin, so that Calculate Whse. Adjustment
relabels inventory as well."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from factories import ItemFactory

from common.errors import DomainError
from inventory.models import InventoryTransaction, OnHand, SourceType
from inventory.services.posting import posting_session
from ledger.models import Voucher
from reports.checks import books_check
from warehouse.models import BinContent, WarehouseEntry
from warehouse.selectors import bin_contents, bins_equal_inventory_problems
from warehouse.services.adjustment import warehouse_adjustment_calculate, warehouse_adjustment_post
from warehouse.services.bins import bin_content_modify, default_bin_set
from warehouse.services.journals import (
    WarehouseLineInput,
    warehouse_journal_create,
    warehouse_journal_register,
    warehouse_line_add,
)

D = Decimal
ON = date(2026, 1, 20)


def receive(bins, item, qty, unit_cost, tracking_number=""):
    with posting_session() as session:
        session.receive(item=item, qty=D(qty), unit_cost=D(unit_cost), posting_date=date(2026, 1, 10), site=bins.site,
                        warehouse=bins.warehouse, source_type=SourceType.PURCHASE, financial=True,
                        tracking_number=tracking_number)


def reclassify(bins, *lines):
    """Lines of (bin, item, qty, lot/serial, new bin, new lot/serial), registered in one journal."""
    journal = warehouse_journal_create(kind="reclassification", warehouse=bins.warehouse, on=ON)
    for bin, item, qty, number, to_bin, to_number in lines:
        warehouse_line_add(journal=journal, line=WarehouseLineInput(
            item=item, bin=bin, qty=D(qty), tracking_number=number, to_bin=to_bin, to_tracking_number=to_number))
    return warehouse_journal_register(journal=journal)


def contents(bins) -> dict[tuple[str, str, str], Decimal]:
    return {(row.item, row.bin, row.tracking_number): row.qty for row in bin_contents(warehouse=bins.warehouse)}


def on_hand_by_number(item) -> dict[str, Decimal]:
    return dict(OnHand.objects.filter(item=item).exclude(physical_qty=0).values_list("tracking_number", "physical_qty"))


def test_it_moves_stock_between_bins_without_touching_inventory(bins):
    widget = ItemFactory(number="WIDGET")
    default_bin_set(item=widget, bin=bins.a1)
    receive(bins, widget, "10", "4.00")
    transactions, vouchers = InventoryTransaction.objects.count(), Voucher.objects.count()

    journal = reclassify(bins, (bins.a1, widget, "3", "", bins.a2, ""))

    assert journal.is_registered
    assert contents(bins) == {("WIDGET", "A1", ""): D("7"), ("WIDGET", "A2", ""): D("3")}  # the adjustment bin untouched
    assert InventoryTransaction.objects.count() == transactions and Voucher.objects.count() == vouchers
    assert on_hand_by_number(widget) == {"": D("10")}
    assert bins_equal_inventory_problems() == []
    with pytest.raises(DomainError, match="Nothing to adjust"):
        warehouse_adjustment_calculate(warehouse=bins.warehouse, on=ON)


def test_it_refuses_to_move_more_than_the_bin_holds_and_registers_nothing(bins):
    widget = ItemFactory(number="WIDGET")
    default_bin_set(item=widget, bin=bins.a1)
    receive(bins, widget, "10", "4.00")

    with pytest.raises(DomainError) as refused:
        reclassify(bins, (bins.a1, widget, "6", "", bins.a2, ""), (bins.a1, widget, "6", "", bins.a2, ""))

    assert refused.value.errors == ["Line 2: bin A1 holds 10 of WIDGET: 6 cannot be taken out of it"]
    assert contents(bins) == {("WIDGET", "A1", ""): D("10")}


@pytest.mark.parametrize(("to_bin", "to_number", "qty", "problem"), [
    ("adjustment", "", "1", "bin ADJ is the adjustment bin: move to a storage bin"),
    ("a1", "", "1", "the line changes neither the bin nor the lot/serial number"),
    ("a2", "", "-1", "a reclassification moves a quantity greater than zero"),
    (None, "", "1", "a reclassification line needs a new bin"),
])
def test_it_refuses_a_reclassification_line_that_makes_no_sense(bins, to_bin, to_number, qty, problem):
    widget = ItemFactory(number="WIDGET")
    journal = warehouse_journal_create(kind="reclassification", warehouse=bins.warehouse, on=ON)

    with pytest.raises(DomainError) as refused:
        warehouse_line_add(journal=journal, line=WarehouseLineInput(
            item=widget, bin=bins.a1, qty=D(qty), to_bin=getattr(bins, to_bin) if to_bin else None,
            to_tracking_number=to_number))

    assert problem in refused.value.errors
    assert not journal.lines.exists()


def test_it_relabels_a_lot_in_a_bin_and_calculate_whse_adjustment_relabels_inventory(bins):
    paint = ItemFactory(number="PAINT", tracking="lot", default_cost_price=D("3.00"))
    default_bin_set(item=paint, bin=bins.a1)
    receive(bins, paint, "5", "3.00", "L-1")

    # 2 of lot L-1 on shelf A1 turn out to be lot L-2, and go to A2.
    reclassify(bins, (bins.a1, paint, "2", "L-1", bins.a2, "L-2"))

    assert contents(bins) == {("PAINT", "A1", "L-1"): D("3"), ("PAINT", "A2", "L-2"): D("2"),
                              ("PAINT", "ADJ", "L-1"): D("2"), ("PAINT", "ADJ", "L-2"): D("-2")}
    assert on_hand_by_number(paint) == {"L-1": D("5")}  # inventory has not seen it yet
    assert bins_equal_inventory_problems() == []  # per item, bins and inventory still agree

    journal = warehouse_adjustment_calculate(warehouse=bins.warehouse, on=ON)
    lines = {line.tracking_number: (line.qty, line.unit_cost) for line in journal.lines.all()}
    assert lines == {"L-1": (D("-2"), None), "L-2": (D("2"), D("3.000000"))}
    warehouse_adjustment_post(journal=journal)

    assert on_hand_by_number(paint) == {"L-1": D("3"), "L-2": D("2")}
    assert contents(bins) == {("PAINT", "A1", "L-1"): D("3"), ("PAINT", "A2", "L-2"): D("2")}
    value = OnHand.objects.filter(item=paint).aggregate(total=Sum("financial_value"))["total"]
    assert value == D("15.00")  # relabelling moves no value: 5 × 3.00
    assert books_check().ok


def test_it_relabels_a_serial_number_in_a_bin(bins):
    phone = ItemFactory(number="PHONE", tracking="serial", default_cost_price=D("100.00"))
    default_bin_set(item=phone, bin=bins.a1)
    receive(bins, phone, "1", "100.00", "SN-1")

    reclassify(bins, (bins.a1, phone, "1", "SN-1", bins.a1, "SN-7"))  # the label was misread

    assert contents(bins) == {("PHONE", "A1", "SN-7"): D("1"), ("PHONE", "ADJ", "SN-1"): D("1"),
                              ("PHONE", "ADJ", "SN-7"): D("-1")}
    warehouse_adjustment_post(journal=warehouse_adjustment_calculate(warehouse=bins.warehouse, on=ON))
    assert on_hand_by_number(phone) == {"SN-7": D("1")}
    assert contents(bins) == {("PHONE", "A1", "SN-7"): D("1")}


def test_a_new_serial_number_must_not_be_in_a_bin_already(bins):
    phone = ItemFactory(number="PHONE", tracking="serial")
    default_bin_set(item=phone, bin=bins.a1)
    receive(bins, phone, "1", "100.00", "SN-1")
    receive(bins, phone, "1", "100.00", "SN-2")

    with pytest.raises(DomainError) as refused:
        reclassify(bins, (bins.a1, phone, "1", "SN-1", bins.a2, "SN-2"))

    assert refused.value.errors == [
        "Line 1: serial number SN-2 of PHONE is already in a bin of this warehouse: a serial number is one unit"]
    assert not WarehouseEntry.objects.filter(source_type="reclassification").exists()
    # Two serial numbers swapped in one journal are fine: each leaves its number as the other arrives.
    reclassify(bins, (bins.a1, phone, "1", "SN-1", bins.a1, "SN-3"), (bins.a1, phone, "1", "SN-2", bins.a1, "SN-1"))
    assert {key: qty for key, qty in contents(bins).items() if key[1] == "A1"} == {
        ("PHONE", "A1", "SN-1"): D("1"), ("PHONE", "A1", "SN-3"): D("1")}


# -- Modify bin content and Change default bins -------------------------------------------------------


def test_it_modifies_bin_content_fixed_and_min_max(bins):
    widget = ItemFactory(number="WIDGET")

    content = bin_content_modify(item=widget, bin=bins.a2, fixed=True, min_qty=D("2"), max_qty=D("20"))

    content.refresh_from_db()
    assert (content.fixed, content.min_qty, content.max_qty, content.is_default) == (True, D("2"), D("20"), False)
    bin_content_modify(item=widget, bin=bins.a2, fixed=False, min_qty=None, max_qty=None)
    content.refresh_from_db()
    assert (content.fixed, content.min_qty, content.max_qty) == (False, None, None)
    assert BinContent.objects.filter(item=widget).count() == 1


@pytest.mark.parametrize(("min_qty", "max_qty", "message"), [
    ("-1", None, "The minimum quantity cannot be negative."),
    ("5", "4", "The maximum quantity (4) is below the minimum (5)."),
])
def test_it_refuses_a_minimum_and_maximum_that_make_no_sense(bins, min_qty, max_qty, message):
    widget = ItemFactory(number="WIDGET")

    with pytest.raises(DomainError, match=message.replace("(", r"\(").replace(")", r"\)")):
        bin_content_modify(item=widget, bin=bins.a1, fixed=False, min_qty=D(min_qty),
                           max_qty=D(max_qty) if max_qty else None)

    assert not BinContent.objects.filter(item=widget).exists()


def test_the_database_refuses_a_maximum_below_the_minimum_too(bins):
    content = bin_content_modify(item=ItemFactory(number="WIDGET"), bin=bins.a1, fixed=False, min_qty=D("5"),
                                 max_qty=D("9"))

    with pytest.raises(IntegrityError), transaction.atomic():
        BinContent.objects.filter(pk=content.pk).update(max_qty=D("4"))


def test_a_clerk_modifies_bin_content_on_the_page_and_reads_the_refusal(carl_client, bins):
    ItemFactory(number="WIDGET")
    page = reverse("warehouse:bin_content_change")

    refused = carl_client.post(page, {"item": "WIDGET", "bin": bins.a1.pk, "min_qty": "5", "max_qty": "1"}, follow=True)
    assert "The maximum quantity (1) is below the minimum (5)." in refused.content.decode()
    assert not BinContent.objects.exists()

    done = carl_client.post(page, {"item": "WIDGET", "bin": bins.a1.pk, "fixed": "on", "min_qty": "1",
                                   "max_qty": "5"}, follow=True)
    assert "Bin content of WIDGET in" in done.content.decode()
    assert BinContent.objects.values_list("fixed", "min_qty", "max_qty").get() == (True, D("1"), D("5"))

    unknown = carl_client.post(page, {"item": "NOPE", "bin": bins.a1.pk}, follow=True)
    assert "Item: There is no item NOPE." in unknown.content.decode()


def test_a_new_default_bin_takes_the_next_receipts(bins):
    widget = ItemFactory(number="WIDGET")
    default_bin_set(item=widget, bin=bins.a1)
    receive(bins, widget, "4", "2.00")

    default_bin_set(item=widget, bin=bins.a2)
    receive(bins, widget, "6", "2.00")

    assert contents(bins) == {("WIDGET", "A1", ""): D("4"), ("WIDGET", "A2", ""): D("6")}
    assert list(BinContent.objects.filter(item=widget, is_default=True).values_list("bin__code", flat=True)) == ["A2"]
    with pytest.raises(DomainError, match="Bin ADJ is the adjustment bin: an item's default bin is a storage bin."):
        default_bin_set(item=widget, bin=bins.adjustment)
