"""Items › New item and Items › item › Edit (issue #17, point 12): accountants keep items in the app.
The form parses, inventory.services.items decides and audits."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from common.errors import DomainError
from config.permissions import require_permission
from config.roles import ADD_ITEM, CHANGE_ITEM
from inventory.forms_items import ItemForm
from inventory.models import Item
from inventory.services.items import item_change_problems, item_has_transactions, item_save


def _add_error(form: ItemForm, field: str | None, message: str) -> None:
    if field in form.fields and not form.fields[field].disabled:
        # Shown under the field, which names itself: "Cost price: x" reads "x" there.
        form.add_error(field, message.split(": ", 1)[-1])
    else:
        form.add_error(None, message)


def _save(request: HttpRequest, form: ItemForm, stored: Item | None) -> Item | None:
    """Every problem next to its field (the rules of inventory.services.items), else the save."""
    if not form.is_valid():
        return None
    problems = item_change_problems(item=form.instance, stored=stored)
    for field, message in problems:
        _add_error(form, field, message)
    if problems:
        return None
    try:
        return item_save(item=form.instance, user=request.user)
    except DomainError as error:  # another user changed the item meanwhile
        _add_error(form, error.field, error.message)
        return None


@require_permission(ADD_ITEM)
def item_new(request: HttpRequest) -> HttpResponse:
    form = ItemForm(request.POST or None)
    if request.method == "POST":
        item = _save(request, form, None)
        if item is not None:
            messages.success(request, f"Item {item.number} created.")
            return redirect(item)
    return render(request, "inventory/item_form.html", {"form": form, "item": None})


@require_permission(CHANGE_ITEM)
def item_edit(request: HttpRequest, number: str) -> HttpResponse:
    item = get_object_or_404(Item.objects.select_related("model_group", "item_group"), number=number)
    stored = Item.objects.select_related("model_group", "item_group").get(pk=item.pk)
    has_transactions = item_has_transactions(item=item)
    form = ItemForm(request.POST or None, instance=item, has_transactions=has_transactions)
    if request.method == "POST":
        saved = _save(request, form, stored)
        if saved is not None:
            messages.success(request, f"Item {saved.number} saved.")
            return redirect(saved)
    return render(request, "inventory/item_form.html", {"form": form, "item": stored,
                                                        "has_transactions": has_transactions})
