"""The warehouse side of counting (docs/domain.md §5.1): bins, what sits in them (warehouse entries,
quantity only), the journals that change bins without touching inventory, and the item journals
Calculate Whse. Adjustment proposes. Inventory's own tables are not changed by this app: a
warehouse's bin set-up lives here, one row per inventory warehouse."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from common.money import QUANTITY_FIELD
from inventory.models import Item, Journal, Warehouse


class WarehouseSetup(models.Model):
    """How an inventory warehouse uses bins. No row: the warehouse has no bins."""

    warehouse = models.OneToOneField(Warehouse, primary_key=True, on_delete=models.CASCADE, related_name="bin_setup")
    bin_mandatory = models.BooleanField(
        default=False, help_text="Every inventory transaction in this warehouse is put in a bin (its own, or the "
                                 "item's default bin); a row with neither is refused.")

    class Meta:
        verbose_name = "warehouse bin set-up"

    def __str__(self) -> str:
        return f"{self.warehouse} ({'bin mandatory' if self.bin_mandatory else 'bins optional'})"


class Bin(models.Model):
    class Kind(models.TextChoices):
        STORAGE = "storage", "Storage"
        ADJUSTMENT = "adjustment", "Adjustment"

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="bins")
    code = models.CharField(max_length=20)
    description = models.CharField(max_length=120, blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.STORAGE)

    class Meta:
        ordering = ["warehouse_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "code"], name="bin_code_unique_per_warehouse"),
            # docs/domain.md §5.1: exactly one adjustment bin per warehouse that uses bins (at most
            # one here; "at least one" is checked when bins are made mandatory or adjusted).
            models.UniqueConstraint(fields=["warehouse"], condition=Q(kind="adjustment"),
                                    name="bin_one_adjustment_bin_per_warehouse"),
            models.CheckConstraint(condition=~Q(code=""), name="bin_code_not_blank"),
            models.CheckConstraint(condition=Q(kind__in=["storage", "adjustment"]), name="bin_kind_known"),
        ]

    def __str__(self) -> str:
        return f"{self.warehouse.code}/{self.code}"

    @property
    def is_adjustment(self) -> bool:
        return self.kind == self.Kind.ADJUSTMENT


class BinContent(models.Model):
    """An item's place in a bin: the default bin of the item in its warehouse (one at most), a fixed
    bin, and the minimum and maximum quantity the bin should hold (Business Central's bin content)."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    bin = models.ForeignKey(Bin, on_delete=models.PROTECT, related_name="contents")
    is_default = models.BooleanField(default=False)
    fixed = models.BooleanField(default=False)
    min_qty = models.DecimalField(**QUANTITY_FIELD, null=True, blank=True)
    max_qty = models.DecimalField(**QUANTITY_FIELD, null=True, blank=True)

    class Meta:
        ordering = ["warehouse_id", "bin__code", "item__number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "bin"], name="bin_content_unique"),
            models.UniqueConstraint(fields=["item", "warehouse"], condition=Q(is_default=True),
                                    name="bin_content_one_default_per_item_warehouse"),
            models.CheckConstraint(condition=Q(min_qty__isnull=True) | Q(min_qty__gte=0), name="bin_content_min_not_negative"),
            models.CheckConstraint(condition=Q(min_qty__isnull=True) | Q(max_qty__isnull=True) | Q(max_qty__gte=F("min_qty")),
                                   name="bin_content_max_not_below_min"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} in {self.bin_id}"


class EntrySource(models.TextChoices):
    INVENTORY = "inventory", "Inventory transaction"
    JOURNAL = "journal", "Warehouse item journal"
    PHYSICAL = "physical", "Warehouse physical inventory"
    RECLASSIFICATION = "reclassification", "Warehouse reclassification"


class WarehouseEntry(models.Model):
    """A quantity put into (qty > 0) or taken out of (qty < 0) a bin. Written, never edited."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    bin = models.ForeignKey(Bin, on_delete=models.PROTECT, related_name="entries")
    tracking_number = models.CharField(max_length=60, blank=True, help_text="Lot or serial number (the item's tracking).")
    qty = models.DecimalField(**QUANTITY_FIELD)
    date = models.DateField()
    source_type = models.CharField(max_length=20, choices=EntrySource.choices)
    source_number = models.CharField(max_length=60, blank=True, help_text="The transaction's ref or the journal's number.")
    transaction = models.ForeignKey("inventory.InventoryTransaction", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    journal_line = models.ForeignKey("WarehouseJournalLine", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="entries")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        verbose_name_plural = "warehouse entries"
        indexes = [
            models.Index(fields=["bin", "item", "tracking_number"], name="whse_entry_bin_item"),
            models.Index(fields=["item", "warehouse"], name="whse_entry_item_warehouse"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(qty=0), name="whse_entry_qty_not_zero"),
            models.CheckConstraint(condition=Q(source_type__in=["inventory", "journal", "physical", "reclassification"]),
                                   name="whse_entry_source_known"),
            models.CheckConstraint(condition=Q(source_type="inventory", transaction__isnull=False)
                                   | (~Q(source_type="inventory") & Q(transaction__isnull=True)),
                                   name="whse_entry_inventory_has_transaction"),
            models.UniqueConstraint(fields=["transaction"], condition=Q(transaction__isnull=False),
                                    name="whse_entry_one_per_transaction"),
        ]

    def __str__(self) -> str:
        return f"{self.bin_id} {self.item_id} {self.qty}"


class WarehouseJournal(models.Model):
    """A batch of bin-level changes registered together: found or missing quantities (item journal),
    counts (physical inventory) or moves between bins and lot/serial numbers (reclassification)."""

    class Kind(models.TextChoices):
        ITEM = "item", "Warehouse item journal"
        PHYSICAL = "physical", "Warehouse physical inventory"
        RECLASSIFICATION = "reclassification", "Warehouse reclassification"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        REGISTERED = "registered", "Registered"

    number = models.CharField(max_length=30, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    description = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    calculated_at = models.DateTimeField(null=True, blank=True, help_text="Physical inventory: when expected "
                                                                          "quantities were last calculated.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    registered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        permissions = [("register_warehousejournal", "Can register warehouse journals")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["item", "physical", "reclassification"]),
                                   name="whse_journal_kind_known"),
            models.CheckConstraint(condition=Q(status="draft") | Q(registered_at__isnull=False),
                                   name="whse_journal_registered_has_time"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("warehouse:journal_detail", args=[self.number])

    @property
    def is_registered(self) -> bool:
        return self.status == self.Status.REGISTERED


class WarehouseJournalLine(models.Model):
    journal = models.ForeignKey(WarehouseJournal, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveIntegerField()
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    bin = models.ForeignKey(Bin, on_delete=models.PROTECT, related_name="+")
    tracking_number = models.CharField(max_length=60, blank=True)
    # Item journal: the quantity found (> 0) or missing (< 0). Physical inventory: counted minus
    # expected (kept in step with the count). Reclassification: the quantity moved (> 0).
    qty = models.DecimalField(**QUANTITY_FIELD)
    expected_qty = models.DecimalField(**QUANTITY_FIELD, null=True, blank=True)
    counted_qty = models.DecimalField(**QUANTITY_FIELD, null=True, blank=True)
    to_bin = models.ForeignKey(Bin, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_tracking_number = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["journal_id", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["journal", "line_number"], name="whse_journal_line_number_unique"),
            models.CheckConstraint(condition=~Q(qty=0) | Q(expected_qty__isnull=False), name="whse_journal_line_qty_not_zero"),
            models.CheckConstraint(condition=Q(counted_qty__isnull=True) | Q(counted_qty__gte=0),
                                   name="whse_journal_line_counted_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.journal_id}:{self.line_number}"


class AdjustmentJournal(models.Model):
    """An inventory profit/loss journal made by Calculate Whse. Adjustment: posting it (through
    inventory's journal services) puts its transactions in the warehouse's adjustment bin."""

    journal = models.OneToOneField(Journal, primary_key=True, on_delete=models.CASCADE, related_name="warehouse_adjustment")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    items = models.JSONField(default=list, blank=True, help_text="The item numbers selected; empty: every item.")
    calculated_at = models.DateTimeField()

    class Meta:
        ordering = ["-calculated_at"]

    def __str__(self) -> str:
        return f"{self.journal_id} ({self.warehouse})"
