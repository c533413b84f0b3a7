"""Posting inventory transactions: receipts, issues and their financial updates, with on-hand,
running average and vouchers kept in step.

Every caller (forms, journals, CSV imports, commands, the closing engine's system transactions)
goes through `PostingSession`, used as a context manager inside one database transaction:

    with posting_session(user=user) as session:
        receipt = session.receive(item=item, qty=Decimal("2"), unit_cost=Decimal("10"), ...)

The session locks each financial dimension (CostDimension row) the first time it touches it and
keeps its running totals in memory while the lock is held; vouchers, dimension and on-hand rows are
written in bulk when the session ends (posting_writes.py). One lock per dimension per session is what lets an import
post thousands of rows a second, and holding it to commit is what keeps two simultaneous postings
of the same item from computing the running average from the same stale totals.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

from django.db import transaction

from common.bulk import instance_new
from common.errors import DomainError
from common.money import ZERO, amount_for
from common.numbering import number_block
from inventory import averages, hooks
from inventory.models import (
    CostDimension,
    InventoryTransaction,
    Item,
    ItemGroup,
    OnHand,
    Site,
    SourceType,
    TransactionStatus,
    ValuationMethod,
    Warehouse,
)
from inventory.rules import tracking_problems
from inventory.services.posting_gate import posting_gate_enter
from inventory.services.posting_writes import (
    DimensionKey,
    on_hand_rows,
    totals_write,
    transactions_financial_update,
    transactions_insert,
)
from inventory.signals import closed_until
from ledger.models import MainAccount, Voucher
from ledger.services import LineSpec, PeriodGuard, VoucherDraft, vouchers_write

# Where the financial side of a posting goes, by source and direction, unless the caller names an
# offset account (movement and opening-balance journals do).
OFFSET_BY_SOURCE = {
    (SourceType.PURCHASE, True): "purchase_accrual",
    (SourceType.PURCHASE, False): "purchase_accrual",  # purchase return
    (SourceType.SALE, False): "cogs",
    (SourceType.SALE, True): "cogs",  # sales return
    (SourceType.PROFIT_LOSS, True): "inventory_profit",
    (SourceType.PROFIT_LOSS, False): "inventory_loss",
    (SourceType.COUNTING, True): "inventory_profit",
    (SourceType.COUNTING, False): "inventory_loss",
}


# A source type's label by its value: `SourceType(value)` builds an enum member each time (a
# posting names its source in its voucher's description).
SOURCE_LABELS = {source.value: source.label for source in SourceType}


def inventory_closed_until() -> date | None:
    """The latest date inventory is closed on: the date of the newest close that is not cancelled,
    from the moment it is started (so nothing slips in while it runs)."""
    return closed_until()


def posting_date_problems(on: date, *, closed_until: date | None, periods: PeriodGuard) -> list[str]:
    """The posting-date rules, once for every caller: nothing on or before the date inventory is
    closed up to, and an open fiscal period (ledger's rule). Posting raises the first problem;
    journals and imports list them before posting."""
    if closed_until is not None and on <= closed_until:
        return [f"Inventory is closed up to {closed_until:%Y-%m-%d}: nothing can be posted on {on:%Y-%m-%d}. "
                f"Post on a later date or reverse the close."]
    return periods.problems(on)


def running_average(*, item: Item, dimension: CostDimension) -> Decimal:
    """The running average (inventory/averages.py) of one financial dimension."""
    group = item.model_group
    return averages.running_average(
        valuation_method=group.valuation_method, include_physical_value=group.include_physical_value,
        default_cost_price=item.default_cost_price, financial_qty=dimension.financial_qty,
        financial_value=dimension.financial_value, physical_qty=dimension.physical_qty,
        physical_value=dimension.physical_value)


class PostingSession:
    def __init__(self, *, user=None) -> None:
        self.user = user if getattr(user, "pk", None) else None
        self.periods = PeriodGuard()
        self._closed_until: date | None | bool = False
        self._dates_checked: set[date] = set()
        self._dimensions: dict[str, CostDimension] = {}
        self._on_hand: dict[DimensionKey, OnHand] = {}
        # (item id, site id, warehouse id, tracking number) -> (dimension, on-hand row): see place().
        self._places: dict[tuple[int, int, int, str], tuple[CostDimension, OnHand]] = {}
        self._drafts: list[VoucherDraft] = []
        self._changed: dict[int, InventoryTransaction] = {}
        # New transactions wait here and are inserted in bulk; any change to one of them before then
        # is made on the object itself.
        self._new: list[InventoryTransaction] = []
        self._refs: list[str] = []
        self._serial_items_locked: set[int] = set()
        self.vouchers: list[Voucher] = []
        self.posted, self.bins = [], {}  # hooks.py: new since the last flush; bin named, by id(txn)
        # Whether `vouchers` collects what each flush wrote: an import flushing a million rows'
        # vouchers in chunks turns it off so memory stays flat.
        self.keep_vouchers = True

    # -- guards -----------------------------------------------------------------------------

    @property
    def closed_until(self) -> date | None:
        if self._closed_until is False:
            self._closed_until = inventory_closed_until()
        return self._closed_until

    def check_date(self, posting_date: date) -> None:
        # The closing date and the fiscal calendar are read once per session, so a date that passed
        # once passes again: an import checks each date once, not once per row.
        if posting_date in self._dates_checked:
            return
        problems = posting_date_problems(posting_date, closed_until=self.closed_until, periods=self.periods)
        if problems:
            raise DomainError(problems[0])
        self.periods.check(posting_date)
        self._dates_checked.add(posting_date)

    # -- locking ----------------------------------------------------------------------------

    def lock(self, dimensions: Iterable[tuple[Item, Site, Warehouse, str]]) -> None:
        """Lock several dimensions up front, in key order, so that two sessions posting the same
        items in a different order wait for each other instead of deadlocking. Their on-hand rows
        are read (or created) at the same time."""
        # Each place once, and none the session holds already (an import's chunks name the same ones).
        places = {}
        for item, site, warehouse, tracking_number in dimensions:
            places.setdefault((item.pk, site.pk, warehouse.pk, tracking_number), (item, site, warehouse, tracking_number))
        dimensions = [place for key, place in places.items() if key not in self._places]
        wanted = {}
        for item, site, warehouse, tracking_number in dimensions:
            key, financial_warehouse, financial_tracking = CostDimension.key_for(item, site, warehouse, tracking_number)
            if key not in self._dimensions:
                wanted[key] = (item, site, financial_warehouse, financial_tracking)
        if not wanted:
            self._on_hand_load(dimensions)
            return
        existing = set(CostDimension.objects.filter(key__in=wanted).values_list("key", flat=True))
        missing = [
            CostDimension(key=key, item=item, site=site, warehouse=warehouse, tracking_number=tracking)
            for key, (item, site, warehouse, tracking) in wanted.items() if key not in existing
        ]
        if missing:
            CostDimension.objects.bulk_create(missing, ignore_conflicts=True)
        for dimension in CostDimension.objects.select_for_update().filter(key__in=sorted(wanted)).order_by("key"):
            item, site, _, _ = wanted[dimension.key]
            dimension.item, dimension.site = item, site
            self._dimensions[dimension.key] = dimension
        self._on_hand_load(dimensions)

    def _on_hand_load(self, places: list[tuple[Item, Site, Warehouse, str]]) -> None:
        """Read (or create) the on-hand rows of many places at once, under their dimension locks."""
        wanted = {DimensionKey(item.pk, site.pk, warehouse.pk, tracking): (item, site, warehouse)
                  for item, site, warehouse, tracking in places}
        self._on_hand.update(on_hand_rows(places={key: place for key, place in wanted.items() if key not in self._on_hand}))

    def dimension(self, item: Item, site: Site, warehouse: Warehouse, tracking_number: str = "") -> CostDimension:
        key, _, _ = CostDimension.key_for(item, site, warehouse, tracking_number)
        if key not in self._dimensions:
            self.lock([(item, site, warehouse, tracking_number)])
        return self._dimensions[key]

    def on_hand(self, item: Item, site: Site, warehouse: Warehouse, tracking_number: str = "") -> OnHand:
        return self.place(item, site, warehouse, tracking_number)[1]

    def place(self, item: Item, site: Site, warehouse: Warehouse, tracking_number: str = "") -> tuple[CostDimension, OnHand]:
        """The dimension (locked) and the on-hand row a posting in this place changes, found once."""
        key = (item.pk, site.pk, warehouse.pk, tracking_number)
        if key not in self._places:
            # Guarded by the dimension lock: every on-hand row belongs to exactly one cost dimension.
            dimension = self.dimension(item, site, warehouse, tracking_number)
            on_hand_key = DimensionKey(*key)
            if on_hand_key not in self._on_hand:
                self._on_hand[on_hand_key], _ = OnHand.objects.get_or_create(
                    item=item, site=site, warehouse=warehouse, tracking_number=tracking_number)
            self._places[key] = (dimension, self._on_hand[on_hand_key])
        return self._places[key]

    # -- costing ----------------------------------------------------------------------------

    def running_average(self, item: Item, dimension: CostDimension) -> Decimal:
        return running_average(item=item, dimension=dimension)

    def _issue_amount(self, item: Item, dimension: CostDimension, qty: Decimal) -> Decimal:
        """Signed (negative) cost of issuing `qty` units now. Issuing exactly what is on hand takes
        exactly its value, so no rounding residue is left behind."""
        model_group = item.model_group
        method = model_group.valuation_method
        on_hand_qty, on_hand_value = averages.average_basis(
            valuation_method=method, include_physical_value=model_group.include_physical_value,
            financial_qty=dimension.financial_qty, financial_value=dimension.financial_value,
            physical_qty=dimension.physical_qty, physical_value=dimension.physical_value)
        if method != ValuationMethod.STANDARD_COST and qty == on_hand_qty and on_hand_value >= ZERO:
            return -on_hand_value
        return -amount_for(qty, self.running_average(item, dimension))

    # -- postings ---------------------------------------------------------------------------

    def _add(self, txn: InventoryTransaction) -> None:
        self._new.append(txn)
        self.posted.append(txn)  # hooks

    def saved(self, txn: InventoryTransaction) -> InventoryTransaction:
        """Make sure a transaction posted in this session has its id (for marking and transfers)."""
        if txn.pk is None:
            self._insert_new()
        return txn

    def _insert_new(self) -> None:
        if self._new:
            transactions_insert(transactions=self._new)
            self._new = []

    def _new_ref(self) -> str:
        if not self._refs:
            self._refs = number_block(code="transaction", count=50)
        return self._refs.pop(0)

    def receive(self, *, item: Item, qty: Decimal, unit_cost: Decimal, posting_date: date, site: Site,
                warehouse: Warehouse, source_type: str, financial: bool, ref: str = "", source_number: str = "",
                user_reference: str = "", offset_account: MainAccount | None = None, tracking_number: str = "",
                expiry_date: date | None = None, journal_line=None, transfer_issue: InventoryTransaction | None = None,
                amount: Decimal | None = None) -> InventoryTransaction:
        """Post a receipt, physically (received) or physically and financially at once (purchased).
        `amount` overrides quantity × unit cost (transfers carry their issue's exact cost)."""
        self._check_item_and_qty(item, qty, "receipt")
        if unit_cost < ZERO:
            raise DomainError(f"The unit cost of a receipt of {item.number} cannot be negative.", field="unit_cost")
        self.check_date(posting_date)
        self._check_tracking(item, qty, receipt=True, site=site, warehouse=warehouse, tracking_number=tracking_number,
                             expiry_date=expiry_date)
        dimension, on_hand = self.place(item, site, warehouse, tracking_number)
        group, model_group = item.item_group, item.model_group
        method = model_group.valuation_method
        standard = method == ValuationMethod.STANDARD_COST
        booked_amount = amount if amount is not None else amount_for(qty, item.default_cost_price if standard else unit_cost)
        invoice_amount = amount if amount is not None else amount_for(qty, unit_cost)
        if amount is None and method == ValuationMethod.MOVING_AVERAGE:
            booked_amount = averages.moving_average_receipt_value(
                qty=qty, unit_cost=unit_cost, on_hand_qty=dimension.financial_qty + dimension.physical_qty,
                on_hand_value=dimension.financial_value + dimension.physical_value, default_cost_price=item.default_cost_price)
        ref = ref or self._new_ref()
        # A receipt never fails the negative check (decreases only): the offset account may come first.
        offset = (offset_account or self._offset(group, source_type, True)) if financial else group.packing_slip_offset_account
        txn = instance_new(
            InventoryTransaction,
            ref=ref, source_type=source_type, source_number=source_number,
            user_reference=user_reference, item=item, site=site, warehouse=warehouse,
            tracking_number=tracking_number, expiry_date=expiry_date, cost_dimension=dimension, qty=qty,
            status=TransactionStatus.PURCHASED if financial else TransactionStatus.RECEIVED,
            date_physical=posting_date, date_financial=posting_date if financial else None,
            cost_amount_physical=booked_amount, cost_amount_posted=booked_amount if financial else ZERO,
            journal_line=journal_line, transfer_issue=transfer_issue, created_by=self.user,
            inventory_account=group.inventory_receipt_account, offset_account=offset,
        )
        self._check_negative(item, on_hand, posting_date, physical=qty, financial=qty if financial else ZERO)
        on_hand.physical_qty += qty
        if financial:
            variance = ZERO  # one-step receipt: no earlier physical value to true up (MA-neg is in booked_amount)
            self._add(txn)
            self._add_financial(dimension, on_hand, qty, booked_amount)
            self._financial_receipt_voucher(txn, posting_date, booked_amount, invoice_amount, variance)
        else:
            self._add(txn)
            dimension.physical_qty += qty
            dimension.physical_value += booked_amount
            on_hand.physical_value += booked_amount
            if model_group.post_physical_inventory:
                self._voucher(posting_date, f"Product receipt {ref} {item.number}", [
                    self._line(group.inventory_receipt_account, booked_amount, txn, item),
                    self._line(offset, -booked_amount, txn, item),
                ])
        return txn

    def issue(self, *, item: Item, qty: Decimal, posting_date: date, site: Site, warehouse: Warehouse,
              source_type: str, financial: bool, ref: str = "", source_number: str = "", user_reference: str = "",
              offset_account: MainAccount | None = None, tracking_number: str = "",
              marked_to: InventoryTransaction | None = None, journal_line=None) -> InventoryTransaction:
        """Post an issue of `qty` units (a positive magnitude) at the running average cost."""
        self._check_item_and_qty(item, qty, "issue")
        self.check_date(posting_date)
        self._check_tracking(item, qty, receipt=False, site=site, warehouse=warehouse, tracking_number=tracking_number)
        if marked_to is not None:
            self._check_marking(item, marked_to)
            self.saved(marked_to)
        dimension, on_hand = self.place(item, site, warehouse, tracking_number)
        group = item.item_group
        amount = self._issue_amount(item, dimension, qty)
        ref = ref or self._new_ref()
        # The negative check, then the offset account (which may refuse the source type), as always.
        self._check_negative(item, on_hand, posting_date, physical=-qty, financial=-qty if financial else ZERO)
        offset = (offset_account or self._offset(group, source_type, False)) if financial else group.packing_slip_offset_account
        txn = instance_new(
            InventoryTransaction,
            ref=ref, source_type=source_type, source_number=source_number,
            user_reference=user_reference, item=item, site=site, warehouse=warehouse,
            tracking_number=tracking_number, cost_dimension=dimension, qty=-qty,
            status=TransactionStatus.SOLD if financial else TransactionStatus.DEDUCTED,
            date_physical=posting_date, date_financial=posting_date if financial else None,
            cost_amount_physical=amount, cost_amount_posted=amount if financial else ZERO,
            marked_to=marked_to, journal_line=journal_line, created_by=self.user,
            inventory_account=group.inventory_issue_account, offset_account=offset,
        )
        on_hand.physical_qty -= qty
        if financial:
            self._add(txn)
            self._add_financial(dimension, on_hand, -qty, amount)
            self._voucher(posting_date, f"{SOURCE_LABELS[source_type]} {ref} {item.number}", [
                self._line(offset, -amount, txn, item),
                self._line(group.inventory_issue_account, amount, txn, item),
            ])
        else:
            self._add(txn)
            dimension.physical_qty -= qty
            dimension.physical_value += amount
            on_hand.physical_value += amount
            if item.model_group.post_physical_inventory:
                self._voucher(posting_date, f"Packing slip {ref} {item.number}", [
                    self._line(offset, -amount, txn, item),
                    self._line(group.inventory_issue_account, amount, txn, item),
                ])
        return txn

    def invoice(self, *, txn: InventoryTransaction, posting_date: date, unit_cost: Decimal | None = None,
                offset_account: MainAccount | None = None) -> InventoryTransaction:
        """Financially update a physically posted receipt (at the invoice's unit cost, which may
        differ from the physical one) or issue (at the running average now)."""
        item = txn.item
        if txn.is_financial:
            raise DomainError(f"Transaction {txn.ref} is already financially updated.", field="ref")
        if posting_date < txn.date_physical:
            raise DomainError(
                f"Transaction {txn.ref} cannot be financially updated on {posting_date:%Y-%m-%d}, before its "
                f"physical date {txn.date_physical:%Y-%m-%d}.", field="date",
            )
        if txn.is_receipt and (unit_cost is None or unit_cost < ZERO):
            raise DomainError(f"Invoicing receipt {txn.ref} needs a unit cost of zero or more.", field="unit_cost")
        self.check_date(posting_date)
        dimension, on_hand = self.place(item, txn.site, txn.warehouse, txn.tracking_number)
        self._check_negative(item, on_hand, posting_date, physical=ZERO, financial=txn.qty)
        group = item.item_group
        physical_value = txn.cost_amount_physical + txn.cost_amount_adjustment
        # The physical posting leaves the physical totals; the financial one enters the financial.
        dimension.physical_qty -= txn.qty
        dimension.physical_value -= physical_value
        on_hand.physical_value -= physical_value
        lines: list[LineSpec] = []
        if item.model_group.post_physical_inventory:
            lines += [self._line(txn.inventory_account, -txn.cost_amount_physical, txn, item),
                      self._line(txn.offset_account, txn.cost_amount_physical, txn, item)]
        if txn.is_receipt:
            standard = item.model_group.valuation_method == ValuationMethod.STANDARD_COST
            invoice_amount = amount_for(txn.qty, unit_cost)
            booked = txn.cost_amount_physical if standard else invoice_amount
            variance = ZERO
            if item.model_group.valuation_method == ValuationMethod.MOVING_AVERAGE:
                # After the receipt's physical part left the totals, before its financial part enters them.
                variance = averages.moving_average_invoice_variance(
                    difference=invoice_amount - (txn.cost_amount_physical + txn.cost_amount_adjustment), receipt_qty=txn.qty,
                    on_hand_qty=dimension.financial_qty + dimension.physical_qty + txn.qty)
            txn.status = TransactionStatus.PURCHASED
            txn.cost_amount_posted = booked - txn.cost_amount_adjustment
            txn.inventory_account = group.inventory_receipt_account
            txn.offset_account = offset_account or self._offset(group, txn.source_type, True)
            self._add_financial(dimension, on_hand, txn.qty, booked)
            lines += self._receipt_lines(txn, booked, invoice_amount, variance)
        else:
            amount = self._issue_amount(item, dimension, -txn.qty)
            txn.status = TransactionStatus.SOLD
            # An IPV adjustment made while the issue was physical is kept, so the posted part is
            # what makes the whole equal the running average now.
            txn.cost_amount_posted = amount - txn.cost_amount_adjustment
            txn.offset_account = offset_account or self._offset(group, txn.source_type, False)
            self._add_financial(dimension, on_hand, txn.qty, amount)
            lines += [self._line(txn.offset_account, -amount, txn, item),
                      self._line(group.inventory_issue_account, amount, txn, item)]
        txn.date_financial = posting_date
        if txn.pk is not None:
            self._changed[txn.pk] = txn
        self._voucher(posting_date, f"Invoice {txn.ref} {item.number}", lines)
        return txn

    def transfer(self, *, item: Item, qty: Decimal, posting_date: date, site: Site, warehouse: Warehouse,
                 to_site: Site, to_warehouse: Warehouse, ref: str = "", source_number: str = "",
                 tracking_number: str = "", to_tracking_number: str | None = None, expiry_date: date | None = None,
                 journal_line=None, source_type: str = SourceType.TRANSFER) -> tuple[InventoryTransaction, InventoryTransaction]:
        """Move stock: an issue from one place and a receipt in the other at the same cost, in one
        voucher: credit the issue account, debit the receipt account (docs/domain.md §3, transfer).

        The issue is offset against the receipt account and the receipt against its own account, so
        the pair moves the value once: when the item group's issue and receipt accounts differ,
        offsetting each half against the other's account would move it twice (here, and again for
        every closing adjustment, which posts each transaction against its own offset account)."""
        to_tracking_number = tracking_number if to_tracking_number is None else to_tracking_number
        self.lock(sorted([(item, site, warehouse, tracking_number), (item, to_site, to_warehouse, to_tracking_number)],
                         key=lambda d: CostDimension.key_for(*d)[0]))
        group = item.item_group
        base = ref or self._new_ref()
        issue = self.issue(item=item, qty=qty, posting_date=posting_date, site=site, warehouse=warehouse,
                           source_type=source_type, financial=True, ref=f"{base}-OUT", source_number=source_number,
                           offset_account=group.inventory_receipt_account, tracking_number=tracking_number,
                           journal_line=journal_line)
        self.saved(issue)
        receipt = self.receive(item=item, qty=qty, unit_cost=ZERO, posting_date=posting_date, site=to_site,
                               warehouse=to_warehouse, source_type=source_type, financial=True, ref=f"{base}-IN",
                               source_number=source_number, offset_account=group.inventory_receipt_account,
                               tracking_number=to_tracking_number, expiry_date=expiry_date, journal_line=journal_line,
                               transfer_issue=issue, amount=-issue.cost_amount_posted)
        # The two postings' vouchers (issue: Dr receipt / Cr issue account; receipt: Dr / Cr receipt
        # account) become the one voucher they add up to.
        if (source_type == SourceType.RECLASSIFICATION and issue.cost_dimension is receipt.cost_dimension
                and group.inventory_issue_account_id == group.inventory_receipt_account_id):
            # A reclassification that stays in its financial dimension (another warehouse or lot that
            # is not financial) moves no value between accounts: no voucher (docs/domain.md §5.5).
            del self._drafts[-2:]
            return issue, receipt
        self._drafts[-2:] = [VoucherDraft(
            date=posting_date, description=f"{SOURCE_LABELS[source_type]} {base} {item.number}",
            source=Voucher.Source.INVENTORY, lines=[
                self._line(group.inventory_issue_account, issue.cost_amount_posted, issue, item),
                self._line(group.inventory_receipt_account, receipt.cost_amount_posted, receipt, item),
            ])]
        return issue, receipt

    # -- helpers ----------------------------------------------------------------------------

    def _check_item_and_qty(self, item: Item, qty: Decimal, what: str) -> None:
        if qty <= ZERO:
            raise DomainError(f"The quantity of an {what} of {item.number} must be greater than zero.", field="qty")

    def _check_tracking(self, item: Item, qty: Decimal, *, receipt: bool, site: Site, warehouse: Warehouse,
                        tracking_number: str, expiry_date: date | None = None) -> None:
        """Item tracking, on every receipt and issue (docs/domain.md §5.2): a lot- or serial-
        tracked item always names its number, only lots have an expiry date, a serial number is on
        hand at most once (received once, issued once) and only what is on hand in a lot or under a
        serial number can be issued from it. Untracked items carry neither."""
        problems = tracking_problems(item_number=item.number, tracking=item.tracking, tracking_number=tracking_number,
                                     expiry_date=expiry_date, qty=qty)
        if problems:
            field, problem = problems[0]
            raise DomainError(f"{problem}.", field=field)
        if item.tracking == Item.Tracking.NONE:
            return
        kind = "lot" if item.tracking == Item.Tracking.LOT else "serial"
        label = f"{'Lot' if kind == 'lot' else 'Serial number'} {tracking_number} of {item.number}"
        if receipt:
            if item.tracking == Item.Tracking.SERIAL:
                where = self._serial_on_hand(item, tracking_number)
                if where:
                    raise DomainError(f"{label} is already on hand in {where}: a serial number is received once.",
                                      field="tracking_number")
            return
        on_hand = self.on_hand(item, site, warehouse, tracking_number)
        if on_hand.physical_qty < qty:
            raise DomainError(
                f"{label} has {Decimal(on_hand.physical_qty).normalize():f} on hand in {site.code}/{warehouse.code}: "
                f"{qty.normalize():f} cannot be issued from it.", field="tracking_number")

    def _serial_on_hand(self, item: Item, serial: str) -> str:
        """Where a serial number is on hand ("SITE/WAREHOUSE"), or "" if nowhere. The item row is
        locked first (once per session, after the dimension locks) so two postings receiving the same
        serial number into different sites, which lock different dimensions, still take turns."""
        if item.pk not in self._serial_items_locked:
            Item.objects.select_for_update().filter(pk=item.pk).values_list("pk", flat=True).first()
            self._serial_items_locked.add(item.pk)
        cached = [row for key, row in self._on_hand.items() if key.item_id == item.pk and key.tracking_number == serial]
        for row in cached:
            if row.physical_qty > ZERO:
                return f"{row.site.code}/{row.warehouse.code}"
        stored = (OnHand.objects.filter(item=item, tracking_number=serial, physical_qty__gt=ZERO)
                  .exclude(pk__in=[row.pk for row in cached]).select_related("site", "warehouse").first())
        return f"{stored.site.code}/{stored.warehouse.code}" if stored else ""

    def _check_marking(self, item: Item, receipt: InventoryTransaction) -> None:
        if receipt.item_id != item.pk or not receipt.is_receipt:
            raise DomainError(f"An issue of {item.number} can only be marked to a receipt of the same item; "
                              f"{receipt.ref} is not one.", field="marking")
        if item.model_group.valuation_method in (ValuationMethod.STANDARD_COST, ValuationMethod.MOVING_AVERAGE):
            raise DomainError(f"{item.number} uses {item.model_group.get_valuation_method_display()}: marking does not apply.",
                              field="marking")

    def _check_negative(self, item: Item, on_hand: OnHand, posting_date: date, *, physical: Decimal,
                        financial: Decimal) -> None:
        """Refuse a change that takes on-hand below zero where the model group forbids it. Called
        before anything is changed, so a refused posting leaves the session as it was."""
        model_group = item.model_group
        physical_after = on_hand.physical_qty + physical
        financial_after = on_hand.financial_qty + financial
        if physical < ZERO and physical_after < ZERO and not model_group.physical_negative_allowed:
            where = f"{on_hand.site.code}/{on_hand.warehouse.code}"
            raise DomainError(
                f"Physical inventory of {item.number} in {where} would go negative "
                f"({physical_after.normalize():f}) on {posting_date:%Y-%m-%d}; model group "
                f"{model_group.code} does not allow physical negative inventory.", field="qty")
        if financial < ZERO and financial_after < ZERO and not model_group.financial_negative_allowed:
            where = f"{on_hand.site.code}/{on_hand.warehouse.code}"
            raise DomainError(
                f"Financial inventory of {item.number} in {where} would go negative "
                f"({financial_after.normalize():f}) on {posting_date:%Y-%m-%d}; model group "
                f"{model_group.code} does not allow financial negative inventory.", field="qty")

    def _add_financial(self, dimension: CostDimension, on_hand: OnHand, qty: Decimal, amount: Decimal) -> None:
        dimension.financial_qty += qty
        dimension.financial_value += amount
        on_hand.financial_qty += qty
        on_hand.financial_value += amount

    def _receipt_lines(self, txn: InventoryTransaction, booked: Decimal, invoice_amount: Decimal,
                       variance: Decimal) -> list[LineSpec]:
        item, group = txn.item, txn.item.item_group
        lines = [self._line(group.inventory_receipt_account, booked, txn, item),
                 self._line(txn.offset_account, -invoice_amount, txn, item)]
        if booked != invoice_amount:  # standard cost: purchase price variance
            lines.append(self._line(group.price_difference_account, invoice_amount - booked, txn, item))
        if variance:  # moving average: the part of the price difference not capitalised
            txn.cost_amount_adjustment += variance
            dimension, on_hand = self.place(item, txn.site, txn.warehouse, txn.tracking_number)
            dimension.financial_value += variance
            on_hand.financial_value += variance
            lines += [self._line(group.inventory_receipt_account, variance, txn, item),
                      self._line(group.price_difference_account, -variance, txn, item)]
        return lines

    def _financial_receipt_voucher(self, txn, posting_date, booked, invoice_amount, variance) -> None:
        self._voucher(posting_date, f"{SOURCE_LABELS[txn.source_type]} {txn.ref} {txn.item.number}",
                      self._receipt_lines(txn, booked, invoice_amount, variance))
        if variance and txn.pk is not None:
            self._changed[txn.pk] = txn

    @staticmethod
    def _offset(group: ItemGroup, source_type: str, is_receipt: bool) -> MainAccount:
        posting_type = OFFSET_BY_SOURCE.get((source_type, is_receipt))
        if posting_type is None:
            raise DomainError(f"A {SOURCE_LABELS[source_type].lower()} posting needs an offset account.", field="offset_account")
        return group.account_for(posting_type)

    @staticmethod
    def _line(account: MainAccount, amount: Decimal, txn: InventoryTransaction, item: Item) -> LineSpec:
        return LineSpec(account=account, amount=amount, transaction=txn, item_id=item.pk, item_group_id=item.item_group_id)

    def _voucher(self, posting_date: date, description: str, lines: list[LineSpec]) -> None:
        self._drafts.append(VoucherDraft(date=posting_date, description=description, source=Voucher.Source.INVENTORY, lines=lines))

    # -- write ------------------------------------------------------------------------------

    def flush(self) -> None:
        self._insert_new()
        hooks.transactions_posted(self.posted, self.bins, user=self.user)  # apps built on inventory (hooks.py)
        self.posted, self.bins = [], {}
        transactions_financial_update(transactions=self._changed.values())
        self._changed.clear()
        totals_write(dimensions=self._dimensions.values(), on_hand=self._on_hand.values())
        self.vouchers += vouchers_write(drafts=self._drafts, user=self.user, returning=self.keep_vouchers)
        self._drafts = []


@contextmanager
def posting_session(*, user=None) -> Iterator[PostingSession]:
    """A posting session inside one atomic block: everything posted in it lands, or nothing does.
    It holds the posting gate until it commits, so no close starts while it is open, and it reads
    the closing date only once it has the gate (inventory/services/posting_gate.py)."""
    with transaction.atomic():
        posting_gate_enter()
        session = PostingSession(user=user)
        yield session
        session.flush()
