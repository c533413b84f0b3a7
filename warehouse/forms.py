"""Forms of the warehouse pages: they parse; the services decide."""

from django import forms

from inventory.models import Item, Warehouse
from warehouse.models import Bin, WarehouseJournal

QTY = {"max_digits": 20, "decimal_places": 6}


def _warehouse_field(**extra) -> forms.ModelChoiceField:
    field = forms.ModelChoiceField(queryset=Warehouse.objects.select_related("site"), **extra)
    field.label_from_instance = lambda warehouse: f"{warehouse.site.code}/{warehouse.code}"
    return field


def _bin_field(**extra) -> forms.ModelChoiceField:
    field = forms.ModelChoiceField(queryset=Bin.objects.select_related("warehouse__site"), **extra)
    field.label_from_instance = lambda bin: f"{bin.warehouse.site.code}/{bin.warehouse.code} {bin.code}"
    return field


class ItemNumberField(forms.CharField):
    def clean(self, value):
        number = super().clean(value)
        if not number:
            return None
        item = Item.objects.filter(number=number).first()
        if item is None:
            raise forms.ValidationError(f"There is no item {number}.")
        return item


class BinForm(forms.Form):
    warehouse = _warehouse_field()
    code = forms.CharField(max_length=20, label="Bin code")
    kind = forms.ChoiceField(choices=Bin.Kind.choices)
    description = forms.CharField(max_length=120, required=False)


class BinMandatoryForm(forms.Form):
    warehouse = _warehouse_field()
    bin_mandatory = forms.BooleanField(required=False)


class DefaultBinForm(forms.Form):
    item = ItemNumberField(max_length=40)
    bin = _bin_field(label="Default bin")


class BinContentForm(forms.Form):
    item = ItemNumberField(max_length=40)
    bin = _bin_field()
    fixed = forms.BooleanField(required=False)
    min_qty = forms.DecimalField(**QTY, required=False, label="Minimum quantity")
    max_qty = forms.DecimalField(**QTY, required=False, label="Maximum quantity")


class ContentsFilterForm(forms.Form):
    warehouse = _warehouse_field(required=False)
    bin = _bin_field(required=False)
    item = ItemNumberField(max_length=40, required=False)


class JournalCreateForm(forms.Form):
    kind = forms.ChoiceField(choices=WarehouseJournal.Kind.choices)
    warehouse = _warehouse_field()
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(max_length=200, required=False)


class JournalLineForm(forms.Form):
    item = ItemNumberField(max_length=40)
    bin = _bin_field()
    qty = forms.DecimalField(**QTY, label="Quantity")
    tracking_number = forms.CharField(max_length=60, required=False, label="Lot/serial number")
    to_bin = _bin_field(required=False, label="New bin")
    to_tracking_number = forms.CharField(max_length=60, required=False, label="New lot/serial number")

    def __init__(self, *args, journal: WarehouseJournal, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("bin", "to_bin"):
            self.fields[name].queryset = Bin.objects.filter(warehouse=journal.warehouse, kind=Bin.Kind.STORAGE)
        if journal.kind != WarehouseJournal.Kind.RECLASSIFICATION:
            del self.fields["to_bin"], self.fields["to_tracking_number"]


class AdjustmentForm(forms.Form):
    warehouse = _warehouse_field()
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Posting date")
    items = forms.CharField(required=False, label="Items (comma-separated; empty: all)")

    def clean_items(self) -> tuple[str, ...]:
        return tuple(number.strip() for number in self.cleaned_data["items"].split(",") if number.strip())


class PhysicalCalculateForm(forms.Form):
    items = forms.CharField(required=False, label="Items (comma-separated; empty: all)")

    def clean_items(self) -> tuple[str, ...]:
        return tuple(number.strip() for number in self.cleaned_data["items"].split(",") if number.strip())


class ComparisonFilterForm(forms.Form):
    warehouse = _warehouse_field(required=False)
    item = ItemNumberField(max_length=40, required=False)
    only_differences = forms.BooleanField(required=False, label="Differences only")


class EntryFilterForm(forms.Form):
    warehouse = _warehouse_field(required=False)
    bin = _bin_field(required=False)
    item = ItemNumberField(max_length=40, required=False)
    tracking_number = forms.CharField(max_length=60, required=False, label="Lot/serial number")


class BinsImportForm(forms.Form):
    file = forms.FileField(label="Bins CSV", help_text="Columns warehouse,bin,kind (kind: storage or adjustment).")


class JournalImportForm(forms.Form):
    file = forms.FileField(label="Bin quantities CSV",
                           help_text="Columns item,warehouse,bin,qty,lot,serial: + found, - missing in the bin.")
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Registering date")
