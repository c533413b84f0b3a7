import django_filters
from django import forms

from inventory.models import InventoryTransaction, ItemGroup, Site, Warehouse

DATE = forms.DateInput(attrs={"type": "date"})


class InventoryValueFilter(django_filters.FilterSet):
    """The inventory value report's filters. They narrow the transactions the report adds up; the
    date is read by the report itself (value as of it)."""

    as_of = django_filters.DateFilter(method="as_of_date", label="As of", widget=DATE)
    item_group = django_filters.ModelChoiceFilter(field_name="item__item_group", queryset=ItemGroup.objects.all())
    site = django_filters.ModelChoiceFilter(queryset=Site.objects.all())
    warehouse = django_filters.ModelChoiceFilter(queryset=Warehouse.objects.select_related("site"))
    item = django_filters.CharFilter(field_name="item__number", lookup_expr="iexact", label="Item number")

    class Meta:
        model = InventoryTransaction
        fields = ["as_of", "item_group", "site", "warehouse", "item"]

    def as_of_date(self, queryset, name, value):
        return queryset  # not a filter: the date the values are taken at

    @property
    def as_of_value(self):
        if self.is_bound and self.form.is_valid():
            return self.form.cleaned_data.get("as_of")
        return None


class AsOfForm(forms.Form):
    as_of = forms.DateField(required=False, label="As of", widget=DATE)
