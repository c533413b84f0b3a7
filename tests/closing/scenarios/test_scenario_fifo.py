"""docs/domain.md §1.2.1: FIFO closes the BASE-22 book, driven through the CSV contract and the commands.

    R1  1a/1b  receipt 1 @ 10.00                          Jan 2 / Jan 3
    R2  2a/2b  receipt 1 received @ 20.00, invoiced 22.00  Jan 4 / Jan 5
    I3  3a/3b  issue 1, posted at the running average 16.00 Jan 6 / Jan 7
    R4  4a     receipt 1 @ 25.00, physical only           Jan 8
    R5  5a/5b  receipt 1 @ 30.00                          Jan 9 / Jan 10
    I6  6a     issue 1, physical only: 23.00 (IPV 23.67)  Jan 11
    close inventory up to Jan 31

Amounts are signed like the quantity (docs/domain.md §0): docs/domain.md's "3b: -6.00" (the issue got cheaper)
is a stored adjustment of +6.00 on an issue worth -16.00.
"""

from decimal import Decimal as D

import pytest

CLOSE = "2026-01-31"


@pytest.mark.parametrize("model_group", ["FIFO", "FIFO-IPV"])
def test_it_settles_3b_against_the_first_receipt_1b(books, model_group):
    books.item("BOLT", model_group)
    books.base22("BOLT")

    books.close(CLOSE)

    assert books.settlements() == [("I3", "R1", 1, D("10.00"))]
    assert books.adjusted("BOLT")["I3"] == D("6.00")  # 16.00 -> 10.00
    costs = books.costs("BOLT")
    assert (costs["R1"], costs["R2"], costs["I3"], costs["R4"], costs["R5"]) == (
        D("10.00"), D("22.00"), D("-10.00"), D("25.00"), D("30.00"))
    rows = books.export("BOLT")
    assert [ref for ref, row in rows.items() if row.value_open] == ["R2", "R4", "R5", "I6"]  # R1 and I3 are closed
    # Financial on hand: 2b + 5b.
    assert books.open_receipts_value("BOLT") == books.on_hand_value("BOLT") == books.balance("1400") == D("52.00")


def test_it_leaves_the_physical_issue_6a_alone_without_physical_value(books):
    books.item("BOLT", "FIFO")
    books.base22("BOLT")

    books.close(CLOSE)

    assert books.adjusted("BOLT") == {"I3": D("6.00")}
    assert books.costs("BOLT")["I6"] == D("-23.00")


def test_it_adjusts_the_physical_issue_6a_to_2b_cost_with_physical_value_but_settles_nothing(books):
    books.item("BOLT", "FIFO-IPV")
    books.base22("BOLT")

    books.close(CLOSE)

    assert books.adjusted("BOLT") == {"I3": D("6.00"), "I6": D("1.67")}  # 23.67 -> 22.00
    assert books.costs("BOLT")["I6"] == D("-22.00")
    assert [s for s in books.settlements() if s[0] == "I6"] == []
    assert books.export("BOLT")["I6"].value_open
    # 6a is physical: the financial on-hand value and the ledger do not move with it.
    assert books.on_hand_value("BOLT") == books.balance("1400") == D("52.00")


def test_it_settles_3b_against_its_marked_receipt_2b(books):
    books.item("BOLT", "FIFO")
    books.base22("BOLT", marked_to="R2")

    books.close(CLOSE)

    assert books.settlements() == [("I3", "R2", 1, D("22.00"))]  # no other settlement
    assert books.adjusted("BOLT") == {"I3": D("-6.00")}  # 16.00 -> 22.00
    assert books.costs("BOLT")["I3"] == D("-22.00")
    # Financial on hand: 1b + 5b.
    assert books.open_receipts_value("BOLT") == books.on_hand_value("BOLT") == books.balance("1400") == D("40.00")
