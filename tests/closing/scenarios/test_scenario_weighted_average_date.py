"""docs/domain.md §1.2.5 and §2.1: weighted average date closes the BASE-22 book laid out by day, driven through
the CSV contract and the commands.

    Day 1, Jan 5: R1 1a/1b receipt 1 @ 10.00; R2 2a @ 20.00 / 2b @ 22.00; I3 3a/3b issue 1 at 16.00
    Day 2, Jan 6: R4 4a receipt 1 @ 25.00 physical only; R5 5a/5b receipt 1 @ 30.00; I6 6a physical issue
    Day 3, Jan 7: close inventory

Summarized (derived from the rule of docs/domain.md §2.1, the article gives no table for it): the issues of a
day settle against that day's on hand. On day 1 that is 1b and 2b, so a closing pair dated day 1
carries 2 / 32.00 and 3b takes 16.00, its running average: no adjustment. Day 2 has no financial
issue, so 5b is left as it is. Marking 3b to 2b (docs/domain.md §1.2.5): the same numbers as weighted average.
"""

from datetime import date
from decimal import Decimal as D

import pytest

from inventory.models import InventoryTransaction, SourceType

CLOSE = "2026-01-07"


@pytest.mark.parametrize("model_group", ["WAVGDATE", "WAVGDATE-IPV"])
def test_it_averages_day_1_over_what_is_on_hand_that_day(books, model_group):
    books.item("LOCK", model_group)
    books.base22("LOCK", by_day=True)

    books.close(CLOSE)

    closing_issue, closing_receipt = InventoryTransaction.objects.filter(
        item__number="LOCK", source_type=SourceType.WEIGHTED_AVERAGE_CLOSING).order_by("id")
    assert closing_issue.date_financial == closing_receipt.date_financial == date(2026, 1, 5)  # day 1
    assert books.system_transactions("LOCK") == [
        (D("-2"), D("-32.00"), D("-2"), D("-32.00"), False),
        (D("2"), D("32.00"), D("1"), D("16.00"), True),
    ]
    assert books.settlements() == [
        (closing_issue.ref, "R1", 1, D("10.00")),
        (closing_issue.ref, "R2", 1, D("22.00")),
        ("I3", closing_receipt.ref, 1, D("16.00")),
    ]
    assert books.adjusted("LOCK") == {}
    assert books.costs("LOCK")["I3"] == D("-16.00")
    rows = books.export("LOCK")
    assert [ref for ref, row in rows.items() if row.value_open] == ["R4", "R5", "I6", closing_receipt.ref]
    # Financial on hand: the rest of the day 1 pair (16.00) and 5b (30.00).
    assert books.open_receipts_value("LOCK") == books.on_hand_value("LOCK") == books.balance("1400") == D("46.00")


@pytest.mark.parametrize("model_group", ["WAVGDATE", "WAVGDATE-IPV"])
def test_it_settles_3b_against_its_marked_receipt_2b_only(books, model_group):
    books.item("LOCK", model_group)
    books.base22("LOCK", marked_to="R2", by_day=True)

    books.close(CLOSE)

    assert books.settlements() == [("I3", "R2", 1, D("22.00"))]
    assert books.adjusted("LOCK") == {"I3": D("-6.00")}  # 16.00 -> 22.00
    assert books.system_transactions("LOCK") == []
    assert books.costs("LOCK")["I3"] == D("-22.00")
    # Financial on hand: 1b + 5b.
    assert books.open_receipts_value("LOCK") == books.on_hand_value("LOCK") == books.balance("1400") == D("40.00")
