"""Weighted average date (docs/domain.md §2.1): weighted average computed per day. The issues of a day settle
against that day's on hand (what was open at the start of the day plus the day's receipts), directly
when one receipt is open, else through a "Weighted average inventory closing" pair dated that day."""

from __future__ import annotations

from .common import Book, Plan, evaluate
from .types import FixedResult
from .weighted_average import settle_by_period


def close(book: Book) -> FixedResult:
    plan = Plan(book)
    settle_by_period(plan, lambda day: day)
    return evaluate(plan)
