"""docs/domain.md §1.2.2: LIFO closes the BASE-22 book, driven through the CSV contract and the commands.

    R1  1a/1b  receipt 1 @ 10.00                          Jan 2 / Jan 3
    R2  2a/2b  receipt 1 received @ 20.00, invoiced 22.00  Jan 4 / Jan 5
    I3  3a/3b  issue 1, posted at the running average 16.00 Jan 6 / Jan 7
    R4  4a     receipt 1 @ 25.00, physical only           Jan 8
    R5  5a/5b  receipt 1 @ 30.00                          Jan 9 / Jan 10
    I6  6a     issue 1, physical only: 23.00 (IPV 23.67)  Jan 11
    close inventory up to Jan 31

The issue takes the LAST financial receipt of the whole close period, 5b, though it is dated after
the issue. Amounts are signed like the quantity (docs/domain.md §0): docs/domain.md's "3b: +14.00" (dearer) is a
stored adjustment of -14.00 on an issue worth -16.00.
"""

from decimal import Decimal as D

import pytest

CLOSE = "2026-01-31"


@pytest.mark.parametrize("model_group", ["LIFO", "LIFO-IPV"])
def test_it_settles_3b_against_the_last_receipt_5b_though_dated_later(books, model_group):
    books.item("NUT", model_group)
    books.base22("NUT")

    books.close(CLOSE)

    assert books.settlements() == [("I3", "R5", 1, D("30.00"))]
    assert books.adjusted("NUT")["I3"] == D("-14.00")  # 16.00 -> 30.00
    costs = books.costs("NUT")
    assert (costs["R1"], costs["R2"], costs["I3"], costs["R4"], costs["R5"]) == (
        D("10.00"), D("22.00"), D("-30.00"), D("25.00"), D("30.00"))
    rows = books.export("NUT")
    assert [ref for ref, row in rows.items() if row.value_open] == ["R1", "R2", "R4", "I6"]
    # Financial on hand: 1b + 2b.
    assert books.open_receipts_value("NUT") == books.on_hand_value("NUT") == books.balance("1400") == D("32.00")


def test_it_leaves_the_physical_issue_6a_alone_without_physical_value(books):
    books.item("NUT", "LIFO")
    books.base22("NUT")

    books.close(CLOSE)

    assert books.adjusted("NUT") == {"I3": D("-14.00")}
    assert books.costs("NUT")["I6"] == D("-23.00")


def test_it_adjusts_the_physical_issue_6a_to_4a_cost_with_physical_value_but_settles_nothing(books):
    books.item("NUT", "LIFO-IPV")
    books.base22("NUT")

    books.close(CLOSE)

    assert books.adjusted("NUT") == {"I3": D("-14.00"), "I6": D("-1.33")}  # 23.67 -> 25.00
    assert books.costs("NUT")["I6"] == D("-25.00")
    assert [s for s in books.settlements() if s[0] == "I6"] == []
    assert books.export("NUT")["I6"].value_open
    assert books.on_hand_value("NUT") == books.balance("1400") == D("32.00")


def test_it_settles_3b_against_its_marked_receipt_2b(books):
    books.item("NUT", "LIFO")
    books.base22("NUT", marked_to="R2")

    books.close(CLOSE)

    assert books.settlements() == [("I3", "R2", 1, D("22.00"))]
    assert books.adjusted("NUT") == {"I3": D("-6.00")}  # 16.00 -> 22.00
    assert books.costs("NUT")["I3"] == D("-22.00")
    # Financial on hand: 1b + 5b.
    assert books.open_receipts_value("NUT") == books.on_hand_value("NUT") == books.balance("1400") == D("40.00")
