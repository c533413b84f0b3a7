"""The warehouse half of "Count, Adjust, and Reclassify Inventory", end to end (docs/domain.md §5.1,
worked example BIN-1): receive into a bin, register what is found and missing in bins (the
adjustment bin takes the counterpart, inventory does not move), Calculate Whse. Adjustment, post,
and bins equal inventory again."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum
from factories import ItemFactory

from common.errors import DomainError
from inventory.models import InventoryTransaction, Journal, OnHand, SourceType
from inventory.services.imports import transactions_import
from inventory.services.posting import posting_session
from ledger.models import Voucher
from warehouse.models import WarehouseEntry
from warehouse.selectors import bin_contents, bins_equal_inventory_problems, bins_vs_inventory
from warehouse.services.adjustment import warehouse_adjustment_calculate, warehouse_adjustment_post
from warehouse.services.bins import default_bin_set
from warehouse.services.journals import (
    WarehouseLineInput,
    warehouse_journal_create,
    warehouse_journal_register,
    warehouse_line_add,
)

D = Decimal
ON = date(2026, 1, 20)


def held(bin, item, tracking_number="") -> Decimal:
    return WarehouseEntry.objects.filter(bin=bin, item=item, tracking_number=tracking_number).aggregate(
        total=Sum("qty"))["total"] or D("0")


def on_hand(item) -> Decimal:
    return OnHand.objects.filter(item=item).aggregate(total=Sum("physical_qty"))["total"] or D("0")


def register(bins, *lines, kind="item"):
    journal = warehouse_journal_create(kind=kind, warehouse=bins.warehouse, on=ON)
    for bin, item, qty, *tracking in lines:
        warehouse_line_add(journal=journal, line=WarehouseLineInput(item=item, bin=bin, qty=D(qty),
                                                                    tracking_number=tracking[0] if tracking else ""))
    return warehouse_journal_register(journal=journal)


def test_it_follows_the_worked_example_from_receipt_to_bins_equal_inventory(bins):
    widget = ItemFactory(number="WIDGET", default_cost_price=D("4.00"))
    default_bin_set(item=widget, bin=bins.a1)
    result = transactions_import(text="ref,date,item,qty,unit_cost,update,bin\nPO-1,2026-01-10,WIDGET,10,5.00,financial,\n")
    assert result.ok, result.errors
    assert held(bins.a1, widget) == D("10")  # the empty bin took the default bin

    vouchers_before = Voucher.objects.count()
    register(bins, (bins.a1, widget, "-2"), (bins.a2, widget, "5"))

    assert (held(bins.a1, widget), held(bins.a2, widget), held(bins.adjustment, widget)) == (D("8"), D("5"), D("-3"))
    assert on_hand(widget) == D("10")  # registering moves no inventory ...
    assert Voucher.objects.count() == vouchers_before  # ... and posts no voucher
    [row] = bins_vs_inventory()
    assert (row.storage, row.inventory, row.adjustment, row.explained) == (D("13"), D("10"), D("-3"), True)
    assert bins_equal_inventory_problems() == []

    journal = warehouse_adjustment_calculate(warehouse=bins.warehouse, on=ON)
    [line] = journal.lines.all()
    assert (line.item, line.qty, line.unit_cost) == (widget, D("3"), D("5.000000"))  # found: in at the running average
    warehouse_adjustment_post(journal=journal)

    journal.refresh_from_db()
    assert journal.status == Journal.Status.POSTED
    [txn] = InventoryTransaction.objects.filter(source_number=journal.number)
    assert (txn.qty, txn.source_type, txn.cost_amount_posted) == (D("3"), SourceType.PROFIT_LOSS, D("15.00"))
    assert on_hand(widget) == D("13")
    assert (held(bins.a1, widget), held(bins.a2, widget), held(bins.adjustment, widget)) == (D("8"), D("5"), D("0"))
    [row] = bins_vs_inventory()
    assert (row.storage, row.inventory, row.difference) == (D("13"), D("13"), D("0"))


def test_it_adjusts_missing_stock_as_a_negative_adjustment_at_the_running_average(bins):
    bolt = ItemFactory(number="BOLT")
    default_bin_set(item=bolt, bin=bins.a1)
    transactions_import(text="ref,date,item,qty,unit_cost,update\nPO-1,2026-01-10,BOLT,4,2.00,financial\n"
                             "PO-2,2026-01-11,BOLT,4,4.00,financial\n")
    register(bins, (bins.a1, bolt, "-2"))

    journal = warehouse_adjustment_calculate(warehouse=bins.warehouse, on=ON)
    [line] = journal.lines.all()
    assert (line.qty, line.unit_cost) == (D("-2"), None)
    warehouse_adjustment_post(journal=journal)
    [txn] = InventoryTransaction.objects.filter(source_number=journal.number)
    assert txn.cost_amount_posted == D("-6.00")  # 2 × the running average 3.00
    assert held(bins.adjustment, bolt) == D("0")
    assert on_hand(bolt) == held(bins.a1, bolt) == D("6")


def test_it_keeps_lots_and_serial_numbers_apart_in_bins(bins):
    paint = ItemFactory(number="PAINT", tracking="lot", default_cost_price=D("3.00"))
    phone = ItemFactory(number="PHONE", tracking="serial", default_cost_price=D("100.00"))
    for item in (paint, phone):
        default_bin_set(item=item, bin=bins.a1)
    with posting_session() as session:
        session.receive(item=paint, qty=D("5"), unit_cost=D("3.00"), posting_date=ON, site=bins.site,
                        warehouse=bins.warehouse, source_type=SourceType.PURCHASE, financial=True, tracking_number="L1")
        session.receive(item=phone, qty=D("1"), unit_cost=D("100.00"), posting_date=ON, site=bins.site,
                        warehouse=bins.warehouse, source_type=SourceType.PURCHASE, financial=True, tracking_number="SN1")
    register(bins, (bins.a2, paint, "2", "L2"), (bins.a1, phone, "-1", "SN1"), (bins.a2, phone, "1", "SN2"))

    contents = {(row.item, row.bin, row.lot, row.serial): row.qty for row in bin_contents(warehouse=bins.warehouse)}
    assert contents == {("PAINT", "A1", "L1", ""): D("5"), ("PAINT", "A2", "L2", ""): D("2"),
                        ("PAINT", "ADJ", "L2", ""): D("-2"), ("PHONE", "A2", "", "SN2"): D("1"),
                        ("PHONE", "ADJ", "", "SN1"): D("1"), ("PHONE", "ADJ", "", "SN2"): D("-1")}

    journal = warehouse_adjustment_calculate(warehouse=bins.warehouse, on=ON)
    lines = {(line.item.number, line.tracking_number): line.qty for line in journal.lines.select_related("item")}
    assert lines == {("PAINT", "L2"): D("2"), ("PHONE", "SN1"): D("-1"), ("PHONE", "SN2"): D("1")}
    warehouse_adjustment_post(journal=journal)
    assert dict(OnHand.objects.filter(physical_qty__gt=0).values_list("tracking_number", "physical_qty")) == {
        "L1": D("5"), "L2": D("2"), "SN2": D("1")}
    assert bins_equal_inventory_problems() == []


def test_a_serial_number_is_in_one_bin_at_most(bins):
    phone = ItemFactory(number="PHONE", tracking="serial")
    register(bins, (bins.a1, phone, "1", "SN1"))
    with pytest.raises(DomainError) as refused:
        register(bins, (bins.a2, phone, "1", "SN1"))
    assert "serial number SN1 of PHONE is already in a bin" in refused.value.errors[0]


def test_a_bin_never_gives_more_than_it_holds(bins):
    widget = ItemFactory(number="WIDGET")
    register(bins, (bins.a1, widget, "3"))
    with pytest.raises(DomainError) as refused:
        register(bins, (bins.a1, widget, "-2"), (bins.a1, widget, "-2"))
    assert refused.value.errors == ["Line 2: bin A1 holds 3 of WIDGET: 2 cannot be taken out of it"]
    assert held(bins.a1, widget) == D("3")


def test_it_refuses_to_post_an_adjustment_calculated_before_the_bin_moved(bins):
    widget = ItemFactory(number="WIDGET", default_cost_price=D("1.00"))
    register(bins, (bins.a1, widget, "2"))
    journal = warehouse_adjustment_calculate(warehouse=bins.warehouse, on=ON)
    register(bins, (bins.a2, widget, "1"))
    with pytest.raises(DomainError, match="has changed since journal"):
        warehouse_adjustment_post(journal=journal)
    assert not InventoryTransaction.objects.exists()


def test_it_says_when_there_is_nothing_to_adjust(bins):
    with pytest.raises(DomainError, match="Nothing to adjust: the adjustment bin of warehouse MAIN/MAIN is empty"):
        warehouse_adjustment_calculate(warehouse=bins.warehouse, on=ON)


def test_the_commands_run_the_whole_sequence(bins, tmp_path):
    widget = ItemFactory(number="WIDGET", default_cost_price=D("2.00"))
    transactions_import(text="ref,date,item,qty,unit_cost,update,bin\nPO-1,2026-01-10,WIDGET,10,2.00,financial,A1\n")
    sheet = tmp_path / "found.csv"
    sheet.write_text("item,warehouse,bin,qty,lot,serial\nWIDGET,MAIN,A1,-2,,\nWIDGET,MAIN,A2,5,,\n")
    call_command("import_warehouse_journal", str(sheet), "--date", "2026-01-20", stdout=io.StringIO())
    out = io.StringIO()
    call_command("calculate_warehouse_adjustment", "--warehouse", "MAIN", "--date", "2026-01-21", "--post", stdout=out)
    assert "line 1: WIDGET 3" in out.getvalue() and "posted" in out.getvalue()
    out = io.StringIO()
    call_command("export_bin_contents", "--warehouse", "MAIN", stdout=out)
    assert out.getvalue() == "item,warehouse,bin,lot,serial,qty\nWIDGET,MAIN/MAIN,A1,,,8\nWIDGET,MAIN/MAIN,A2,,,5\n"
    assert on_hand(widget) == D("13")


def test_a_bad_warehouse_journal_file_registers_nothing_and_names_every_line(bins, tmp_path):
    ItemFactory(number="WIDGET")
    sheet = tmp_path / "found.csv"
    sheet.write_text("item,warehouse,bin,qty,lot,serial\nWIDGET,MAIN,A1,2,,\nNOPE,MAIN,A1,1,,\nWIDGET,MAIN,ZZ,1,,\n"
                     "WIDGET,MAIN,ADJ,1,,\nWIDGET,MAIN,A1,-5,,\n")
    err = io.StringIO()
    with pytest.raises(CommandError, match="problem"):
        call_command("import_warehouse_journal", str(sheet), "--date", "2026-01-20", stdout=io.StringIO(), stderr=err)
    assert err.getvalue().splitlines() == [
        "found.csv: line 3: unknown item 'NOPE'",
        "found.csv: line 4: unknown bin 'ZZ' in warehouse MAIN/MAIN",
        "found.csv: line 5: bin ADJ is the adjustment bin: it changes only as the counterpart of other bins",
    ]
    assert not WarehouseEntry.objects.exists()
    sheet.write_text("item,warehouse,bin,qty,lot,serial\nWIDGET,MAIN,A1,2,,\nWIDGET,MAIN,A1,-5,,\n")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_warehouse_journal", str(sheet), "--date", "2026-01-20", stdout=io.StringIO(), stderr=err)
    assert err.getvalue().splitlines() == ["found.csv: line 3: bin A1 holds 0 of WIDGET: 5 cannot be taken out of it"]
    assert not WarehouseEntry.objects.exists()
