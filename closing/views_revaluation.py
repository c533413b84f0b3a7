"""Items › item › Revalue standard cost (issue #17, point 12): a new standard for a standard-cost item,
with what is on hand revalued (closing.services.revaluation). Accountants, like the adjustments."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from closing.models import InventoryParameters, Specification
from closing.selectors import latest_close
from closing.services.revaluation import standard_cost_revalue
from common.errors import DomainError
from common.money import ZERO, round_amount
from config.permissions import require_permission
from config.roles import ADJUST_INVENTORY
from inventory.models import Item, OnHand, ValuationMethod


class RevaluationForm(forms.Form):
    new_standard = forms.DecimalField(label="New standard cost", max_digits=20, decimal_places=6, min_value=ZERO)
    date = forms.DateField(label="Effective date", widget=forms.DateInput(attrs={"type": "date"}),
                           help_text="After the latest close, in an open period; the item's transactions must all be "
                                     "dated on or before it.")
    specification = forms.ChoiceField(choices=Specification.choices, label="Specification")
    note = forms.CharField(required=False, max_length=500)


def _on_hand(item: Item) -> tuple[Decimal, Decimal]:
    rows = OnHand.objects.filter(item=item).values_list("financial_qty", "financial_value")
    return sum((qty for qty, _ in rows), ZERO), sum((value for _, value in rows), ZERO)


@require_permission(ADJUST_INVENTORY)
def revalue_standard_cost(request: HttpRequest, number: str) -> HttpResponse:
    item = get_object_or_404(Item.objects.select_related("model_group", "item_group__cost_revaluation_account"),
                             number=number)
    standard = item.model_group.valuation_method == ValuationMethod.STANDARD_COST
    form = RevaluationForm(request.POST or None, initial={
        "date": timezone.localdate(), "specification": InventoryParameters.load().default_specification})
    qty, value = _on_hand(item)
    if request.method == "POST" and standard and form.is_valid():
        data = form.cleaned_data
        try:
            run = standard_cost_revalue(item=item, new_standard=data["new_standard"], on=data["date"], note=data["note"],
                                        specification=data["specification"], user=request.user)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, f"Standard cost revaluation {run.label} posted on {run.date:%Y-%m-%d}: {item.number} "
                                      f"now at {data['new_standard'].normalize():f}.")
            return redirect(run)
    new_standard = form.cleaned_data.get("new_standard") if form.is_bound and form.is_valid() else None
    difference = round_amount(qty * new_standard) - value if new_standard is not None else None
    return render(request, "closing/revalue_standard_cost.html", {
        "item": item, "form": form, "standard": standard, "qty": qty, "value": value, "difference": difference,
        "close": latest_close()})
