"""Rules of docs/domain.md §2 beyond the worked examples: open quantities and the close log, rounding,
LIFO date's later receipts, weighted average direct settlement and negative on hand, transfer costs,
and the methods that settle nothing."""

from datetime import date
from decimal import Decimal

import pytest

from closing.engine import METHODS, OpenTxn, ValuationMethod, close_dimension

CLOSE_DATE = date(2024, 1, 31)


def day(n: int) -> date:
    return date(2024, 1, n)


def receipt(txn_id, qty, amount, on, *, financial=True, **extra) -> OpenTxn:
    return OpenTxn(id=txn_id, qty=Decimal(qty), amount=Decimal(amount), date=day(on), financial=financial, **extra)


def issue(txn_id, qty, amount, on, *, financial=True, **extra) -> OpenTxn:
    return OpenTxn(id=txn_id, qty=-Decimal(qty), amount=-Decimal(amount), date=day(on), financial=financial, **extra)


def close(txns, method="fifo", **options):
    options.setdefault("include_physical_value", False)
    options.setdefault("close_date", CLOSE_DATE)
    return close_dimension(txns, method=method, **options)


def settled(result):
    return [(s.issue_id, s.receipt_id, s.qty, s.amount) for s in result.settlements]


def adjusted(result):
    return {a.txn_id: a.amount for a in result.adjustments}


def test_it_has_one_closer_per_valuation_method():
    assert set(METHODS) == {m.value for m in ValuationMethod}


def test_it_leaves_a_financial_issue_open_when_only_physical_receipts_exist():
    # OPENQTY-1: physical receipt 10, financial issue 3 -> open quantity 3.
    result = close([receipt(1, "10", "100.00", 1, financial=False), issue(2, "3", "30.00", 2)], include_physical_value=True)
    assert result.settlements == ()
    assert result.adjustments == ()
    assert [(w.txn_id, w.message) for w in result.warnings] == [
        (2, "Issue could not be fully settled: 3 of 3 units open; its cost price may be wrong."),
    ]


def test_it_adjusts_only_the_settled_part_of_a_partly_settled_issue():
    result = close([receipt(1, "2", "20.00", 1), issue(2, "5", "40.00", 2)])
    assert settled(result) == [(2, 1, 2, Decimal("20.00"))]
    assert adjusted(result) == {2: Decimal("-4.00")}  # settled part 2 x 8.00 = 16.00 -> 20.00
    assert result.issue_costs[2] == Decimal("-44.00")  # 20.00 settled + 24.00 still open
    assert result.warnings[0].message.startswith("Issue could not be fully settled: 3 of 5 units open")


def test_it_gives_the_rounding_rest_to_the_settlement_that_empties_the_receipt():
    txns = [receipt(1, "3", "10.00", 1), issue(2, "1", "0", 2), issue(3, "1", "0", 3), issue(4, "1", "0", 4)]
    result = close(txns)
    assert [s.amount for s in result.settlements] == [Decimal("3.33"), Decimal("3.34"), Decimal("3.33")]
    assert sum(s.amount for s in result.settlements) == Decimal("10.00")


def test_it_logs_an_issue_marked_to_a_receipt_invoiced_after_the_close_date():
    txns = [receipt(1, "1", "10.00", 1), issue(2, "1", "12.00", 2, marked_to=3), receipt(3, "1", "15.00", 31)]
    result = close(txns, close_date=day(30))
    assert result.settlements == ()  # marking overrides FIFO: 2 does not fall back to receipt 1
    assert [w.txn_id for w in result.warnings] == [2]
    assert "marked to receipt 3" in result.warnings[0].message


def test_it_ignores_transactions_dated_after_the_close_date():
    txns = [issue(1, "1", "12.00", 5), receipt(2, "1", "10.00", 6), issue(3, "1", "12.00", 6)]
    result = close(txns, close_date=day(5))
    assert result.settlements == ()
    assert [w.txn_id for w in result.warnings] == [1]
    assert set(result.issue_costs) == {1}


def test_it_settles_a_lifo_date_issue_without_earlier_receipts_against_the_next_later_one():
    txns = [issue(1, "1", "10.00", 1), receipt(2, "1", "11.00", 2), receipt(3, "1", "12.00", 3)]
    result = close(txns, "lifo_date")
    assert settled(result) == [(1, 2, 1, Decimal("11.00"))]


def test_it_settles_same_date_lifo_date_issues_last_issue_against_last_receipt():
    txns = [
        receipt(1, "1", "10.00", 1), receipt(2, "1", "20.00", 2),
        issue(3, "1", "15.00", 2), issue(4, "1", "15.00", 2), receipt(5, "1", "99.00", 3),
    ]
    result = close(txns, "lifo_date")
    assert settled(result) == [(4, 2, 1, Decimal("20.00")), (3, 1, 1, Decimal("10.00"))]


def test_it_settles_weighted_average_directly_against_the_only_receipt():
    txns = [receipt(1, "4", "50.00", 1), issue(2, "1", "10.00", 2), issue(3, "2", "20.00", 3)]
    result = close(txns, "weighted_average")
    assert result.system_txns == ()
    assert settled(result) == [(2, 1, 1, Decimal("12.50")), (3, 1, 2, Decimal("25.00"))]


def test_it_settles_weighted_average_issues_directly_against_the_prior_closing_receipt():
    txns = [receipt(1, "3", "31.00", 1, is_prior_on_hand=True), issue(2, "1", "10.00", 5)]
    result = close(txns, "weighted_average")
    assert result.system_txns == ()
    assert settled(result) == [(2, 1, 1, Decimal("10.33"))]


def test_it_leaves_weighted_average_issues_beyond_on_hand_open():
    txns = [receipt(1, "1", "10.00", 1), receipt(2, "1", "20.00", 2), issue(3, "3", "45.00", 3)]
    result = close(txns, "weighted_average")
    assert [(s.qty, s.amount) for s in result.system_txns] == [(-2, Decimal("-30.00")), (2, Decimal("30.00"))]
    assert settled(result)[-1] == (3, -2, 2, Decimal("30.00"))
    assert adjusted(result) == {}  # the settled 2 units were posted at 2 x 15.00 = 30.00 already
    assert [w.txn_id for w in result.warnings] == [3]


def test_it_lets_a_weighted_average_date_issue_without_stock_wait_for_the_next_day():
    txns = [issue(1, "1", "5.00", 1), receipt(2, "1", "10.00", 2), receipt(3, "1", "20.00", 2)]
    result = close(txns, "weighted_average_date")
    assert [s.date for s in result.system_txns] == [day(2), day(2)]
    assert settled(result)[-1] == (1, -2, 1, Decimal("15.00"))
    assert adjusted(result) == {1: Decimal("-10.00")}


def test_it_never_uses_physical_transactions_with_weighted_average():
    txns = [receipt(1, "1", "10.00", 1, financial=False), issue(2, "1", "5.00", 2, financial=False)]
    result = close(txns, "weighted_average", include_physical_value=True)
    assert (result.settlements, result.adjustments, result.warnings) == ((), (), ())


def test_it_leaves_a_physical_issue_alone_when_receipts_cannot_cover_it():
    txns = [receipt(1, "1", "10.00", 1, financial=False), issue(2, "2", "18.00", 2, financial=False)]
    result = close(txns, include_physical_value=True)
    assert result.adjustments == ()
    assert result.warnings[0].message.startswith("Physical issue could not be valued at receipt cost: 1 of 2 units")


def test_it_carries_a_transfer_issue_cost_from_another_dimension():
    txns = [receipt(1, "2", "40.00", 1, transfer_issue=99), issue(2, "1", "20.00", 2)]
    result = close(txns, transfer_costs={99: Decimal("-45.00")})
    assert adjusted(result) == {1: Decimal("5.00"), 2: Decimal("-2.50")}
    assert settled(result) == [(2, 1, 1, Decimal("22.50"))]


def test_it_iterates_a_transfer_within_the_dimension_to_a_fixed_point():
    # Transfer issue 2 takes receipt 1 and half of its own transfer receipt 3, which carries the cost of
    # issue 2: cost(3) = 10.00 + cost(3) / 2, i.e. 20.00 (20.01 with cent rounding on the way).
    txns = [receipt(1, "1", "10.00", 1), issue(2, "2", "30.00", 2), receipt(3, "2", "30.00", 2, transfer_issue=2)]
    result = close(txns)
    assert adjusted(result) == {2: Decimal("9.99"), 3: Decimal("-9.99")}
    assert result.issue_costs[2] == Decimal("-20.01")
    assert settled(result) == [(2, 1, 1, Decimal("10.00")), (2, 3, 1, Decimal("10.01"))]
    assert result.warnings == ()


def test_it_logs_a_transfer_cost_still_moving_after_max_iterations():
    txns = [receipt(1, "1", "10.00", 1), issue(2, "2", "30.00", 2), receipt(3, "2", "30.00", 2, transfer_issue=2)]
    result = close(txns, max_iterations=2)
    assert [w.txn_id for w in result.warnings] == [3]
    assert "after 2 iterations" in result.warnings[0].message


@pytest.mark.parametrize("method", ["standard_cost", "moving_average"])
def test_it_settles_nothing_for_standard_cost_and_moving_average(method):
    txns = [receipt(1, "1", "10.00", 1), issue(2, "1", "12.00", 2)]
    result = close(txns, method)
    assert (result.settlements, result.adjustments, result.system_txns, result.warnings) == ((), (), (), ())


def test_it_refuses_an_unknown_method_and_duplicate_ids():
    with pytest.raises(ValueError, match="unknown valuation method"):
        close([], "average")
    with pytest.raises(ValueError, match="given twice"):
        close([receipt(1, "1", "1.00", 1), issue(1, "1", "1.00", 2)])
