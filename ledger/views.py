from datetime import date

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin
from django_tables2.data import TableListData

from common.errors import DomainError
from common.money import ZERO
from common.table_exports import SafeExportMixin
from config.permissions import PermissionRequired, require_permission
from config.roles import CHANGE_FISCAL_PERIOD, SEE_AUDIT_LOG
from ledger import selectors
from ledger.filters import AccountFilter, AuditEntryFilter, VoucherFilter
from ledger.models import FiscalPeriod, MainAccount, Voucher
from ledger.services import fiscal_period_status_set, inventory_closed_until
from ledger.tables import (
    AccountTable,
    AuditEntryTable,
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


# -- fiscal periods (issue #17, point 13) ------------------------------------------------------------

STATUS_VERBS = {FiscalPeriod.Status.OPEN: "opened", FiscalPeriod.Status.ON_HOLD: "put on hold",
                FiscalPeriod.Status.CLOSED: "closed"}


def _year(request: HttpRequest) -> int | None:
    value = request.GET.get("year", "")
    return int(value) if value.isdigit() and 1900 <= int(value) <= 9999 else None


@require_permission("ledger.view_fiscalperiod")
def fiscal_period_list(request: HttpRequest) -> HttpResponse:
    """The fiscal calendar: each period's status, with Open, Put on hold and Close for accountants.
    Closing a period whose end is after the latest inventory close asks first (fiscal_period_status)."""
    year = _year(request)
    periods = list(selectors.fiscal_periods(year=year))
    years = sorted({period.start_date.year for period in selectors.fiscal_periods()})
    return render(request, "ledger/fiscal_period_list.html", {
        "periods": periods, "years": years, "year": year, "closed_until": inventory_closed_until(),
        "statuses": FiscalPeriod.Status.choices})


@require_POST
@require_permission(CHANGE_FISCAL_PERIOD)
def fiscal_period_status(request: HttpRequest, pk: int) -> HttpResponse:
    period = get_object_or_404(FiscalPeriod, pk=pk)
    status = request.POST.get("status", "")
    back = request.POST.get("next_year", "")
    confirmed = request.POST.get("confirm") == "1"
    try:
        period = fiscal_period_status_set(period=period, status=status, user=request.user, confirmed=confirmed)
    except DomainError as error:
        if error.field == "confirm":
            # The warning, with a button that confirms: nothing has changed yet.
            return render(request, "ledger/fiscal_period_confirm.html", {
                "period": period, "warning": error.message, "status": status, "next_year": back})
        messages.error(request, error.message)
    else:
        messages.success(request, f"Fiscal period {period.name} {STATUS_VERBS[period.status]}.")
    url = reverse("ledger:fiscal_period_list")
    return redirect(f"{url}?year={back}" if back.isdigit() else url)


# -- the audit log (issue #17, point 14) --------------------------------------------------------------

class AuditLogView(PermissionRequired, SafeExportMixin, SingleTableMixin, FilterView):
    """Who did what, when, with the values before and after; filtered by user, action, object and
    date; exported as CSV or Excel through the list pages' safe writers."""

    permission_required = SEE_AUDIT_LOG
    table_class = AuditEntryTable
    filterset_class = AuditEntryFilter
    template_name = "ledger/audit_log.html"
    paginate_by = 100
    export_name = "audit-log"

    def get_queryset(self):
        return selectors.audit_log()
