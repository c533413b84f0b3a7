"""docs/domain.md §1.2.3: LIFO date closes the BASE-22 book, driven through the CSV contract and the commands.

    R1  1a/1b  receipt 1 @ 10.00                          Jan 2 / Jan 3
    R2  2a/2b  receipt 1 received @ 20.00, invoiced 22.00  Jan 4 / Jan 5
    I3  3a/3b  issue 1, posted at the running average 16.00 Jan 6 / Jan 7
    R4  4a     receipt 1 @ 25.00, physical only           Jan 8
    R5  5a/5b  receipt 1 @ 30.00                          Jan 9 / Jan 10
    I6  6a     issue 1, physical only: 23.00 (IPV 23.67)  Jan 11
    close inventory up to Jan 31

Date by date, an issue takes the last receipt on or before its own date: 3b takes 2b. Amounts are
signed like the quantity (docs/domain.md §0).
"""

from decimal import Decimal as D

import pytest

CLOSE = "2026-01-31"


@pytest.mark.parametrize("model_group", ["LIFODATE", "LIFODATE-IPV"])
def test_it_settles_3b_against_the_last_receipt_before_it_2b(books, model_group):
    books.item("SCREW", model_group)
    books.base22("SCREW")

    books.close(CLOSE)

    assert books.settlements() == [("I3", "R2", 1, D("22.00"))]
    assert books.adjusted("SCREW")["I3"] == D("-6.00")  # 16.00 -> 22.00
    costs = books.costs("SCREW")
    assert (costs["R1"], costs["R2"], costs["I3"], costs["R4"], costs["R5"]) == (
        D("10.00"), D("22.00"), D("-22.00"), D("25.00"), D("30.00"))
    rows = books.export("SCREW")
    assert [ref for ref, row in rows.items() if row.value_open] == ["R1", "R4", "R5", "I6"]
    # Financial on hand: 1b + 5b.
    assert books.open_receipts_value("SCREW") == books.on_hand_value("SCREW") == books.balance("1400") == D("40.00")


def test_it_leaves_the_physical_issue_6a_alone_without_physical_value(books):
    books.item("SCREW", "LIFODATE")
    books.base22("SCREW")

    books.close(CLOSE)

    assert books.adjusted("SCREW") == {"I3": D("-6.00")}
    assert books.costs("SCREW")["I6"] == D("-23.00")


def test_it_adjusts_the_physical_issue_6a_to_5b_cost_with_physical_value_but_settles_nothing(books):
    books.item("SCREW", "LIFODATE-IPV")
    books.base22("SCREW")

    books.close(CLOSE)

    assert books.adjusted("SCREW") == {"I3": D("-6.00"), "I6": D("-6.33")}  # 23.67 -> 30.00
    assert books.costs("SCREW")["I6"] == D("-30.00")
    assert [s for s in books.settlements() if s[0] == "I6"] == []
    assert books.export("SCREW")["I6"].value_open
    assert books.on_hand_value("SCREW") == books.balance("1400") == D("40.00")


def test_it_settles_3b_against_its_marked_receipt_1b(books):
    books.item("SCREW", "LIFODATE")
    books.base22("SCREW", marked_to="R1")

    books.close(CLOSE)

    assert books.settlements() == [("I3", "R1", 1, D("10.00"))]
    assert books.adjusted("SCREW") == {"I3": D("6.00")}  # 16.00 -> 10.00
    assert books.costs("SCREW")["I3"] == D("-10.00")
    # Financial on hand: 2b + 5b.
    assert books.open_receipts_value("SCREW") == books.on_hand_value("SCREW") == books.balance("1400") == D("52.00")
