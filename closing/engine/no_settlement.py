"""Standard cost and moving average: the close settles nothing and adjusts nothing (docs/domain.md §2.1:
standard cost needs no close; moving average has no settlements and no marking)."""

from __future__ import annotations

from .common import Book
from .types import EMPTY_FIXED_RESULT, FixedResult


def close(book: Book) -> FixedResult:
    return EMPTY_FIXED_RESULT
