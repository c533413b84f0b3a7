"""Reads for the inventory pages: querysets with the joins their tables need."""

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from common.money import ZERO, plain_number, round_unit_cost
from inventory import averages
from inventory.models import (
    CostDimension,
    CountingHistory,
    CountingPeriod,
    ImportJob,
    InventoryTransaction,
    Item,
    ItemModelGroup,
    Journal,
    OnHand,
    StandardJournal,
)
from inventory.services.posting import running_average
from ledger.models import Voucher


def dashboard_counts() -> dict[str, int]:
    return {
        "items": Item.objects.count(),
        "transactions": InventoryTransaction.objects.count(),
        "open_journals": Journal.objects.filter(status=Journal.Status.DRAFT).count(),
        "vouchers": Voucher.objects.count(),
    }


def item_list() -> QuerySet[Item]:
    return Item.objects.select_related("item_group", "model_group")


def model_group_list() -> QuerySet[ItemModelGroup]:
    return ItemModelGroup.objects.all()


def item_on_hand(*, item: Item) -> QuerySet[OnHand]:
    return OnHand.objects.filter(item=item).select_related("site", "warehouse").order_by("site__code", "warehouse__code", "tracking_number")


def item_cost_dimensions(*, item: Item) -> list[dict]:
    """Each financial dimension with the running average the next issue would be posted at (the
    posting services' own rule, so the page never shows a price the posting would not use)."""
    rows = []
    for dimension in CostDimension.objects.filter(item=item).select_related("site", "warehouse"):
        rows.append({"dimension": dimension,
                     "running_average": round_unit_cost(running_average(item=item, dimension=dimension))})
    return rows


def item_running_average(*, item: Item, totals: dict[str, Decimal]) -> Decimal | None:
    """The item's running average over all its dimensions (the posting rule, inventory/averages.py,
    on `item_totals`), rounded to a unit cost; None while nothing is on hand to average."""
    basis = {name: totals[name] or ZERO for name in ("financial_qty", "financial_value", "physical_qty", "physical_value")}
    group = item.model_group
    quantity, _value = averages.average_basis(valuation_method=group.valuation_method,
                                              include_physical_value=group.include_physical_value, **basis)
    if quantity <= ZERO:
        return None
    return round_unit_cost(averages.running_average(
        valuation_method=group.valuation_method, include_physical_value=group.include_physical_value,
        default_cost_price=item.default_cost_price, **basis))


def item_totals(*, item: Item) -> dict[str, Decimal]:
    totals = OnHand.objects.filter(item=item).aggregate(
        physical_qty=Sum("physical_qty"), financial_qty=Sum("financial_qty"),
        financial_value=Sum("financial_value"), physical_value=Sum("physical_value"),
    )
    return {key: value or ZERO for key, value in totals.items()}


def transaction_list() -> QuerySet[InventoryTransaction]:
    return InventoryTransaction.objects.select_related("item", "item__item_group", "site", "warehouse")


def journal_list() -> QuerySet[Journal]:
    return Journal.objects.select_related("created_by", "posted_by", "voucher", "offset_account")


def journal_vouchers(*, journal: Journal) -> QuerySet[Voucher]:
    """Every voucher a posted journal wrote (one per posted line, or one for the journal)."""
    return Voucher.objects.filter(lines__inventory_transaction__journal_line__journal=journal).distinct().order_by("number")


def item_counting_history(*, item: Item) -> QuerySet[CountingHistory]:
    return CountingHistory.objects.filter(item=item).select_related(
        "site", "warehouse", "warehouse__site", "counted_by", "journal_line__journal").order_by("-date", "-id")


def standard_journal_list() -> QuerySet[StandardJournal]:
    return StandardJournal.objects.select_related("created_by", "offset_account").annotate(line_count=Count("lines")).order_by("name")


def counting_period_list() -> QuerySet[CountingPeriod]:
    return CountingPeriod.objects.annotate(item_count=Count("items", distinct=True),
                                           item_group_count=Count("item_groups", distinct=True)).order_by("code")


def counting_period_due(*, on: date, counting_period: CountingPeriod | None = None) -> list[Item]:
    """Items due for counting on a date: those with a counting period (their own, else their item
    group's) whose next counting date is on or before it, or that were never counted."""
    items = Item.objects.filter(item_type=Item.ItemType.ITEM).filter(
        Q(counting_period__isnull=False) | Q(item_group__counting_period__isnull=False)
    ).select_related("counting_period", "item_group__counting_period", "last_counted_by").order_by("number")
    if counting_period is not None:
        items = items.filter(Q(counting_period=counting_period)
                             | Q(counting_period__isnull=True, item_group__counting_period=counting_period))
    return [item for item in items if item.next_counting_date is None or item.next_counting_date <= on]


def counting_due(*, on, counting_period: CountingPeriod | None = None) -> list[Item]:
    return counting_period_due(on=on, counting_period=counting_period)


EXPORT_COLUMNS = ["ref", "item", "site", "warehouse", "date_physical", "date_financial", "qty", "status",
                  "cost_amount_physical", "cost_amount_posted", "cost_amount_adjustment", "cost_amount", "value_open"]


def transactions_export_rows(*, item_number: str | None = None) -> Iterator[dict[str, object]]:
    """One row per transaction in the export contract's columns (README): amounts with two decimals,
    signed like the quantity; cost_amount is the transaction's current value."""
    rows = InventoryTransaction.objects.select_related("item", "site", "warehouse").order_by("id")
    if item_number:
        rows = rows.filter(item__number=item_number)
    for txn in rows.iterator(chunk_size=2000):
        yield {
            "ref": txn.ref,
            "item": txn.item.number,
            "site": txn.site.code,
            "warehouse": txn.warehouse.code,
            "date_physical": txn.date_physical.isoformat(),
            "date_financial": txn.date_financial.isoformat() if txn.date_financial else "",
            "qty": plain_number(txn.qty),
            "status": txn.status,
            "cost_amount_physical": f"{txn.cost_amount_physical:.2f}",
            "cost_amount_posted": f"{txn.cost_amount_posted:.2f}",
            "cost_amount_adjustment": f"{txn.cost_amount_adjustment:.2f}",
            "cost_amount": f"{txn.cost_amount:.2f}",
            "value_open": txn.value_open,
        }


def import_jobs_of(*, user) -> QuerySet[ImportJob]:
    """The import jobs a user may follow: their own, or everyone's for a superuser (page and API)."""
    jobs = ImportJob.objects.select_related("created_by").order_by("-id")
    return jobs if user.is_superuser else jobs.filter(created_by=user)
