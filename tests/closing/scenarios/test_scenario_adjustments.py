"""docs/domain.md §3.1 and §3.2: Adjustment > On-hand and Adjustment > Transactions, driven through the CSV
contract and the commands, checked receipt by receipt and on the voucher.

The FIFO book (item NUT, all purchases and sales invoiced):

    R1  Jan 2   receipt 10 @ 10.00 = 100.00
    R2  Jan 5   receipt 10 @ 12.00 = 120.00
    R3  Jan 8   receipt  5 @ 14.00 =  70.00
    I1  Jan 10  issue  -12 at the running average 290.00 / 25 = 11.60: -139.20
    close Jan 31: I1 settles 10 of R1 (100.00) and 2 of R2 (24.00): -124.00, adjustment +15.20

What stays open after the close: 8 of R2 (96.00) and 5 of R3 (70.00), 13 pieces worth 166.00.
The inventory account 1400 holds the same 166.00; cost revaluation is 5300, cost of goods sold 5000,
and a purchase is posted against the purchase accrual 2100.
"""

from decimal import Decimal as D

import pytest

from closing.models import ClosingRun, InventoryParameters
from ledger.selectors import unbalanced_vouchers
from tests.closing.nut_book import NUT_FIFO_BOOK, open_value

CLOSE = "2026-01-31"


@pytest.fixture
def closed_fifo(books):
    books.item("NUT", "FIFO")
    books.post(NUT_FIFO_BOOK)
    books.close(CLOSE)
    assert books.costs("NUT") == {"R1": D("100.00"), "R2": D("120.00"), "R3": D("70.00"), "I1": D("-124.00")}
    assert books.open_receipts_value("NUT") == books.on_hand_value("NUT") == books.balance("1400") == D("166.00")
    return books


# -- On-hand ------------------------------------------------------------------------------------

def test_it_spreads_a_new_on_hand_value_over_the_open_receipts_in_proportion_to_their_open_quantities(closed_fifo):
    books = closed_fifo

    books.adjust_on_hand("NUT", "--value", "195.00")

    run = books.last_run()
    assert (run.run_type, run.status, str(run.date)) == ("on_hand_adjustment", "ended", CLOSE)
    # 195.00 x 8/13 = 120.00 for R2, the rest (75.00) for R3; R1 is closed and stays as it was.
    assert (open_value("R2"), open_value("R3")) == (D("120.00"), D("75.00"))
    assert books.adjusted("NUT") == {"R2": D("24.00"), "R3": D("5.00"), "I1": D("15.20")}
    assert books.costs("NUT")["R1"] == D("100.00")
    assert books.voucher_lines(run) == [("1400", D("29.00"), D("0.00"), False), ("5300", D("0.00"), D("29.00"), False)]
    assert str(run.voucher.date) == CLOSE
    assert books.open_receipts_value("NUT") == books.on_hand_value("NUT") == books.balance("1400") == D("195.00")
    assert unbalanced_vouchers() == []


def test_it_values_each_open_receipt_at_a_new_cost_price(closed_fifo):
    books = closed_fifo

    books.adjust_on_hand("NUT", "--unit-cost", "11.50")

    # R2: 8 x 11.50 = 92.00 (-4.00); R3: 5 x 11.50 = 57.50 (-12.50). A decrease: credit inventory.
    assert (open_value("R2"), open_value("R3")) == (D("92.00"), D("57.50"))
    assert books.voucher_lines(books.last_run()) == [("1400", D("0.00"), D("16.50"), False),
                                                     ("5300", D("16.50"), D("0.00"), False)]
    assert books.balance("1400") == books.on_hand_value("NUT") == D("149.50")


def test_it_changes_each_open_receipt_by_a_percentage(closed_fifo):
    books = closed_fifo

    books.adjust_on_hand("NUT", "--percent", "10")

    assert (open_value("R2"), open_value("R3")) == (D("105.60"), D("77.00"))
    assert books.balance("1400") == D("182.60")


def test_it_posts_a_decreasing_on_hand_adjustment_as_storno_when_the_parameter_is_on(closed_fifo):
    books = closed_fifo
    InventoryParameters.objects.filter(pk=1).update(storno_for_adjustments=True)

    books.adjust_on_hand("NUT", "--unit-cost", "11.50")

    # Negative amounts on the side the value stood on: inventory debit -16.50, revaluation credit -16.50.
    assert books.voucher_lines(books.last_run()) == [("1400", D("-16.50"), D("0.00"), True),
                                                     ("5300", D("0.00"), D("-16.50"), True)]
    assert books.balance("1400") == D("149.50")
    assert unbalanced_vouchers() == []


def test_it_posts_the_reversal_of_an_increasing_adjustment_as_storno(closed_fifo):
    books = closed_fifo
    InventoryParameters.objects.filter(pk=1).update(storno_for_adjustments=True)
    books.adjust_on_hand("NUT", "--value", "195.00")

    books.reverse("--adjustment")

    # Taking back an increase decreases inventory: -29.00 on the debit side it was posted on.
    assert books.voucher_lines(books.last_run()) == [("1400", D("-29.00"), D("0.00"), True),
                                                     ("5300", D("0.00"), D("-29.00"), True)]
    assert books.balance("1400") == D("166.00")


def test_it_lets_the_next_close_settle_at_the_adjusted_value(closed_fifo):
    books = closed_fifo
    books.adjust_on_hand("NUT", "--value", "195.00")

    # The running average now carries the new value: 195.00 / 13 = 15.00 a piece.
    books.post("I2,2026-02-10,NUT,-8,,financial")
    assert books.costs("NUT")["I2"] == D("-120.00")
    books.close("2026-02-28")

    assert books.settlements()[-1] == ("I2", "R2", 8, D("120.00"))
    assert books.costs("NUT")["I2"] == D("-120.00")
    assert books.open_receipts_value("NUT") == books.balance("1400") == D("75.00")


def test_it_reverses_the_latest_on_hand_adjustment_to_the_cent(closed_fifo):
    books = closed_fifo
    before = (books.export("NUT"), books.balance("1400"), books.balance("5300"), books.on_hand_value("NUT"))

    books.adjust_on_hand("NUT", "--value", "195.00")
    adjustment = books.last_run()
    books.reverse("--adjustment")

    assert (books.export("NUT"), books.balance("1400"), books.balance("5300"), books.on_hand_value("NUT")) == before
    adjustment.refresh_from_db()
    assert (adjustment.is_cancelled, adjustment.status) == (True, "cancelled")
    reversal = books.last_run()
    assert (reversal.run_type, reversal.reverses_id) == ("reversal", adjustment.pk)
    assert books.voucher_lines(reversal) == [("1400", D("0.00"), D("29.00"), False), ("5300", D("29.00"), D("0.00"), False)]
    # With the adjustment gone the close is the latest run again, and may be reversed.
    books.reverse()
    assert books.balance("1400") == D("150.80")  # 290.00 received - 139.20 issued at the running average


def test_it_refuses_to_reverse_the_close_before_the_adjustment_made_after_it(closed_fifo):
    books = closed_fifo
    books.adjust_on_hand("NUT", "--value", "195.00")
    adjustment = books.last_run()

    message = books.refused("reverse_closing")

    assert message == f"On-hand adjustment {adjustment.number} was made after close {ClosingRun.objects.get(run_type='closing').number}: reverse it first."


def test_it_refuses_an_on_hand_adjustment_before_the_first_close(books):
    books.item("NUT", "FIFO")
    books.post(NUT_FIFO_BOOK)
    before = books.counts()

    message = books.refused("adjust_on_hand", "--item", "NUT", "--value", "100")

    assert message == "An on-hand adjustment is made after a close: close inventory first."
    assert books.counts() == before


def test_it_refuses_a_negative_total_value_and_changes_nothing(closed_fifo):
    books = closed_fifo
    before = (books.counts(), books.export("NUT"))

    message = books.refused("adjust_on_hand", "--item", "NUT", "--value", "-5.00")

    assert message == "Item NUT at site MAIN: the new value -5.00 is negative; inventory cannot be valued below zero."
    assert (books.counts(), books.export("NUT")) == before


def test_it_refuses_an_item_with_no_open_quantity(closed_fifo):
    books = closed_fifo
    books.item("BOLT", "FIFO")
    books.reverse()
    books.post("""
        B1,2026-01-03,BOLT,2,5.00,financial
        B2,2026-01-04,BOLT,-2,,financial
    """)
    books.close(CLOSE)
    before = books.counts()

    message = books.refused("adjust_on_hand", "--item", "BOLT", "--unit-cost", "6")

    assert message == "Item BOLT has no open quantity on 2026-01-31 in this selection: there is nothing to adjust."
    assert books.counts() == before


# -- Transactions -------------------------------------------------------------------------------

ONE_RECEIPT_BOOK = """
    R1,2026-01-02,NUT,10,10.00,financial
    I1,2026-01-05,NUT,-4,,financial
    I2,2026-01-07,NUT,-2,,financial
"""


def test_it_adjusts_a_receipt_and_a_recalculation_and_a_close_carry_the_change_to_its_issues(books):
    books.item("NUT", "FIFO")
    books.post(ONE_RECEIPT_BOOK)
    assert (books.costs("NUT")["I1"], books.costs("NUT")["I2"]) == (D("-40.00"), D("-20.00"))

    # The supplier's invoice was wrong: the receipt cost 120.00, not 100.00.
    books.adjust_transaction("R1", "--value", "120.00", "--date", "2026-01-08")

    run = books.last_run()
    assert (run.run_type, str(run.date)) == ("transaction_adjustment", "2026-01-08")
    assert books.costs("NUT")["R1"] == D("120.00")
    # On the accounts of the original purchase: inventory 1400 against the purchase accrual 2100.
    assert books.voucher_lines(run) == [("1400", D("20.00"), D("0.00"), False), ("2100", D("0.00"), D("20.00"), False)]
    # The issues keep their cost until a recalculation or close gives them the receipt's.
    assert (books.costs("NUT")["I1"], books.costs("NUT")["I2"]) == (D("-40.00"), D("-20.00"))

    books.recalculate("2026-01-31")
    assert (books.costs("NUT")["I1"], books.costs("NUT")["I2"]) == (D("-48.00"), D("-24.00"))
    assert books.settlements() == []

    books.close("2026-01-31")
    assert books.settlements() == [("I1", "R1", 4, D("48.00")), ("I2", "R1", 2, D("24.00"))]
    assert (books.costs("NUT")["I1"], books.costs("NUT")["I2"]) == (D("-48.00"), D("-24.00"))
    assert books.open_receipts_value("NUT") == books.on_hand_value("NUT") == books.balance("1400") == D("48.00")


def test_it_adjusts_a_receipt_at_a_new_cost_price_without_a_voucher_when_the_ledger_is_not_updated(books):
    books.item("NUT", "FIFO")
    books.post(ONE_RECEIPT_BOOK)
    vouchers = books.counts()["vouchers"]

    books.adjust_transaction("R1", "--unit-cost", "9.50", "--date", "2026-01-08", "--no-ledger")

    run = books.last_run()
    assert (run.voucher_id, run.update_ledger) == (None, False)
    assert books.counts()["vouchers"] == vouchers
    assert books.costs("NUT")["R1"] == D("95.00")
    assert books.on_hand_value("NUT") == D("35.00")  # 95.00 - 40.00 - 20.00
    assert books.balance("1400") == D("40.00")  # the ledger was deliberately left alone


def test_it_posts_a_decreasing_transaction_adjustment_as_storno(books):
    books.item("NUT", "FIFO")
    books.post(ONE_RECEIPT_BOOK)
    InventoryParameters.objects.filter(pk=1).update(storno_for_adjustments=True)

    books.adjust_transaction("R1", "--value", "90.00", "--date", "2026-01-08")

    assert books.voucher_lines(books.last_run()) == [("1400", D("-10.00"), D("0.00"), True),
                                                     ("2100", D("0.00"), D("-10.00"), True)]


def test_it_reverses_the_latest_transaction_adjustment_to_the_cent(books):
    books.item("NUT", "FIFO")
    books.post(ONE_RECEIPT_BOOK)
    before = (books.export("NUT"), books.balance("1400"), books.balance("2100"), books.on_hand_value("NUT"))

    books.adjust_transaction("R1", "--value", "120.00", "--date", "2026-01-08")
    books.reverse("--adjustment")

    assert (books.export("NUT"), books.balance("1400"), books.balance("2100"), books.on_hand_value("NUT")) == before


@pytest.mark.parametrize(("ref", "options", "message"), [
    ("R9", ["--value", "1"], "Transaction R9 does not exist."),
    ("I1", ["--value", "1"], "Transaction I1 is an issue: only receipts are adjusted; issues take their receipts' cost "
                             "at the next recalculation or close."),
    ("R1", ["--value", "-1.00"], "Transaction R1: the new value -1.00 is negative; inventory cannot be valued below zero."),
    ("R1", ["--value", "100.00"], "Transaction R1: its value is already 100.00; nothing to adjust."),
])
def test_it_refuses_a_bad_transaction_adjustment_and_changes_nothing(books, ref, options, message):
    books.item("NUT", "FIFO")
    books.post(ONE_RECEIPT_BOOK)
    before = (books.counts(), books.export("NUT"))

    assert books.refused("adjust_transaction", "--ref", ref, "--date", "2026-01-08", *options) == message
    assert (books.counts(), books.export("NUT")) == before


def test_it_refuses_to_adjust_closed_and_settled_receipts_and_dates_in_the_closed_period(closed_fifo):
    books = closed_fifo
    before = (books.counts(), books.export("NUT"))

    assert books.refused("adjust_transaction", "--ref", "R1", "--value", "90", "--date", "2026-02-02") == (
        "Transaction R1 is closed (settled by the close of 2026-01-31): it cannot be adjusted any more.")
    assert books.refused("adjust_transaction", "--ref", "R2", "--value", "90", "--date", "2026-02-02") == (
        "Transaction R2 is already settled for 2 of 10: adjust what is still open with an on-hand adjustment.")
    close = ClosingRun.objects.get(run_type="closing")
    assert books.refused("adjust_transaction", "--ref", "R3", "--value", "90", "--date", "2026-01-31") == (
        f"Posting date 2026-01-31 refused: inventory is closed up to 2026-01-31 ({close.label}); "
        "post the adjustment after 2026-01-31.")
    assert (books.counts(), books.export("NUT")) == before


def test_it_refuses_an_adjustment_while_another_run_is_unfinished(closed_fifo):
    books = closed_fifo
    queued = ClosingRun.objects.create(number="CLS-QUEUED", run_type="recalculation", date="2026-02-28")
    before = books.counts()

    message = books.refused("adjust_on_hand", "--item", "NUT", "--value", "195")

    assert message == f"Another closing or adjustment has not finished yet ({queued}). Wait for it, resume it or reverse it."
    assert books.counts() == before


def test_it_refuses_to_adjust_the_receiving_side_of_a_transfer(books, company):
    from datetime import date

    from inventory.models import Item, Site, Warehouse
    from inventory.services.posting import posting_session

    books.item("NUT", "FIFO")
    books.post("R1,2026-01-02,NUT,10,10.00,financial")
    east = Site.objects.create(code="EAST", name="East")
    dock = Warehouse.objects.create(site=east, code="DOCK", name="Dock")
    with posting_session() as session:
        _, received = session.transfer(item=Item.objects.get(number="NUT"), qty=D("4"), posting_date=date(2026, 1, 3),
                                       site=company.site, warehouse=company.warehouse, to_site=east, to_warehouse=dock,
                                       ref="T1")
    before = (books.counts(), books.export("NUT"))

    message = books.refused("adjust_transaction", "--ref", received.ref, "--value", "60.00", "--date", "2026-01-08")

    assert message == (f"Transaction {received.ref} is the receiving side of a transfer or reclassification: it carries "
                       "its issue's cost, which the close sets; adjust the receipt the goods came from instead.")
    assert (books.counts(), books.export("NUT")) == before


def test_it_refuses_to_reverse_an_adjustment_into_a_closed_fiscal_period(closed_fifo):
    from ledger.models import FiscalPeriod

    books = closed_fifo
    books.adjust_on_hand("NUT", "--value", "195.00")
    FiscalPeriod.objects.filter(name="2026-01").update(status=FiscalPeriod.Status.CLOSED)
    before = (books.counts(), books.export("NUT"))

    message = books.refused("reverse_closing", "--adjustment")

    assert message == "Fiscal period 2026-01 is closed: nothing can be posted on 2026-01-31."
    assert (books.counts(), books.export("NUT")) == before


def test_it_shares_a_new_value_to_the_cent_without_sending_a_receipt_below_zero(books):
    books.item("NUT", "FIFO")
    books.post("""
        R1,2026-01-02,NUT,1,1.00,financial
        R2,2026-01-03,NUT,1,1.00,financial
        R3,2026-01-04,NUT,1,1.00,financial
        R4,2026-01-05,NUT,1,1.00,financial
    """)
    books.close(CLOSE)

    books.adjust_on_hand("NUT", "--value", "0.02")

    # Exact shares of 0.005 each: rounded half up they would be 0.01 x 3 and -0.01 for the last one.
    # Rounded down, the two cents left go to the oldest receipts.
    assert [open_value(ref) for ref in ("R1", "R2", "R3", "R4")] == [D("0.01"), D("0.01"), D("0.00"), D("0.00")]
    assert books.balance("1400") == D("0.02")
    assert books.refused("adjust_on_hand", "--item", "NUT", "--value", "100.005") == (
        "Item NUT at site MAIN: the new value 100.005 has more than 2 decimals.")


def test_it_reverses_an_on_hand_adjustment_to_the_account_it_posted_even_after_the_setup_changed(closed_fifo, company):
    from inventory.models import ItemGroup

    books = closed_fifo
    books.adjust_on_hand("NUT", "--value", "195.00")
    ItemGroup.objects.filter(code="DEFAULT").update(cost_revaluation_account=company.accounts["5100"])

    books.reverse("--adjustment")

    assert books.voucher_lines(books.last_run()) == [("1400", D("0.00"), D("29.00"), False),
                                                     ("5300", D("29.00"), D("0.00"), False)]
    assert (books.balance("5300"), books.balance("5100")) == (D("0.00"), D("0.00"))
