"""Items, item groups and model groups kept by hand (the Items pages and the admin), each change
audited with the values before and after.

What an item may no longer change once it has transactions (docs/domain.md §1): its model group
(the valuation method its transactions were costed under), its item group (the accounts they were
posted to, which the reconciliation reads by group), and the dimension set-up (tracking, financial
warehouse and lot/serial) that keyed its cost dimensions. A standard-cost item's standard cost
changes only through a standard cost revaluation (closing.services.revaluation), which posts the
on-hand difference; `item_standard_cost_set` is that revaluation's write."""

from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from common.audit import audit_changes, audit_record, audit_values
from common.errors import DomainError
from common.money import ZERO
from inventory.models import InventoryTransaction, Item, ItemGroup, ItemModelGroup, ValuationMethod
from inventory.rules import item_number_problems

ITEM_FIELDS = ("number", "name", "unit", "item_type", "item_group", "model_group", "default_cost_price", "tracking",
               "warehouse_is_financial", "tracking_is_financial", "counting_period")
# Fixed once the item has transactions (see the module's docstring).
LOCKED_WITH_TRANSACTIONS = {
    "model_group_id": "model group",
    "item_group_id": "item group",
    "tracking": "tracking",
    "warehouse_is_financial": "financial warehouse dimension",
    "tracking_is_financial": "financial tracking dimension",
}
ITEM_GROUP_FIELDS = ("code", "name", "inventory_receipt_account", "inventory_issue_account", "cogs_account",
                     "purchase_accrual_account", "packing_slip_offset_account", "inventory_profit_account",
                     "inventory_loss_account", "price_difference_account", "cost_revaluation_account",
                     "counting_period")
MODEL_GROUP_FIELDS = ("code", "name", "valuation_method", "include_physical_value", "physical_negative_allowed",
                      "financial_negative_allowed", "post_physical_inventory")
# What a model group may no longer change once one of its items has transactions.
MODEL_GROUP_LOCKED = {"valuation_method": "valuation method", "include_physical_value": "include physical value",
                      "post_physical_inventory": "post physical inventory"}


def item_has_transactions(*, item: Item) -> bool:
    return item.pk is not None and InventoryTransaction.objects.filter(item_id=item.pk).exists()


def is_standard_cost(item: Item) -> bool:
    return item.model_group_id is not None and item.model_group.valuation_method == ValuationMethod.STANDARD_COST


def item_change_problems(*, item: Item, stored: Item | None) -> list[tuple[str, str]]:
    """What keeps `item` (new values, not saved) from being saved over `stored` (None for a new item),
    as (field, message) pairs: the number's form, a locked field on an item with transactions, a
    standard cost typed over instead of revalued."""
    problems = [("number", f"Item number: {problem}.") for problem in item_number_problems(item.number or "")]
    if item.default_cost_price is not None and item.default_cost_price < ZERO:
        problems.append(("default_cost_price", f"Cost price: {item.default_cost_price} is negative."))
    if item.tracking == Item.Tracking.NONE and item.tracking_is_financial:
        problems.append(("tracking_is_financial",
                         "Financial tracking dimension: the item is not tracked by lot or serial number."))
    if stored is None and is_standard_cost(item) and not item.default_cost_price:
        problems.append(("default_cost_price",
                         f"Cost price: item {item.number} uses standard cost: enter its standard cost."))
    if stored is None or not item_has_transactions(item=stored):
        return problems
    if stored.number != item.number:
        problems.append(("number", f"Item number: {stored.number} has transactions; its number can no longer change."))
    for name, label in LOCKED_WITH_TRANSACTIONS.items():
        if getattr(stored, name) != getattr(item, name):
            field = name.removesuffix("_id")
            problems.append((field, f"{label.capitalize()}: item {stored.number} has transactions; its {label} is "
                                    f"locked ({getattr(stored, field)})."))
    if is_standard_cost(stored) and item.default_cost_price != stored.default_cost_price:
        problems.append(("default_cost_price",
                         f"Cost price: item {stored.number} uses standard cost and has transactions; its standard "
                         f"cost ({stored.default_cost_price}) changes only through a standard cost revaluation, "
                         "which posts the on-hand difference."))
    return problems


def _refuse(problems: list[tuple[str, str]]) -> None:
    if problems:
        raise DomainError(problems[0][1], field=problems[0][0], errors=[message for _, message in problems])


def item_save(*, item: Item, user=None) -> Item:
    """Create or change an item (the Items pages and the admin), audited with what changed. Refused,
    with nothing written, for the problems of `item_change_problems`."""
    with transaction.atomic():
        stored = Item.objects.select_for_update().select_related("model_group").filter(pk=item.pk).first() \
            if item.pk else None
        _refuse(item_change_problems(item=item, stored=stored))
        before = audit_values(stored, ITEM_FIELDS) if stored else {}
        try:
            item.full_clean()
        except ValidationError as error:
            problems = [(name, f"{Item._meta.get_field(name).verbose_name.capitalize() if name != '__all__' else 'Item'}"
                               f": {message.rstrip('.')}.") for name, messages in error.message_dict.items()
                        for message in messages]
            _refuse(problems)
        item.save()
        changes = audit_changes(before, audit_values(item, ITEM_FIELDS))
        if changes:
            audit_record(user=user, action="item.create" if stored is None else "item.change", obj=item,
                         object_id=item.number, changes=changes)
    return item


def item_standard_cost_set(*, item: Item, standard_cost: Decimal) -> Decimal:
    """The standard cost revaluation's change of a standard-cost item's standard (the revaluation
    audits it, with its run); returns the standard it replaced. Inside the caller's transaction."""
    stored = Item.objects.select_for_update().select_related("model_group").get(pk=item.pk)
    if not is_standard_cost(stored):
        raise DomainError(f"Item {stored.number} is not valued at standard cost.")
    if standard_cost < ZERO:
        raise DomainError(f"Standard cost {standard_cost} is negative.", field="standard_cost")
    before = stored.default_cost_price
    Item.objects.filter(pk=item.pk).update(default_cost_price=standard_cost)
    item.default_cost_price = standard_cost
    return before


def item_import_prepare(*, item: Item, cost: Decimal, has_transactions: bool) -> None:
    """Before the items import changes an existing item: refuse a new standard cost on a standard-cost
    item with transactions (issue #16, point 9: only a revaluation changes it), and keep the item's
    values for `items_audit_changes`."""
    if has_transactions and is_standard_cost(item) and cost != item.default_cost_price:
        raise DomainError(f"{item.number} uses standard cost and has transactions: its standard cost "
                          f"({item.default_cost_price.normalize():f}) changes only through a standard cost "
                          f"revaluation, not to {cost} by import")
    item.values_before = audit_values(item, ITEM_FIELDS)


def items_audit_changes(*, items: Iterable[Item], user=None) -> int:
    """An import's changes to existing items, one audit entry per item whose values changed: the
    import keeps each item's values before the change on `item.values_before` (audit_values)."""
    written = 0
    for item in items:
        before = getattr(item, "values_before", None)
        if before is None:
            continue
        changes = audit_changes(before, audit_values(item, ITEM_FIELDS))
        if changes:
            audit_record(user=user, action="item.change", obj=item, object_id=item.number, changes=changes, source="import")
            written += 1
    return written


def item_delete(*, item: Item, user=None) -> None:
    """Remove an item that never had transactions (the admin), audited with what it was."""
    if item_has_transactions(item=item):
        raise DomainError(f"Item {item.number} has transactions: it cannot be deleted.")
    with transaction.atomic():
        values = audit_values(item, ITEM_FIELDS)
        audit_record(user=user, action="item.delete", obj=item, object_id=item.number,
                     changes={name: {"from": value, "to": ""} for name, value in values.items()})
        item.delete()


# -- item groups and model groups ---------------------------------------------------------------------

def item_group_save(*, group: ItemGroup, user=None) -> ItemGroup:
    """Create or change an item group and its posting accounts (the admin), audited. Transactions keep
    the accounts they were posted to, so a change applies to postings from now on."""
    with transaction.atomic():
        stored = ItemGroup.objects.select_for_update().filter(pk=group.pk).first() if group.pk else None
        before = audit_values(stored, ITEM_GROUP_FIELDS) if stored else {}
        group.save()
        changes = audit_changes(before, audit_values(group, ITEM_GROUP_FIELDS))
        if changes:
            audit_record(user=user, action="item_group.create" if stored is None else "item_group.change", obj=group,
                         object_id=group.code, changes=changes)
    return group


def model_group_change_problems(*, group: ItemModelGroup, stored: ItemModelGroup | None) -> list[tuple[str, str]]:
    problems = []
    if group.include_physical_value and group.valuation_method in (ValuationMethod.STANDARD_COST,
                                                                   ValuationMethod.MOVING_AVERAGE):
        problems.append(("include_physical_value", f"Include physical value: it has no meaning for "
                                                   f"{ValuationMethod(group.valuation_method).label.lower()}."))
    if stored is not None and InventoryTransaction.objects.filter(item__model_group_id=stored.pk).exists():
        for name, label in MODEL_GROUP_LOCKED.items():
            if getattr(stored, name) != getattr(group, name):
                problems.append((name, f"{label.capitalize()}: items of model group {stored.code} have transactions; "
                                       f"its {label} is locked ({getattr(stored, name)})."))
    return problems


def model_group_save(*, group: ItemModelGroup, user=None) -> ItemModelGroup:
    """Create or change an item model group (the admin), audited. Its valuation method and what it
    posts are locked once one of its items has transactions."""
    with transaction.atomic():
        stored = ItemModelGroup.objects.select_for_update().filter(pk=group.pk).first() if group.pk else None
        _refuse(model_group_change_problems(group=group, stored=stored))
        before = audit_values(stored, MODEL_GROUP_FIELDS) if stored else {}
        group.save()
        changes = audit_changes(before, audit_values(group, MODEL_GROUP_FIELDS))
        if changes:
            audit_record(user=user, action="model_group.create" if stored is None else "model_group.change",
                         obj=group, object_id=group.code, changes=changes)
    return group


def setup_delete(*, obj: ItemGroup | ItemModelGroup, user=None) -> None:
    """Remove an item group or model group no item uses (the admin; PROTECT refuses otherwise), audited."""
    fields = ITEM_GROUP_FIELDS if isinstance(obj, ItemGroup) else MODEL_GROUP_FIELDS
    if obj.items.exists():
        raise DomainError(f"{obj._meta.verbose_name.capitalize()} {obj.code} is used by items: it cannot be deleted.")
    with transaction.atomic():
        values = audit_values(obj, fields)
        audit_record(user=user, action=f"{'item_group' if isinstance(obj, ItemGroup) else 'model_group'}.delete",
                     obj=obj, object_id=obj.code, changes={name: {"from": value, "to": ""} for name, value in values.items()})
        obj.delete()
