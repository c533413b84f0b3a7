import django_filters
from django import forms

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
