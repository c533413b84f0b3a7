import django_filters
from django.http import QueryDict

from closing.forms import DateInput
from closing.models import ClosingLog, ClosingRun
from inventory.models import InventoryTransaction, Site, Warehouse


class RunFilter(django_filters.FilterSet):
    """Overview filter (docs/domain.md §4): Active (the default) hides cancelled runs; All shows them."""

    ACTIVE = "active"
    ALL = "all"

    show = django_filters.ChoiceFilter(choices=[(ACTIVE, "Active"), (ALL, "All")], method="filter_show",
                                       empty_label=None, label="Show")
    run_type = django_filters.ChoiceFilter(choices=ClosingRun.RunType.choices, label="Type")
    status = django_filters.ChoiceFilter(choices=ClosingRun.Status.choices)

    class Meta:
        model = ClosingRun
        fields = ["show", "run_type", "status"]

    def __init__(self, data=None, *args, **kwargs):
        # Always bound, so that a first visit (no query string) gets the Active default too.
        data = data.copy() if data is not None else QueryDict(mutable=True)
        if not data.get("show"):
            data["show"] = self.ACTIVE
        super().__init__(data, *args, **kwargs)

    def filter_show(self, queryset, name, value):
        if value == self.ALL:
            return queryset
        return queryset.filter(is_cancelled=False).exclude(status=ClosingRun.Status.CANCELLED)

    @property
    def shows_all(self) -> bool:
        return self.form.is_valid() and self.form.cleaned_data.get("show") == self.ALL


class LogFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=ClosingLog.Level.choices)
    item = django_filters.CharFilter(field_name="item__number", lookup_expr="iexact", label="Item number")

    class Meta:
        model = ClosingLog
        fields = ["level", "item"]


class AdjustableTransactionFilter(django_filters.FilterSet):
    """Adjustment > Transactions: which open receipts to list (docs/domain.md §3.2)."""

    item = django_filters.CharFilter(field_name="item__number", lookup_expr="iexact", label="Item number")
    ref = django_filters.CharFilter(field_name="ref", lookup_expr="icontains", label="Reference")
    date_from = django_filters.DateFilter(field_name="date_financial", lookup_expr="gte", label="Invoiced from",
                                          widget=DateInput)
    date_to = django_filters.DateFilter(field_name="date_financial", lookup_expr="lte", label="to", widget=DateInput)
    site = django_filters.ModelChoiceFilter(queryset=Site.objects.all(), to_field_name="code", label="Site")
    warehouse = django_filters.ModelChoiceFilter(queryset=Warehouse.objects.select_related("site"), label="Warehouse")

    class Meta:
        model = InventoryTransaction
        fields = ["item", "ref", "date_from", "date_to", "site", "warehouse"]
