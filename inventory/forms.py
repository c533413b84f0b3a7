from django import forms

from inventory.models import CountingPeriod, Item, ItemGroup, Journal, Site, Warehouse
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


class ItemNumberField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("label", "Item number")
        super().__init__(**kwargs)

    def clean(self, value):
        number = super().clean(value).strip()
        if not number:
            return None
        try:
            return Item.objects.select_related("item_group", "model_group").get(number=number)
        except Item.DoesNotExist:
            raise forms.ValidationError(f"There is no item {number}.") from None


class JournalLineForm(forms.Form):
    date = forms.DateField(widget=DateInput)
    item = ItemNumberField()
    qty = forms.DecimalField(max_digits=20, decimal_places=6, label="Quantity",
                             help_text="Positive = receipt, negative = issue (transfers: positive).")
    unit_cost = forms.DecimalField(max_digits=20, decimal_places=6, required=False, min_value=0,
                                   help_text="Receipts only; issues and transfers are costed at the running average.")
    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.select_related("site"))
    to_warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.select_related("site"), required=False,
                                          label="To warehouse (transfer)")
    tracking_number = forms.CharField(max_length=60, required=False, label="Lot/serial number")
    expiry_date = forms.DateField(widget=DateInput, required=False)

    def site(self) -> Site:
        return self.cleaned_data["warehouse"].site


class ReclassificationLineForm(forms.Form):
    date = forms.DateField(widget=DateInput)
    item = ItemNumberField()
    qty = forms.DecimalField(max_digits=20, decimal_places=6, label="Quantity")
    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.select_related("site"))
    tracking_number = forms.CharField(max_length=60, required=False, label="Lot/serial number")
    to_warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.select_related("site"), required=False,
                                          label="New warehouse", help_text="Empty: the same warehouse.")
    to_tracking_number = forms.CharField(max_length=60, required=False, label="New lot/serial number",
                                         help_text="Empty: the same number.")
    to_expiry_date = forms.DateField(widget=DateInput, required=False, label="New expiry date")

    def site(self) -> Site:
        return self.cleaned_data["warehouse"].site


class CountingLineForm(forms.Form):
    """A line added by hand to a physical inventory journal: something found that is not listed."""

    item = ItemNumberField()
    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.select_related("site"))
    tracking_number = forms.CharField(max_length=60, required=False, label="Lot/serial number")
    expiry_date = forms.DateField(widget=DateInput, required=False, help_text="Lots found in the count only.")
    counted_qty = forms.DecimalField(max_digits=20, decimal_places=6, label="Counted quantity")

    def site(self) -> Site:
        return self.cleaned_data["warehouse"].site


class CountingCalculateForm(forms.Form):
    date = forms.DateField(widget=DateInput, label="Count as of")
    item = ItemNumberField(required=False)
    item_group = forms.ModelChoiceField(queryset=ItemGroup.objects.all(), required=False)
    site = forms.ModelChoiceField(queryset=Site.objects.all(), required=False)
    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.select_related("site"), required=False)
    tracking_number = forms.CharField(max_length=60, required=False, label="Lot/serial number")
    include_zero = forms.BooleanField(required=False, label="Include items with zero on hand")


class CountImportForm(forms.Form):
    file = forms.FileField(label="Count sheet CSV", help_text="The count sheet's CSV with counted_qty filled in.")


class CountingPeriodCalculateForm(forms.Form):
    date = forms.DateField(widget=DateInput, label="Count on")
    counting_period = forms.ModelChoiceField(queryset=CountingPeriod.objects.all(), required=False,
                                             empty_label="All counting periods")
    description = forms.CharField(max_length=200, required=False)


class StandardJournalSaveForm(forms.Form):
    name = forms.CharField(max_length=60, label="Standard journal name")


class StandardJournalRecallForm(forms.Form):
    date = forms.DateField(widget=DateInput, label="Date of the new journal")
    description = forms.CharField(max_length=200, required=False)


class ImportForm(forms.Form):
    KIND_CHOICES = [("transactions", "Inventory transactions"), ("items", "Items"), ("opening", "Opening entries")]
    kind = forms.ChoiceField(choices=KIND_CHOICES)
    file = forms.FileField(help_text="CSV, UTF-8, with the header row described in the README.")
    date = forms.DateField(widget=DateInput, required=False, label="Opening date",
                           help_text="Opening entries: the go-live date they are posted on.")
    offset_account = forms.ModelChoiceField(
        queryset=MainAccount.objects.filter(is_active=True), required=False,
        help_text="Opening entries: the account they are posted against (e.g. opening balance equity).")
    post = forms.BooleanField(required=False, label="Post the opening journal at once")

    def clean(self):
        data = super().clean()
        if data.get("kind") == "opening":
            if not data.get("date"):
                self.add_error("date", "Opening entries need the date they are posted on.")
            if not data.get("offset_account"):
                self.add_error("offset_account", "Opening entries need the account they are posted against.")
        return data
