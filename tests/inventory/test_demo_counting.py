"""The demo company can try cycle counting at once (issue #17, point 20): its item groups carry
counting periods and some items are due on the day it is loaded."""

from datetime import date

from inventory.models import CountingPeriod, ItemGroup
from inventory.selectors import counting_period_due
from inventory.services.company import demo_load
from inventory.services.counting import counting_period_calculate
from inventory.services.demo_counting import demo_counting_periods_load

TODAY = date(2026, 3, 10)


def test_it_gives_the_demo_counting_periods_with_items_due_today(db):
    demo_load(today=TODAY)

    first = demo_counting_periods_load(today=TODAY)
    again = demo_counting_periods_load(today=TODAY)
    due = counting_period_due(on=TODAY)
    journal = counting_period_calculate(on=TODAY, counting_period=CountingPeriod.objects.get(code="MONTHLY"))

    assert sorted(CountingPeriod.objects.values_list("code", "frequency_per_year")) == [
        ("MONTHLY", 12), ("QUARTERLY", 4), ("YEARLY", 1)]
    assert ItemGroup.objects.get(code="HARDWARE").counting_period.code == "MONTHLY"
    assert first["due"] == len(due) > 0 and first["items_dated"] > len(due)
    assert again == {"periods": 3, "items_dated": 0, "due": 0}  # the dates set the first time are kept
    assert journal.lines.count() > 0
