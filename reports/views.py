"""The report pages. Each reads through reports.selectors (or ledger.selectors) and offers its
table as CSV and Excel with the page's filters applied (?_export=csv|xlsx)."""

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from closing.models import ClosingRun
from common.errors import DomainError
from common.table_exports import SafeExportMixin
from config.permissions import PermissionRequired, require_permission
from inventory.models import InventoryTransaction, Item, ItemGroup
from ledger.models import MainAccount
from ledger.tables import export_response
from reports import exports, selectors, services
from reports.charts import Series, line_chart_svg
from reports.filters import AsOfForm, InventoryValueFilter
from reports.forms import SignOffForm
from reports.models import BookCheck, CloseSignOff, ExportJob
from reports.tables import (
    CogsByItemTable,
    InventoryValueTable,
    ReconciliationTable,
    ValueTransactionTable,
)

VIEW_TRANSACTIONS = "inventory.view_inventorytransaction"
VIEW_LEDGER = "ledger.view_voucherline"
VIEW_RUNS = "closing.view_closingrun"
# Signing a close summary off is the accountants' (who run the closes), as in config.roles.
SIGN_OFF = "closing.run_closing"


def _as_of(request: HttpRequest) -> date | None:
    form = AsOfForm(request.GET or None)
    return form.cleaned_data.get("as_of") if form.is_valid() else None


class InventoryValueView(PermissionRequired, SafeExportMixin, SingleTableMixin, FilterView):
    """1. Inventory value as of a date, per item, site and warehouse, grouped by item group."""

    permission_required = VIEW_TRANSACTIONS
    filterset_class = InventoryValueFilter
    table_class = InventoryValueTable
    template_name = "reports/inventory_value.html"
    paginate_by = 100
    export_name = "inventory-value"
    export_kind = "inventory_value"

    def get_queryset(self):
        return InventoryTransaction.objects.all()

    def get_table_data(self):
        self.report = selectors.inventory_value(as_of=self.filterset.as_of_value, transactions=self.object_list)
        return self.report.rows

    def get_table_kwargs(self):
        return {"as_of": self.filterset.as_of_value}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["report"] = self.report
        return context


@require_permission(VIEW_TRANSACTIONS)
def inventory_value_transactions(request: HttpRequest) -> HttpResponse:
    """The transactions behind a figure of the inventory value report."""
    filterset = InventoryValueFilter(request.GET or None, queryset=InventoryTransaction.objects.all())
    transactions = filterset.qs if filterset.is_valid() else InventoryTransaction.objects.none()
    update = request.GET.get("update")
    as_of = filterset.as_of_value
    if update == "financial":
        transactions = transactions.filter(date_financial__isnull=False)
        if as_of:
            transactions = transactions.filter(date_financial__lte=as_of)
    elif update == "physical":
        transactions = transactions.filter(date_financial__isnull=True) if not as_of else \
            transactions.exclude(date_financial__lte=as_of)
    details = selectors.inventory_value_transactions(as_of=as_of, transactions=transactions)
    table = ValueTransactionTable(details["rows"])
    return export_response(request, table, "inventory-value-transactions") or render(
        request, "reports/inventory_value_transactions.html",
        {"table": table, "details": details, "filter": filterset, "as_of": as_of, "update": update})


@require_permission(VIEW_LEDGER)
def reconciliation(request: HttpRequest) -> HttpResponse:
    """2. Inventory-to-ledger reconciliation as of a date."""
    as_of = _as_of(request)
    report = selectors.reconciliation(as_of=as_of)
    table = ReconciliationTable(report.rows, as_of=as_of)
    return export_response(request, table, "inventory-reconciliation") or render(
        request, "reports/reconciliation.html", {"report": report, "table": table, "as_of": as_of, "form": AsOfForm(request.GET or None)})


@require_permission(VIEW_LEDGER)
def reconciliation_details(request: HttpRequest) -> HttpResponse:
    """The vouchers and transactions behind a reconciliation difference."""
    as_of = _as_of(request)
    try:
        account = get_object_or_404(MainAccount, pk=int(request.GET.get("account", "")))
        item_group = get_object_or_404(ItemGroup, pk=int(request.GET["item_group"])) if request.GET.get("item_group") else None
    except ValueError:
        raise Http404("No such account or item group") from None
    details = selectors.reconciliation_details(as_of=as_of, account=account, item_group=item_group)
    return render(request, "reports/reconciliation_details.html",
                  {"details": details, "account": account, "item_group": item_group, "as_of": as_of})


@require_permission(VIEW_RUNS)
def close_summary(request: HttpRequest, pk: int) -> HttpResponse:
    """4. What a run changed: the page an accountant prints and signs."""
    run = get_object_or_404(ClosingRun.objects.select_related("voucher", "started_by", "reverses"), pk=pk)
    summary = selectors.close_summary(run=run)
    if request.GET.get("_export"):
        table = CogsByItemTable(summary["item_rows"])
        return export_response(request, table, f"close-summary-{run.number}") or HttpResponse(status=400)
    return _close_summary_page(request, run, summary)


def _close_summary_page(request: HttpRequest, run: ClosingRun, summary: dict, *, form: SignOffForm | None = None,
                        status: int = 200) -> HttpResponse:
    sign_off = CloseSignOff.objects.select_related("run").filter(run=run).first()
    may_sign = (sign_off is None and request.user.has_perm(SIGN_OFF) and run.status == ClosingRun.Status.ENDED
                and not run.is_cancelled)
    return render(request, "reports/close_summary.html", {
        "run": run, "summary": summary, "table": CogsByItemTable(summary["items"]), "sign_off": sign_off,
        "sign_off_form": (form or SignOffForm()) if may_sign or form else None}, status=status)


@require_POST
@require_permission(SIGN_OFF)
def close_sign_off(request: HttpRequest, pk: int) -> HttpResponse:
    """17. An accountant signs the close summary off (name, time, comment); the summary shows it to
    everyone, void once the run is reversed."""
    run = get_object_or_404(ClosingRun.objects.select_related("voucher", "started_by", "reverses"), pk=pk)
    form = SignOffForm(request.POST)
    if form.is_valid():
        try:
            services.close_sign_off(run=run, user=request.user, comment=form.cleaned_data["comment"])
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"You signed off the summary of {run.number}.")
            return redirect("reports:close_summary", pk=run.pk)
    return _close_summary_page(request, run, selectors.close_summary(run=run), form=form, status=400)


RECENT_CHECKS = 10


@require_permission(VIEW_LEDGER)
def book_checks(request: HttpRequest) -> HttpResponse:
    """6. The book checks on demand: one click queues them on a worker (they read every big table,
    a few seconds on a million transactions), and the page follows the check and shows its result.
    Without a check named, the latest one is shown."""
    if request.method == "POST":
        form = AsOfForm(request.POST)
        if form.is_valid():
            try:
                check = services.book_check_request(as_of=form.cleaned_data.get("as_of"), user=request.user)
            except DomainError as error:
                form.add_error(None, error.message)
                return _book_checks_page(request, form=form, status=429)
            return redirect(check)
        return _book_checks_page(request, form=form, status=400)
    return _book_checks_page(request, latest=True)


@require_permission(VIEW_LEDGER)
def book_check_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _book_checks_page(request, check=get_object_or_404(BookCheck.objects.select_related("requested_by"), pk=pk))


def _book_checks_page(request: HttpRequest, *, check: BookCheck | None = None, latest: bool = False,
                      form: AsOfForm | None = None, status: int = 200) -> HttpResponse:
    """The page, showing `check` (or with `latest`, the newest of the recent checks it lists)."""
    recent = list(selectors.book_checks_recent(limit=RECENT_CHECKS))
    if latest and recent:
        check = recent[0]
    return render(request, "reports/book_checks.html", {
        "check": check, "result": check.result if check and check.status == BookCheck.Status.ENDED else None,
        "as_of": check.as_of if check else None,
        "form": form or AsOfForm(initial={"as_of": check.as_of} if check else None),
        "recent": recent,
        "latest_run": selectors.run_with_latest_checks(),
    }, status=status)


@require_permission(VIEW_LEDGER)
def book_check_status(request: HttpRequest, pk: int) -> JsonResponse:
    """What the book check page polls every second while the check waits or runs."""
    check = get_object_or_404(BookCheck, pk=pk)
    response = JsonResponse({"status": check.status, "status_label": check.get_status_display(), "live": check.is_live,
                             "checks_done": check.checks_done, "checks_total": check.checks_total,
                             "progress": check.progress_percent, "ok": check.ok})
    response["Cache-Control"] = "no-store"
    return response


def cost_history_context(*, item: Item) -> dict:
    """5. The item page's cost history chart (templates/reports/_cost_history.html)."""
    history = selectors.item_cost_history(item=item)
    svg = line_chart_svg(title=f"Cost history of {item.number}", series=[
        Series("Running average at posting", "posting", [(point["date"], point["unit_cost"]) for point in history["posting"]]),
        Series("Settled cost after close", "settled", [(point["date"], point["unit_cost"]) for point in history["settled"]],
               steps=True),
    ])
    return {"history": history, "svg": svg}


# -- exports as jobs ------------------------------------------------------------------------------

RECENT_EXPORTS = 10


def export_start(request: HttpRequest) -> HttpResponse:
    """Where a page sends an export longer than EXPORT_JOB_ROWS rows (common.table_exports): queue
    it for this user with the page's filters, then show its page. The kind's permission is its
    page's, checked again here."""
    kind = exports.KINDS.get(request.GET.get("_kind", ""))
    fmt = request.GET.get("_format", "")
    if kind is None or fmt not in kind.formats:
        raise Http404("No such export")
    if not request.user.has_perm(kind.permission):
        raise PermissionDenied(f"Your role does not allow the {kind.title.lower()} export.")
    # A page's query string may hold more than the filters (page size, other pages' parameters).
    params = {name: request.GET[name] for name in kind.params if request.GET.get(name)}
    try:
        job = exports.export_job_create(kind=kind.name, fmt=fmt, params=params, user=request.user,
                                        )
    except DomainError as error:
        return render(request, "reports/export_job.html", {"job": None, "error": error.message,
                                                           "recent": _recent_exports(request)}, status=400)
    return redirect(job)


def _recent_exports(request: HttpRequest) -> list[ExportJob]:
    return list(ExportJob.objects.filter(created_by_id=request.user.pk).order_by("-id")[:RECENT_EXPORTS])


def _own_export(request: HttpRequest, pk: int) -> ExportJob:
    try:
        return exports.export_job_of(job_id=pk, user=request.user)
    except ExportJob.DoesNotExist:
        raise Http404("No such export") from None


def export_job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An export's page: it follows the job and offers the file once written. Only the user who
    asked sees it (another user gets 404: the filters of someone's export are theirs)."""
    job = _own_export(request, pk)
    return render(request, "reports/export_job.html", {"job": job, "kind": exports.KINDS.get(job.kind),
                                                       "recent": _recent_exports(request),
                                                       "export_job_rows": settings.EXPORT_JOB_ROWS})


def export_job_status(request: HttpRequest, pk: int) -> JsonResponse:
    """What the export page polls every second while the job waits or runs."""
    job = _own_export(request, pk)
    response = JsonResponse({"status": job.shown_status, "status_label": job.get_status_display(), "live": job.is_live,
                             "rows_written": job.rows_written, "rows_total": job.rows_total,
                             "progress": job.progress_percent})
    response["Cache-Control"] = "no-store"
    return response


def export_job_download(request: HttpRequest, pk: int) -> FileResponse:
    """The export's file, for the user who asked only."""
    try:
        found = exports.export_job_file(job_id=pk, user=request.user)
    except ExportJob.DoesNotExist:
        raise Http404("No such export file") from None
    return FileResponse(open(found.path, "rb"), as_attachment=True, filename=found.name,
                        content_type=found.content_type)
