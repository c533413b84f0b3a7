"""The worked examples of docs/domain.md §1.2 ("BASE-22"), closed by the engine.

The book, one transaction per line (a physical update followed by the invoice is ONE transaction,
valued at the invoice):

    1b  receipt 1 @ 10.00 financial           day 2
    2b  receipt 1 @ 22.00 financial           day 4   (received at 20.00, invoiced at 22.00)
    3b  issue   1 posted at 16.00 financial   day 6
    4a  receipt 1 @ 25.00 physical only       day 7
    5b  receipt 1 @ 30.00 financial           day 9
    6a  issue   1 physical only               day 10  (23.00 without IPV, 23.67 with IPV)

docs/domain.md (§0) speaks in magnitudes ("3b: -6.00" = the issue got cheaper); Costbook stores issue amounts
negative, so a cheaper issue has a positive adjustment and a dearer one a negative adjustment.
"""

from datetime import date
from decimal import Decimal

from closing.engine import WA_CLOSING_LABEL, DimensionResult, OpenTxn, close_dimension

R1B, R2B, I3B, R4A, R5B, I6A = 1, 2, 3, 4, 5, 6
CLOSE_DATE = date(2024, 1, 31)


def day(n: int) -> date:
    return date(2024, 1, n)


def base22(*, include_physical_value: bool = False, marked_to: int | None = None, days: dict | None = None) -> list[OpenTxn]:
    days = days or {R1B: 2, R2B: 4, I3B: 6, R4A: 7, R5B: 9, I6A: 10}
    issue_6a = Decimal("-23.67") if include_physical_value else Decimal("-23.00")
    return [
        OpenTxn(id=R1B, qty=Decimal("1"), amount=Decimal("10.00"), date=day(days[R1B]), financial=True),
        OpenTxn(id=R2B, qty=Decimal("1"), amount=Decimal("22.00"), date=day(days[R2B]), financial=True),
        OpenTxn(id=I3B, qty=Decimal("-1"), amount=Decimal("-16.00"), date=day(days[I3B]), financial=True, marked_to=marked_to),
        OpenTxn(id=R4A, qty=Decimal("1"), amount=Decimal("25.00"), date=day(days[R4A]), financial=False),
        OpenTxn(id=R5B, qty=Decimal("1"), amount=Decimal("30.00"), date=day(days[R5B]), financial=True),
        OpenTxn(id=I6A, qty=Decimal("-1"), amount=issue_6a, date=day(days[I6A]), financial=False),
    ]


def close(method: str, *, include_physical_value: bool = False, marked_to: int | None = None, days=None):
    txns = base22(include_physical_value=include_physical_value, marked_to=marked_to, days=days)
    result = close_dimension(txns, method=method, include_physical_value=include_physical_value, close_date=CLOSE_DATE)
    return txns, result


def settlements(result: DimensionResult) -> list[tuple[int, int, Decimal, Decimal]]:
    return [(s.issue_id, s.receipt_id, s.qty, s.amount) for s in result.settlements]


def adjustments(result: DimensionResult) -> dict[int, Decimal]:
    return {a.txn_id: a.amount for a in result.adjustments}


def books_after(txns: list[OpenTxn], result: DimensionResult) -> tuple[dict[int, tuple[Decimal, Decimal]], Decimal]:
    """What is still open after the close, id -> (open qty, open value), and the financial on-hand
    value (open financial receipts, the weighted average closing receipt included)."""
    adjusted = adjustments(result)
    open_ = {t.id: [t.qty, t.amount + adjusted.get(t.id, Decimal("0")), t.financial] for t in txns}
    for system in result.system_txns:
        open_[system.id] = [system.qty, system.amount, True]
    for s in result.settlements:
        open_[s.receipt_id][0] -= s.qty
        open_[s.receipt_id][1] -= s.amount
        open_[s.issue_id][0] += s.qty
        open_[s.issue_id][1] += s.amount
    left = {txn_id: (qty, value) for txn_id, (qty, value, _) in open_.items() if qty != 0}
    on_hand = sum((value for qty, value, financial in open_.values() if financial and qty > 0), Decimal("0"))
    return left, on_hand


# 1.2.1 FIFO


def test_it_settles_fifo_issue_3b_against_the_oldest_receipt_1b():
    txns, result = close("fifo")
    assert settlements(result) == [(I3B, R1B, 1, Decimal("10.00"))]
    assert adjustments(result) == {I3B: Decimal("6.00")}  # 16.00 -> 10.00: cheaper
    left, on_hand = books_after(txns, result)
    assert on_hand == Decimal("52.00")  # 2b + 5b
    assert sorted(left) == [R2B, R4A, R5B, I6A]
    assert left[I6A] == (Decimal("-1"), Decimal("-23.00"))  # physical, untouched without IPV
    assert result.warnings == ()


def test_it_adjusts_physical_issue_6a_to_2b_cost_with_fifo_and_physical_value():
    txns, result = close("fifo", include_physical_value=True)
    assert settlements(result) == [(I3B, R1B, 1, Decimal("10.00"))]  # 6a is adjusted, not settled
    assert adjustments(result) == {I3B: Decimal("6.00"), I6A: Decimal("1.67")}  # 6a 23.67 -> 22.00
    left, on_hand = books_after(txns, result)
    assert on_hand == Decimal("52.00")
    assert left[I6A] == (Decimal("-1"), Decimal("-22.00"))
    assert result.warnings == ()


def test_it_settles_fifo_issue_3b_against_its_marked_receipt_2b():
    txns, result = close("fifo", marked_to=R2B)
    assert settlements(result) == [(I3B, R2B, 1, Decimal("22.00"))]
    assert adjustments(result) == {I3B: Decimal("-6.00")}  # 16.00 -> 22.00: dearer
    left, on_hand = books_after(txns, result)
    assert on_hand == Decimal("40.00")  # 1b + 5b
    assert sorted(left) == [R1B, R4A, R5B, I6A]


# 1.2.2 LIFO


def test_it_settles_lifo_issue_3b_against_the_last_receipt_5b_though_dated_later():
    txns, result = close("lifo")
    assert settlements(result) == [(I3B, R5B, 1, Decimal("30.00"))]
    assert adjustments(result) == {I3B: Decimal("-14.00")}
    left, on_hand = books_after(txns, result)
    assert on_hand == Decimal("32.00")  # 1b + 2b
    assert sorted(left) == [R1B, R2B, R4A, I6A]


def test_it_adjusts_physical_issue_6a_to_4a_cost_with_lifo_and_physical_value():
    txns, result = close("lifo", include_physical_value=True)
    assert settlements(result) == [(I3B, R5B, 1, Decimal("30.00"))]
    assert adjustments(result) == {I3B: Decimal("-14.00"), I6A: Decimal("-1.33")}  # 6a 23.67 -> 25.00
    left, on_hand = books_after(txns, result)
    assert on_hand == Decimal("32.00")
    assert left[I6A] == (Decimal("-1"), Decimal("-25.00"))


def test_it_settles_lifo_issue_3b_against_its_marked_receipt_2b():
    txns, result = close("lifo", marked_to=R2B)
    assert settlements(result) == [(I3B, R2B, 1, Decimal("22.00"))]
    assert adjustments(result) == {I3B: Decimal("-6.00")}
    _, on_hand = books_after(txns, result)
    assert on_hand == Decimal("40.00")  # 1b + 5b


# 1.2.3 LIFO date


def test_it_settles_lifo_date_issue_3b_against_the_last_receipt_before_it_2b():
    txns, result = close("lifo_date")
    assert settlements(result) == [(I3B, R2B, 1, Decimal("22.00"))]
    assert adjustments(result) == {I3B: Decimal("-6.00")}
    left, on_hand = books_after(txns, result)
    assert on_hand == Decimal("40.00")  # 1b + 5b
    assert sorted(left) == [R1B, R4A, R5B, I6A]


def test_it_adjusts_physical_issue_6a_to_5b_cost_with_lifo_date_and_physical_value():
    txns, result = close("lifo_date", include_physical_value=True)
    assert settlements(result) == [(I3B, R2B, 1, Decimal("22.00"))]
    assert adjustments(result) == {I3B: Decimal("-6.00"), I6A: Decimal("-6.33")}  # 6a 23.67 -> 30.00
    left, on_hand = books_after(txns, result)
    assert on_hand == Decimal("40.00")
    assert left[I6A] == (Decimal("-1"), Decimal("-30.00"))


def test_it_settles_lifo_date_issue_3b_against_its_marked_receipt_1b():
    txns, result = close("lifo_date", marked_to=R1B)
    assert settlements(result) == [(I3B, R1B, 1, Decimal("10.00"))]
    assert adjustments(result) == {I3B: Decimal("6.00")}
    _, on_hand = books_after(txns, result)
    assert on_hand == Decimal("52.00")  # 2b + 5b


# 1.2.4 Weighted average, summarized


def check_weighted_average_summarized(txns, result):
    assert [(s.id, s.qty, s.amount, s.date, s.label) for s in result.system_txns] == [
        (-1, Decimal("-3"), Decimal("-62.00"), CLOSE_DATE, WA_CLOSING_LABEL),  # 7a
        (-2, Decimal("3"), Decimal("62.00"), CLOSE_DATE, WA_CLOSING_LABEL),  # 7b
    ]
    assert settlements(result) == [
        (-1, R1B, 1, Decimal("10.00")),
        (-1, R2B, 1, Decimal("22.00")),
        (-1, R5B, 1, Decimal("30.00")),
        (I3B, -2, 1, Decimal("20.67")),
    ]
    assert adjustments(result) == {I3B: Decimal("-4.67")}  # 16.00 -> 20.67
    left, on_hand = books_after(txns, result)
    assert left[-2] == (Decimal("2"), Decimal("41.33"))  # 7b stays open for the rest
    assert on_hand == Decimal("41.33")
    assert sorted(left) == [-2, R4A, I6A]  # physical transactions are never touched by WA


def test_it_summarizes_weighted_average_through_a_closing_issue_and_receipt():
    check_weighted_average_summarized(*close("weighted_average"))


def test_it_closes_weighted_average_the_same_with_physical_value():
    txns, result = close("weighted_average", include_physical_value=True)
    check_weighted_average_summarized(txns, result)
    left, _ = books_after(txns, result)
    assert left[I6A] == (Decimal("-1"), Decimal("-23.67"))


# 1.2.5 Weighted average / weighted average date with marking


def test_it_settles_weighted_average_issue_3b_against_its_marked_receipt_2b_only():
    txns, result = close("weighted_average", marked_to=R2B)
    assert settlements(result) == [(I3B, R2B, 1, Decimal("22.00"))]
    assert adjustments(result) == {I3B: Decimal("-6.00")}
    assert result.system_txns == ()  # no issue left to settle: no closing transactions
    _, on_hand = books_after(txns, result)
    assert on_hand == Decimal("40.00")


def test_it_settles_weighted_average_date_issue_3b_against_its_marked_receipt_2b_only():
    two_days = {R1B: 1, R2B: 1, I3B: 1, R4A: 2, R5B: 2, I6A: 2}  # Day 1 = 1a-3b, Day 2 = 4a-6a
    txns, result = close("weighted_average_date", marked_to=R2B, days=two_days)
    assert settlements(result) == [(I3B, R2B, 1, Decimal("22.00"))]
    assert adjustments(result) == {I3B: Decimal("-6.00")}
    assert result.system_txns == ()
    _, on_hand = books_after(txns, result)
    assert on_hand == Decimal("40.00")


def test_it_averages_weighted_average_date_over_the_day_on_hand_only():
    # docs/domain.md §1.2.6: derived from the rule. On day 1 only 1b and 2b are on hand, so 3b goes at
    # (10 + 22) / 2 = 16.00; 5b arrives on day 2, after the issue, and stays as it is.
    two_days = {R1B: 1, R2B: 1, I3B: 1, R4A: 2, R5B: 2, I6A: 2}
    txns, result = close("weighted_average_date", days=two_days)
    assert [(s.id, s.qty, s.amount, s.date) for s in result.system_txns] == [
        (-1, Decimal("-2"), Decimal("-32.00"), day(1)),
        (-2, Decimal("2"), Decimal("32.00"), day(1)),
    ]
    assert settlements(result) == [(-1, R1B, 1, Decimal("10.00")), (-1, R2B, 1, Decimal("22.00")), (I3B, -2, 1, Decimal("16.00"))]
    assert adjustments(result) == {}
    left, on_hand = books_after(txns, result)
    assert left[-2] == (Decimal("1"), Decimal("16.00"))
    assert on_hand == Decimal("46.00")  # 7b rest 16.00 + 5b 30.00
