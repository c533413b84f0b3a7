"""Reads for the stock reports (issue #17, point 15): inventory ageing by receipt date, the open cost
layers the next close will take from, negative inventory, and cost of goods sold by item group and
month, period over period.

Like reports.selectors, every figure comes from the transactions themselves. An *open layer* is a
receipt the closes have not fully settled: its open quantity is `qty - qty_settled`, its open value
what its cost (posted plus adjustments once invoiced, physical plus adjustments before) has not
given up to settlements (`cost_amount_settled`). Issues posted since the latest close have not taken
anything from the layers yet: the reports show them apart ("issues not yet settled"), so open
receipts less those issues is the quantity on hand.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, ExpressionWrapper, F, Max, Q, QuerySet, Sum, When
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from common.money import AMOUNT_FIELD, QUANTITY_FIELD, ZERO
from common.money import summed_amount as amount
from common.money import summed_quantity as quantity
from inventory.models import FINANCIAL_STATUSES, InventoryTransaction, SourceType, TransactionStatus, ValuationMethod
from reports.selectors import DETAIL_LIMIT, inventory_value

AMOUNT = DecimalField(**AMOUNT_FIELD)
QUANTITY = DecimalField(**QUANTITY_FIELD)


# -- open layers --------------------------------------------------------------------------------

def _open_value() -> Case:
    """What a receipt's cost has not given up to settlements yet."""
    return Case(
        When(status__in=FINANCIAL_STATUSES,
             then=F("cost_amount_posted") + F("cost_amount_adjustment") - F("cost_amount_settled")),
        default=F("cost_amount_physical") + F("cost_amount_adjustment") - F("cost_amount_settled"),
        output_field=AMOUNT)


def _receipt_date() -> Coalesce:
    """The date a layer is aged and ordered by: its financial date once invoiced, else its receipt."""
    return Coalesce("date_financial", "date_physical")


def open_receipts(*, on: date | None = None) -> QuerySet[InventoryTransaction]:
    """Receipts with an open quantity (not fully settled), received on or before `on`, annotated
    with receipt_date, open_qty and open_value. The weighted-average closing pair is the close's own
    bookkeeping, not stock, and is left out."""
    rows = (InventoryTransaction.objects.filter(qty__gt=0, value_open=True)
            .exclude(source_type=SourceType.WEIGHTED_AVERAGE_CLOSING)
            .filter(qty_settled__lt=F("qty")))
    if on is not None:
        rows = rows.filter(date_physical__lte=on)
    return rows.annotate(receipt_date=_receipt_date(),
                         open_qty=ExpressionWrapper(F("qty") - F("qty_settled"), output_field=QUANTITY),
                         open_value=_open_value())


# Which layer the next close takes first, per valuation method (docs/domain.md §2.1): FIFO the
# oldest financial receipt (by financial date, then id), LIFO the newest, LIFO date the newest on or
# before the issue's date. The averages and the revalued methods take no layer in particular.
TAKES = {
    ValuationMethod.FIFO: "The oldest financial receipt first (FIFO).",
    ValuationMethod.LIFO: "The newest financial receipt first (LIFO).",
    ValuationMethod.LIFO_DATE: "The newest financial receipt dated on or before the issue (LIFO date).",
    ValuationMethod.WEIGHTED_AVERAGE: "No layer in particular: issues are settled at the period's weighted average.",
    ValuationMethod.WEIGHTED_AVERAGE_DATE: "No layer in particular: issues are settled at each day's weighted average.",
    ValuationMethod.STANDARD_COST: "No layer: standard cost items are not settled, they are revalued.",
    ValuationMethod.MOVING_AVERAGE: "No layer: moving average items are not settled.",
}
NEWEST_FIRST = {ValuationMethod.LIFO, ValuationMethod.LIFO_DATE}
ORDERED = {ValuationMethod.FIFO, ValuationMethod.LIFO, ValuationMethod.LIFO_DATE}


@dataclass
class OpenLayers:
    rows: list[dict] = field(default_factory=list)
    count: int = 0
    totals: dict[str, Decimal] = field(default_factory=lambda: {"open_qty": ZERO, "open_value": ZERO})
    unsettled_issues: Decimal = ZERO
    methods: dict[str, str] = field(default_factory=dict)  # item number -> what its close takes first


def open_layers(*, item_number: str = "", on: date | None = None, age: str = "") -> OpenLayers:
    """The open layers, per item and financial dimension in the order the next close takes them:
    financial receipts in the method's order, numbered 1, 2, … (the layer taken next is 1); receipts
    not invoiced yet come after, unnumbered (the close settles financial receipts only). `age`
    narrows them to one ageing band of `on` (AGE_BANDS). At most DETAIL_LIMIT rows."""
    on_day = on or timezone.localdate()
    rows = open_receipts(on=on).select_related("item__model_group", "site", "warehouse", "cost_dimension")
    if item_number:
        rows = rows.filter(item__number__iexact=item_number)
    band = AGE_BANDS_BY_KEY.get(age)
    if band is not None:
        rows = rows.filter(band.condition(on_day))
    report = OpenLayers()
    totals = rows.aggregate(qty=Sum("open_qty"), value=Sum("open_value"), n=Count("id"))
    report.count = totals["n"]
    report.totals = {"open_qty": quantity(totals["qty"]), "open_value": amount(totals["value"])}
    shown = list(rows.order_by("item__number", "cost_dimension_id", "receipt_date", "id")[:DETAIL_LIMIT])
    by_dimension: dict[int, list[InventoryTransaction]] = {}
    for receipt in shown:
        by_dimension.setdefault(receipt.cost_dimension_id, []).append(receipt)
    for receipts in by_dimension.values():
        method = receipts[0].item.model_group.valuation_method
        financial = [receipt for receipt in receipts if receipt.status == TransactionStatus.PURCHASED]
        if method in NEWEST_FIRST:
            financial.reverse()
        physical = [receipt for receipt in receipts if receipt.status != TransactionStatus.PURCHASED]
        report.methods[receipts[0].item.number] = TAKES[ValuationMethod(method)]
        for position, receipt in enumerate(financial + physical, start=1):
            next_order = position if method in ORDERED and receipt.status == TransactionStatus.PURCHASED else None
            report.rows.append(_layer_row(receipt, on_day, next_order))
    if item_number:
        issues = InventoryTransaction.objects.filter(item__number__iexact=item_number, qty__lt=0, value_open=True)
        if on is not None:
            issues = issues.filter(date_physical__lte=on)
        unsettled = issues.exclude(source_type=SourceType.WEIGHTED_AVERAGE_CLOSING).aggregate(
            qty=Sum(F("qty") - F("qty_settled")))["qty"]
        report.unsettled_issues = quantity(unsettled)
    return report


def _layer_row(receipt: InventoryTransaction, on: date, next_order: int | None) -> dict:
    age_days = (on - receipt.receipt_date).days
    unit = receipt.open_value / receipt.open_qty if receipt.open_qty else ZERO
    return {"transaction": receipt, "ref": receipt.ref, "item": receipt.item.number, "site": receipt.site.code,
            "warehouse": receipt.warehouse.code, "tracking_number": receipt.cost_dimension.tracking_number,
            "receipt_date": receipt.receipt_date, "age_days": age_days,
            "invoiced": "yes" if receipt.status == TransactionStatus.PURCHASED else "not yet",
            "qty": receipt.qty, "open_qty": quantity(receipt.open_qty), "open_value": amount(receipt.open_value),
            "unit_cost": unit.quantize(Decimal("0.01")), "next_order": next_order}


# -- ageing -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AgeBand:
    key: str
    label: str
    low: int  # days, inclusive
    high: int | None  # days, inclusive; None: and older

    def condition(self, on: date) -> Q:
        """Receipts whose receipt date is `low` to `high` days before `on`."""
        return (Q(date_financial__isnull=False) & self._between("date_financial", on)) | (
            Q(date_financial__isnull=True) & self._between("date_physical", on))

    def _between(self, name: str, on: date) -> Q:
        condition = Q(**{f"{name}__lte": on - timedelta(days=self.low)})
        if self.high is not None:
            condition &= Q(**{f"{name}__gte": on - timedelta(days=self.high)})
        return condition


AGE_BANDS = (AgeBand("0-30", "0–30 days", 0, 30), AgeBand("31-60", "31–60 days", 31, 60),
             AgeBand("61-90", "61–90 days", 61, 90), AgeBand("91-180", "91–180 days", 91, 180),
             AgeBand("181-", "Over 180 days", 181, None))
AGE_BANDS_BY_KEY = {band.key: band for band in AGE_BANDS}
AGE_FIELDS = {band.key: "age_" + band.key.replace("-", "_").rstrip("_") for band in AGE_BANDS}


@dataclass
class Ageing:
    on: date
    rows: list[dict] = field(default_factory=list)  # per item
    totals: dict[str, Decimal] = field(default_factory=dict)


def inventory_ageing(*, on: date, item_group_id: int | None = None, item_number: str = "") -> Ageing:
    """The open value of every item by the age of its open layers on `on` (AGE_BANDS), with its open
    quantity and the issues not yet settled against it. One grouped query per item."""
    receipts = open_receipts(on=on)
    issues = (InventoryTransaction.objects.filter(qty__lt=0, value_open=True, date_physical__lte=on)
              .exclude(source_type=SourceType.WEIGHTED_AVERAGE_CLOSING))
    if item_group_id:
        receipts, issues = receipts.filter(item__item_group_id=item_group_id), issues.filter(item__item_group_id=item_group_id)
    if item_number:
        receipts, issues = receipts.filter(item__number__iexact=item_number), issues.filter(item__number__iexact=item_number)
    bands = {AGE_FIELDS[band.key]: Sum("open_value", filter=band.condition(on)) for band in AGE_BANDS}
    grouped = receipts.values("item_id", "item__number", "item__name", "item__item_group__code").annotate(
        total_qty=Sum("open_qty"), total_value=Sum("open_value"), **bands).order_by()
    unsettled = dict(issues.values("item_id").annotate(qty=Sum(F("qty") - F("qty_settled"))).order_by()
                     .values_list("item_id", "qty"))
    report = Ageing(on=on)
    for row in grouped:
        entry = {"item": row["item__number"], "item_name": row["item__name"], "item_group": row["item__item_group__code"],
                 "open_qty": quantity(row["total_qty"]), "open_value": amount(row["total_value"]),
                 "unsettled_issues": quantity(unsettled.get(row["item_id"]))}
        entry.update({name: amount(row[name]) for name in AGE_FIELDS.values()})
        entry["on_hand"] = entry["open_qty"] + entry["unsettled_issues"]
        report.rows.append(entry)
    report.rows.sort(key=lambda row: (row["item_group"], row["item"]))
    names = ["open_qty", "open_value", "unsettled_issues", "on_hand", *AGE_FIELDS.values()]
    report.totals = {name: sum((row[name] for row in report.rows), ZERO) for name in names}
    return report


# -- negative inventory -------------------------------------------------------------------------

def negative_inventory(*, as_of: date | None, transactions: QuerySet[InventoryTransaction] | None = None) -> list[dict]:
    """The items, sites and warehouses whose quantity (financial plus physical) is below zero on the
    date: the inventory value report's rows, kept where the quantity is negative, with the date of
    the latest issue that took it there."""
    rows = [row for row in inventory_value(as_of=as_of, transactions=transactions).rows if row["qty"] < ZERO]
    if not rows:
        return rows
    issues = InventoryTransaction.objects.filter(qty__lt=0, item_id__in={row["item_id"] for row in rows})
    if as_of is not None:
        issues = issues.filter(date_physical__lte=as_of)
    latest = {(item_id, site_id, warehouse_id): last for item_id, site_id, warehouse_id, last in issues.values(
        "item_id", "site_id", "warehouse_id").annotate(last=Max("date_physical")).order_by().values_list(
        "item_id", "site_id", "warehouse_id", "last")}
    for row in rows:
        row["last_issue"] = latest.get((row["item_id"], row["site_id"], row["warehouse_id"]))
    rows.sort(key=lambda row: (row["value"], row["item"]))
    return rows


# -- cost of goods sold by item group and month -------------------------------------------------

def month_start(day: date) -> date:
    return day.replace(day=1)


def months_back(first: date, count: int) -> date:
    """The first day of the month `count` months before `first`'s month."""
    index = first.year * 12 + first.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def _sales(date_from: date, date_to: date) -> QuerySet[InventoryTransaction]:
    """Invoiced sales (and sales returns) dated in the range: what cost of goods sold is made of."""
    return InventoryTransaction.objects.filter(source_type=SourceType.SALE, status__in=FINANCIAL_STATUSES,
                                               date_financial__gte=date_from, date_financial__lte=date_to)


def cogs_by_month(*, first_month: date, last_month: date, item_group_id: int | None = None) -> list[dict]:
    """Cost of goods sold per item group and month from `first_month` to `last_month` (first days),
    each against the month before (period over period). COGS is the cost of the sales invoiced in
    the month as it stands now: posted plus the adjustments every close since gave them, signed as
    an expense (a sale of cost 40.00 is COGS 40.00; a return lowers it). The month before
    `first_month` is read too, so the first month has its comparison."""
    start = months_back(first_month, 1)
    end = months_back(last_month, -1) - timedelta(days=1)
    sales = _sales(start, end)
    if item_group_id:
        sales = sales.filter(item__item_group_id=item_group_id)
    found: dict[tuple[str, date], dict] = {}
    for row in sales.annotate(month=TruncMonth("date_financial")).values("item__item_group_id", "item__item_group__code", "month").annotate(
            qty=Sum("qty"), posted=Sum("cost_amount_posted"), adjusted=Sum("cost_amount_adjustment"),
            count=Count("id")).order_by():
        month = row["month"] if isinstance(row["month"], date) else date.fromisoformat(str(row["month"])[:10])
        month = month_start(month)
        found[(row["item__item_group__code"], month)] = {
            "item_group": row["item__item_group__code"], "item_group_id": row["item__item_group_id"],
            "qty": -quantity(row["qty"]), "cogs": -(amount(row["posted"]) + amount(row["adjusted"])),
            "adjustments": -amount(row["adjusted"]), "sales": row["count"]}
    groups = sorted({(code, values["item_group_id"]) for (code, _), values in found.items()})
    rows = []
    month = first_month
    while month <= last_month:
        previous_month = months_back(month, 1)
        for code, group_id in groups:
            current = found.get((code, month))
            before = found.get((code, previous_month))
            if current is None and before is None:
                continue
            cogs = current["cogs"] if current else ZERO
            previous = before["cogs"] if before else ZERO
            change = cogs - previous
            rows.append({"month": month, "item_group": code, "item_group_id": group_id,
                         "sales": current["sales"] if current else 0, "qty": current["qty"] if current else ZERO,
                         "cogs": cogs, "adjustments": current["adjustments"] if current else ZERO,
                         "previous": previous, "change": change,
                         "change_percent": (change * 100 / previous).quantize(Decimal("0.1")) if previous else None})
        month = months_back(month, -1)
    return rows


def cogs_transactions(*, month: date, item_group_id: int | None = None) -> dict:
    """The sales behind one month's (and item group's) cost of goods sold, at most DETAIL_LIMIT."""
    end = months_back(month, -1) - timedelta(days=1)
    sales = _sales(month, end).select_related("item", "site", "warehouse").order_by("date_financial", "id")
    if item_group_id:
        sales = sales.filter(item__item_group_id=item_group_id)
    totals = sales.aggregate(qty=Sum("qty"), posted=Sum("cost_amount_posted"), adjusted=Sum("cost_amount_adjustment"),
                             n=Count("id"))
    rows = [{"transaction": sale, "ref": sale.ref, "item": sale.item.number, "site": sale.site.code,
             "warehouse": sale.warehouse.code, "date": sale.date_financial, "qty": -sale.qty,
             "posted": -sale.cost_amount_posted, "adjustments": -sale.cost_amount_adjustment,
             "cogs": -(sale.cost_amount_posted + sale.cost_amount_adjustment)} for sale in sales[:DETAIL_LIMIT]]
    return {"rows": rows, "count": totals["n"],
            "totals": {"qty": -quantity(totals["qty"]), "posted": -amount(totals["posted"]),
                       "adjustments": -amount(totals["adjusted"]),
                       "cogs": -(amount(totals["posted"]) + amount(totals["adjusted"]))}}
