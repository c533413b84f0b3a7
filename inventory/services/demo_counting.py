"""The demo company's counting periods (docs/domain.md §5.4, cycle counting), so that Calculate
counting period finds items due on the first day of trying it. Idempotent, like demo_load."""

from datetime import date, timedelta

from django.db import transaction

from inventory.models import CountingPeriod, Item, ItemGroup

DEMO_COUNTING_PERIODS = {"MONTHLY": ("Counted every month", 12), "QUARTERLY": ("Counted every quarter", 4),
                         "YEARLY": ("Counted once a year", 1)}
# Fast movers are counted monthly, the rest quarterly; safety equipment once a year.
DEMO_GROUP_PERIODS = {"HARDWARE": "MONTHLY", "PAINT": "QUARTERLY", "TOOLS": "QUARTERLY", "SAFETY": "YEARLY"}


def demo_counting_periods_load(*, today: date) -> dict[str, int]:
    """Counting periods on the demo item groups, and next counting dates spread so that about a
    third of the items are due today and the rest come due over the next weeks. Items that already
    have a next counting date (counted since, or set by hand) keep it."""
    with transaction.atomic():
        periods = {}
        for code, (description, frequency) in DEMO_COUNTING_PERIODS.items():
            periods[code], _ = CountingPeriod.objects.get_or_create(
                code=code, defaults={"description": description, "frequency_per_year": frequency})
        for group_code, period_code in DEMO_GROUP_PERIODS.items():
            ItemGroup.objects.filter(code=group_code, counting_period__isnull=True).update(counting_period=periods[period_code])
        items = list(Item.objects.filter(item_type=Item.ItemType.ITEM, item_group__code__in=DEMO_GROUP_PERIODS,
                                         next_counting_date__isnull=True).order_by("number"))
        for index, item in enumerate(items):
            item.next_counting_date = today - timedelta(days=index % 5) if index % 3 == 0 else today + timedelta(days=7 * (index % 6))
        Item.objects.bulk_update(items, ["next_counting_date"])
    due = sum(1 for item in items if item.next_counting_date <= today)
    return {"periods": len(periods), "items_dated": len(items), "due": due}
