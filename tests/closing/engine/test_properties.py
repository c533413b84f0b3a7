"""Properties of the engine over random histories of one item in one financial dimension: receipts
and issues, financial and physical-only, marked or not, on random dates, closed by every method."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from closing.engine import DimensionResult, OpenTxn, ValuationMethod, close_dimension
from common.money import ZERO, round_amount

START = date(2024, 1, 1)
QUANTITIES = [Decimal(q) for q in ("1", "1", "2", "3", "5", "0.5", "1.25", "0.333333", "7")]
METHODS = [m.value for m in ValuationMethod]
SETTLING = ["fifo", "lifo", "lifo_date"]
NOT_ON_FILE = 10_000  # a receipt id that is never in the history (e.g. invoiced after the close)


@st.composite
def histories(draw, *, marking=True, physical=True, transfers=False, max_size=14):
    size = draw(st.integers(0, max_size))
    ids = draw(st.permutations(range(1, size + 1)))  # ids need not follow the dates
    rows = []
    for txn_id in ids:
        is_receipt = draw(st.booleans())
        qty = draw(st.sampled_from(QUANTITIES))
        unit_cost = Decimal(draw(st.integers(0, 5000))) / 100
        amount = round_amount(qty * unit_cost)
        financial = draw(st.sampled_from([True, True, True, False])) if physical else True
        on = START + timedelta(days=draw(st.integers(0, 9)))
        rows.append(dict(
            id=txn_id, qty=qty if is_receipt else -qty, amount=amount if is_receipt else -amount,
            date=on, financial=financial,
            is_prior_on_hand=is_receipt and financial and draw(st.integers(0, 5)) == 0,
        ))
    receipt_ids = [r["id"] for r in rows if r["qty"] > 0]
    issue_ids = [r["id"] for r in rows if r["qty"] < 0]
    for row in rows:
        if marking and row["qty"] < 0 and draw(st.integers(0, 3)) == 0:
            row["marked_to"] = draw(st.sampled_from(receipt_ids + [NOT_ON_FILE, row["id"]]))
        if transfers and row["qty"] > 0 and draw(st.integers(0, 2)) == 0:
            row["transfer_issue"] = draw(st.sampled_from(issue_ids + [NOT_ON_FILE]))
    return [OpenTxn(**row) for row in rows]


close_dates = st.integers(4, 10).map(lambda n: START + timedelta(days=n))


def close(txns, method, ipv, close_date, **options) -> DimensionResult:
    return close_dimension(txns, method=method, include_physical_value=ipv, close_date=close_date, **options)


def settled_part_cost(txn: OpenTxn, qty: Decimal) -> Decimal:
    """What the settled part of an issue was valued at before the close (pro rata, the rest exact)."""
    return txn.amount if qty == -txn.qty else round_amount(txn.amount * qty / -txn.qty)


def leftovers(txns, result: DimensionResult, close_date: date) -> list[OpenTxn]:
    """The value-open transactions after persisting the close, as the next close would read them.
    The weighted average closing receipt comes back as prior on-hand with an id of its own."""
    considered = [t for t in txns if t.date <= close_date]
    adjustment = {a.txn_id: a.amount for a in result.adjustments}
    qty = {t.id: t.qty for t in considered}
    value = {t.id: t.amount + adjustment.get(t.id, ZERO) for t in considered}
    for system in result.system_txns:
        qty[system.id], value[system.id] = system.qty, system.amount
    for s in result.settlements:
        qty[s.receipt_id] -= s.qty
        value[s.receipt_id] -= s.amount
        qty[s.issue_id] += s.qty
        value[s.issue_id] += s.amount
    left = [
        OpenTxn(
            id=t.id, qty=qty[t.id], amount=value[t.id], date=t.date, financial=t.financial,
            marked_to=t.marked_to, is_prior_on_hand=t.is_prior_on_hand,
        )
        for t in considered if qty[t.id] != ZERO
    ]
    next_id = max((t.id for t in txns), default=0) + 1
    for system in result.system_txns:
        if system.qty > ZERO and qty[system.id] != ZERO:
            left.append(OpenTxn(
                id=next_id, qty=qty[system.id], amount=value[system.id], date=system.date, financial=True,
                is_prior_on_hand=True,
            ))
            next_id += 1
    return left


def check_books(txns, result: DimensionResult, method: str, close_date: date) -> None:
    considered = {t.id: t for t in txns if t.date <= close_date}
    system = {s.id: s for s in result.system_txns}
    adjustment = {a.txn_id: a.amount for a in result.adjustments}
    assert len(adjustment) == len(result.adjustments), "one adjustment per transaction"
    assert all(a.amount != ZERO for a in result.adjustments)
    assert set(adjustment) <= set(considered)

    if method in ("standard_cost", "moving_average"):
        assert result.settlements == result.adjustments == result.system_txns == result.warnings == ()
        return
    if method not in ("weighted_average", "weighted_average_date"):
        assert result.system_txns == ()

    # Quantities: nothing settled beyond what is open; only financial transactions settle.
    settled = defaultdict(lambda: ZERO)
    taken = defaultdict(lambda: ZERO)
    given_away = defaultdict(lambda: ZERO)
    for s in result.settlements:
        assert s.qty > ZERO
        issue = considered.get(s.issue_id) or system[s.issue_id]
        receipt = considered.get(s.receipt_id) or system[s.receipt_id]
        assert issue.qty < ZERO < receipt.qty
        assert s.issue_id < 0 or issue.financial
        assert s.receipt_id < 0 or receipt.financial
        assert s.amount == round_amount(s.amount)
        settled[s.issue_id] += s.qty
        settled[s.receipt_id] += s.qty
        taken[s.issue_id] += s.amount
        given_away[s.receipt_id] += s.amount
    for txn_id, qty in settled.items():
        txn = considered.get(txn_id) or system[txn_id]
        assert qty <= abs(txn.qty)

    # The weighted average closing pair: the issue takes its receipts whole, the receipt mirrors it.
    for txn_id, txn in system.items():
        if txn.qty < ZERO:
            assert settled[txn_id] == -txn.qty and taken[txn_id] == -txn.amount
            assert system[txn_id - 1].qty == -txn.qty and system[txn_id - 1].amount == -txn.amount

    # Receipts: one that is used up has handed out exactly its value, to the cent.
    receipts_value = ZERO
    remaining_value = ZERO
    for txn_id, txn in list(considered.items()) + list(system.items()):
        if txn.qty <= ZERO or not getattr(txn, "financial", True):
            continue
        final = txn.amount + adjustment.get(txn_id, ZERO)
        left = final - given_away[txn_id]
        if settled[txn_id] == txn.qty:
            assert left == ZERO
        if txn_id > 0:
            receipts_value += final
        remaining_value += left

    # Issues: the settled part now costs what it took; the open part is unchanged and logged.
    warned = {w.txn_id for w in result.warnings}
    issues_cost = ZERO
    for txn_id, txn in considered.items():
        if txn.qty > ZERO:
            continue
        if not txn.financial:
            if method.startswith("weighted_average"):
                assert txn_id not in adjustment, "weighted average never touches physical transactions"
            continue
        qty = settled[txn_id]
        cost = -(settled_part_cost(txn, qty) + adjustment.get(txn_id, ZERO)) if qty else ZERO
        assert cost == taken[txn_id]
        assert result.issue_costs[txn_id] == txn.amount + adjustment.get(txn_id, ZERO)
        issues_cost += cost
        assert (qty < -txn.qty) == (txn_id in warned)

    # Value of financial receipts = cost of the settled issues + the value still on hand.
    assert receipts_value == issues_cost + remaining_value


@settings(max_examples=300, deadline=None)
@given(histories(), st.sampled_from(METHODS), st.booleans(), close_dates)
def test_it_keeps_the_books_balanced(txns, method, ipv, close_date):
    result = close(txns, method, ipv, close_date)
    check_books(txns, result, method, close_date)


@settings(max_examples=150, deadline=None)
@given(histories(), st.sampled_from(METHODS), st.booleans(), close_dates, st.randoms(use_true_random=False))
def test_it_gives_the_same_result_whatever_the_input_order(txns, method, ipv, close_date, rnd):
    shuffled = list(txns)
    rnd.shuffle(shuffled)
    assert close(shuffled, method, ipv, close_date) == close(txns, method, ipv, close_date)


@settings(max_examples=300, deadline=None)
@given(histories(), st.sampled_from(METHODS), st.booleans(), close_dates)
def test_it_finds_nothing_more_to_do_when_closing_the_leftovers_again(txns, method, ipv, close_date):
    result = close(txns, method, ipv, close_date)
    again = close(leftovers(txns, result, close_date), method, ipv, close_date)
    assert again.adjustments == ()
    assert again.settlements == ()


def reference_settlements(txns, method):
    """A slow, literal reading of docs/domain.md §2.1 for unmarked financial transactions."""
    receipts = sorted((t for t in txns if t.qty > 0), key=lambda t: (t.date, t.id))
    issues = sorted((t for t in txns if t.qty < 0), key=lambda t: (t.date, t.id))
    open_ = {t.id: abs(t.qty) for t in txns}
    if method == "lifo_date":
        # per date from the oldest, same-date issues last first
        issues = sorted(issues, key=lambda t: (t.date, -t.id))
    out = []
    for issue in issues:
        while open_[issue.id] > 0:
            available = [r for r in receipts if open_[r.id] > 0]
            if not available:
                break
            if method == "fifo":
                receipt = available[0]
            elif method == "lifo":
                receipt = available[-1]
            else:
                before = [r for r in available if r.date <= issue.date]
                receipt = before[-1] if before else available[0]
            qty = min(open_[issue.id], open_[receipt.id])
            open_[issue.id] -= qty
            open_[receipt.id] -= qty
            out.append((issue.id, receipt.id, qty))
    return out


@settings(max_examples=300, deadline=None)
@given(histories(marking=False, physical=False), st.sampled_from(SETTLING))
def test_it_settles_in_the_order_the_method_prescribes(txns, method):
    result = close(txns, method, False, START + timedelta(days=10))
    assert [(s.issue_id, s.receipt_id, s.qty) for s in result.settlements] == reference_settlements(txns, method)


@settings(max_examples=150, deadline=None)
@given(histories(transfers=True), st.sampled_from(METHODS), st.booleans(), close_dates)
def test_it_carries_transfer_costs_to_a_fixed_point(txns, method, ipv, close_date):
    external = {NOT_ON_FILE: Decimal("-12.34")}
    result = close(txns, method, ipv, close_date, transfer_costs=external)
    check_books(txns, result, method, close_date)
    if method in ("standard_cost", "moving_average"):
        return
    considered = {t.id: t for t in txns if t.date <= close_date}
    adjustment = {a.txn_id: a.amount for a in result.adjustments}
    warned = {w.txn_id for w in result.warnings}
    for txn in considered.values():
        if txn.qty < 0 or txn.transfer_issue is None or txn.id in warned:
            continue
        final = txn.amount + adjustment.get(txn.id, ZERO)
        source = considered.get(txn.transfer_issue)
        if txn.transfer_issue == NOT_ON_FILE:
            assert final == Decimal("12.34")
        elif source is not None:
            assert final == round_amount(result.issue_costs[source.id] * txn.qty / source.qty)
