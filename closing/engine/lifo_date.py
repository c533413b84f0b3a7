"""LIFO date (docs/domain.md §2.1, worked example §1.2.3): date by date from the oldest, an issue takes the last
receipt dated on or before its own date; when there is none left, a later receipt (the nearest one
after the issue's date); several issues on the same date settle last issue / last receipt first."""

from __future__ import annotations

from collections.abc import Sequence

from .common import Book, Plan, close_with_matcher
from .types import FixedResult


def match(plan: Plan, issues: Sequence[int], receipts: Sequence[int], kind: int) -> None:
    txns = plan.book.txns
    open_ = plan.open
    take = plan.take
    stack: list[int] = []  # receipts dated on or before the current date, newest on top
    arrived = 0  # receipts[:arrived] have been put on the stack
    later = 0  # first receipt after the current date that may still be open
    count = len(receipts)
    start, issue_count = 0, len(issues)
    while start < issue_count:
        day = txns[issues[start]].date
        end = start
        while end < issue_count and txns[issues[end]].date == day:
            end += 1
        while arrived < count and txns[receipts[arrived]].date <= day:
            stack.append(receipts[arrived])
            arrived += 1
        for pos in range(end - 1, start - 1, -1):  # same date: the last issue first
            issue = issues[pos]
            while open_[issue] > 0:
                while stack and open_[stack[-1]] == 0:
                    stack.pop()
                if stack:
                    take(issue, stack[-1], kind)
                    continue
                later = max(later, arrived)
                while later < count and open_[receipts[later]] == 0:
                    later += 1
                if later == count:
                    break
                take(issue, receipts[later], kind)
        start = end


def close(book: Book) -> FixedResult:
    return close_with_matcher(book, match)
