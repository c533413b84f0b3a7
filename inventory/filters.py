import django_filters
from django import forms

from inventory.models import (
    InventoryTransaction,
    Item,
    ItemGroup,
    ItemModelGroup,
    Journal,
    Site,
    StandardJournal,
    TransactionStatus,
    ValuationMethod,
    Warehouse,
)


class ItemFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Item number or name")
    item_group = django_filters.ModelChoiceFilter(queryset=ItemGroup.objects.all())
    model_group = django_filters.ModelChoiceFilter(queryset=ItemModelGroup.objects.all(), label="Item model group")
    valuation_method = django_filters.ChoiceFilter(field_name="model_group__valuation_method", choices=ValuationMethod.choices)

    class Meta:
        model = Item
        fields = ["q", "item_group", "model_group", "valuation_method", "item_type"]

    def search(self, queryset, name, value):
        return queryset.filter(number__icontains=value) | queryset.filter(name__icontains=value)


class ModelGroupFilter(django_filters.FilterSet):
    valuation_method = django_filters.ChoiceFilter(choices=ValuationMethod.choices)

    class Meta:
        model = ItemModelGroup
        fields = ["valuation_method", "include_physical_value"]


class TransactionFilter(django_filters.FilterSet):
    item = django_filters.CharFilter(field_name="item__number", lookup_expr="iexact", label="Item number")
    item_group = django_filters.ModelChoiceFilter(field_name="item__item_group", queryset=ItemGroup.objects.all())
    site = django_filters.ModelChoiceFilter(queryset=Site.objects.all())
    warehouse = django_filters.ModelChoiceFilter(queryset=Warehouse.objects.select_related("site"))
    date_from = django_filters.DateFilter(field_name="date_physical", lookup_expr="gte", label="From date",
                                          widget=forms.DateInput(attrs={"type": "date"}))
    date_to = django_filters.DateFilter(field_name="date_physical", lookup_expr="lte", label="To date",
                                        widget=forms.DateInput(attrs={"type": "date"}))
    status = django_filters.ChoiceFilter(choices=TransactionStatus.choices)
    value_open = django_filters.ChoiceFilter(
        choices=[("open", "Open"), ("closed", "Closed")], method="filter_open", label="Open/closed"
    )
    ref = django_filters.CharFilter(lookup_expr="icontains", label="Reference")

    class Meta:
        model = InventoryTransaction
        fields = ["item", "item_group", "site", "warehouse", "date_from", "date_to", "status", "value_open", "ref"]

    def filter_open(self, queryset, name, value):
        return queryset.filter(value_open=(value == "open"))


class JournalFilter(django_filters.FilterSet):
    class Meta:
        model = Journal
        fields = ["journal_type", "status"]


class StandardJournalFilter(django_filters.FilterSet):
    class Meta:
        model = StandardJournal
        fields = ["journal_type"]
