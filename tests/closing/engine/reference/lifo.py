"""LIFO: each financial issue, oldest first, takes the *last* financial receipt of the whole close
period, even one dated after the issue (docs/domain.md §2.1, worked example §1.2.2)."""

from __future__ import annotations

from collections.abc import Sequence

from common.money import ZERO

from .common import Book, Plan, close_with_matcher
from .types import DimensionResult


def match(plan: Plan, issues: Sequence[int], receipts: Sequence[int], kind: int) -> None:
    open_ = plan.open
    take = plan.take
    k = len(receipts) - 1
    for issue in issues:
        while open_[issue] > ZERO and k >= 0:
            receipt = receipts[k]
            if open_[receipt] > ZERO:
                take(issue, receipt, kind)
            else:
                k -= 1


def close(book: Book) -> DimensionResult:
    return close_with_matcher(book, match)
