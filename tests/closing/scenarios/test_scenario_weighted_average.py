"""docs/domain.md §1.2.4 and §1.2.5: weighted average closes the BASE-22 book, driven through the CSV contract
and the commands.

    R1  1a/1b  receipt 1 @ 10.00                          Jan 2 / Jan 3
    R2  2a/2b  receipt 1 received @ 20.00, invoiced 22.00  Jan 4 / Jan 5
    I3  3a/3b  issue 1, posted at the running average 16.00 Jan 6 / Jan 7
    R4  4a     receipt 1 @ 25.00, physical only           Jan 8
    R5  5a/5b  receipt 1 @ 30.00                          Jan 9 / Jan 10
    I6  6a     issue 1, physical only: 23.00 (IPV 23.67)  Jan 11
    close inventory up to Jan 31

Summarized: a system "Weighted average inventory closing" issue (7a) settles 1b, 2b and 5b; its
paired receipt (7b, 3 / 62.00) is what 3b settles against at 62 / 3 = 20.67, and stays open with
2 / 41.33 (docs/domain.md §1.2.4, with the corrected 7b). Physical transactions are never touched, whatever
include physical value says. Amounts are signed like the quantity (docs/domain.md §0).
"""

from decimal import Decimal as D

import pytest

from inventory.models import InventoryTransaction, SourceType

CLOSE = "2026-01-31"


@pytest.mark.parametrize("model_group, issue_6a", [("WAVG", D("-23.00")), ("WAVG-IPV", D("-23.67"))])
def test_it_summarizes_through_a_weighted_average_closing_issue_and_receipt(books, model_group, issue_6a):
    books.item("HINGE", model_group)
    books.base22("HINGE")

    books.close(CLOSE)

    closing_issue, closing_receipt = InventoryTransaction.objects.filter(
        item__number="HINGE", source_type=SourceType.WEIGHTED_AVERAGE_CLOSING).order_by("id")
    # 7a: issue 3 / 62.00, fully settled against 1b, 2b and 5b.
    assert books.system_transactions("HINGE") == [
        (D("-3"), D("-62.00"), D("-3"), D("-62.00"), False),
        (D("3"), D("62.00"), D("1"), D("20.67"), True),  # 7b: 1 / 20.67 of it settled by 3b
    ]
    assert closing_issue.user_reference == "Weighted average inventory closing"
    assert books.settlements() == [
        (closing_issue.ref, "R1", 1, D("10.00")),
        (closing_issue.ref, "R2", 1, D("22.00")),
        (closing_issue.ref, "R5", 1, D("30.00")),
        ("I3", closing_receipt.ref, 1, D("20.67")),
    ]
    assert books.adjusted("HINGE") == {"I3": D("-4.67")}  # 16.00 -> 20.67
    costs = books.costs("HINGE")
    assert costs == {"R1": D("10.00"), "R2": D("22.00"), "I3": D("-20.67"), "R4": D("25.00"), "R5": D("30.00"),
                     "I6": issue_6a}
    rows = books.export("HINGE")
    assert [ref for ref, row in rows.items() if row.value_open] == ["R4", "I6", closing_receipt.ref]
    # Financial on hand: what is left of 7b, 2 units at 20.665.
    assert books.open_receipts_value("HINGE") == books.on_hand_value("HINGE") == books.balance("1400") == D("41.33")


@pytest.mark.parametrize("model_group", ["WAVG", "WAVG-IPV"])
def test_it_settles_3b_against_its_marked_receipt_2b_only(books, model_group):
    books.item("HINGE", model_group)
    books.base22("HINGE", marked_to="R2")

    books.close(CLOSE)

    assert books.settlements() == [("I3", "R2", 1, D("22.00"))]
    assert books.adjusted("HINGE") == {"I3": D("-6.00")}  # 16.00 -> 22.00
    assert books.system_transactions("HINGE") == []  # nothing left to settle: no closing transactions
    assert books.costs("HINGE")["I3"] == D("-22.00")
    # Financial on hand: 1b + 5b.
    assert books.open_receipts_value("HINGE") == books.on_hand_value("HINGE") == books.balance("1400") == D("40.00")


def test_it_keeps_the_closing_pair_of_each_item_apart(books):
    # Two weighted average items closed together: each settles against its own closing pair.
    books.items("""
        HINGE,Door hinge,DEFAULT,WAVG,
        HANDLE,Steel handle,DEFAULT,WAVG-IPV,
    """)
    books.base22("HINGE", prefix="H-")
    books.base22("HANDLE", prefix="S-")

    books.close(CLOSE)

    for item, prefix in (("HINGE", "H-"), ("HANDLE", "S-")):
        closing_issue, closing_receipt = InventoryTransaction.objects.filter(
            item__number=item, source_type=SourceType.WEIGHTED_AVERAGE_CLOSING).order_by("id")
        assert books.system_transactions(item) == [
            (D("-3"), D("-62.00"), D("-3"), D("-62.00"), False),
            (D("3"), D("62.00"), D("1"), D("20.67"), True),
        ]
        assert books.settlements(item) == [
            (closing_issue.ref, f"{prefix}R1", 1, D("10.00")),
            (closing_issue.ref, f"{prefix}R2", 1, D("22.00")),
            (closing_issue.ref, f"{prefix}R5", 1, D("30.00")),
            (f"{prefix}I3", closing_receipt.ref, 1, D("20.67")),
        ]
        assert books.open_receipts_value(item) == books.on_hand_value(item) == D("41.33")
    assert books.balance("1400") == D("82.66")
