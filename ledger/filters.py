import django_filters
from django import forms

from common.models import AuditEntry
from ledger.models import MainAccount, Voucher


class AccountFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Number or name")

    class Meta:
        model = MainAccount
        fields = ["q", "account_type", "is_active"]

    def search(self, queryset, name, value):
        return queryset.filter(number__icontains=value) | queryset.filter(name__icontains=value)


class VoucherFilter(django_filters.FilterSet):
    number = django_filters.CharFilter(lookup_expr="icontains")
    description = django_filters.CharFilter(lookup_expr="icontains")
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", widget=forms.DateInput(attrs={"type": "date"}))
    account = django_filters.ModelChoiceFilter(field_name="lines__account", queryset=MainAccount.objects.all(), distinct=True)

    class Meta:
        model = Voucher
        fields = ["number", "description", "source", "date_from", "date_to", "account"]


def _choices(field: str) -> list[tuple[str, str]]:
    values = AuditEntry.objects.order_by(field).values_list(field, flat=True).distinct()
    return [(value, value) for value in values if value]


class AuditEntryFilter(django_filters.FilterSet):
    """The audit log page's filters: who, which action, which object, when."""

    user = django_filters.CharFilter(field_name="username", lookup_expr="iexact", label="User")
    action = django_filters.ChoiceFilter(choices=lambda: _choices("action"), label="Action")
    object_type = django_filters.ChoiceFilter(choices=lambda: _choices("object_type"), label="Object type")
    object_id = django_filters.CharFilter(lookup_expr="iexact", label="Object (number or id)")
    date_from = django_filters.DateFilter(field_name="at", lookup_expr="date__gte", label="From",
                                          widget=forms.DateInput(attrs={"type": "date"}))
    date_to = django_filters.DateFilter(field_name="at", lookup_expr="date__lte", label="To",
                                        widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = AuditEntry
        fields = ["user", "action", "object_type", "object_id", "date_from", "date_to"]
