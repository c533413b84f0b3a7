from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from common.money import AMOUNT_FIELD, QUANTITY_FIELD
from inventory.models.setup import CostDimension, Item, Site, Warehouse
from ledger.models import MainAccount


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
    # Indexes: every row written costs one entry in each, so only those a read needs (see Meta;
    # docs/benchmarks.md, import). Item and dimension are the first column of a composite index;
    # sites and warehouses are a handful of rows, where an index on the many-side never pays.
    # No database foreign key on item, site, warehouse, dimension and the two accounts: the writers
    # (PostingSession, closing_transactions_insert) check and lock them set-based
    # (common.bulk.references_check) and the tables refer to refuse deletes (inventory migration
    # 0003_database), instead of PostgreSQL's check per row and key (about 10 us each).
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="transactions", db_index=False,
                             db_constraint=False)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+", db_index=False,
                                  db_constraint=False)
    tracking_number = models.CharField(max_length=60, blank=True)
    expiry_date = models.DateField(null=True, blank=True)
    cost_dimension = models.ForeignKey(CostDimension, on_delete=models.PROTECT, related_name="transactions",
                                       db_index=False, db_constraint=False)
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
    # Mostly empty: indexed only where set (partial indexes in Meta). No database foreign key
    # either: PostgreSQL queues its check for every inserted row, empty or not.
    marked_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="marked_issues",
                                  db_index=False, db_constraint=False)
    transfer_issue = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="transfer_receipts",
        help_text="For the receiving side of a transfer: the issue whose cost it carries.", db_index=False,
        db_constraint=False,
    )
    journal_line = models.ForeignKey("inventory.JournalLine", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="transactions", db_index=False, db_constraint=False)
    # The accounts of the posting that valued this transaction. Closing adjustments post here, not
    # to whatever the item group says today (AX: "the ledger accounts of the original transaction").
    inventory_account = models.ForeignKey(MainAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                          db_index=False, db_constraint=False)
    offset_account = models.ForeignKey(MainAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                       db_index=False, db_constraint=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+",
                                   db_index=False, db_constraint=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date_physical", "id"]
        indexes = [
            models.Index(fields=["cost_dimension", "date_financial", "id"], name="txn_dimension_fin_date"),
            models.Index(fields=["item", "date_physical", "id"], name="txn_item_phys_date"),
            models.Index(fields=["date_financial"], name="txn_fin_date"),
            models.Index(fields=["marked_to"], condition=Q(marked_to__isnull=False), name="txn_marked_to"),
            models.Index(fields=["transfer_issue"], condition=Q(transfer_issue__isnull=False), name="txn_transfer_issue"),
            models.Index(fields=["journal_line"], condition=Q(journal_line__isnull=False), name="txn_journal_line"),
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
