"""Mechanics every settling method shares: the prepared book, marking, valuing physical issues (IPV),
turning a quantity plan into amounts, carrying transfer costs, and the close log warnings.

A method module only decides *which* issue takes *how much* from *which* receipt (a plan of legs, in
quantities). `evaluate` then prices the legs in order. Keeping quantities and amounts apart is what
makes transfer costs cheap to iterate: the plan never changes, only the receipt amounts do.

Rounding (docs/domain.md §0): amounts are rounded half-up to cents per settlement. A leg takes the receipt's
*remaining* amount pro rata of its *remaining* quantity, and the leg that empties a receipt takes the
exact rest, so a receipt's cost is handed out to the cent and never over-spent.

Everything here is fixed point (closing/engine/fixed.py): quantities are integers in millionths,
amounts integers in cents, so the arithmetic is exact and `round_half_up` is the only rounding.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date

from .fixed import quantity_text, round_half_up
from .types import (
    WA_CLOSING_LABEL,
    FixedAdjustment,
    FixedResult,
    FixedSettlement,
    FixedSystemTxn,
    FixedTxn,
    WarningOut,
)

# Kinds of leg in a plan.
SETTLE = 0  # a real settlement: a financial issue takes a financial receipt
VALUE = 1  # IPV: a physical-only issue is valued at a receipt's cost; nothing is settled
OPEN_SYSTEM_RECEIPT = 2  # the WA closing receipt takes over what its paired closing issue settled


class Book:
    """The value-open transactions of one item in one financial dimension, sorted by (date, id), with
    the lists the methods walk over (positions into `txns`)."""

    __slots__ = (
        "txns", "position", "close_date", "include_physical_value", "transfer_costs", "max_iterations",
        "issues", "financial_receipts", "all_receipts", "marked_financial_issues", "unmarked_financial_issues",
        "marked_physical_issues", "unmarked_physical_issues",
    )

    def __init__(
        self, txns: Sequence[FixedTxn], *, close_date: date, include_physical_value: bool,
        transfer_costs: Mapping[int, int], max_iterations: int,
    ) -> None:
        # Only transactions dated up to the closing date are reviewed (docs/domain.md §2.4); nothing later is
        # settled or adjusted. Sorting by (date, id) makes the result independent of the input order.
        self.txns = sorted((t for t in txns if t.date <= close_date and t.qty != 0), key=_date_id)
        self.close_date = close_date
        self.include_physical_value = include_physical_value
        self.transfer_costs = transfer_costs
        self.max_iterations = max(1, max_iterations)
        self.position: dict[int, int] = {}
        self.issues: list[int] = []
        self.financial_receipts: list[int] = []
        self.all_receipts: list[int] = []
        self.marked_financial_issues: list[int] = []
        self.unmarked_financial_issues: list[int] = []
        self.marked_physical_issues: list[int] = []
        self.unmarked_physical_issues: list[int] = []
        for pos, txn in enumerate(self.txns):
            if txn.id in self.position:
                raise ValueError(f"transaction {txn.id} is given twice")
            self.position[txn.id] = pos
            if txn.qty > 0:
                self.all_receipts.append(pos)
                if txn.financial:
                    self.financial_receipts.append(pos)
                continue
            self.issues.append(pos)
            if txn.financial:
                (self.unmarked_financial_issues if txn.marked_to is None else self.marked_financial_issues).append(pos)
            else:
                (self.unmarked_physical_issues if txn.marked_to is None else self.marked_physical_issues).append(pos)


def _date_id(txn: FixedTxn) -> tuple[date, int]:
    return (txn.date, txn.id)


class Plan:
    """Which issue takes how much from which receipt, in order. Positions below len(book.txns) are the
    book's transactions; above are system transactions the close creates."""

    __slots__ = ("book", "open", "legs", "system_dates", "reasons", "values_physical")

    def __init__(self, book: Book) -> None:
        self.book = book
        # Quantity not yet matched (millionths), as a magnitude, per position.
        self.open: list[int] = [abs(t.qty) for t in book.txns]
        self.legs: list[tuple[int, int, int, int]] = []
        self.system_dates: list[date] = []  # one per system transaction, in creation order
        self.reasons: dict[int, str] = {}  # why an issue could not be settled, when there is more to say
        self.values_physical = False

    def take(self, issue: int, receipt: int, kind: int) -> None:
        open_ = self.open
        qty = min(open_[issue], open_[receipt])
        if qty <= 0:
            return
        open_[issue] -= qty
        open_[receipt] -= qty
        self.legs.append((issue, receipt, qty, kind))

    def summarize(self, receipts: Sequence[int], on: date) -> int:
        """Weighted average summarized settlement (docs/domain.md §1.2.4): a system closing issue settles every
        given receipt in full; a paired system receipt carries their total quantity and value and is
        what the period's issues then settle against. Returns the system receipt's position."""
        issue = self._new_system(on)
        receipt = self._new_system(on)
        open_ = self.open
        total = 0
        for r in receipts:
            qty = open_[r]
            if qty > 0:
                self.legs.append((issue, r, qty, SETTLE))
                open_[r] = 0
                total += qty
        self.legs.append((issue, receipt, total, OPEN_SYSTEM_RECEIPT))
        open_[receipt] = total
        return receipt

    def _new_system(self, on: date) -> int:
        self.system_dates.append(on)
        self.open.append(0)
        return len(self.open) - 1


Matcher = Callable[[Plan, Sequence[int], Sequence[int], int], None]


def system_id(plan: Plan, pos: int) -> int:
    return -(pos - len(plan.book.txns) + 1)


def settle_marked(plan: Plan, issues: Sequence[int], *, kind: int = SETTLE) -> None:
    """Marking overrides the method (docs/domain.md §2.1): a marked issue takes its marked receipt and nothing
    else. A settlement needs a financially updated receipt; valuing a physical issue (IPV) accepts a
    physical one. Whatever the marked receipt cannot cover stays open."""
    book = plan.book
    txns, position, open_ = book.txns, book.position, plan.open
    for issue in issues:
        marked_to = txns[issue].marked_to
        receipt = position.get(marked_to)
        usable = (
            receipt is not None
            and txns[receipt].qty > 0
            and (txns[receipt].financial or kind == VALUE)
            and open_[receipt] > 0
        )
        if not usable:
            plan.reasons[issue] = (
                f"it is marked to receipt {marked_to}, which has no open financially updated quantity "
                "up to the closing date"
            )
            continue
        plan.take(issue, receipt, kind)
        if open_[issue] > 0:
            plan.reasons[issue] = f"it is marked to receipt {marked_to}, which has too little open quantity"


def value_physical_issues(plan: Plan, match: Matcher) -> None:
    """With *Include physical value*, FIFO, LIFO and LIFO date adjust physical-only issues (no
    settlement) to the cost of the receipts that come next in the method's order once the financial
    settlement is done, physical receipts included (docs/domain.md §1.2.1-§1.2.3: FIFO 6a -> 2b, LIFO 6a -> 4a,
    LIFO date 6a -> 5b). Marked physical issues take their marked receipt first."""
    book = plan.book
    if not book.include_physical_value:
        return
    plan.values_physical = True
    settle_marked(plan, book.marked_physical_issues, kind=VALUE)
    match(plan, book.unmarked_physical_issues, book.all_receipts, VALUE)


def close_with_matcher(book: Book, match: Matcher) -> FixedResult:
    """The shape of FIFO, LIFO and LIFO date: marking first, the method for the rest of the financial
    issues, then (IPV) the physical issues."""
    plan = Plan(book)
    settle_marked(plan, book.marked_financial_issues)
    match(plan, book.unmarked_financial_issues, book.financial_receipts, SETTLE)
    value_physical_issues(plan, match)
    return evaluate(plan)


class _Priced:
    """One pricing pass over a plan."""

    __slots__ = ("settlements", "adjustments", "system_txns")

    def __init__(self) -> None:
        self.settlements: list[FixedSettlement] = []
        self.adjustments: dict[int, int] = {}  # issue position -> signed adjustment
        self.system_txns: list[FixedSystemTxn] = []


def _price(plan: Plan, base: list[int]) -> _Priced:
    book = plan.book
    txns = book.txns
    n = len(txns)
    size = len(plan.open)
    ids = [t.id for t in txns] + [system_id(plan, pos) for pos in range(n, size)]
    remaining_qty = [abs(t.qty) for t in txns] + [0] * (size - n)
    remaining_amount = base + [0] * (size - n)
    taken = [0] * size
    matched = [0] * size
    priced = _Priced()
    settlements = priced.settlements
    append = settlements.append
    new = tuple.__new__  # FixedSettlement(...) through its Python-level __new__ costs a frame per leg
    for issue, receipt, qty, kind in plan.legs:
        if kind == OPEN_SYSTEM_RECEIPT:
            remaining_qty[receipt] = qty
            remaining_amount[receipt] = taken[issue]
            continue
        r_qty = remaining_qty[receipt]
        r_amount = remaining_amount[receipt]
        if qty == r_qty:
            amount = r_amount
        else:  # round_half_up(r_amount * qty, r_qty), inlined: r_qty > 0, the hot loop of a close
            numerator = r_amount * qty
            if numerator >= 0:
                amount = (2 * numerator + r_qty) // (2 * r_qty)
            else:
                amount = -((r_qty - 2 * numerator) // (2 * r_qty))
        remaining_qty[receipt] = r_qty - qty
        remaining_amount[receipt] = r_amount - amount
        taken[issue] += amount
        matched[issue] += qty
        if kind == SETTLE:
            append(new(FixedSettlement, (ids[issue], ids[receipt], qty, amount)))

    adjustments = priced.adjustments
    for pos in book.issues:
        qty_matched = matched[pos]
        if qty_matched == 0:
            continue
        txn = txns[pos]
        open_qty = -txn.qty
        if txn.financial:
            # Only the settled part is corrected; an unsettled rest keeps its current cost.
            current = txn.amount if qty_matched == open_qty else round_half_up(txn.amount * qty_matched, open_qty)
        elif qty_matched == open_qty:
            current = txn.amount
        else:
            # A physical issue the receipts could not fully cover is left alone (and logged), so that
            # closing again gives the same answer.
            continue
        adjustment = -taken[pos] - current
        if adjustment != 0:
            adjustments[pos] = adjustment

    for k in range(0, size - n, 2):
        issue, receipt = n + k, n + k + 1
        on = plan.system_dates[k]
        priced.system_txns.append(FixedSystemTxn(ids[issue], -matched[issue], -taken[issue], on, WA_CLOSING_LABEL))
        priced.system_txns.append(FixedSystemTxn(ids[receipt], matched[issue], taken[issue], on, WA_CLOSING_LABEL))
    return priced


def evaluate(plan: Plan) -> FixedResult:
    """Price the plan. A receipt that carries a transfer issue's cost takes that cost first; when the
    transfer issue is in this same dimension its cost depends on the settlement that may in turn use
    the receipt, so price again until the carried costs stop changing (at most max_iterations passes,
    the "maximum throughputs" of docs/domain.md §2.4)."""
    book = plan.book
    txns = book.txns
    base = [t.amount for t in txns]
    internal: list[tuple[int, int]] = []  # (transfer receipt, transfer issue) within this dimension
    for pos in book.all_receipts:
        txn = txns[pos]
        if txn.transfer_issue is None:
            continue
        issue = book.position.get(txn.transfer_issue)
        if issue is not None and txns[issue].qty < 0:
            internal.append((pos, issue))
        elif txn.transfer_issue in book.transfer_costs:
            # The issue's final cost for its full quantity, which a transfer moves unchanged into
            # this receipt: the receipt carries it with the opposite sign.
            base[pos] = -book.transfer_costs[txn.transfer_issue]

    priced = _price(plan, base)
    unsettled_transfers: list[int] = []
    passes = 1
    while internal:
        carried = {}
        for receipt, issue in internal:
            final = txns[issue].amount + priced.adjustments.get(issue, 0)
            cost = round_half_up(final * txns[receipt].qty, txns[issue].qty)
            if cost != base[receipt]:
                carried[receipt] = cost
        if not carried:
            break
        if passes >= book.max_iterations:
            unsettled_transfers = sorted(carried)
            break
        for receipt, cost in carried.items():
            base[receipt] = cost
        priced = _price(plan, base)
        passes += 1

    # Only issues and transfer receipts change cost; list them in (date, id) order.
    changes = dict(priced.adjustments)
    for pos in book.all_receipts:
        if txns[pos].transfer_issue is not None and base[pos] != txns[pos].amount:
            changes[pos] = base[pos] - txns[pos].amount
    adjustments = [FixedAdjustment(txns[pos].id, changes[pos]) for pos in sorted(changes)]
    issue_adjustments = priced.adjustments

    issue_costs = {
        txns[pos].id: txns[pos].amount + issue_adjustments.get(pos, 0) for pos in book.issues
    }
    return FixedResult(
        settlements=tuple(priced.settlements),
        adjustments=tuple(adjustments),
        system_txns=tuple(priced.system_txns),
        warnings=tuple(_warnings(plan, unsettled_transfers)),
        issue_costs=issue_costs,
    )


def _warnings(plan: Plan, unsettled_transfers: list[int]) -> list[WarningOut]:
    """The close log (docs/domain.md §2.3): every issue left (partly) open, and every transfer receipt whose
    cost was still moving when the iterations ran out. The data layer prefixes the item number."""
    book = plan.book
    txns, open_ = book.txns, plan.open
    warnings: list[tuple[int, WarningOut]] = []
    for pos in book.issues:
        left = open_[pos]
        if left == 0:
            continue
        txn = txns[pos]
        if txn.financial:
            reason = plan.reasons.get(pos)
            because = f" because {reason}" if reason else ""
            message = (
                f"Issue could not be fully settled{because}: {quantity_text(left)} of "
                f"{quantity_text(-txn.qty)} units open; its cost price may be wrong."
            )
        elif plan.values_physical:
            message = (
                f"Physical issue could not be valued at receipt cost: {quantity_text(left)} of "
                f"{quantity_text(-txn.qty)} units without a receipt; its cost price may be wrong."
            )
        else:
            continue
        warnings.append((pos, WarningOut(txn_id=txn.id, message=message)))
    for pos in unsettled_transfers:
        warnings.append((pos, WarningOut(
            txn_id=txns[pos].id,
            message=(
                f"Transfer cost still changing after {book.max_iterations} iterations; "
                "its cost price may be wrong."
            ),
        )))
    warnings.sort(key=lambda item: item[0])
    return [warning for _, warning in warnings]
