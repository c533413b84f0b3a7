from django import forms

from inventory.models import Item, Journal, Site, Warehouse
from ledger.models import MainAccount


class DateInput(forms.DateInput):
    input_type = "date"


class JournalCreateForm(forms.Form):
    journal_type = forms.ChoiceField(choices=Journal.JournalType.choices)
    description = forms.CharField(max_length=200, required=False)
    offset_account = forms.ModelChoiceField(
        queryset=MainAccount.objects.filter(is_active=True), required=False,
        help_text="Movement and opening balance journals post against this account.",
    )


class JournalLineForm(forms.Form):
    date = forms.DateField(widget=DateInput)
    item = forms.CharField(max_length=40, label="Item number")
    qty = forms.DecimalField(max_digits=20, decimal_places=6, label="Quantity",
                             help_text="Positive = receipt, negative = issue (transfers: positive).")
    unit_cost = forms.DecimalField(max_digits=20, decimal_places=6, required=False, min_value=0,
                                   help_text="Receipts only; issues and transfers are costed at the running average.")
    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.select_related("site"))
    to_warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.select_related("site"), required=False,
                                          label="To warehouse (transfer)")
    tracking_number = forms.CharField(max_length=60, required=False, label="Lot/serial number")
    expiry_date = forms.DateField(widget=DateInput, required=False)

    def clean_item(self):
        number = self.cleaned_data["item"].strip()
        try:
            return Item.objects.select_related("item_group", "model_group").get(number=number)
        except Item.DoesNotExist:
            raise forms.ValidationError(f"There is no item {number}.") from None

    def site(self) -> Site:
        return self.cleaned_data["warehouse"].site


class ImportForm(forms.Form):
    KIND_CHOICES = [("transactions", "Inventory transactions"), ("items", "Items")]
    kind = forms.ChoiceField(choices=KIND_CHOICES)
    file = forms.FileField(help_text="CSV, UTF-8, with the header row described in the README.")
