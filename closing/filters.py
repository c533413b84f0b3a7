import re

import django_filters
from django.db.models import Q
from django.http import QueryDict

from closing.forms import DateInput
from closing.models import ClosingLog, ClosingRun, CostAdjustment, Settlement
from inventory.models import InventoryTransaction, Site, Warehouse


class RunFilter(django_filters.FilterSet):
    """Overview filter (docs/domain.md §4): Active (the default) hides cancelled runs; All shows them."""

    ACTIVE = "active"
    ALL = "all"

    show = django_filters.ChoiceFilter(choices=[(ACTIVE, "Active"), (ALL, "All")], method="filter_show",
                                       empty_label=None, label="Show")
    number = django_filters.CharFilter(method="filter_number", label="Run number")
    run_type = django_filters.ChoiceFilter(choices=ClosingRun.RunType.choices, label="Type")
    status = django_filters.ChoiceFilter(choices=ClosingRun.Status.choices)

    class Meta:
        model = ClosingRun
        fields = ["show", "number", "run_type", "status"]

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

    def filter_number(self, queryset, name, value):
        """A run by its number as stored (CLS-000012), as labelled on the pages (REC-000012, ADJ-…,
        REV-…: display only, one sequence) or by its digits alone (12)."""
        return queryset.filter(run_number_q(value))

    @property
    def shows_all(self) -> bool:
        return self.form.is_valid() and self.form.cleaned_data.get("show") == self.ALL


_LABELLED = re.compile(r"^(?:([A-Za-z]+)-)?0*(\d+)$")


def run_number_q(value: str) -> Q:
    """What finds a run typed as its stored number, its label or its digits. A label's prefix
    narrows to the run types shown with it (REC-12 is not the close CLS-000012), the stored number
    typed in full always finds its run; text that is no number matches the stored number as typed."""
    value = (value or "").strip()
    if not value:
        return Q()
    match = _LABELLED.match(value)
    if not match:
        return Q(number__iexact=value)
    prefix, digits = (match.group(1) or "").upper(), match.group(2)
    same_digits = Q(number__regex=rf"(^|-)0*{digits}$")
    if not prefix:
        return same_digits
    types = [run_type for run_type, label in ClosingRun.LABEL_PREFIXES.items() if label == prefix]
    return same_digits & (Q(run_type__in=types) | Q(number__iexact=value)) if types else Q(number__iexact=value)


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


class SettlementFilter(django_filters.FilterSet):
    """A run's Settlements tab: by item and by transaction (either side of a settlement)."""

    item = django_filters.CharFilter(field_name="issue__item__number", lookup_expr="iexact", label="Item number")
    transaction = django_filters.CharFilter(method="filter_transaction", label="Transaction")

    class Meta:
        model = Settlement
        fields = ["item", "transaction"]

    def filter_transaction(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(issue__ref__iexact=value) | Q(receipt__ref__iexact=value)) if value else queryset


class RunAdjustmentFilter(django_filters.FilterSet):
    """The same filter over the tab's adjustments: the item, the adjusted transaction."""

    item = django_filters.CharFilter(field_name="transaction__item__number", lookup_expr="iexact", label="Item number")
    transaction = django_filters.CharFilter(field_name="transaction__ref", lookup_expr="iexact", label="Transaction")

    class Meta:
        model = CostAdjustment
        fields = ["item", "transaction"]
