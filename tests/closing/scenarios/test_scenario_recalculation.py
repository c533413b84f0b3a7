"""Recalculation before the close (docs/domain.md §2.5): adjustments only, no settlements, and the close that
follows ends where the close alone would have ended."""

from decimal import Decimal as D

from inventory.models import InventoryTransaction

CLOSE = "2026-01-31"


def test_it_closes_a_recalculated_issue_beyond_the_receipts_as_the_close_alone_would(books):
    # 5 sold when 2 were on hand at 10.00; a third unit arrives later at 16.00. Whether recalculated
    # or not, the close settles 3 units (36.00 instead of 30.00) and leaves the 2 others at their
    # 20.00: a recalculation settles nothing, so the close must not spread the recalculation's
    # correction of the 3 matched units over the 2 others.
    books.item("WIDGET", "FIFO")
    books.post("""
        R1,2026-01-02,WIDGET,2,10.00,financial,,,
        S1,2026-01-03,WIDGET,-5,,financial,,,
        R2,2026-01-04,WIDGET,1,16.00,financial,,,
    """)

    books.recalculate("2026-01-20")
    assert books.costs("WIDGET")["S1"] == D("-56.00")
    assert books.settlements() == []
    books.recalculate("2026-01-25")
    assert books.costs("WIDGET")["S1"] == D("-56.00")  # nothing more to anticipate
    books.close(CLOSE)

    assert books.costs("WIDGET")["S1"] == D("-56.00")
    assert books.adjusted("WIDGET") == {"S1": D("-6.00")}  # the recalculation's, the close adds nothing
    s1 = InventoryTransaction.objects.get(ref="S1")
    assert (s1.value_open, s1.qty_settled, s1.cost_amount_settled) == (True, D("-3"), D("-36.00"))
    assert books.on_hand_value("WIDGET") == books.balance("1400") == D("-20.00")


def test_it_counts_a_recalculation_of_a_physical_issue_as_part_of_its_later_invoice(books):
    # Include physical value: S1 is physically issued at 10.00 each, the recalculation values it at
    # R1 + R2 (36.00). Invoiced after the recalculation's date, S1 is worth the running average
    # then (36.00): the recalculation's adjustment is part of that value, not something to undo.
    # R2 is never invoiced, so the close settles 2 of S1's 3 units, against R1.
    books.item("SAW", "FIFO-IPV")
    books.post("""
        R1,2026-01-02,SAW,2,10.00,financial,,,
        S1,2026-01-03,SAW,-3,,physical,,,
        R2,2026-01-04,SAW,1,16.00,physical,,,
    """)
    books.recalculate("2026-01-10")
    assert books.adjusted("SAW") == {"S1": D("-6.00")}
    books.post("S1,2026-01-12,SAW,-3,,financial,,,")
    assert books.costs("SAW")["S1"] == D("-36.00")

    books.close(CLOSE)

    # 2 settled at 20.00 instead of 24.00 (two thirds of 36.00); the third unit keeps its 12.00.
    assert books.settlements() == [("S1", "R1", 2, D("20.00"))]
    assert books.costs("SAW")["S1"] == D("-32.00")
    assert books.log()[0][:2] == ("SAW", "S1")
