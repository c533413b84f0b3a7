"""Issues the close cannot settle (docs/domain.md §1.3 OPENQTY-1 and §2.3): they stay value-open, keep their
cost for what could not be settled, and the close log names the item and the transaction."""

from decimal import Decimal as D

from inventory.models import InventoryTransaction

CLOSE = "2026-01-31"


def test_it_logs_an_issue_whose_receipt_is_not_invoiced_yet_openqty_1(books):
    # OPENQTY-1: physical receipt 10 (vendor invoice missing); financial issue 3.
    books.item("WIDGET", "FIFO", unit_cost="4.00")
    books.post("""
        R1,2026-01-05,WIDGET,10,5.00,physical,,,
        S1,2026-01-06,WIDGET,-3,,financial,,,
    """)
    assert books.costs("WIDGET")["S1"] == D("-12.00")  # no financial receipt: the item's cost price

    out = books.close(CLOSE)

    run = books.last_run()
    message = "Item WIDGET, transaction S1: Issue could not be fully settled: 3 of 3 units open; its cost price may be wrong."
    assert books.log(run) == [("WIDGET", "S1", message)]
    assert f"warning: {message}" in out
    assert (run.status, run.warnings_count, run.has_log) == ("ended", 1, True)
    assert books.settlements() == []
    assert books.adjusted("WIDGET") == {}
    rows = books.export("WIDGET")
    assert rows["S1"].value_open and rows["S1"].cost_amount == D("-12.00")
    assert InventoryTransaction.objects.get(ref="S1").qty_settled == 0


def test_it_settles_what_it_can_of_an_issue_beyond_the_receipts_and_logs_the_rest(books):
    # 5 sold when 2 were on hand (at 10.00 each); a third unit arrives later at 16.00.
    books.item("WIDGET", "FIFO")
    books.post("""
        R1,2026-01-02,WIDGET,2,10.00,financial,,,
        S1,2026-01-03,WIDGET,-5,,financial,,,
        R2,2026-01-04,WIDGET,1,16.00,financial,,,
    """)
    assert books.costs("WIDGET")["S1"] == D("-50.00")

    books.close(CLOSE)

    assert books.settlements() == [("S1", "R1", 2, D("20.00")), ("S1", "R2", 1, D("16.00"))]
    # The 3 settled units go from 30.00 to 36.00; the 2 unsettled keep their 20.00.
    assert books.adjusted("WIDGET") == {"S1": D("-6.00")}
    assert books.costs("WIDGET")["S1"] == D("-56.00")
    s1 = InventoryTransaction.objects.get(ref="S1")
    assert (s1.value_open, s1.qty_settled, s1.cost_amount_settled) == (True, D("-3"), D("-36.00"))
    assert books.log() == [("WIDGET", "S1", "Item WIDGET, transaction S1: Issue could not be fully settled: "
                                            "2 of 5 units open; its cost price may be wrong.")]
    # Negative on hand: 2 units, valued at what the open issue still carries.
    assert books.on_hand_value("WIDGET") == books.balance("1400") == D("-20.00")

