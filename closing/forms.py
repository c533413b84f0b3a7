"""The Closing and adjustment dialogs. Forms only parse what was typed; the services decide whether
the close, recalculation or reversal is allowed (a refusal comes back as a DomainError naming the
field, shown on the form)."""

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import TypeVar

from django import forms

from closing.models import ClosingRun, InventoryParameters, Specification
from closing.services import RunRequest
from common.errors import DomainError
from common.money import ZERO
from inventory.models import ItemGroup, Site, Warehouse

T = TypeVar("T")
C = TypeVar("C")


class DateInput(forms.DateInput):
    input_type = "date"


class CloseForm(forms.Form):
    """Close inventory (docs/domain.md §2.4): up to a date, with the voucher's level of detail and a note."""

    run_type = ClosingRun.RunType.CLOSING

    date = forms.DateField(widget=DateInput, label="Close inventory up to",
                           help_text="Only transactions dated on or before this date are settled and adjusted.")
    specification = forms.ChoiceField(choices=Specification.choices,
                                      help_text="Voucher detail: one line per account, per item group or per item.")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def run_request(self) -> RunRequest:
        data = self.cleaned_data
        return RunRequest(run_type=self.run_type, date=data["date"], specification=data["specification"],
                          note=data["note"], min_adjustment=data.get("min_adjustment") or ZERO,
                          items=data.get("items", ()), item_groups=data.get("item_groups", ()))


class RecalculationForm(CloseForm):
    """Recalculate inventory: adjusts issues without settling; may be limited to items and groups."""

    run_type = ClosingRun.RunType.RECALCULATION

    date = forms.DateField(widget=DateInput, label="Recalculate inventory up to")
    items = forms.CharField(required=False, label="Items", help_text="Item numbers, comma-separated (empty: all items).")
    item_groups = forms.ModelMultipleChoiceField(queryset=ItemGroup.objects.all(), to_field_name="code", required=False,
                                                 label="Item groups")
    min_adjustment = forms.DecimalField(min_value=0, max_digits=20, decimal_places=2, label="Minimum adjustment",
                                        help_text="Adjustments smaller than this are not made.")

    field_order = ["date", "items", "item_groups", "min_adjustment", "specification", "note"]

    def clean_items(self) -> list[str]:
        numbers = [number.strip() for number in self.cleaned_data["items"].split(",")]
        return list(dict.fromkeys(number for number in numbers if number))

    def clean_item_groups(self) -> list[str]:
        return [group.code for group in self.cleaned_data["item_groups"]]


class ReverseForm(forms.Form):
    """Cancellation (docs/domain.md §2.6): the latest close, the latest adjustment, or every recalculation from a date."""

    LATEST = "latest"
    RECALCULATIONS = "recalculations"

    ADJUSTMENT = "adjustment"

    what = forms.ChoiceField(widget=forms.RadioSelect, initial=LATEST, label="Reverse", choices=[
        (LATEST, "The latest close"), (ADJUSTMENT, "The latest on-hand or transaction adjustment"),
        (RECALCULATIONS, "All recalculations from a date")])
    recalculations_from = forms.DateField(widget=DateInput, required=False, label="Recalculations from")

    def clean(self):
        data = super().clean()
        if data.get("what") == self.RECALCULATIONS and not data.get("recalculations_from"):
            self.add_error("recalculations_from", "Give the date from which recalculations are reversed.")
        return data

    def reverse_from(self):
        data = self.cleaned_data
        return data["recalculations_from"] if data["what"] == self.RECALCULATIONS else None


class OpenQuantitiesForm(forms.Form):
    date = forms.DateField(widget=DateInput, label="Expected close date")
    show_receipts = forms.BooleanField(required=False, label="Show receipts not invoiced",
                                       help_text="Also list dimensions whose only problem is receipts still waiting for their invoice.")


class CostPricesForm(forms.Form):
    date = forms.DateField(widget=DateInput, label="Expected close date")
    max_deviation = forms.DecimalField(min_value=0, max_digits=9, decimal_places=2, initial=Decimal("30"),
                                       label="Maximum deviation %", help_text="Base: the item's cost price.")


# -- Adjustment > On-hand and Adjustment > Transactions (docs/domain.md §3.1, §3.2) -----------------

class OnHandSelectionForm(forms.Form):
    """Select on-hand inventory: which items' open receipts become lines (read from the query string)."""

    items = forms.CharField(required=False, label="Items", help_text="Item numbers, comma-separated (empty: all items).")
    item_groups = forms.ModelMultipleChoiceField(queryset=ItemGroup.objects.all(), to_field_name="code", required=False,
                                                 label="Item groups")
    sites = forms.ModelMultipleChoiceField(queryset=Site.objects.all(), to_field_name="code", required=False, label="Sites")
    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.select_related("site"), required=False,
                                       label="Warehouse", help_text="Only the receipts stored in this warehouse.")

    def clean_items(self) -> list[str]:
        numbers = [number.strip() for number in self.cleaned_data["items"].split(",")]
        return list(dict.fromkeys(number for number in numbers if number))

    def selection(self) -> dict:
        data = self.cleaned_data
        return {"items": data["items"], "item_groups": [group.code for group in data["item_groups"]],
                "sites": [site.code for site in data["sites"]], "warehouse": data["warehouse"]}


class AdjustmentPostingForm(forms.Form):
    """The posting dialog both adjustment forms share (docs/domain.md §3: specification, update ledger, note)."""

    specification = forms.ChoiceField(choices=Specification.choices,
                                      help_text="Voucher detail: one line per account, per item group or per item.")
    update_ledger = forms.BooleanField(required=False, initial=True, label="Update ledger",
                                       help_text="Cleared: only the inventory value changes; no voucher is posted.")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class TransactionPostingForm(AdjustmentPostingForm):
    date = forms.DateField(widget=DateInput, label="Posting date",
                           help_text="After the latest close; the voucher is dated on it.")

    field_order = ["date", "specification", "update_ledger", "note"]


def typed_changes(data, rows: Iterable[T], *, names: tuple[str, ...], key: Callable[[T], str],
                  label: Callable[[T], str], change: Callable[[T, dict], C]) -> list[C]:
    """The changes typed on an adjustment form's lines: for each row with a figure in one of its
    inputs (named `<name>-<key>`), `change(row, figures)`, figures being Decimals or None. Anything
    that is not a number is refused with a message naming its line, all lines at once."""
    changes, errors = [], []
    for row in rows:
        figures = {}
        for name in names:
            raw = (data.get(f"{name}-{key(row)}") or "").strip().replace(" ", "")
            figures[name] = None
            if not raw:
                continue
            try:
                value = Decimal(raw)
            except ArithmeticError:
                value = None
            if value is None or not value.is_finite():
                errors.append(f"{label(row)}: {name.replace('_', ' ')} {raw!r} is not a number.")
                continue
            figures[name] = value
        if any(value is not None for value in figures.values()):
            changes.append(change(row, figures))
    if errors:
        raise DomainError(errors[0], errors=errors)
    return changes


class InventoryParametersForm(forms.ModelForm):
    default_min_adjustment = forms.DecimalField(min_value=0, max_digits=20, decimal_places=2,
                                                label="Default minimum adjustment",
                                                help_text="Proposed on the Recalculation dialog.")
    items_per_bundle = forms.IntegerField(min_value=1, label="Number of items per bundle",
                                          help_text="How many items a worker closes in one atomic step.")
    max_iterations = forms.IntegerField(min_value=1, label="Maximum throughputs",
                                        help_text="How often a close passes over transfer chains at most.")

    class Meta:
        model = InventoryParameters
        fields = ["storno_for_adjustments", "default_specification", "default_min_adjustment", "items_per_bundle",
                  "max_iterations"]
        labels = {"storno_for_adjustments": "Storno for inventory adjustments"}
