"""Physical inventory journals, read like the books (docs/domain.md §5.3).

The stock room on January 20, 2026, FIFO items in MAIN/MAIN:

    BOLT    3 @ 10.00 + 4 @ 12.50 = 7 units, 80.00 (running average 11.428571...)
    NUT    10 @ 2.35              = 10 units, 23.50
    WASHER  5 @ 1.00              = 5 units, 5.00

Counted: 5 bolts (2 missing), 12 nuts (2 found), 5 washers (as expected). Accounts: 1400 inventory,
5100 inventory profit, 5110 inventory loss. Voucher lines are (account, debit, credit).
"""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from factories import ItemFactory, WarehouseFactory

from closing.models import ClosingRun
from common.errors import DomainError
from inventory.models import CountingHistory, InventoryTransaction, Item, Journal, JournalLine, OnHand, SourceType
from inventory.services.counting import (
    Selection,
    count_sheet_csv,
    counting_calculate,
    counting_counts_set,
    counting_import_csv,
    counting_journal_create,
)
from inventory.services.journals import LineInput, journal_line_add, journal_post, journal_validate
from inventory.services.posting import posting_session
from ledger.models import FiscalPeriod, Voucher, VoucherLine

D = Decimal
COUNT_DAY = date(2026, 1, 20)


def jan(day: int) -> date:
    return date(2026, 1, day)


def receive(item, qty, unit_cost, on, warehouse, tracking_number="", expiry_date=None):
    with posting_session() as session:
        return session.receive(item=item, qty=D(qty), unit_cost=D(unit_cost), posting_date=on, site=warehouse.site,
                               warehouse=warehouse, source_type=SourceType.PURCHASE, financial=True,
                               tracking_number=tracking_number, expiry_date=expiry_date)


def sell(item, qty, on, warehouse, tracking_number=""):
    with posting_session() as session:
        return session.issue(item=item, qty=D(qty), posting_date=on, site=warehouse.site, warehouse=warehouse,
                             source_type=SourceType.SALE, financial=True, tracking_number=tracking_number)


def entries(voucher: Voucher) -> list[tuple[str, Decimal, Decimal]]:
    return [(line.account.number, line.debit, line.credit)
            for line in voucher.lines.select_related("account").order_by("account__number")]


def lines_of(journal: Journal) -> list[tuple]:
    return [(line.line_number, line.item.number, str(line.warehouse), line.tracking_number, line.expected_qty,
             line.counted_qty, line.qty) for line in journal.lines.select_related("item", "warehouse__site")]


def on_hand(item) -> tuple[Decimal, Decimal]:
    row = OnHand.objects.get(item=item, tracking_number="")
    return row.physical_qty, row.financial_value


def books() -> tuple:
    return (InventoryTransaction.objects.count(), Voucher.objects.count(), VoucherLine.objects.count(),
            CountingHistory.objects.count())


@pytest.fixture
def stock_room(company):
    main = company.warehouse
    bolt = ItemFactory(number="BOLT", model_group="FIFO")
    nut = ItemFactory(number="NUT", model_group="FIFO")
    washer = ItemFactory(number="WASHER", model_group="FIFO")
    receive(bolt, "3", "10.00", jan(5), main)
    receive(bolt, "4", "12.50", jan(5), main)
    receive(nut, "10", "2.35", jan(6), main)
    receive(washer, "5", "1.00", jan(6), main)
    return {"BOLT": bolt, "NUT": nut, "WASHER": washer, "main": main}


def calculated(**selection) -> Journal:
    journal = counting_journal_create(description="Year-end count")
    counting_calculate(journal=journal, selection=Selection(date=COUNT_DAY, **selection))
    journal.refresh_from_db()
    return journal


# -- calculate --------------------------------------------------------------------------------


def test_it_calculates_the_expected_quantity_as_of_the_date_and_starts_the_count_there(stock_room):
    sell(stock_room["NUT"], "1", jan(25), stock_room["main"])  # after the count date: not expected

    journal = calculated()

    assert lines_of(journal) == [
        (1, "BOLT", "MAIN/MAIN", "", D("7"), D("7"), D("0")),
        (2, "NUT", "MAIN/MAIN", "", D("10"), D("10"), D("0")),
        (3, "WASHER", "MAIN/MAIN", "", D("5"), D("5"), D("0")),
    ]
    assert journal.selection["date"] == "2026-01-20"
    assert journal.calculated_at is not None
    assert set(journal.lines.values_list("date", flat=True)) == {COUNT_DAY}


def test_it_calculates_a_selection_and_items_with_zero_on_hand_only_when_asked(stock_room, company):
    back = WarehouseFactory(site=company.site, code="BACK")
    ItemFactory(number="SPRING", model_group="FIFO")
    receive(stock_room["BOLT"], "2", "11.00", jan(7), back)

    only_back = calculated(warehouse="BACK")
    with_zero = calculated(site="MAIN", warehouse="BACK", include_zero=True)
    bolts = calculated(items=("BOLT",))

    assert lines_of(only_back) == [(1, "BOLT", "MAIN/BACK", "", D("2"), D("2"), D("0"))]
    assert [(line[1], line[2], line[4]) for line in lines_of(with_zero)] == [
        ("BOLT", "MAIN/BACK", D("2")), ("NUT", "MAIN/BACK", D("0")), ("SPRING", "MAIN/BACK", D("0")),
        ("WASHER", "MAIN/BACK", D("0"))]
    assert [(line[1], line[2], line[4]) for line in lines_of(bolts)] == [
        ("BOLT", "MAIN/BACK", D("2")), ("BOLT", "MAIN/MAIN", D("7"))]


def test_it_calculates_lots_and_serial_numbers_one_line_each(company):
    main = company.warehouse
    paint = ItemFactory(number="PAINT", tracking=Item.Tracking.LOT)
    drill = ItemFactory(number="DRILL", tracking=Item.Tracking.SERIAL)
    receive(paint, "4", "5.00", jan(3), main, "L-1", date(2026, 6, 30))
    receive(paint, "6", "5.50", jan(4), main, "L-2", date(2026, 9, 30))
    receive(drill, "1", "80.00", jan(4), main, "SN-1")
    receive(drill, "1", "80.00", jan(4), main, "SN-2")
    sell(drill, "1", jan(8), main, "SN-1")

    journal = calculated()
    lot_two = calculated(tracking_number="L-2")

    assert [(line[1], line[3], line[4]) for line in lines_of(journal)] == [
        ("DRILL", "SN-2", D("1")), ("PAINT", "L-1", D("4")), ("PAINT", "L-2", D("6"))]
    assert [(line[1], line[3], line[4]) for line in lines_of(lot_two)] == [("PAINT", "L-2", D("6"))]


# -- post -------------------------------------------------------------------------------------


def test_it_posts_the_differences_both_ways_at_the_running_average_to_profit_and_loss(stock_room, carl_clerk):
    journal = calculated()
    counting_counts_set(journal=journal, counts={1: D("5"), 2: D("12")}, user=carl_clerk)

    journal_post(journal=journal, user=carl_clerk)

    missing = InventoryTransaction.objects.get(ref=f"{journal.number}-1")
    found = InventoryTransaction.objects.get(ref=f"{journal.number}-2")
    assert (missing.item.number, missing.qty, missing.cost_amount_posted, missing.source_type) == (
        "BOLT", D("-2"), D("-22.86"), SourceType.COUNTING)  # 2 x 80.00/7 = 22.857 -> 22.86
    assert (found.item.number, found.qty, found.cost_amount_posted) == ("NUT", D("2"), D("4.70"))  # 2 x 2.35
    assert not InventoryTransaction.objects.filter(ref=f"{journal.number}-3").exists()  # washers agree
    assert entries(Voucher.objects.filter(lines__inventory_transaction=missing).distinct().get()) == [
        ("1400", D("0.00"), D("22.86")), ("5110", D("22.86"), D("0.00"))]
    assert entries(Voucher.objects.filter(lines__inventory_transaction=found).distinct().get()) == [
        ("1400", D("4.70"), D("0.00")), ("5100", D("0.00"), D("4.70"))]
    assert on_hand(stock_room["BOLT"]) == (D("5"), D("57.14"))
    assert on_hand(stock_room["NUT"]) == (D("12"), D("28.20"))
    assert on_hand(stock_room["WASHER"]) == (D("5"), D("5.00"))
    journal.refresh_from_db()
    assert (journal.status, journal.posted_by) == (Journal.Status.POSTED, carl_clerk)


def test_it_records_the_counting_history_of_every_line_even_without_a_difference(stock_room, carl_clerk):
    journal = calculated()
    counting_counts_set(journal=journal, counts={1: D("5")}, user=carl_clerk)

    journal_post(journal=journal, user=carl_clerk)

    history = CountingHistory.objects.order_by("item__number")
    assert [(row.item.number, row.date, row.expected_qty, row.counted_qty, row.difference, row.counted_by)
            for row in history] == [
        ("BOLT", COUNT_DAY, D("7"), D("5"), D("-2"), carl_clerk),
        ("NUT", COUNT_DAY, D("10"), D("10"), D("0"), carl_clerk),
        ("WASHER", COUNT_DAY, D("5"), D("5"), D("0"), carl_clerk),
    ]
    washer = Item.objects.get(number="WASHER")
    assert (washer.last_counted_date, washer.last_counted_by, washer.next_counting_date) == (COUNT_DAY, carl_clerk, None)


def test_it_posts_nothing_but_the_history_when_every_count_agrees(stock_room):
    journal = calculated()
    transactions, vouchers, voucher_lines, _ = books()

    journal_post(journal=journal)

    assert books() == (transactions, vouchers, voucher_lines, 3)
    journal.refresh_from_db()
    assert (journal.status, journal.voucher) == (Journal.Status.POSTED, None)


def test_it_values_found_stock_of_an_empty_place_at_the_running_average(stock_room, company):
    back = WarehouseFactory(site=company.site, code="BACK")
    journal = calculated(items=("BOLT",))
    journal_line_add(journal=journal, line=LineInput(date=COUNT_DAY, item=stock_room["BOLT"], qty=D("0"),
                                                     site=company.site, warehouse=back, counted_qty=D("1")))

    journal_post(journal=journal)

    found = InventoryTransaction.objects.get(ref=f"{journal.number}-2")
    assert (found.warehouse.code, found.qty, found.cost_amount_posted) == ("BACK", D("1"), D("11.43"))  # 80.00/7


# -- stale counts -------------------------------------------------------------------------------


def test_it_refuses_to_post_a_count_whose_expected_quantity_moved_and_lists_the_lines(stock_room):
    journal = calculated()
    counting_counts_set(journal=journal, counts={1: D("5"), 2: D("12")})
    sell(stock_room["BOLT"], "1", COUNT_DAY, stock_room["main"])  # posted after the calculation
    sell(stock_room["NUT"], "3", jan(10), stock_room["main"])  # backdated
    before = books()

    with pytest.raises(DomainError) as refused:
        journal_post(journal=journal)

    assert refused.value.message == (f"Journal {journal.number} was not posted: on-hand quantities moved since it "
                                     "was calculated.")
    assert refused.value.errors == [
        "Line 1: the quantity of BOLT in MAIN/MAIN on 2026-01-20 moved from 7 to 6 since the calculation: "
        "calculate inventory again and count this line again",
        "Line 2: the quantity of NUT in MAIN/MAIN on 2026-01-20 moved from 10 to 7 since the calculation: "
        "calculate inventory again and count this line again",
    ]
    assert books() == before
    journal.refresh_from_db()
    assert journal.status == Journal.Status.DRAFT


def test_it_posts_a_count_when_only_later_dated_stock_moved_or_after_calculating_again(stock_room):
    journal = calculated()
    sell(stock_room["BOLT"], "1", jan(21), stock_room["main"])  # the day after the count: not stale

    journal_post(journal=journal)

    stale = calculated()
    sell(stock_room["NUT"], "1", COUNT_DAY, stock_room["main"])
    with pytest.raises(DomainError):
        journal_post(journal=stale)
    counting_calculate(journal=stale, selection=Selection(date=COUNT_DAY))
    journal_post(journal=stale)
    assert stale.lines.get(item__number="NUT").expected_qty == D("9")


# -- counting by CSV ----------------------------------------------------------------------------


def test_it_prints_the_count_sheet_as_csv_with_or_without_the_expected_quantities(stock_room):
    journal = calculated()

    assert count_sheet_csv(journal=journal).splitlines() == [
        "line,item,name,site,warehouse,tracking_number,expiry_date,unit,expected_qty,counted_qty",
        "1,BOLT,Item BOLT,MAIN,MAIN,,,pcs,7,",
        "2,NUT,Item NUT,MAIN,MAIN,,,pcs,10,",
        "3,WASHER,Item WASHER,MAIN,MAIN,,,pcs,5,",
    ]
    assert count_sheet_csv(journal=journal, show_expected=False).splitlines()[1] == "1,BOLT,Item BOLT,MAIN,MAIN,,,pcs,,"


def test_it_imports_counted_quantities_by_the_sheets_line_numbers(stock_room):
    journal = calculated()
    sheet = count_sheet_csv(journal=journal, show_expected=False).splitlines()
    filled = "\n".join([sheet[0], sheet[1] + "4.5", sheet[2], sheet[3] + "6"]) + "\n"

    result = counting_import_csv(journal=journal, text=filled)

    assert (result.ok, result.posted) == (True, 2)
    assert [(line[0], line[5], line[6]) for line in lines_of(journal)] == [
        (1, D("4.5"), D("-2.5")), (2, D("10"), D("0")), (3, D("6"), D("1"))]


def test_it_refuses_a_counts_file_with_any_bad_row_and_changes_nothing(stock_room):
    journal = calculated()
    text = ("line,item,counted_qty\n"
            "1,BOLT,-1\n"
            "2,WASHER,3\n"
            "9,BOLT,1\n"
            "x,BOLT,1\n"
            "3,WASHER,abc\n"
            "3,WASHER,4\n")

    result = counting_import_csv(journal=journal, text=text)

    assert result.errors == [
        (2, "a counted quantity cannot be below zero"),
        (3, "item 'WASHER' does not match line 2 ('NUT')"),
        (4, f"journal {journal.number} has no line 9"),
        (5, "line must be the sheet's line number, not 'x'"),
        (6, "bad number 'abc' in counted_qty"),
        (7, "line 3 is already counted on row 6"),
    ]
    assert [line[5] for line in lines_of(journal)] == [D("7"), D("10"), D("5")]


# -- bad input ----------------------------------------------------------------------------------


def test_it_refuses_a_counted_quantity_below_zero_and_the_database_does_too(stock_room):
    journal = calculated()

    with pytest.raises(DomainError) as refused:
        counting_counts_set(journal=journal, counts={1: D("3"), 2: D("-1")})

    assert refused.value.errors == ["Line 2: a counted quantity cannot be below zero"]
    assert [line[5] for line in lines_of(journal)] == [D("7"), D("10"), D("5")]  # line 1 not saved either
    with pytest.raises(IntegrityError), transaction.atomic():
        JournalLine.objects.filter(journal=journal, line_number=2).update(counted_qty=D("-1"))


def test_it_refuses_a_serial_number_counted_twice(company):
    back = WarehouseFactory(site=company.site, code="BACK")
    drill = ItemFactory(number="DRILL", tracking=Item.Tracking.SERIAL)
    receive(drill, "1", "80.00", jan(4), company.warehouse, "SN-1")
    journal = calculated()
    journal_line_add(journal=journal, line=LineInput(date=COUNT_DAY, item=drill, qty=D("0"), site=company.site,
                                                     warehouse=back, tracking_number="SN-1", counted_qty=D("1")))

    assert journal_validate(journal=journal) == ["Line 2: serial number SN-1 of DRILL is counted twice (also on line 1)"]
    with pytest.raises(DomainError):
        journal_post(journal=journal)
    with pytest.raises(DomainError) as refused:
        counting_counts_set(journal=journal, counts={1: D("2")})
    assert refused.value.errors == ["Line 1: DRILL is serial-numbered: a serial number is counted as 0 or 1"]


def test_it_refuses_lines_that_do_not_belong_in_the_count(stock_room, company):
    journal = calculated(items=("BOLT", "NUT"))

    def refused(**line) -> list[str]:
        data = {"date": COUNT_DAY, "item": stock_room["BOLT"], "qty": D("0"), "site": company.site,
                "warehouse": company.warehouse, "counted_qty": D("1"), **line}
        with pytest.raises(DomainError) as error:
            journal_line_add(journal=journal, line=LineInput(**data))
        return error.value.errors

    assert refused(item=stock_room["WASHER"]) == [
        "outside the journal's selection: WASHER is not among the journal's items (BOLT, NUT)"]
    assert refused(item=stock_room["NUT"], tracking_number="", expiry_date=date(2026, 12, 31)) == [
        "NUT is not lot-tracked: it has no expiry date"]
    assert refused(counted_qty=D("-2")) == ["a counted quantity cannot be below zero"]
    assert refused(item=stock_room["NUT"], tracking_number="L-9") == [
        "NUT is not lot- or serial-tracked: leave the lot/serial number empty"]
    assert journal.lines.count() == 2


def test_it_refuses_a_count_dated_in_a_closed_period_or_on_a_closed_inventory_date(stock_room):
    journal = calculated()
    FiscalPeriod.objects.filter(name="2026-01").update(status=FiscalPeriod.Status.CLOSED)

    assert journal_validate(journal=journal) == [
        f"Line {n}: Fiscal period 2026-01 is closed: nothing can be posted on 2026-01-20." for n in (1, 2, 3)]
    with pytest.raises(DomainError):
        journal_post(journal=journal)

    FiscalPeriod.objects.filter(name="2026-01").update(status=FiscalPeriod.Status.OPEN)
    ClosingRun.objects.create(number="CLS-1", run_type=ClosingRun.RunType.CLOSING, date=jan(31),
                              status=ClosingRun.Status.ENDED)
    assert journal_validate(journal=journal)[0] == (
        "Line 1: Inventory is closed up to 2026-01-31: nothing can be posted on 2026-01-20. "
        "Post on a later date or reverse the close.")
    before = books()
    with pytest.raises(DomainError) as refused:
        journal_post(journal=journal)
    assert len(refused.value.errors) == 3
    assert books() == before
