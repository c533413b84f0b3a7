"""Properties of a whole close over random histories posted through the posting services: several
items, each with a settling model group (FIFO, LIFO, LIFO date, weighted average, weighted average
date, with and without include physical value), receipts and issues physical or financial, invoiced
later or not, marked or not, some dated after the close. Every example runs in a savepoint that is
rolled back, so the examples do not see each other (closing_start's own atomic block nests inside).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from factories import ItemFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from closing.models import ClosingRun, CostAdjustment, Settlement
from closing.services import RunRequest, closing_reverse, closing_start, run_execute
from common.errors import DomainError
from inventory.models import CostDimension, InventoryTransaction, OnHand, Site, SourceType, Warehouse
from inventory.selectors import transactions_export_rows
from inventory.services.posting import posting_session
from ledger.models import VoucherLine
from ledger.selectors import trial_balance, unbalanced_vouchers

ZERO = Decimal("0")
START = date(2026, 1, 1)
CLOSE_DATE = date(2026, 1, 31)
MODEL_GROUPS = ["FIFO", "FIFO-IPV", "LIFO", "LIFO-IPV", "LIFODATE", "LIFODATE-IPV", "WAVG", "WAVG-IPV", "WAVGDATE",
                "WAVGDATE-IPV"]
QUANTITIES = ["1", "1", "2", "3", "5", "0.5", "1.25"]
WA_CLOSING = SourceType.WEIGHTED_AVERAGE_CLOSING

PROPERTY_SETTINGS = settings(max_examples=25, deadline=None,
                             suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@dataclass(frozen=True)
class Event:
    kind: str  # "receive", "issue" or "invoice" (of an earlier physical transaction)
    day: int  # days after Jan 1; past 30 is after the close
    qty: Decimal
    unit_cost: Decimal
    financial: bool
    pick: int  # which earlier transaction an invoice or a marking refers to
    marked: bool


events = st.builds(
    Event,
    kind=st.sampled_from(["receive", "receive", "issue", "issue", "invoice"]),
    day=st.integers(0, 40),
    qty=st.sampled_from(QUANTITIES).map(Decimal),
    unit_cost=st.integers(0, 5000).map(lambda cents: Decimal(cents) / 100),
    financial=st.sampled_from([True, True, False]),
    pick=st.integers(0, 1000),
    marked=st.integers(0, 4).map(lambda n: n == 0),
)
item_histories = st.tuples(
    st.sampled_from(MODEL_GROUPS),
    st.integers(0, 2000).map(lambda cents: Decimal(cents) / 100),  # the item's default cost price
    st.lists(events, min_size=1, max_size=12),
)
histories = st.lists(item_histories, min_size=1, max_size=3)


def post(history) -> None:
    """Post each item's events in date order, as the posting services would get them day by day."""
    site = Site.objects.get(code="MAIN")
    warehouse = Warehouse.objects.get(site=site, code="MAIN")
    for index, (model_group, cost_price, item_events) in enumerate(history):
        item = ItemFactory(number=f"P{index}", model_group=model_group, default_cost_price=cost_price)
        posted: list[InventoryTransaction] = []
        with posting_session() as session:
            for n, event in enumerate(sorted(item_events, key=lambda e: e.day)):
                on = START + timedelta(days=event.day)
                common = dict(item=item, posting_date=on, site=site, warehouse=warehouse, ref=f"P{index}-{n}",
                              financial=event.financial)
                if event.kind == "receive":
                    posted.append(session.receive(qty=event.qty, unit_cost=event.unit_cost, source_type=SourceType.PURCHASE,
                                                  **common))
                elif event.kind == "issue":
                    receipts = [txn for txn in posted if txn.qty > 0]
                    marked_to = receipts[event.pick % len(receipts)] if event.marked and receipts else None
                    posted.append(session.issue(qty=event.qty, source_type=SourceType.SALE, marked_to=marked_to, **common))
                else:
                    physical = [txn for txn in posted if not txn.is_financial]
                    if physical:
                        txn = physical[event.pick % len(physical)]
                        session.invoice(txn=txn, posting_date=max(on, txn.date_physical),
                                        unit_cost=event.unit_cost if txn.qty > 0 else None)


def run(run_type: str, on: date = CLOSE_DATE, **options) -> ClosingRun:
    started = closing_start(request=RunRequest(run_type=run_type, date=on, **options), queue=False)
    finished = run_execute(run_id=started.pk)
    assert finished.status == ClosingRun.Status.ENDED, finished.error
    return finished


def close(on: date = CLOSE_DATE) -> ClosingRun:
    return run(ClosingRun.RunType.CLOSING, on)


def in_savepoint(check):
    """Run one example in a savepoint that is always rolled back."""
    with transaction.atomic():
        try:
            return check()
        finally:
            transaction.set_rollback(True)


def relevant_date(txn: InventoryTransaction) -> date:
    return txn.date_financial if txn.is_financial else txn.date_physical


# Sums are made in Python: SQLite adds decimals up as floats.

def account_balance(number: str) -> Decimal:
    return sum((debit - credit for debit, credit in VoucherLine.objects.filter(account__number=number)
                .values_list("debit", "credit")), ZERO)


def on_hand_value() -> Decimal:
    return sum(OnHand.objects.values_list("financial_value", flat=True), ZERO)


def net_per_account() -> dict[str, Decimal]:
    """The trial balance's closing balance of every account that has one."""
    return {row["account"].number: row["closing"]
            for row in trial_balance(date_from=date(2000, 1, 1), date_to=date(2100, 12, 31)) if row["closing"]}


def books_snapshot() -> dict:
    """Every transaction as exported, with its settled fields, and the cached on-hand values."""
    settled = {t.ref: (t.qty_settled, t.cost_amount_settled, t.date_closed) for t in InventoryTransaction.objects.all()}
    return {
        "export": [(row, settled[row["ref"]]) for row in transactions_export_rows()],
        "on hand": list(OnHand.objects.order_by("id").values_list("financial_qty", "financial_value", "physical_qty",
                                                                 "physical_value")),
        "dimensions": list(CostDimension.objects.order_by("id").values_list("financial_value", "physical_value")),
    }


def check_books_whole(run_: ClosingRun) -> None:
    txns = list(InventoryTransaction.objects.all())
    settled: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for issue, receipt, qty in Settlement.objects.filter(is_cancelled=False).values_list("issue", "receipt", "qty"):
        settled[issue] += qty
        if receipt is not None:
            settled[receipt] += qty
    adjusted = set(CostAdjustment.objects.filter(is_cancelled=False).values_list("transaction", flat=True))
    for txn in txns:
        # Quantities are conserved: nothing is settled beyond its quantity, and the settlements add
        # up to what the transaction says is settled.
        assert abs(txn.qty_settled) <= abs(txn.qty), txn.ref
        assert txn.qty_settled * txn.qty >= 0, txn.ref
        assert settled[txn.pk] == abs(txn.qty_settled), txn.ref
        if txn.qty_settled:
            assert txn.is_financial, f"{txn.ref} is settled but only physically updated"
        if not txn.value_open:
            # A closed transaction was settled whole, at exactly its value.
            assert (txn.qty_settled, txn.cost_amount) == (txn.qty, txn.cost_amount_settled), txn.ref
        if relevant_date(txn) > run_.date:
            assert txn.qty_settled == 0 and txn.pk not in adjusted, f"{txn.ref} is dated after the close"

    # Value: financial receipts = cost of financial issues + financial on hand, to the cent.
    real = [t for t in txns if t.source_type != WA_CLOSING and t.is_financial]
    receipts = sum((t.cost_amount for t in real if t.qty > 0), ZERO)
    issues = sum((-t.cost_amount for t in real if t.qty < 0), ZERO)
    on_hand = on_hand_value()
    assert receipts == issues + on_hand
    assert sum(CostDimension.objects.values_list("financial_value", flat=True), ZERO) == on_hand
    left_open = sum((t.cost_amount - t.cost_amount_settled for t in txns if t.is_financial and t.value_open), ZERO)
    assert left_open == on_hand
    # The weighted average closing pairs net to nothing.
    system = [t for t in txns if t.source_type == WA_CLOSING]
    assert sum((t.qty for t in system), ZERO) == 0 and sum((t.cost_amount for t in system), ZERO) == 0

    # Ledger: balanced, and the inventory account holds the financial value of every transaction.
    assert unbalanced_vouchers() == []
    assert account_balance("1400") == sum((t.cost_amount_posted + t.cost_amount_adjustment for t in txns if t.is_financial), ZERO)


@PROPERTY_SETTINGS
@given(history=histories)
def test_it_keeps_quantities_values_and_the_ledger_whole_through_two_closes(company, history):
    def check():
        post(history)
        run_ = close()
        check_books_whole(run_)
        # A second close at the same date is refused, and changes nothing.
        before = books_snapshot()
        try:
            close()
        except DomainError as error:
            assert "Inventory is already closed up to 2026-01-31" in error.message
        else:
            raise AssertionError("a second close at the same date was accepted")
        assert books_snapshot() == before
        # February (what was posted after January 31) closes on top of January's open balances.
        check_books_whole(close(date(2026, 2, 28)))

    in_savepoint(check)


@PROPERTY_SETTINGS
@given(history=histories)
def test_it_restores_every_transaction_and_the_trial_balance_when_the_close_is_reversed(company, history):
    def check():
        post(history)
        before, ledger_before = books_snapshot(), net_per_account()

        close()
        closing_reverse()

        assert books_snapshot() == before
        assert net_per_account() == ledger_before
        assert unbalanced_vouchers() == []
        assert not InventoryTransaction.objects.filter(source_type=WA_CLOSING).exists()
        assert not Settlement.objects.filter(is_cancelled=False).exists()
        # Closing again after the reversal is allowed and gives a whole book again.
        check_books_whole(close())

    in_savepoint(check)


def final_costs(history, *, recalculate_first: bool) -> tuple[dict, list]:
    def books_after():
        post(history)
        if recalculate_first:
            run(ClosingRun.RunType.RECALCULATION, min_adjustment=ZERO)
        close()
        costs = {t.ref: t.cost_amount for t in InventoryTransaction.objects.exclude(source_type=WA_CLOSING)}
        system = sorted(InventoryTransaction.objects.filter(source_type=WA_CLOSING).values_list(
            "item__number", "date_financial", "qty", "cost_amount_posted", "qty_settled", "cost_amount_settled"))
        return costs, system

    return in_savepoint(books_after)


@PROPERTY_SETTINGS
@given(history=histories)
def test_it_closes_to_the_same_costs_after_a_recalculation(company, history):
    assert final_costs(history, recalculate_first=True) == final_costs(history, recalculate_first=False)
