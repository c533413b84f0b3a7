"""Weighted average (docs/domain.md §2.1, worked examples §1.2.4 and §1.2.5).

Marked issues settle to their receipts first. The other financial issues of the period then settle:

* directly, when at most one financial receipt is open (one receipt in the period, or only issues
  against the on-hand carried from the previous close);
* summarized otherwise: a system "Weighted average inventory closing" issue settles every open
  financial receipt (prior on-hand included) and a paired system receipt carries their quantity and
  value; the issues settle against it at the average, and it stays open with whatever is left.

Physical-only transactions never take part, whatever *Include physical value* says. Issues beyond
the quantity on hand stay open (negative inventory) and are logged.

`settle_by_period` is shared with weighted average date, which runs the same steps day by day.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import date

from common.money import ZERO

from .common import SETTLE, Book, Plan, evaluate, settle_marked
from .types import DimensionResult


def settle_by_period(plan: Plan, period_of: Callable[[date], date]) -> None:
    """Settle the financial issues period by period; `period_of` maps a transaction date to its
    period (the date the system transactions of that period carry). Issues that find nothing on hand
    wait, oldest first, for the receipts of a later period."""
    book = plan.book
    txns, open_ = book.txns, plan.open
    settle_marked(plan, book.marked_financial_issues)
    receipts, issues = book.financial_receipts, book.unmarked_financial_issues
    on_hand: list[int] = []
    waiting: deque[int] = deque()
    r, i = 0, 0
    while r < len(receipts) or i < len(issues):
        period = min(
            period_of(txns[receipts[r]].date) if r < len(receipts) else date.max,
            period_of(txns[issues[i]].date) if i < len(issues) else date.max,
        )
        while r < len(receipts) and period_of(txns[receipts[r]].date) == period:
            on_hand.append(receipts[r])
            r += 1
        while i < len(issues) and period_of(txns[issues[i]].date) == period:
            waiting.append(issues[i])
            i += 1
        if not waiting:
            continue  # nothing to settle: receipts just accumulate, no closing transactions needed
        live = [receipt for receipt in on_hand if open_[receipt] > ZERO]
        if len(live) > 1:
            live = [plan.summarize(live, period)]
        for receipt in live:
            while waiting and open_[receipt] > ZERO:
                issue = waiting[0]
                plan.take(issue, receipt, SETTLE)
                if open_[issue] == ZERO:
                    waiting.popleft()
        on_hand = live


def close(book: Book) -> DimensionResult:
    plan = Plan(book)
    close_date = book.close_date
    settle_by_period(plan, lambda _: close_date)
    return evaluate(plan)
