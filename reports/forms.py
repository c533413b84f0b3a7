"""Forms of the report pages that are not filter sets: the stock reports' choices and the close
summary's sign-off. Each parses its input only; a bad value is a message next to its field."""

import re
from datetime import date

from django import forms
from django.utils import timezone

from inventory.models import ItemGroup
from reports.selectors_stock import AGE_BANDS, month_start, months_back

DATE = forms.DateInput(attrs={"type": "date"})
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class MonthField(forms.CharField):
    """A month as YYYY-MM (the browser's month input), cleaned to its first day."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"})

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        found = MONTH.match(text.strip())
        if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1900:
            raise forms.ValidationError(f"Give a month as YYYY-MM, such as 2026-01 (not {text!r}).")
        return date(int(found.group(1)), int(found.group(2)), 1)


class AgeingForm(forms.Form):
    on = forms.DateField(required=False, label="Aged on", widget=DATE, help_text="Empty: today.")
    item_group = forms.ModelChoiceField(queryset=ItemGroup.objects.all(), required=False)
    item = forms.CharField(required=False, label="Item number", max_length=60)


class OpenLayersForm(forms.Form):
    item = forms.CharField(required=False, label="Item number", max_length=60)
    on = forms.DateField(required=False, label="Received by", widget=DATE, help_text="Empty: today.")
    age = forms.ChoiceField(required=False, label="Age", choices=[("", "Any age"), *[(band.key, band.label) for band in AGE_BANDS]])


class CogsForm(forms.Form):
    month_from = MonthField(required=False, label="From month")
    month_to = MonthField(required=False, label="To month")
    item_group = forms.ModelChoiceField(queryset=ItemGroup.objects.all(), required=False)

    # A year and a half of months at most on one page: each month is a row per item group.
    MAX_MONTHS = 18

    def clean(self):
        cleaned = super().clean()
        last = cleaned.get("month_to") or month_start(timezone.localdate())
        first = cleaned.get("month_from") or months_back(last, 5)
        if first > last:
            self.add_error("month_from", "The first month comes after the last: swap them.")
        elif (last.year * 12 + last.month) - (first.year * 12 + first.month) >= self.MAX_MONTHS:
            self.add_error("month_from", f"Show at most {self.MAX_MONTHS} months at once.")
        cleaned["first"], cleaned["last"] = first, last
        return cleaned


class CogsDetailForm(forms.Form):
    month = MonthField(required=True)
    item_group = forms.ModelChoiceField(queryset=ItemGroup.objects.all(), required=False)


class SignOffForm(forms.Form):
    comment = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                              help_text="Optional: what was checked, what is left open.")
