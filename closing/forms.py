"""The Closing and adjustment dialogs. Forms only parse what was typed; the services decide whether
the close, recalculation or reversal is allowed (a refusal comes back as a DomainError naming the
field, shown on the form)."""

from decimal import Decimal

from django import forms

from closing.models import ClosingRun, Specification
from closing.services import RunRequest
from inventory.models import ItemGroup
from ledger.money import ZERO


class DateInput(forms.DateInput):
    input_type = "date"


class CloseForm(forms.Form):
    """Close inventory (README 2.4): up to a date, with the voucher's level of detail and a note."""

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
    """Cancellation (README 2.6): the latest close, or every recalculation from a date."""

    LATEST = "latest"
    RECALCULATIONS = "recalculations"

    what = forms.ChoiceField(widget=forms.RadioSelect, initial=LATEST, label="Reverse", choices=[
        (LATEST, "The latest close"), (RECALCULATIONS, "All recalculations from a date")])
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
