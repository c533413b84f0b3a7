"""FIFO: the first financial issue takes the first financial receipt, by financial date then id
(docs/domain.md §2.1, worked example §1.2.1). Receipt dates do not have to precede the issue."""

from __future__ import annotations

from collections.abc import Sequence

from .common import Book, Plan, close_with_matcher
from .types import FixedResult


def match(plan: Plan, issues: Sequence[int], receipts: Sequence[int], kind: int) -> None:
    open_ = plan.open
    take = plan.take
    k, count = 0, len(receipts)
    for issue in issues:
        while open_[issue] > 0 and k < count:
            receipt = receipts[k]
            if open_[receipt] > 0:
                take(issue, receipt, kind)
            else:
                k += 1


def close(book: Book) -> FixedResult:
    return close_with_matcher(book, match)
