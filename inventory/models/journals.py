from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from common.money import QUANTITY_FIELD, UNIT_COST_FIELD
from inventory.models.setup import Item, Site, Warehouse
from ledger.models import MainAccount


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
