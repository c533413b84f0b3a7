"""The fixed-point engine (integers: quantities in millionths, amounts in cents) gives exactly what
the Decimal engine it replaced gave, to the cent and to the millionth, on random histories: the
Decimal engine is kept as the oracle in tests/closing/engine/reference/."""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from closing.engine import FixedTxn, OpenTxn, ValuationMethod, close_dimension, close_dimension_fixed
from closing.engine.fixed import amount_fixed, quantity_fixed, quantity_text, round_half_up
from common.money import round_amount
from tests.closing.engine import reference

START = date(2024, 1, 1)
METHODS = [m.value for m in ValuationMethod]
NOT_ON_FILE = 10_000_000

# Quantities with awkward fractions (thirds, millionths) and large ones, so pro-rata amounts round
# on both sides of half a cent; unit costs up to 100,000.00 with cents.
quantities = st.one_of(
    st.sampled_from(["1", "2", "3", "0.5", "0.333333", "0.000001", "7", "12.5"]).map(Decimal),
    st.integers(1, 10**10).map(lambda n: Decimal(n).scaleb(-6)),
)
unit_costs = st.integers(0, 10_000_000).map(lambda n: Decimal(n).scaleb(-2))


@st.composite
def histories(draw, *, max_size=18):
    size = draw(st.integers(0, max_size))
    ids = draw(st.permutations(range(1, size + 1)))
    rows = []
    for txn_id in ids:
        is_receipt = draw(st.booleans())
        qty = draw(quantities)
        # Amounts need not be quantity x unit cost: an open rest after earlier partial settlements
        # carries whatever cents are left, and a negative receipt amount happens (credit notes).
        amount = round_amount(qty * draw(unit_costs))
        if draw(st.integers(0, 9)) == 0:
            amount = -amount
        rows.append(dict(
            id=txn_id, qty=qty if is_receipt else -qty, amount=amount if is_receipt else -amount,
            date=START + timedelta(days=draw(st.integers(0, 12))),
            financial=draw(st.sampled_from([True, True, True, False])),
            is_prior_on_hand=is_receipt and draw(st.integers(0, 4)) == 0,
        ))
    receipt_ids = [r["id"] for r in rows if r["qty"] > 0]
    issue_ids = [r["id"] for r in rows if r["qty"] < 0]
    for row in rows:
        if row["qty"] < 0 and draw(st.integers(0, 3)) == 0:
            row["marked_to"] = draw(st.sampled_from(receipt_ids + [NOT_ON_FILE, row["id"]]))
        if row["qty"] > 0 and draw(st.integers(0, 2)) == 0:
            row["transfer_issue"] = draw(st.sampled_from(issue_ids + [NOT_ON_FILE]))
    return rows


def as_tuples(result) -> tuple:
    """A result of either engine as plain values (the two engines have their own dataclasses)."""
    return (
        [(s.issue_id, s.receipt_id, s.qty, s.amount) for s in result.settlements],
        [(a.txn_id, a.amount) for a in result.adjustments],
        [(s.id, s.qty, s.amount, s.date, s.label) for s in result.system_txns],
        [(w.txn_id, w.message) for w in result.warnings],
        sorted(result.issue_costs.items()),
    )


@settings(max_examples=600, deadline=None)
@given(histories(), st.sampled_from(METHODS), st.booleans(), st.integers(3, 13),
       st.integers(-10**8, 10**8), st.integers(1, 4))
def test_it_gives_what_the_decimal_engine_gave(rows, method, ipv, close_day, external_cents, max_iterations):
    close_date = START + timedelta(days=close_day)
    external = {NOT_ON_FILE: Decimal(external_cents).scaleb(-2)}
    options = dict(method=method, include_physical_value=ipv, close_date=close_date, transfer_costs=external,
                   max_iterations=max_iterations)
    ours = close_dimension([OpenTxn(**row) for row in rows], **options)
    oracle = reference.close_dimension([reference.OpenTxn(**row) for row in rows], **options)
    assert as_tuples(ours) == as_tuples(oracle)


@settings(max_examples=200, deadline=None)
@given(histories(), st.sampled_from(METHODS), st.booleans())
def test_it_computes_in_integers_end_to_end(rows, method, ipv):
    """The data layer's entry point: integers in, integers out, the same values as the Decimal face."""
    close_date = START + timedelta(days=13)
    options = dict(method=method, include_physical_value=ipv, close_date=close_date)
    fixed = close_dimension_fixed(
        [fixed_txn(row) for row in rows], **options)
    decimal = close_dimension([OpenTxn(**row) for row in rows], **options)
    assert all(type(value) is int for s in fixed.settlements for value in (s.qty, s.amount))
    assert [(s.issue_id, s.receipt_id, Decimal(s.qty).scaleb(-6), Decimal(s.amount).scaleb(-2))
            for s in fixed.settlements] == [(s.issue_id, s.receipt_id, s.qty, s.amount) for s in decimal.settlements]
    assert [(a.txn_id, Decimal(a.amount).scaleb(-2)) for a in fixed.adjustments] == [
        (a.txn_id, a.amount) for a in decimal.adjustments]


def fixed_txn(row: dict) -> FixedTxn:
    return FixedTxn(row["id"], quantity_fixed(row["qty"]), amount_fixed(row["amount"]), row["date"], row["financial"],
                    row.get("marked_to"), row.get("transfer_issue"), row["is_prior_on_hand"])


@settings(max_examples=2000, deadline=None)
@given(st.integers(-10**15, 10**15), st.integers(-10**9, 10**9).filter(bool))
def test_it_rounds_half_up_like_decimal(numerator, denominator):
    expected = (Decimal(numerator) / Decimal(denominator)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    assert round_half_up(numerator, denominator) == int(expected)


def test_it_rounds_exact_halves_away_from_zero():
    assert [round_half_up(n, 2) for n in (5, 3, 1, -1, -3, -5)] == [3, 2, 1, -1, -2, -3]
    assert round_half_up(7, -2) == -4


def test_it_refuses_more_places_than_the_books_keep():
    assert quantity_fixed(Decimal("1.000001")) == 1_000_001
    assert amount_fixed(Decimal("-12.34")) == -1234
    with pytest.raises(ValueError, match="more decimal places"):
        quantity_fixed(Decimal("0.0000001"))
    with pytest.raises(ValueError, match="more decimal places"):
        amount_fixed(Decimal("1.005"))


def test_it_writes_quantities_without_exponents():
    assert [quantity_text(q) for q in (2_000_000, 2_500_000, 100_000_000, 1)] == ["2", "2.5", "100", "0.000001"]
