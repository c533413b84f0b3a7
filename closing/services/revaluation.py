"""Standard cost revaluation (docs/domain.md §3.6): a new standard cost for a standard-cost item,
effective on a date, with what is on hand revalued to it.

Receipts and issues of a standard-cost item are valued at the standard as they are posted and no
close settles them (§1.3 STD-1/2). A new standard therefore changes the value of every unit on hand:
each on-hand place (site, warehouse, lot) is brought to its financial quantity × the new standard,
and the difference posts against the item group's cost revaluation account (Dynamics 365 posts it
when a new standard is activated). It is recorded as a run of the Closing and adjustment page, like
an on-hand adjustment: one cost adjustment on the newest financial transaction of each place, one
voucher, one audit entry with the old and new standard; and it is reversed like one (Reverse the
latest adjustment), which puts the old standard back."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from closing.models import ClosingRun, CostAdjustment, InventoryParameters, Specification
from closing.selectors import latest_close
from closing.services.runs import closing_lock
from closing.services.vouchers import post_run_voucher
from closing.signals import run_ended_after_commit
from common.audit import audit_record
from common.errors import DomainError
from common.money import UNIT_COST_PLACES, ZERO, round_amount
from common.numbering import number_next
from inventory.models import FINANCIAL_STATUSES, CostDimension, InventoryTransaction, Item, OnHand
from inventory.services.items import is_standard_cost, item_standard_cost_set
from inventory.services.valuation import cached_values_add, transactions_adjust
from ledger.services import PeriodGuard

RUN_TYPE = ClosingRun.RunType.STANDARD_COST_REVALUATION


@dataclass(frozen=True)
class Place:
    """Where a revaluation's adjustment is cached (inventory.services.valuation.ValuedPlace)."""

    dimension_id: int
    item_id: int
    site_id: int
    warehouse_id: int
    tracking_number: str
    financial: bool = True


def standard_cost_revalue(*, item: Item, new_standard: Decimal, on: date, note: str = "", user=None,
                          specification: str | None = None) -> ClosingRun:
    """Activate `new_standard` for a standard-cost item on `on` and revalue what is on hand to it.
    Refused, with nothing written: for an item not at standard cost, a negative standard or one
    with more decimals than a cost price keeps, the standard it already has, a date on or before
    the latest close or in a period that is not open, transactions dated after `on`, receipts or
    issues not yet invoiced, or while another run is unfinished."""
    if new_standard is None or new_standard < ZERO:
        raise DomainError(f"The new standard cost {new_standard} is negative.", field="new_standard")
    if new_standard != new_standard.quantize(UNIT_COST_PLACES):
        raise DomainError(f"The new standard cost {new_standard} has more decimals than a cost price keeps "
                          f"({-UNIT_COST_PLACES.as_tuple().exponent}).", field="new_standard")
    specification = specification or InventoryParameters.load().default_specification
    if specification not in Specification.values:
        raise DomainError(f"Unknown specification {specification!r}: use total, item-group or item.", field="specification")
    with closing_lock():
        close = latest_close()
        if close is not None and on <= close.date:
            raise DomainError(f"Inventory is closed up to {close.date:%Y-%m-%d} ({close.number}): revalue on a later "
                              f"date than {on:%Y-%m-%d}.", field="date")
        try:
            PeriodGuard().check(on)
        except DomainError as error:
            raise DomainError(error.message, field="date") from error
        # Sorted like PostingSession.lock, so a revaluation and a posting of the item wait in turn.
        list(CostDimension.objects.select_for_update().filter(item=item).order_by("key").values_list("pk", flat=True))
        item = Item.objects.select_related("model_group", "item_group").get(pk=item.pk)
        if not is_standard_cost(item):
            raise DomainError(f"Item {item.number} is valued at {item.model_group.get_valuation_method_display().lower()}: "
                              "only standard-cost items are revalued to a new standard.")
        old_standard = item.default_cost_price
        if new_standard == old_standard:
            raise DomainError(f"Item {item.number} already has the standard cost {old_standard}.", field="new_standard")
        transactions = InventoryTransaction.objects.filter(item=item)
        later = transactions.filter(Q(date_physical__gt=on) | Q(date_financial__gt=on)).order_by("date_physical", "id").first()
        if later is not None:
            raise DomainError(f"Item {item.number} has transaction {later.ref} dated after {on:%Y-%m-%d}: revalue on "
                              f"{max(later.date_physical, later.date_financial or later.date_physical):%Y-%m-%d} or "
                              "later.", field="date")
        pending = list(transactions.exclude(status__in=FINANCIAL_STATUSES).order_by("id").values_list("ref", flat=True)[:3])
        if pending:
            raise DomainError(f"Item {item.number} has transactions posted physically but not invoiced "
                              f"({', '.join(pending)}): invoice them first, so that they are valued at one standard.")
        deltas = _deltas(item, new_standard)
        run = ClosingRun.objects.create(
            number=number_next(code="closing"), run_type=RUN_TYPE, date=on, specification=specification, note=note,
            status=ClosingRun.Status.RUNNING, phase="adjusting", started_by=user if getattr(user, "pk", None) else None,
            started_at=timezone.now(),
            selection={"item": item.number, "old_standard": str(old_standard), "new_standard": _text(new_standard),
                       "last_transaction_id": transactions.order_by("-id").values_list("id", flat=True).first()})
        offset = item.item_group.cost_revaluation_account_id
        CostAdjustment.objects.bulk_create([CostAdjustment(run=run, transaction_id=txn_id, amount=delta, date=on,
                                                           offset_account_id=offset) for txn_id, _, delta in deltas])
        transactions_adjust(rows=[(txn_id, delta) for txn_id, _, delta in deltas])
        cached_values_add(adjustments=[(place, delta) for _, place, delta in deltas])
        item_standard_cost_set(item=item, standard_cost=new_standard)
        voucher = post_run_voucher(run) if deltas else None
        total = sum((delta for _, _, delta in deltas), ZERO)
        run.voucher = voucher
        run.items_total = run.items_done = 1
        run.transactions_total = run.transactions_done = run.adjustments_count = len(deltas)
        run.status, run.phase, run.ended_at = ClosingRun.Status.ENDED, "ended", timezone.now()
        run.save()
        audit_record(user=user, action=f"{RUN_TYPE}.post", obj=run, item=item.number, date=str(on),
                     voucher=voucher.number if voucher else "", total=str(total),
                     changes={"standard_cost": {"from": _text(old_standard), "to": _text(new_standard)}})
        run_ended_after_commit(run.pk)
        return run


def _text(value: Decimal) -> str:
    """A cost price as the audit log shows it: 10, 12.5 (no trailing zeros, never an exponent)."""
    return f"{value.normalize():f}"


def _deltas(item: Item, new_standard: Decimal) -> list[tuple[int, Place, Decimal]]:
    """(transaction, place, difference) for each on-hand place whose value is not its financial
    quantity at the new standard; the difference goes on the place's newest financial receipt (its
    newest financial transaction when it has no receipt)."""
    newest: dict[tuple, tuple[int, int]] = {}
    rows = (InventoryTransaction.objects.filter(item=item, status__in=FINANCIAL_STATUSES)
            .order_by("date_financial", "id")
            .values_list("id", "cost_dimension_id", "site_id", "warehouse_id", "tracking_number", "qty"))
    receipts: dict[tuple, tuple[int, int]] = {}
    for txn_id, dimension_id, site_id, warehouse_id, tracking, qty in rows:
        key = (site_id, warehouse_id, tracking)
        newest[key] = (txn_id, dimension_id)
        if qty > ZERO:
            receipts[key] = (txn_id, dimension_id)
    deltas = []
    per_place: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for row in OnHand.objects.filter(item=item).order_by("site_id", "warehouse_id", "tracking_number"):
        key = (row.site_id, row.warehouse_id, row.tracking_number)
        per_place[key] += round_amount(row.financial_qty * new_standard) - row.financial_value
    for key, delta in per_place.items():
        if delta == ZERO:
            continue
        found = receipts.get(key) or newest.get(key)
        if found is None:  # a value with no transaction behind it: check_books names the place
            raise DomainError(f"Item {item.number} has an on-hand value with no invoiced transaction behind it: run the "
                              "book checks before revaluing.")
        txn_id, dimension_id = found
        site_id, warehouse_id, tracking = key
        deltas.append((txn_id, Place(dimension_id, item.pk, site_id, warehouse_id, tracking), delta))
    return deltas


def revaluation_reversal_refusal(*, run: ClosingRun) -> str | None:
    """Why a standard cost revaluation cannot be taken back: the item's later postings were valued
    at the new standard, so putting the old one back would leave them at a standard the item no
    longer has."""
    item = Item.objects.filter(number=run.selection.get("item")).first()
    if item is None:
        return None
    last = run.selection.get("last_transaction_id") or 0
    later = InventoryTransaction.objects.filter(item=item, id__gt=last).order_by("id").first()
    if later is not None:
        return (f"Item {item.number} has transaction {later.ref} posted after standard cost revaluation {run.number}, "
                f"at the standard {run.selection.get('new_standard')}: revalue it again instead of reversing.")
    return None


def revaluation_reverse(*, run: ClosingRun) -> None:
    """Put the item's standard back to what it was before the revaluation (the reversal's part;
    closing.services.reversal takes the adjustments and the voucher back)."""
    item = Item.objects.filter(number=run.selection.get("item")).first()
    if item is not None:
        item_standard_cost_set(item=item, standard_cost=Decimal(run.selection["old_standard"]))
