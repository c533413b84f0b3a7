"""Cycle counting over a year (docs/domain.md §5.4, BC counting periods).

    QUARTER  4 a year   next date = counted date + 3 months
    MONTH   12 a year   next date = counted date + 1 month (day clamped to the month's end)
    WEEK    52 a year   next date = counted date + 7 days (365 / 52 = 7.02)

ANCHOR has its own QUARTER period; CHAIN has none but its item group CYCLE counts MONTHly; CLAMP is in
CYCLE too but its own WEEK period wins; PLAIN has no period and is never proposed. The warehouse
counts on the 15th of every month of 2026 whatever is due.
"""

from datetime import date
from decimal import Decimal

import pytest
from factories import CountingPeriodFactory, ItemFactory

from common.errors import DomainError
from inventory.models import CountingPeriod, Item, ItemGroup, Journal, SourceType
from inventory.services.counting import counting_period_calculate, counting_period_due
from inventory.services.journals import journal_post
from inventory.services.posting import posting_session

D = Decimal


@pytest.fixture
def periods(company) -> dict[str, CountingPeriod]:
    return {code: CountingPeriodFactory(code=code, frequency_per_year=frequency)
            for code, frequency in (("QUARTER", 4), ("MONTH", 12), ("WEEK", 52))}


@pytest.fixture
def items(company, periods) -> dict[str, Item]:
    cycle = ItemGroup.objects.get(code="DEFAULT")
    cycle.pk, cycle.code, cycle.counting_period = None, "CYCLE", periods["MONTH"]
    cycle.save()
    made = {
        "ANCHOR": ItemFactory(number="ANCHOR", counting_period=periods["QUARTER"]),
        "CHAIN": ItemFactory(number="CHAIN", item_group=cycle),
        "CLAMP": ItemFactory(number="CLAMP", item_group=cycle, counting_period=periods["WEEK"]),
        "PLAIN": ItemFactory(number="PLAIN"),
    }
    with posting_session() as session:
        for item in made.values():
            session.receive(item=item, qty=D("10"), unit_cost=D("1.00"), posting_date=date(2026, 1, 2),
                            site=company.site, warehouse=company.warehouse, source_type=SourceType.PURCHASE,
                            financial=True)
    return made


@pytest.mark.parametrize(("frequency", "counted", "expected"), [
    (12, date(2026, 1, 31), date(2026, 2, 28)),
    (12, date(2028, 1, 31), date(2028, 2, 29)),
    (4, date(2026, 11, 30), date(2027, 2, 28)),
    (1, date(2026, 3, 15), date(2027, 3, 15)),
    (2, date(2026, 8, 31), date(2027, 2, 28)),
    (52, date(2026, 12, 29), date(2027, 1, 5)),
    (24, date(2026, 1, 1), date(2026, 1, 16)),  # 365 / 24 = 15.2 days
])
def test_it_moves_the_next_counting_date_by_the_period(frequency, counted, expected):
    assert CountingPeriod(code="P", frequency_per_year=frequency).next_date(counted) == expected


def test_it_counts_each_item_as_often_as_its_period_says_over_a_year(items, ada_accountant):
    counted: dict[str, list[int]] = {number: [] for number in items}

    for month in range(1, 13):
        on = date(2026, month, 15)
        journal = counting_period_calculate(on=on, user=ada_accountant)
        for number in journal.lines.values_list("item__number", flat=True).distinct():
            counted[number].append(month)
        journal_post(journal=journal, user=ada_accountant)

    assert counted == {"ANCHOR": [1, 4, 7, 10], "CHAIN": list(range(1, 13)), "CLAMP": list(range(1, 13)), "PLAIN": []}
    dates = {item.number: (item.last_counted_date, item.next_counting_date) for item in Item.objects.all()}
    assert dates == {
        "ANCHOR": (date(2026, 10, 15), date(2027, 1, 15)),
        "CHAIN": (date(2026, 12, 15), date(2027, 1, 15)),
        "CLAMP": (date(2026, 12, 15), date(2026, 12, 22)),
        "PLAIN": (None, None),
    }
    assert Journal.objects.filter(journal_type=Journal.JournalType.COUNTING, status=Journal.Status.POSTED).count() == 12
    assert Item.objects.get(number="CHAIN").last_counted_by == ada_accountant


def test_it_proposes_only_the_items_of_one_counting_period_when_asked(items, periods):
    on = date(2026, 1, 15)

    assert [item.number for item in counting_period_due(on=on)] == ["ANCHOR", "CHAIN", "CLAMP"]
    assert [item.number for item in counting_period_due(on=on, counting_period=periods["MONTH"])] == ["CHAIN"]
    journal = counting_period_calculate(on=on, counting_period=periods["QUARTER"])

    assert list(journal.lines.values_list("item__number", "expected_qty")) == [("ANCHOR", D("10"))]
    assert journal.selection["counting_period"] == "QUARTER"
    assert journal.description == "Cycle count 2026-01-15 (QUARTER)"


def test_it_says_when_no_item_is_due(items, periods):
    journal_post(journal=counting_period_calculate(on=date(2026, 1, 15), counting_period=periods["QUARTER"]))

    with pytest.raises(DomainError) as refused:
        counting_period_calculate(on=date(2026, 4, 14), counting_period=periods["QUARTER"])

    assert refused.value.message == "No items in counting period QUARTER are due for counting on 2026-04-14."
    assert [item.number for item in counting_period_due(on=date(2026, 4, 15), counting_period=periods["QUARTER"])] == ["ANCHOR"]
