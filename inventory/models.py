import calendar
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from inventory.rules import item_number_problems
from ledger.models import MainAccount
from ledger.money import AMOUNT_FIELD, QUANTITY_FIELD, UNIT_COST_FIELD


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
        return getattr(self, f"{PostingType(posting_type).value}_account")


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

    class Tracking(models.TextChoices):
        NONE = "none", "None"
        LOT = "lot", "Lot (batch) with expiry date"
        SERIAL = "serial", "Serial number"

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


class TransactionStatus(models.TextChoices):
    RECEIVED = "received", "Received"  # physical receipt
    PURCHASED = "purchased", "Purchased"  # financial receipt
    DEDUCTED = "deducted", "Deducted"  # physical issue
    SOLD = "sold", "Sold"  # financial issue


FINANCIAL_STATUSES = (TransactionStatus.PURCHASED, TransactionStatus.SOLD)


class SourceType(models.TextChoices):
    PURCHASE = "purchase", "Purchase"
    SALE = "sale", "Sale"
    MOVEMENT = "movement", "Movement journal"
    PROFIT_LOSS = "profit_loss", "Profit/loss journal"
    TRANSFER = "transfer", "Transfer journal"
    OPENING = "opening", "Opening balance"
    COUNTING = "counting", "Counting journal"
    RECLASSIFICATION = "reclassification", "Reclassification journal"
    WEIGHTED_AVERAGE_CLOSING = "wa_closing", "Weighted average inventory closing"


class InventoryTransaction(models.Model):
    """One receipt (qty > 0) or issue (qty < 0). Amounts are signed like the quantity. Once posted the
    row is never edited by hand: the financial update, settlements and adjustments are the only
    changes, each made by a service and recorded with its own voucher or run."""

    ref = models.CharField(max_length=60)  # unique: see Meta (no LIKE index needed)
    source_type = models.CharField(max_length=20, choices=SourceType.choices)
    source_number = models.CharField(max_length=60, blank=True)
    user_reference = models.CharField(max_length=120, blank=True)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="transactions")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    tracking_number = models.CharField(max_length=60, blank=True)
    expiry_date = models.DateField(null=True, blank=True)
    cost_dimension = models.ForeignKey(CostDimension, on_delete=models.PROTECT, related_name="transactions")
    qty = models.DecimalField(**QUANTITY_FIELD)
    status = models.CharField(max_length=10, choices=TransactionStatus.choices)
    date_physical = models.DateField()
    date_financial = models.DateField(null=True, blank=True)
    cost_amount_physical = models.DecimalField(**AMOUNT_FIELD, default=0)
    cost_amount_posted = models.DecimalField(**AMOUNT_FIELD, default=0)
    cost_amount_adjustment = models.DecimalField(**AMOUNT_FIELD, default=0)
    qty_settled = models.DecimalField(**QUANTITY_FIELD, default=0)
    cost_amount_settled = models.DecimalField(**AMOUNT_FIELD, default=0)
    value_open = models.BooleanField(default=True)
    date_closed = models.DateField(null=True, blank=True)
    marked_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="marked_issues")
    transfer_issue = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="transfer_receipts",
        help_text="For the receiving side of a transfer: the issue whose cost it carries.",
    )
    journal_line = models.ForeignKey("inventory.JournalLine", null=True, blank=True, on_delete=models.PROTECT, related_name="transactions")
    # The accounts of the posting that valued this transaction. Closing adjustments post here, not
    # to whatever the item group says today (AX: "the ledger accounts of the original transaction").
    inventory_account = models.ForeignKey(MainAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                          db_index=False)
    offset_account = models.ForeignKey(MainAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                       db_index=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+",
                                   db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date_physical", "id"]
        indexes = [
            models.Index(fields=["cost_dimension", "date_financial", "id"], name="txn_dimension_fin_date"),
            models.Index(fields=["item", "date_physical", "id"], name="txn_item_phys_date"),
            models.Index(fields=["date_financial"], name="txn_fin_date"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["ref"], name="txn_ref_unique"),
            models.CheckConstraint(condition=~Q(qty=0), name="txn_qty_not_zero"),
            models.CheckConstraint(
                condition=(Q(qty__gt=0) & Q(status__in=["received", "purchased"]))
                | (Q(qty__lt=0) & Q(status__in=["deducted", "sold"])),
                name="txn_status_matches_direction",
            ),
            models.CheckConstraint(
                condition=(Q(status__in=["purchased", "sold"]) & Q(date_financial__isnull=False))
                | (Q(status__in=["received", "deducted"]) & Q(date_financial__isnull=True)),
                name="txn_financial_date_iff_financial",
            ),
            models.CheckConstraint(
                condition=(Q(qty__gt=0) & Q(qty_settled__gte=0) & Q(qty_settled__lte=F("qty")))
                | (Q(qty__lt=0) & Q(qty_settled__lte=0) & Q(qty_settled__gte=F("qty"))),
                name="txn_settled_within_qty",
            ),
            models.CheckConstraint(
                condition=Q(value_open=True) | Q(status__in=["purchased", "sold"]), name="txn_only_financial_closes"
            ),
            models.CheckConstraint(condition=Q(marked_to__isnull=True) | Q(qty__lt=0), name="txn_marking_on_issues"),
        ]

    def __str__(self) -> str:
        return self.ref

    def get_absolute_url(self) -> str:
        return reverse("inventory:transaction_detail", args=[self.pk])

    @property
    def is_receipt(self) -> bool:
        return self.qty > 0

    @property
    def is_financial(self) -> bool:
        return self.status in FINANCIAL_STATUSES

    @property
    def cost_amount(self) -> Decimal:
        """Current value: posted plus adjustments once financially updated, else physical plus adjustments."""
        base = self.cost_amount_posted if self.is_financial else self.cost_amount_physical
        return base + self.cost_amount_adjustment


class Journal(models.Model):
    class JournalType(models.TextChoices):
        MOVEMENT = "movement", "Movement"
        PROFIT_LOSS = "profit_loss", "Profit/loss"
        TRANSFER = "transfer", "Transfer"
        OPENING = "opening", "Opening balance"
        COUNTING = "counting", "Physical inventory"
        RECLASSIFICATION = "reclassification", "Item reclassification"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        POSTED = "posted", "Posted"

    number = models.CharField(max_length=30, unique=True)
    journal_type = models.CharField(max_length=20, choices=JournalType.choices)
    description = models.CharField(max_length=200, blank=True)
    offset_account = models.ForeignKey(
        MainAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="Movement journals: the account the adjustment is posted against.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    posted_at = models.DateTimeField(null=True, blank=True)
    voucher = models.ForeignKey("ledger.Voucher", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Physical inventory journals: what Calculate inventory selected (date, item, item group, site,
    # warehouse, lot/serial, include zero on-hand, counting period), so a line added by hand can be
    # checked against it, and when it last ran.
    selection = models.JSONField(default=dict, blank=True)
    calculated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        permissions = [("post_journal", "Can post inventory journals")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | (Q(posted_at__isnull=False)), name="journal_posted_has_time"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("inventory:journal_detail", args=[self.number])

    @property
    def is_posted(self) -> bool:
        return self.status == self.Status.POSTED


class LineMovement(models.Model):
    """What a journal line moves, where from and where to: shared by journal lines and the lines of
    standard journals they are saved as and recalled from."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    to_site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_warehouse = models.ForeignKey(Warehouse, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    qty = models.DecimalField(**QUANTITY_FIELD)
    unit_cost = models.DecimalField(**UNIT_COST_FIELD, null=True, blank=True)
    tracking_number = models.CharField(max_length=60, blank=True)
    expiry_date = models.DateField(null=True, blank=True)
    # Reclassification: the new lot/serial number and expiry date (empty = unchanged).
    to_tracking_number = models.CharField(max_length=60, blank=True)
    to_expiry_date = models.DateField(null=True, blank=True)

    class Meta:
        abstract = True

    def movement(self) -> dict:
        """This line's movement fields (foreign keys by id), to copy onto another kind of line."""
        return {field.attname: getattr(self, field.attname) for field in LineMovement._meta.fields}


class JournalLine(LineMovement):
    journal = models.ForeignKey(Journal, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveIntegerField()
    date = models.DateField()
    # Physical inventory: the quantity on hand as of the line's date when calculated (what the
    # books expect) and what was counted; qty is kept at their difference (what posting adjusts,
    # zero when the count agrees, so the non-zero rule does not apply to counting lines).
    expected_qty = models.DecimalField(**QUANTITY_FIELD, null=True, blank=True)
    counted_qty = models.DecimalField(**QUANTITY_FIELD, null=True, blank=True)

    class Meta:
        ordering = ["journal_id", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["journal", "line_number"], name="journal_line_number_unique"),
            models.CheckConstraint(condition=~Q(qty=0) | Q(expected_qty__isnull=False), name="journal_line_qty_not_zero"),
            models.CheckConstraint(condition=Q(unit_cost__isnull=True) | Q(unit_cost__gte=0), name="journal_line_cost_not_negative"),
            models.CheckConstraint(condition=Q(counted_qty__isnull=True) | Q(counted_qty__gte=0),
                                   name="journal_line_counted_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.journal_id}:{self.line_number}"

    @property
    def difference(self) -> Decimal | None:
        """Counted minus expected: positive = found (a receipt), negative = missing (an issue)."""
        if self.counted_qty is None or self.expected_qty is None:
            return None
        return self.counted_qty - self.expected_qty


class CountingHistory(models.Model):
    """One posted count of one item in one place: the counting history the item page shows
    (Business Central's physical inventory ledger entries)."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="counting_history")
    journal_line = models.OneToOneField(JournalLine, on_delete=models.PROTECT, related_name="counting_history")
    date = models.DateField()
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    tracking_number = models.CharField(max_length=60, blank=True)
    expected_qty = models.DecimalField(**QUANTITY_FIELD)
    counted_qty = models.DecimalField(**QUANTITY_FIELD)
    counted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name_plural = "counting history"
        constraints = [models.CheckConstraint(condition=Q(counted_qty__gte=0), name="counting_history_counted_not_negative")]

    def __str__(self) -> str:
        return f"{self.item_id} {self.date}"

    @property
    def difference(self) -> Decimal:
        return self.counted_qty - self.expected_qty


class StandardJournal(models.Model):
    """Journal lines saved under a name to be recalled into new journals (Business Central's
    standard item journals, docs/domain.md §5.6)."""

    name = models.CharField(max_length=60, unique=True)
    journal_type = models.CharField(max_length=20, choices=Journal.JournalType.choices)
    description = models.CharField(max_length=200, blank=True)
    offset_account = models.ForeignKey(MainAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="standard_journal_name_not_blank"),
            models.CheckConstraint(condition=~Q(journal_type="counting"), name="standard_journal_not_counting"),
        ]

    def __str__(self) -> str:
        return self.name


class StandardJournalLine(LineMovement):
    standard_journal = models.ForeignKey(StandardJournal, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveIntegerField()

    class Meta:
        ordering = ["standard_journal_id", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["standard_journal", "line_number"], name="standard_journal_line_unique"),
            models.CheckConstraint(condition=~Q(qty=0), name="standard_journal_line_qty_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.standard_journal_id}:{self.line_number}"


class ImportJob(models.Model):
    """A CSV file uploaded on the Import CSV page or through the API, posted by a worker (inventory.jobs).

    The file waits under FILES_DIR until its job has run. The job's state lives here: the page and
    the API follow it by polling. `errors` keeps the first errors (ERRORS_KEPT) with the file's line
    numbers; every error is in the error CSV next to the file."""

    class Kind(models.TextChoices):
        TRANSACTIONS = "transactions", "Inventory transactions"
        ITEMS = "items", "Items"
        OPENING = "opening", "Opening entries"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    UNFINISHED = ("queued", "running")
    ERRORS_KEPT = 1000
    # A job still waiting this long, or running without a sign of life (progress is written after
    # every few thousand rows), has lost its worker or its queue.
    LOST_AFTER = timedelta(minutes=10)

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    file_name = models.CharField(max_length=255, help_text="The name the file was uploaded with.")
    file_path = models.CharField(max_length=255, help_text="Where the file waits, relative to FILES_DIR.")
    size = models.BigIntegerField(default=0)
    options = models.JSONField(default=dict, blank=True,
                               help_text="Opening entries: date, offset_account (number), description, post.")
    rows_read = models.BigIntegerField(default=0)
    rows_posted = models.BigIntegerField(default=0)
    bytes_read = models.BigIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text='The first errors: [{"line": n, "message": "..."}].')
    error_count = models.IntegerField(default=0)
    error_file = models.CharField(max_length=255, blank=True, help_text="Every error as CSV, relative to FILES_DIR.")
    result = models.JSONField(default=dict, blank=True, help_text="Opening entries: the journal's number.")
    message = models.TextField(blank=True, help_text="Why a job failed as a whole (not a row's error).")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["queued", "running", "succeeded", "failed"]),
                                   name="import_job_status_known"),
            models.CheckConstraint(condition=Q(kind__in=["transactions", "items", "opening"]), name="import_job_kind_known"),
        ]

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.get_kind_display().lower()}, {self.file_name})"

    def get_absolute_url(self) -> str:
        return reverse("inventory:import_job", args=[self.pk])

    @property
    def is_lost(self) -> bool:
        last_sign = self.heartbeat_at or self.started_at or self.created_at
        return self.status in self.UNFINISHED and last_sign < timezone.now() - self.LOST_AFTER

    @property
    def is_live(self) -> bool:
        """Waiting for a worker or running: the page follows it."""
        return self.status in self.UNFINISHED and not self.is_lost

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        return min(99, int(100 * self.bytes_read / self.size)) if self.size else 0
