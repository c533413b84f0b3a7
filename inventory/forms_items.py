"""The Items pages' form: an item's set-up as an accountant keeps it (inventory.services.items)."""

from django import forms

from inventory.models import Item
from inventory.services.items import LOCKED_WITH_TRANSACTIONS, is_standard_cost


class ItemForm(forms.ModelForm):
    class Meta:
        model = Item
        fields = ("number", "name", "unit", "item_type", "item_group", "model_group", "default_cost_price", "tracking",
                  "warehouse_is_financial", "tracking_is_financial", "counting_period")
        labels = {"default_cost_price": "Cost price (the standard cost for a standard-cost item)",
                  "warehouse_is_financial": "Warehouse is a financial dimension",
                  "tracking_is_financial": "Lot/serial is a financial dimension"}

    def __init__(self, *args, has_transactions: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item_group"].queryset = self.fields["item_group"].queryset.order_by("code")
        self.fields["model_group"].queryset = self.fields["model_group"].queryset.order_by("code")
        self.fields["model_group"].label_from_instance = lambda group: (
            f"{group.code} — {group.get_valuation_method_display()}")
        if has_transactions:
            # Locked once the item has transactions: shown, not posted (a disabled field keeps its value).
            self.fields["number"].disabled = True
            for name in LOCKED_WITH_TRANSACTIONS:
                field = self.fields[name.removesuffix("_id")]
                field.disabled = True
                field.help_text = "Locked: the item has transactions."
            if is_standard_cost(self.instance):
                self.fields["default_cost_price"].disabled = True
                self.fields["default_cost_price"].help_text = (
                    "Changed only by a standard cost revaluation, which posts the on-hand difference.")
