import calendar
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse

from common.money import AMOUNT_FIELD, QUANTITY_FIELD, UNIT_COST_FIELD
from inventory.rules import Tracking, item_number_problems
from ledger.models import MainAccount


class Site(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=~Q(code=""), name="site_code_not_blank")]

    def __str__(self) -> str:
        return self.code


class Warehouse(models.Model):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="warehouses")
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["site__code", "code"]
        constraints = [
            models.UniqueConstraint(fields=["site", "code"], name="warehouse_code_unique_per_site"),
            models.CheckConstraint(condition=~Q(code=""), name="warehouse_code_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.site_id and self.site.code}/{self.code}"


class PostingType(models.TextChoices):
    """The accounts an item group posts to (AX's inventory posting profile, reduced to what Costbook
    posts). Receipt and issue usually point at the same balance-sheet inventory account."""

    INVENTORY_RECEIPT = "inventory_receipt", "Inventory receipt"
    INVENTORY_ISSUE = "inventory_issue", "Inventory issue"
    COST_OF_GOODS_SOLD = "cogs", "Cost of goods sold"
    PURCHASE_ACCRUAL = "purchase_accrual", "Purchase accrual (received not invoiced)"
    PACKING_SLIP_OFFSET = "packing_slip_offset", "Packing slip (physical) offset"
    INVENTORY_PROFIT = "inventory_profit", "Inventory profit"
    INVENTORY_LOSS = "inventory_loss", "Inventory loss"
    PRICE_DIFFERENCE = "price_difference", "Purchase price variance / price difference"
    COST_REVALUATION = "cost_revaluation", "Cost revaluation"


# An item group's account field by posting type: `PostingType(value)` builds an enum member each
# time, and posting asks once per transaction.
ACCOUNT_FIELDS = {posting_type.value: f"{posting_type.value}_account" for posting_type in PostingType}


class CountingPeriod(models.Model):
    """How often an item is counted (Business Central's physical inventory counting periods, docs/domain.md
    §5.4, cycle counting): an item or its item group carries one, and posting a count moves
    the item's next counting date on by one interval."""

    code = models.CharField(max_length=20, unique=True)
    description = models.CharField(max_length=120, blank=True)
    frequency_per_year = models.PositiveIntegerField(help_text="How many times a year the items are counted.")

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=~Q(code=""), name="counting_period_code_not_blank"),
            models.CheckConstraint(condition=Q(frequency_per_year__gt=0) & Q(frequency_per_year__lte=365),
                                   name="counting_period_frequency_valid"),
        ]

    def __str__(self) -> str:
        return self.code

    def next_date(self, counted_on: date) -> date:
        """The next counting date after a count: whole months when the year divides into them
        (12 = monthly, 4 = quarterly, 1 = yearly), otherwise whole days (52 = every 7 days)."""
        if 12 % self.frequency_per_year == 0:
            months = counted_on.month - 1 + 12 // self.frequency_per_year
            year, month = counted_on.year + months // 12, months % 12 + 1
            return date(year, month, min(counted_on.day, calendar.monthrange(year, month)[1]))
        return counted_on + timedelta(days=round(Decimal(365) / self.frequency_per_year))


class ItemGroup(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=120)
    inventory_receipt_account = models.ForeignKey(MainAccount, on_delete=models.PROTECT, related_name="+")
    inventory_issue_account = models.ForeignKey(MainAccount, on_delete=models.PROTECT, related_name="+")
    cogs_account = models.ForeignKey(MainAccount, on_delete=models.PROTECT, related_name="+", verbose_name="cost of goods sold account")
    purchase_accrual_account = models.ForeignKey(MainAccount, on_delete=models.PROTECT, related_name="+")
    packing_slip_offset_account = models.ForeignKey(MainAccount, on_delete=models.PROTECT, related_name="+")
    inventory_profit_account = models.ForeignKey(MainAccount, on_delete=models.PROTECT, related_name="+")
    inventory_loss_account = models.ForeignKey(MainAccount, on_delete=models.PROTECT, related_name="+")
    price_difference_account = models.ForeignKey(MainAccount, on_delete=models.PROTECT, related_name="+")
    cost_revaluation_account = models.ForeignKey(MainAccount, on_delete=models.PROTECT, related_name="+")
    counting_period = models.ForeignKey(CountingPeriod, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="item_groups", help_text="Items without their own counting period use this one.")

    class Meta:
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=~Q(code=""), name="item_group_code_not_blank")]

    def __str__(self) -> str:
        return self.code

    def account_for(self, posting_type: str) -> MainAccount:
        field = ACCOUNT_FIELDS.get(posting_type)
        if field is None:
            PostingType(posting_type)  # refuses an unknown posting type (ValueError)
        return getattr(self, field)


class ValuationMethod(models.TextChoices):
    FIFO = "fifo", "FIFO"
    LIFO = "lifo", "LIFO"
    LIFO_DATE = "lifo_date", "LIFO date"
    WEIGHTED_AVERAGE = "weighted_average", "Weighted average"
    WEIGHTED_AVERAGE_DATE = "weighted_average_date", "Weighted average date"
    STANDARD_COST = "standard_cost", "Standard cost"
    MOVING_AVERAGE = "moving_average", "Moving average"


class ItemModelGroup(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=120)
    valuation_method = models.CharField(max_length=30, choices=ValuationMethod.choices)
    include_physical_value = models.BooleanField(default=False)
    physical_negative_allowed = models.BooleanField(default=True, verbose_name="physical negative inventory allowed")
    financial_negative_allowed = models.BooleanField(default=True, verbose_name="financial negative inventory allowed")
    post_physical_inventory = models.BooleanField(default=False, verbose_name="post physical inventory to the ledger")

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(valuation_method__in=ValuationMethod.values), name="valuation_method_valid"),
            # AX: include physical value has no meaning for standard cost (receipts are at standard)
            # nor for moving average (physical receipts always move the average).
            models.CheckConstraint(
                condition=Q(include_physical_value=False) | ~Q(valuation_method__in=["standard_cost", "moving_average"]),
                name="ipv_only_for_settling_methods",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def settles(self) -> bool:
        return self.valuation_method not in (ValuationMethod.STANDARD_COST, ValuationMethod.MOVING_AVERAGE)


def validate_item_number(number: str) -> None:
    """The admin's and forms' check of an item number (inventory.rules.item_number_problems)."""
    problems = item_number_problems(number)
    if problems:
        raise ValidationError(problems[0])


class Item(models.Model):
    class ItemType(models.TextChoices):
        ITEM = "item", "Item"
        SERVICE = "service", "Service"

    Tracking = Tracking

    number = models.CharField(max_length=40, unique=True, validators=[validate_item_number])
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=10, default="pcs")
    item_type = models.CharField(max_length=10, choices=ItemType.choices, default=ItemType.ITEM)
    item_group = models.ForeignKey(ItemGroup, on_delete=models.PROTECT, related_name="items")
    model_group = models.ForeignKey(ItemModelGroup, on_delete=models.PROTECT, related_name="items")
    default_cost_price = models.DecimalField(**UNIT_COST_FIELD, default=0)
    tracking = models.CharField(max_length=10, choices=Tracking.choices, default=Tracking.NONE)
    # Financial inventory dimensions: site always; warehouse and lot/serial only when ticked here.
    warehouse_is_financial = models.BooleanField(default=False)
    tracking_is_financial = models.BooleanField(default=False)
    # Cycle counting (docs/domain.md §5.4): the item's own counting period overrides its group's.
    counting_period = models.ForeignKey(CountingPeriod, null=True, blank=True, on_delete=models.PROTECT, related_name="items")
    last_counted_date = models.DateField(null=True, blank=True)
    last_counted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+")
    next_counting_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(condition=~Q(number=""), name="item_number_not_blank"),
            models.CheckConstraint(condition=Q(default_cost_price__gte=0), name="item_cost_price_not_negative"),
            models.CheckConstraint(condition=Q(item_type__in=["item", "service"]), name="item_type_valid"),
            models.CheckConstraint(condition=Q(tracking__in=["none", "lot", "serial"]), name="item_tracking_valid"),
            models.CheckConstraint(
                condition=Q(tracking_is_financial=False) | ~Q(tracking="none"), name="tracking_financial_needs_tracking"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("inventory:item_detail", args=[self.number])

    @property
    def effective_counting_period(self) -> CountingPeriod | None:
        return self.counting_period or self.item_group.counting_period


class CostDimension(models.Model):
    """One item in one financial inventory dimension: the unit the running average is kept for,
    the row locked while it is read and changed, and the unit the close settles within."""

    key = models.CharField(max_length=200, unique=True)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="cost_dimensions")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(Warehouse, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    tracking_number = models.CharField(max_length=60, blank=True)
    financial_qty = models.DecimalField(**QUANTITY_FIELD, default=0)
    financial_value = models.DecimalField(**AMOUNT_FIELD, default=0)
    physical_qty = models.DecimalField(**QUANTITY_FIELD, default=0, help_text="Physically updated, not yet financially")
    physical_value = models.DecimalField(**AMOUNT_FIELD, default=0, help_text="Physically updated, not yet financially")

    class Meta:
        ordering = ["item_id", "site_id", "warehouse_id", "tracking_number"]

    def __str__(self) -> str:
        parts = [self.item.number, self.site.code]
        if self.warehouse_id:
            parts.append(self.warehouse.code)
        if self.tracking_number:
            parts.append(self.tracking_number)
        return " / ".join(parts)

    @staticmethod
    def key_for(item: Item, site: Site, warehouse: Warehouse, tracking_number: str) -> tuple[str, Warehouse | None, str]:
        financial_warehouse = warehouse if item.warehouse_is_financial else None
        financial_tracking = tracking_number if item.tracking_is_financial else ""
        key = f"{item.pk}|{site.pk}|{financial_warehouse.pk if financial_warehouse else ''}|{financial_tracking}"
        return key, financial_warehouse, financial_tracking


class OnHand(models.Model):
    """Quantities and values per item and storage dimension (site, warehouse, lot/serial). A cache of
    the sum of transactions, kept in step by the posting services and verified by check_books."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="on_hand")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    tracking_number = models.CharField(max_length=60, blank=True)
    physical_qty = models.DecimalField(**QUANTITY_FIELD, default=0, help_text="Every physically updated transaction")
    financial_qty = models.DecimalField(**QUANTITY_FIELD, default=0)
    financial_value = models.DecimalField(**AMOUNT_FIELD, default=0)
    physical_value = models.DecimalField(**AMOUNT_FIELD, default=0, help_text="Physically updated, not yet financially")

    class Meta:
        ordering = ["item_id", "site_id", "warehouse_id", "tracking_number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "site", "warehouse", "tracking_number"], name="on_hand_unique_dimension"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} {self.warehouse_id} {self.tracking_number}"
