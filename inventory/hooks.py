"""What inventory's posting paths call in the apps built on it, without knowing them: an explicit
registry the apps fill in their AppConfig.ready() (the warehouse app keeps bins this way).

- A *row check* looks at rows about to be posted by an import or an API batch (item, warehouse and
  the bin the row names) and returns the problems of the rows it refuses, keyed by the row's own
  number (a file's line, a batch's index), so the caller reports them with the other row errors and
  posts nothing.
- An *after-post callback* is called by `PostingSession.flush` with every transaction the session
  inserted since its last flush, in the same database transaction, so the callback can write its own
  rows for them in one set-based statement. A problem raised there (a `DomainError`) rolls the
  posting back.

Both take plain dataclasses: inventory says what it posts, the apps decide what that means for them.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class RowToCheck:
    number: int  # the row's line (file) or index (batch), given back with its problem
    item_id: int
    warehouse_id: int
    bin: str  # the bin code the row names; "" when it names none
    source_number: str = ""  # a journal's number when the row is a journal line


@dataclass(frozen=True)
class PostedRow:
    transaction_id: int
    item_id: int
    warehouse_id: int
    qty: Decimal  # signed: receipts positive, issues negative
    date: date
    tracking_number: str
    source_type: str
    source_number: str
    ref: str
    bin: str  # the bin code the poster named for this transaction; "" when it named none


RowCheck = Callable[[Sequence[RowToCheck]], list[tuple[int, str]]]
AfterPost = Callable[[Sequence[PostedRow], object], None]  # (rows, user)

_row_checks: list[RowCheck] = []
_after_post: list[AfterPost] = []


def row_check_register(check: RowCheck) -> RowCheck:
    """Register a row check (idempotent: registering the same function twice keeps one)."""
    if check not in _row_checks:
        _row_checks.append(check)
    return check


def after_post_register(callback: AfterPost) -> AfterPost:
    """Register an after-post callback (idempotent)."""
    if callback not in _after_post:
        _after_post.append(callback)
    return callback


def rows_check(rows: Sequence[RowToCheck]) -> list[tuple[int, str]]:
    """The problems every registered check finds in `rows`, as (row number, message)."""
    problems: list[tuple[int, str]] = []
    if rows:
        for check in _row_checks:
            problems += check(rows)
    return problems


def transactions_posted(transactions: Sequence, bins: dict[int, str], *, user=None) -> None:
    """Tell every callback about inserted transactions (model instances with their ids). `bins` maps
    `id(transaction)` to the bin code its poster named (see PostingSession.bins)."""
    if not transactions or not _after_post:
        return
    rows = [PostedRow(transaction_id=txn.pk, item_id=txn.item_id, warehouse_id=txn.warehouse_id, qty=txn.qty,
                      date=txn.date_physical, tracking_number=txn.tracking_number, source_type=txn.source_type,
                      source_number=txn.source_number, ref=txn.ref, bin=bins.get(id(txn), ""))
            for txn in transactions]
    for callback in _after_post:
        callback(rows, user)
