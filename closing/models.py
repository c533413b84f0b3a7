from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from common.money import AMOUNT_FIELD, QUANTITY_FIELD


class Specification(models.TextChoices):
    """How much detail the run's voucher keeps: one line per account, per item group or per item."""

    TOTAL = "total", "Total"
    ITEM_GROUP = "item-group", "Item group"
    ITEM = "item", "Item number"


class InventoryParameters(models.Model):
    """Company-wide closing parameters (one row, id 1)."""

    storno_for_adjustments = models.BooleanField(
        default=False, help_text="Post decreasing adjustments as negative amounts on the same side (red storno)."
    )
    default_specification = models.CharField(max_length=20, choices=Specification.choices, default=Specification.TOTAL)
    default_min_adjustment = models.DecimalField(**AMOUNT_FIELD, default=0)
    items_per_bundle = models.PositiveIntegerField(default=200)
    max_iterations = models.PositiveIntegerField(default=100, help_text="Maximum throughputs for transfer chains.")

    class Meta:
        verbose_name = verbose_name_plural = "inventory parameters"
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="parameters_single_row"),
            models.CheckConstraint(condition=Q(items_per_bundle__gte=1), name="bundle_size_positive"),
            models.CheckConstraint(condition=Q(default_min_adjustment__gte=0), name="min_adjustment_not_negative"),
        ]

    def __str__(self) -> str:
        return "Inventory parameters"

    @classmethod
    def load(cls) -> "InventoryParameters":
        parameters, _ = cls.objects.get_or_create(pk=1)
        return parameters


class ClosingRun(models.Model):
    class RunType(models.TextChoices):
        CLOSING = "closing", "Closing"
        RECALCULATION = "recalculation", "Recalculation"
        ON_HAND_ADJUSTMENT = "on_hand_adjustment", "On-hand adjustment"
        TRANSACTION_ADJUSTMENT = "transaction_adjustment", "Transaction adjustment"
        STANDARD_COST_REVALUATION = "standard_cost_revaluation", "Standard cost revaluation"
        REVERSAL = "reversal", "Reversal"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        PAUSING = "pausing", "Pausing"
        PAUSED = "paused", "Paused"
        ENDED = "ended", "Ended"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    # A run in one of these states holds the company-wide closing lock.
    UNFINISHED = ("queued", "running", "pausing", "paused", "failed")

    number = models.CharField(max_length=30, unique=True)
    run_type = models.CharField(max_length=30, choices=RunType.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    date = models.DateField(db_index=True)
    specification = models.CharField(max_length=20, choices=Specification.choices, default=Specification.TOTAL)
    note = models.TextField(blank=True)
    min_adjustment = models.DecimalField(**AMOUNT_FIELD, default=0)
    max_iterations = models.PositiveIntegerField(default=100)
    update_ledger = models.BooleanField(default=True)
    selection = models.JSONField(default=dict, blank=True, help_text="Items and item groups of a recalculation.")
    reverses = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals")
    voucher = models.ForeignKey("ledger.Voucher", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    is_cancelled = models.BooleanField(default=False)
    phase = models.CharField(max_length=60, blank=True)
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    items_total = models.PositiveIntegerField(default=0)
    items_done = models.PositiveIntegerField(default=0)
    transactions_total = models.PositiveBigIntegerField(default=0)
    transactions_done = models.PositiveBigIntegerField(default=0)
    bundles_total = models.PositiveIntegerField(default=0)
    bundles_done = models.PositiveIntegerField(default=0)
    settlements_count = models.PositiveBigIntegerField(default=0)
    adjustments_count = models.PositiveBigIntegerField(default=0)
    warnings_count = models.PositiveIntegerField(default=0)
    checks = models.JSONField(default=dict, blank=True, help_text="Result of the automatic book checks after the run.")
    # When the run last moved (started, coordinated, a bundle done, resumed, queued again): a run
    # that has not moved for a while is looked at by closing.services.watch.
    progress_at = models.DateTimeField(null=True, blank=True)
    requeues = models.PositiveSmallIntegerField(default=0, help_text="Times the run was found stalled and queued again.")
    # Always True: with the partial unique constraint below it lets the database refuse a second
    # unfinished run, whichever process tries to create it.
    exclusive = models.BooleanField(default=True, editable=False)

    class Meta:
        ordering = ["-id"]
        permissions = [
            ("run_closing", "Can run inventory close and recalculation"),
            ("reverse_closing", "Can reverse a close, recalculation or adjustment"),
            ("adjust_inventory", "Can post on-hand and transaction adjustments"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["exclusive"], condition=Q(status__in=["queued", "running", "pausing", "paused", "failed"]),
                name="one_unfinished_closing_run",
            ),
            models.CheckConstraint(condition=Q(exclusive=True), name="closing_run_exclusive_true"),
            models.CheckConstraint(condition=Q(min_adjustment__gte=0), name="run_min_adjustment_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.get_run_type_display()} {self.date}"

    def get_absolute_url(self) -> str:
        return reverse("closing:run_detail", args=[self.pk])

    # Every run draws its number from one sequence ("CLS-000012"); pages show it with its type's
    # prefix (issue #17, point 10): REC-000012 is a recalculation, still unique, the digits being.
    LABEL_PREFIXES = {"closing": "CLS", "recalculation": "REC", "on_hand_adjustment": "ADJ",
                      "transaction_adjustment": "ADJ", "standard_cost_revaluation": "ADJ",
                      "reversal": "REV"}

    @property
    def label(self) -> str:
        prefix, _, digits = self.number.rpartition("-")
        return f"{self.LABEL_PREFIXES.get(self.run_type, prefix)}-{digits}" if prefix else self.number

    @property
    def has_log(self) -> bool:
        return self.warnings_count > 0

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.ENDED:
            return 100
        if not self.bundles_total:
            return 0
        return int(100 * self.bundles_done / self.bundles_total)


class ClosingBundle(models.Model):
    """A slice of a run's items, processed atomically by one worker in any order."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    run = models.ForeignKey(ClosingRun, on_delete=models.CASCADE, related_name="bundles")
    number = models.PositiveIntegerField()
    pass_number = models.PositiveIntegerField(default=1)
    cost_dimension_ids = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    transactions = models.PositiveBigIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run_id", "pass_number", "number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "pass_number", "number"], name="bundle_number_unique_per_run"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.pass_number}/{self.number}"


class RunRowQuerySet(models.QuerySet):
    """Settlements and adjustments are cancelled exactly when their run is: the flag is read from
    the run, so a reversal never has to rewrite the rows themselves."""


class RunRowManager(models.Manager.from_queryset(RunRowQuerySet)):
    def get_queryset(self):
        return super().get_queryset().annotate(is_cancelled=models.F("run__is_cancelled"))


class Settlement(models.Model):
    """An issue settled against a receipt (or, for IPV physical issues, adjusted to a receipt's cost
    without settling). Amount is the receipt cost taken, as a positive magnitude."""

    # No database foreign keys (closing migration 0003_database): a close writes a million of these rows,
    # and PostgreSQL checked each key row by row at commit. The close's writer checks them set-based
    # (inventory.services.valuation.transactions_settle: every settled transaction is updated, so
    # locked, in the same statement); deleting a run or transaction still referred to is refused
    # by a trigger on the referred table, as by PROTECT in Django.
    run = models.ForeignKey(ClosingRun, on_delete=models.PROTECT, related_name="settlements", db_constraint=False)
    issue = models.ForeignKey("inventory.InventoryTransaction", on_delete=models.PROTECT, related_name="settlements_as_issue",
                              db_constraint=False)
    receipt = models.ForeignKey(
        "inventory.InventoryTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="settlements_as_receipt",
        db_constraint=False,
    )
    qty = models.DecimalField(**QUANTITY_FIELD)
    amount = models.DecimalField(**AMOUNT_FIELD)
    date = models.DateField()

    objects = RunRowManager()

    class Meta:
        ordering = ["run_id", "id"]
        constraints = [models.CheckConstraint(condition=Q(qty__gt=0), name="settlement_qty_positive")]

    def __str__(self) -> str:
        return f"{self.issue_id} <- {self.receipt_id} {self.qty}"


class CostAdjustment(models.Model):
    """A change of one transaction's cost amount by one run, signed like the transaction."""

    # No database foreign keys, as on Settlement (closing migration 0003_database).
    run = models.ForeignKey(ClosingRun, on_delete=models.PROTECT, related_name="adjustments", db_constraint=False)
    transaction = models.ForeignKey("inventory.InventoryTransaction", on_delete=models.PROTECT, related_name="cost_adjustments",
                                    db_constraint=False)
    amount = models.DecimalField(**AMOUNT_FIELD)
    date = models.DateField()
    # Where the other side went when it was not the transaction's own offset account: an on-hand
    # adjustment's cost revaluation account, kept so that its reversal and drill-down use the
    # account that was posted, whatever the item group says later.
    offset_account = models.ForeignKey("ledger.MainAccount", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+", db_index=False)

    objects = RunRowManager()

    class Meta:
        ordering = ["run_id", "id"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="adjustment_not_zero")]

    def __str__(self) -> str:
        return f"{self.transaction_id} {self.amount}"


class RunPostedAmount(models.Model):
    """What a run's voucher posted on one account for one item group, written with the voucher.

    A voucher summarized in total carries no item group on its lines; the reconciliation spreads its
    lines over item groups by these rows instead of re-reading the run's adjustments, and its
    drill-down compares the lines with them (a line edited afterwards no longer adds up)."""

    run = models.ForeignKey(ClosingRun, on_delete=models.CASCADE, related_name="posted_amounts")
    account = models.ForeignKey("ledger.MainAccount", on_delete=models.PROTECT, related_name="+")
    item_group = models.ForeignKey("inventory.ItemGroup", on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(**AMOUNT_FIELD, help_text="Debit positive, credit negative.")

    class Meta:
        ordering = ["run_id", "account_id", "item_group_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "account", "item_group"], name="one_posted_amount_per_account_and_group"),
            models.CheckConstraint(condition=~Q(amount=0), name="posted_amount_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} {self.account_id}/{self.item_group_id} {self.amount}"


class ClosingLog(models.Model):
    class Level(models.TextChoices):
        INFO = "info", "Info"
        WARNING = "warning", "Warning"
        ERROR = "error", "Error"

    run = models.ForeignKey(ClosingRun, on_delete=models.CASCADE, related_name="log")
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.WARNING)
    item = models.ForeignKey("inventory.Item", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    transaction = models.ForeignKey("inventory.InventoryTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run_id", "id"]

    def __str__(self) -> str:
        return self.message[:80]
