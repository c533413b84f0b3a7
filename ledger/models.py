from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from common.money import AMOUNT_FIELD


class MainAccount(models.Model):
    class AccountType(models.TextChoices):
        BALANCE_SHEET = "balance", "Balance sheet"
        PROFIT_AND_LOSS = "profit_loss", "Profit and loss"

    number = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=120)
    account_type = models.CharField(max_length=20, choices=AccountType.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(account_type__in=["balance", "profit_loss"]), name="account_type_valid"
            ),
            models.CheckConstraint(condition=~Q(number=""), name="account_number_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("ledger:account_statement", args=[self.pk])


class FiscalPeriod(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ON_HOLD = "on_hold", "On hold"
        CLOSED = "closed", "Closed"

    name = models.CharField(max_length=40, unique=True)
    start_date = models.DateField(unique=True)
    end_date = models.DateField(unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)

    class Meta:
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="period_end_after_start"),
            models.CheckConstraint(condition=Q(status__in=["open", "on_hold", "closed"]), name="period_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display()})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.start_date and self.end_date:
            overlapping = FiscalPeriod.objects.filter(
                start_date__lte=self.end_date, end_date__gte=self.start_date
            ).exclude(pk=self.pk)
            if overlapping.exists():
                raise ValidationError(f"The period overlaps {overlapping.first().name}.")


class Voucher(models.Model):
    class Source(models.TextChoices):
        INVENTORY = "inventory", "Inventory posting"
        JOURNAL = "journal", "Inventory journal"
        CLOSING = "closing", "Closing and adjustment"
        REVERSAL = "reversal", "Reversal"

    number = models.CharField(max_length=30)  # unique: see Meta (no LIKE index: searched with icontains)
    date = models.DateField(db_index=True)
    description = models.CharField(max_length=200)
    source = models.CharField(max_length=20, choices=Source.choices)
    # No database foreign keys (PostgreSQL would queue a check for every voucher written, empty or
    # not): vouchers_write checks them set-based and the tables referred to refuse deletes (ledger
    # migration 0002_database for vouchers, inventory 0003_database for users). A reversal is rare:
    # indexed only where set.
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by", db_index=False,
        db_constraint=False,
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+",
                                   db_constraint=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["reverses"], condition=Q(reverses__isnull=False), name="voucher_reverses")]
        # A constraint, not unique=True, which on PostgreSQL adds a second (pattern) index every
        # voucher written pays for and no query uses.
        constraints = [models.UniqueConstraint(fields=["number"], name="voucher_number_unique")]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("ledger:voucher_detail", args=[self.number])


class VoucherLine(models.Model):
    """One ledger line. Debit and credit are separate columns so that a storno line (a negative
    amount on the same side) can be told apart from an ordinary line on the opposite side."""

    # No database foreign keys on a line (ledger migration 0002_database): vouchers_write, which writes every
    # line, checks them set-based (common.bulk.references_check) and the tables referred to refuse
    # deletes; PostgreSQL's check per row and key was a fifth of an import's time.
    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="lines", db_constraint=False)
    # Looked up through `voucherline_account_date` (account first), so no index of its own.
    account = models.ForeignKey(MainAccount, on_delete=models.PROTECT, related_name="lines", db_index=False,
                                db_constraint=False)
    # The voucher's date, carried on each line so that an account's lines for a period (statement,
    # trial balance, "as of" reconciliation) come from one index without joining the vouchers.
    # Vouchers are never redated: a correction is a new voucher.
    date = models.DateField()
    debit = models.DecimalField(**AMOUNT_FIELD, default=0)
    credit = models.DecimalField(**AMOUNT_FIELD, default=0)
    is_storno = models.BooleanField(default=False)
    description = models.CharField(max_length=200, blank=True)
    item_group = models.ForeignKey("inventory.ItemGroup", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   db_constraint=False)
    item = models.ForeignKey("inventory.Item", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             db_constraint=False)
    inventory_transaction = models.ForeignKey(
        "inventory.InventoryTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="voucher_lines",
        db_constraint=False,
    )

    class Meta:
        ordering = ["voucher_id", "id"]
        indexes = [
            # An account's lines in statement order, with the amounts and item group, for index-only sums.
            models.Index(fields=["account", "date", "voucher", "id"], include=["debit", "credit", "item_group"],
                         name="voucherline_account_date"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(debit=0) | Q(credit=0), name="line_one_side_only"),
            models.CheckConstraint(
                condition=Q(is_storno=True) | (Q(debit__gte=0) & Q(credit__gte=0)),
                name="line_negative_only_for_storno",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.voucher_id} {self.account_id} {self.debit}/{self.credit}"

    def save(self, *args, **kwargs):
        if self.date is None:
            self.date = self.voucher.date
        super().save(*args, **kwargs)

    @property
    def amount(self):
        return self.debit - self.credit
