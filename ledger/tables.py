import django_tables2 as tables

from ledger.models import MainAccount, Voucher

NUMERIC = {"td": {"class": "num"}, "th": {"class": "num"}}


class AccountTable(tables.Table):
    number = tables.Column(linkify=True)

    class Meta:
        model = MainAccount
        fields = ("number", "name", "account_type", "is_active")
        order_by = ("number",)


class VoucherTable(tables.Table):
    number = tables.Column(linkify=True)

    class Meta:
        model = Voucher
        fields = ("number", "date", "description", "source", "created_by", "created_at")
        order_by = ("-date", "-number")
