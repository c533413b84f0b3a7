from datetime import date

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin
from django_tables2.data import TableListData

from common.money import ZERO
from common.table_exports import SafeExportMixin
from config.permissions import PermissionRequired, require_permission
from ledger import selectors
from ledger.filters import AccountFilter, VoucherFilter
from ledger.models import MainAccount, Voucher
from ledger.tables import (
    AccountTable,
    StatementTable,
    TrialBalanceTable,
    VoucherTable,
    export_response,
)


class AccountListView(PermissionRequired, SafeExportMixin, SingleTableMixin, FilterView):
    permission_required = "ledger.view_mainaccount"
    table_class = AccountTable
    filterset_class = AccountFilter
    template_name = "ledger/account_list.html"
    paginate_by = 100
    export_name = "accounts"
    export_kind = "accounts"

    def get_queryset(self):
        return selectors.account_list()


class VoucherListView(PermissionRequired, SafeExportMixin, SingleTableMixin, FilterView):
    permission_required = "ledger.view_voucher"
    table_class = VoucherTable
    filterset_class = VoucherFilter
    template_name = "ledger/voucher_list.html"
    paginate_by = 50
    export_name = "vouchers"
    export_kind = "voucher_list"

    def get_queryset(self):
        return selectors.voucher_list()


@require_permission("ledger.view_voucher")
def voucher_detail(request: HttpRequest, number: str) -> HttpResponse:
    try:
        voucher = selectors.voucher_detail(number=number)
    except Voucher.DoesNotExist:
        raise Http404(f"No voucher {number}") from None
    lines = list(voucher.lines.all())
    totals = {"debit": sum((line.debit for line in lines), ZERO), "credit": sum((line.credit for line in lines), ZERO)}
    return render(request, "ledger/voucher_detail.html", {"voucher": voucher, "lines": lines, "totals": totals})


def _date_param(request: HttpRequest, name: str, default: date | None) -> date | None:
    value = request.GET.get(name)
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        return default


@require_permission("ledger.view_voucherline")
def trial_balance(request: HttpRequest) -> HttpResponse:
    today = date.today()
    date_from = _date_param(request, "date_from", today.replace(month=1, day=1))
    date_to = _date_param(request, "date_to", today)
    rows = selectors.trial_balance(date_from=date_from, date_to=date_to)
    totals = {key: sum((row[key] for row in rows), ZERO) for key in ("opening", "debit", "credit", "closing")}
    table = TrialBalanceTable(rows, period_query=f"?date_from={date_from:%Y-%m-%d}&date_to={date_to:%Y-%m-%d}")
    return export_response(request, table, f"trial-balance-{date_from:%Y-%m-%d}-{date_to:%Y-%m-%d}",
                           kind="trial_balance") or render(
        request, "ledger/trial_balance.html", {"rows": rows, "totals": totals, "date_from": date_from, "date_to": date_to})


@require_permission("ledger.view_voucherline")
def account_statement(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(MainAccount, pk=pk)
    date_from = _date_param(request, "date_from", None)
    date_to = _date_param(request, "date_to", None)
    statement = selectors.account_statement(account=account, date_from=date_from, date_to=date_to)
    # Handed over as table data as it is: django-tables2 would make a list of any other sequence,
    # reading every line of the account instead of the page shown.
    table = StatementTable(TableListData(statement.rows))
    exported = export_response(request, table, f"account-{account.number}", kind="account_statement",
                               extra={"account": account.number})
    if exported:
        return exported
    RequestConfig(request, paginate={"per_page": 200}).configure(table)
    return render(request, "ledger/account_statement.html",
                  {"account": account, "statement": statement, "table": table, "date_from": date_from, "date_to": date_to})


@require_permission("ledger.view_voucher")
def report_list(request: HttpRequest) -> HttpResponse:
    return render(request, "ledger/report_list.html")
