"""The Closing and adjustment page (docs/domain.md §4), its dialogs and one run's tabs.

Every change goes through closing.services (closing_start, closing_pause, closing_resume,
closing_reverse); a refusal is a DomainError shown on the form, with nothing written. Runs are
processed by the workers (closing.jobs): the run page follows them by polling status.json."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin

from closing import selectors, services
from closing.filters import AdjustableTransactionFilter, LogFilter, RunAdjustmentFilter, RunFilter, SettlementFilter
from closing.forms import (
    AdjustmentPostingForm,
    CloseForm,
    CostPricesForm,
    InventoryParametersForm,
    OnHandSelectionForm,
    OpenQuantitiesForm,
    RecalculationForm,
    ReverseForm,
    TransactionPostingForm,
    typed_changes,
)
from closing.models import ClosingRun, InventoryParameters
from closing.services.adjustments import OnHandChange, TransactionChange, on_hand_adjust, transaction_adjust
from closing.services.runs import run_items
from closing.tables import (
    LIVE_STATUSES,
    AccountAdjustmentTable,
    AdjustmentTable,
    CostPriceTable,
    LogTable,
    OpenQuantityTable,
    RunTable,
    SettlementTable,
    VoucherAccountTable,
)
from common.errors import DomainError
from common.money import round_amount, round_unit_cost
from config.permissions import PermissionRequired, require_permission
from config.roles import ADJUST_INVENTORY, CHANGE_PARAMETERS, REVERSE_CLOSING, RUN_CLOSING

VIEW_RUNS = "closing.view_closingrun"
PER_PAGE = 50
FIRST_WARNINGS = 10  # on the run page; the Log tab has them all


def _show_error(form, error: DomainError, *, default_field: str | None = None) -> None:
    """A service's refusal on the form, on the field it names (or the dialog's main field)."""
    field = error.field if error.field in form.fields else default_field
    for message in error.errors:
        form.add_error(field, message)


def _today():
    return timezone.localdate()


def _stamp(moment) -> str | None:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else None


def _checks_pending(run: ClosingRun) -> bool:
    """Ended a moment ago, its book checks not stored yet (they follow the run on the worker)."""
    recent = run.ended_at is not None and timezone.now() - run.ended_at < timedelta(minutes=2)
    return run.status == ClosingRun.Status.ENDED and not run.checks and recent


# -- the overview ---------------------------------------------------------------------------------

class RunListView(PermissionRequired, SingleTableMixin, FilterView):
    permission_required = VIEW_RUNS
    table_class = RunTable
    filterset_class = RunFilter
    template_name = "closing/run_list.html"
    paginate_by = PER_PAGE

    def get_queryset(self):
        return selectors.run_list(include_cancelled=True)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["unfinished"] = selectors.unfinished_run()
        context["shows_all"] = context["filter"].shows_all
        return context


# -- Close procedure: the checks ------------------------------------------------------------------

def _check_form(request: HttpRequest, form_class, **defaults):
    """The checks run as soon as the page opens, for the proposed close date."""
    proposal = selectors.close_date_proposal(today=_today()) or _today()
    data = request.GET if "date" in request.GET else {"date": proposal, **defaults}
    return form_class(data)


@require_permission(VIEW_RUNS)
def open_quantities(request: HttpRequest) -> HttpResponse:
    form = _check_form(request, OpenQuantitiesForm)
    table = None
    if form.is_valid():
        table = OpenQuantityTable(selectors.open_quantities(on=form.cleaned_data["date"],
                                                            show_receipts=form.cleaned_data["show_receipts"]))
        RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    return render(request, "closing/open_quantities.html", {"form": form, "table": table})


@require_permission(VIEW_RUNS)
def cost_prices(request: HttpRequest) -> HttpResponse:
    form = _check_form(request, CostPricesForm, max_deviation=CostPricesForm.base_fields["max_deviation"].initial)
    table = None
    if form.is_valid():
        table = CostPriceTable(selectors.cost_price_deviations(on=form.cleaned_data["date"],
                                                               max_percent=form.cleaned_data["max_deviation"]))
        RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    return render(request, "closing/cost_prices.html", {"form": form, "table": table})


# -- Close and Recalculation dialogs --------------------------------------------------------------

def _run_dialog(request: HttpRequest, form_class, *, initial: dict, template: str, context: dict | None = None) -> HttpResponse:
    """Preview (a dry run: closing_preview writes nothing) or start (closing_start, queued to the
    workers after the commit) a close or recalculation. A close dated in the future is queued only
    once the accountant has confirmed it on the page that warned (issue #17, point 5)."""
    form = form_class(request.POST or None, initial=initial)
    preview = None
    future = None
    if request.method == "POST" and form.is_valid():
        action = request.POST.get("action")
        run_date = form.cleaned_data["date"]
        if action == "start" and form_class.run_type == ClosingRun.RunType.CLOSING and run_date > _today() \
                and request.POST.get("future_confirmed") != run_date.isoformat():
            future = run_date
        else:
            try:
                if action == "preview":
                    preview = services.closing_preview(request=form.run_request())
                else:
                    run = services.closing_start(request=form.run_request(), user=request.user)
                    messages.success(request, f"{run.get_run_type_display()} {run.label} up to {run.date:%Y-%m-%d} queued.",
                                     extra_tags="run-queued")
                    return redirect(run)
            except DomainError as error:
                _show_error(form, error)
    if preview is not None:
        for row in preview.accounts:
            row.update(debit=row["amount"] if row["amount"] > 0 else None,
                       credit=-row["amount"] if row["amount"] < 0 else None)
    return render(request, template, {"form": form, "preview": preview, "future": future, "today": _today(),
                                      "unfinished": selectors.unfinished_run(), **(context or {})})


@require_permission(RUN_CLOSING)
def close_dialog(request: HttpRequest) -> HttpResponse:
    parameters = InventoryParameters.load()
    proposal = selectors.close_date_proposal(today=_today())
    latest = selectors.closing_lock_date()
    initial = {"date": proposal, "specification": parameters.default_specification}
    return _run_dialog(request, CloseForm, initial=initial, template="closing/close_form.html", context={
        "proposal": proposal, "latest_close_date": latest,
        "next_month_end": selectors.next_month_end(after=latest) if latest else None})


@require_permission(RUN_CLOSING)
def run_item_count(request: HttpRequest) -> JsonResponse:
    """How many items a close or recalculation up to a date takes in: the number the confirmation
    names before anything is queued (static/js/confirm.js)."""
    form_class = RecalculationForm if request.GET.get("run_type") == ClosingRun.RunType.RECALCULATION else CloseForm
    form = form_class({**request.GET.dict(), "specification": request.GET.get("specification") or "total",
                       "min_adjustment": request.GET.get("min_adjustment") or "0"})
    if not form.is_valid():
        return JsonResponse({"items": None, "errors": form.errors}, status=400)
    run_request = form.run_request()
    run = ClosingRun(run_type=run_request.run_type, date=run_request.date,
                     selection={"items": list(run_request.items), "item_groups": list(run_request.item_groups)})
    return JsonResponse({"items": run_items(run).count(), "date": run_request.date.isoformat()})


@require_permission(RUN_CLOSING)
def recalculation_dialog(request: HttpRequest) -> HttpResponse:
    parameters = InventoryParameters.load()
    initial = {"date": _today(), "specification": parameters.default_specification,
               "min_adjustment": parameters.default_min_adjustment}
    return _run_dialog(request, RecalculationForm, initial=initial, template="closing/recalculation_form.html")


# -- Reverse (Cancellation) -----------------------------------------------------------------------

@require_permission(REVERSE_CLOSING)
def reverse_dialog(request: HttpRequest) -> HttpResponse:
    form = ReverseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reverse_from = form.reverse_from()
        try:
            run = services.reversal_queue(user=request.user, recalculations_from=reverse_from,
                                          latest_adjustment=form.cleaned_data["what"] == ReverseForm.ADJUSTMENT)
        except DomainError as error:
            _show_error(form, error, default_field="recalculations_from" if reverse_from else None)
        else:
            # A large close takes a while to reverse: the workers do it, and the reversal run's page
            # (what the accountant wants to see next, issue #17, point 10) follows it to the end.
            messages.success(request, f"Reversal {run.label} of {run.reverses.label} queued.", extra_tags="run-queued")
            return redirect(run)
    recalculations = (selectors.run_list().filter(run_type=ClosingRun.RunType.RECALCULATION, status=ClosingRun.Status.ENDED)
                      .order_by("-date", "-id")[:10])
    latest_close, latest_adjustment = selectors.latest_close(), selectors.latest_adjustment()
    return render(request, "closing/reverse_form.html", {
        "form": form, "latest_close": latest_close, "recalculations": recalculations,
        "latest_adjustment": latest_adjustment,
        # What the confirmation names (issue #17, point 6): how many items each reversal touches, and
        # the close the books fall back to.
        "close_items": _items_adjusted(latest_close), "adjustment_items": _items_adjusted(latest_adjustment),
        "previous_close": selectors.latest_close(exclude=latest_close) if latest_close else None,
        "unfinished": selectors.unfinished_run()})


def _items_adjusted(run: ClosingRun | None) -> int:
    if run is None:
        return 0
    return selectors.run_adjustments(run=run).order_by().values("transaction__item_id").distinct().count()


# -- Pause / resume -------------------------------------------------------------------------------

@require_POST
@require_permission(RUN_CLOSING)
def run_pause(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(ClosingRun, pk=pk)
    if run.status not in (ClosingRun.Status.QUEUED, ClosingRun.Status.RUNNING):
        messages.error(request, f"{run.number} is {run.get_status_display().lower()}, not running: there is nothing to pause.")
        return redirect(run)
    try:
        run = services.closing_pause(user=request.user, run_id=run.pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{run.number} is {run.get_status_display().lower()}: resume it to finish.")
    return redirect(run)


@require_POST
@require_permission(RUN_CLOSING)
def run_resume(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(ClosingRun, pk=pk)
    stuck = selectors.run_status(run=run)["stuck"]
    if run.status not in (ClosingRun.Status.PAUSED, ClosingRun.Status.PAUSING, ClosingRun.Status.FAILED) and not stuck:
        messages.error(request, f"{run.number} is {run.get_status_display().lower()}: only a paused or failed run, or one "
                                f"that has stopped moving, is resumed.")
        return redirect(run)
    try:
        run = services.closing_resume(user=request.user, run_id=run.pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{run.number} resumed.")
    return redirect(run)


# -- one run --------------------------------------------------------------------------------------

def _run_or_404(pk: int) -> ClosingRun:
    return get_object_or_404(selectors.run_list(include_cancelled=True).select_related("reverses"), pk=pk)


def _run_context(request: HttpRequest, run: ClosingRun, tab: str) -> dict:
    return {"run": run, "tab": tab, "live": run.status in LIVE_STATUSES,
            "can_run": request.user.has_perm(RUN_CLOSING)}


def _watched(run: ClosingRun) -> ClosingRun:
    """Every read of a live run's status looks whether it has stalled (closing/services/watch.py)."""
    if run.status in selectors.WATCHED:
        services.run_watch(run_id=run.pk)
        run.refresh_from_db()
    return run


@require_permission(VIEW_RUNS)
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run_or_404(pk)
    run = _watched(run)
    context = _run_context(request, run, "general")
    context.update(session=selectors.run_status(run=run), reversals=run.reversals.select_related("voucher"),
                   stall_seconds=settings.CLOSING_STALL_SECONDS, max_requeues=settings.CLOSING_MAX_REQUEUES,
                   warnings=selectors.run_log(run=run)[:FIRST_WARNINGS], checks_pending=_checks_pending(run))
    return render(request, "closing/run_detail.html", context)


@require_permission(VIEW_RUNS)
def run_status(request: HttpRequest, pk: int) -> JsonResponse:
    """The session document the run page polls every second while the run is live."""
    run = _watched(get_object_or_404(ClosingRun.objects.select_related("voucher"), pk=pk))
    document = selectors.run_status(run=run)
    live = run.status in LIVE_STATUSES
    document.update(
        status_label=run.get_status_display(), live=live,
        voucher_url=run.voucher.get_absolute_url() if run.voucher_id else None,
        started_at=_stamp(run.started_at), ended_at=_stamp(run.ended_at),
        first_warnings=[{"message": entry.message,
                         "transaction": entry.transaction.ref if entry.transaction_id else None,
                         "transaction_url": entry.transaction.get_absolute_url() if entry.transaction_id else None,
                         "item": entry.item.number if entry.item_id else None,
                         "item_url": entry.item.get_absolute_url() if entry.item_id else None}
                        for entry in selectors.run_log(run=run)[:FIRST_WARNINGS]],
        # The book checks run on the worker right after the run ends: the page keeps asking until
        # they are stored, then shows them without a reload (issue #17, point 10).
        checks_pending=_checks_pending(run),
        checks_html=None if live else render_to_string("reports/_checks.html", {"run": run}, request=request),
    )
    response = JsonResponse(document)
    response["Cache-Control"] = "no-store"
    return response


class RunLogView(PermissionRequired, SingleTableMixin, FilterView):
    permission_required = VIEW_RUNS
    table_class = LogTable
    filterset_class = LogFilter
    template_name = "closing/run_log.html"
    paginate_by = PER_PAGE

    def get_queryset(self):
        self.run = _run_or_404(self.kwargs["pk"])
        return selectors.run_log(run=self.run)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(_run_context(self.request, self.run, "log"))
        return context


@require_permission(VIEW_RUNS)
def run_settlements(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run_or_404(pk)
    found = SettlementFilter(request.GET, queryset=selectors.run_settlements(run=run))
    found_adjustments = RunAdjustmentFilter(request.GET, queryset=selectors.run_adjustments(run=run))
    settlements = SettlementTable(found.qs, prefix="s-")
    adjustments = AdjustmentTable(found_adjustments.qs, prefix="a-")
    for table in (settlements, adjustments):
        RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    context = _run_context(request, run, "settlements")
    context.update(settlements=settlements, adjustments=adjustments, filter=found,
                   filtered=bool(request.GET.get("item") or request.GET.get("transaction")))
    return render(request, "closing/run_settlements.html", context)


@require_permission(VIEW_RUNS)
def run_voucher(request: HttpRequest, pk: int) -> HttpResponse:
    """Run → voucher → the transactions behind each account's lines."""
    run = _run_or_404(pk)
    accounts = selectors.run_voucher_accounts(run=run)
    by_id = {row["account_id"]: row["account"] for row in accounts}
    selected = by_id.get(_int(request.GET.get("account"))) or (accounts[0]["account"] if accounts else None)
    table = None
    if selected is not None:
        table = AccountAdjustmentTable(selectors.run_account_adjustments(run=run, account=selected), account=selected)
        RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    context = _run_context(request, run, "voucher")
    context.update(accounts=VoucherAccountTable(accounts, selected=selected), selected=selected, table=table)
    return render(request, "closing/run_voucher.html", context)


def _int(value: str | None) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# -- Adjustment > On-hand and Adjustment > Transactions (docs/domain.md §3.1, §3.2) ----------------

MAX_ADJUSTMENT_ROWS = 200  # lines an adjustment form lists at once; narrow the selection for more
ON_HAND_FIGURES = ("new_value", "new_unit_cost", "percent")
TRANSACTION_FIGURES = ("new_value", "new_unit_cost")


@require_permission(ADJUST_INVENTORY)
def on_hand_adjustment(request: HttpRequest) -> HttpResponse:
    """Adjustment > On-hand: select on-hand inventory (query string), enter a new value, cost price
    or percentage per line, post on the latest closing date."""
    close = selectors.latest_close()
    selection = OnHandSelectionForm(request.GET or None)
    lines = []
    if close is not None and close.status == ClosingRun.Status.ENDED and (selection.is_valid() or not request.GET):
        chosen = selection.selection() if request.GET else {}
        lines = selectors.on_hand_adjustment_lines(on=close.date, **chosen)
    for number, line in enumerate(lines, start=1):
        line["key"] = f"{line['cost_dimension_id']}-{line['warehouse_id'] or 0}"
        line["label"] = f"Line {number} (item {line['item__number']} at site {line['cost_dimension__site__code']})"
        line["typed"] = _typed(request, ON_HAND_FIGURES, line["key"])
    parameters = InventoryParameters.load()
    posting = AdjustmentPostingForm(request.POST or None, initial={"specification": parameters.default_specification,
                                                                    "update_ledger": True})
    if request.method == "POST" and posting.is_valid():
        try:
            changes = typed_changes(
                request.POST, lines[:MAX_ADJUSTMENT_ROWS], names=ON_HAND_FIGURES, key=lambda line: line["key"],
                label=lambda line: line["label"],
                change=lambda line, figures: OnHandChange(cost_dimension_id=line["cost_dimension_id"],
                                                          warehouse_id=line["warehouse_id"], label=line["label"], **figures))
            run = on_hand_adjust(changes=changes, user=request.user, **posting.cleaned_data)
        except DomainError as error:
            _show_error(posting, _line_errors(error, lines[:MAX_ADJUSTMENT_ROWS], label=lambda line: line["label"],
                                              store=lambda line, found: line.update(errors=found)))
        else:
            messages.success(request, f"On-hand adjustment {run.label} posted on {run.date:%Y-%m-%d}: "
                                      f"{run.adjustments_count} receipt(s) revalued.")
            return redirect(run)
    return render(request, "closing/adjust_on_hand.html", {
        "close": close, "selection": selection, "lines": lines[:MAX_ADJUSTMENT_ROWS], "more": len(lines) > MAX_ADJUSTMENT_ROWS,
        "posting": posting, "typed": request.POST, "unfinished": selectors.unfinished_run()})


@require_permission(ADJUST_INVENTORY)
def transaction_adjustment(request: HttpRequest) -> HttpResponse:
    """Adjustment > Transactions: filter the open receipts, enter a new value or cost price per
    receipt, post on a date after the latest close."""
    close = selectors.latest_close()
    found = AdjustableTransactionFilter(request.GET or None, queryset=selectors.adjustable_transactions())
    receipts = list(found.qs[:MAX_ADJUSTMENT_ROWS + 1]) if found.is_bound and found.is_valid() else []
    for receipt in receipts:
        receipt.open_value = round_amount(receipt.open_value)
        receipt.cost_price = round_unit_cost(receipt.open_value / receipt.qty)
        receipt.typed = _typed(request, TRANSACTION_FIGURES, str(receipt.pk))
    parameters = InventoryParameters.load()
    posting = TransactionPostingForm(request.POST or None, initial={
        "specification": parameters.default_specification, "update_ledger": True, "date": _today()})
    if request.method == "POST" and posting.is_valid():
        data = posting.cleaned_data
        try:
            changes = typed_changes(
                request.POST, receipts[:MAX_ADJUSTMENT_ROWS], names=TRANSACTION_FIGURES, key=lambda receipt: str(receipt.pk),
                label=lambda receipt: f"Transaction {receipt.ref}",
                change=lambda receipt, figures: TransactionChange(ref=receipt.ref, **figures))
            run = transaction_adjust(changes=changes, on=data["date"], specification=data["specification"],
                                     update_ledger=data["update_ledger"], note=data["note"], user=request.user)
        except DomainError as error:
            _show_error(posting, _line_errors(error, receipts[:MAX_ADJUSTMENT_ROWS], label=lambda receipt: f"Transaction {receipt.ref}",
                                              store=lambda receipt, found: setattr(receipt, "errors", found)))
        else:
            messages.success(request, f"Transaction adjustment {run.label} posted on {run.date:%Y-%m-%d}: "
                                      f"{run.adjustments_count} receipt(s) adjusted.")
            return redirect(run)
    return render(request, "closing/adjust_transactions.html", {
        "close": close, "filter": found, "receipts": receipts[:MAX_ADJUSTMENT_ROWS], "more": len(receipts) > MAX_ADJUSTMENT_ROWS,
        "posting": posting, "typed": request.POST, "unfinished": selectors.unfinished_run()})


def _typed(request: HttpRequest, names: tuple[str, ...], key: str) -> dict[str, str]:
    """What was typed in a line's inputs, shown again after a refusal (issue #17, point 7)."""
    return {name: request.POST.get(f"{name}-{key}", "") for name in names} if request.method == "POST" else {}


def _line_errors(error: DomainError, rows, *, label, store) -> DomainError:
    """Each message naming a line ("Line 2 (item …): …", "Transaction R-1: …") goes next to that
    line; what names no line stays on the form. Returns the refusal left for the form."""
    rest = list(error.errors)
    for row in rows:
        prefix = label(row)
        found = [message for message in rest if message.startswith((prefix + ":", prefix + " "))]
        if found:
            store(row, found)
            rest = [message for message in rest if message not in found]
    if not rest:
        count = len(error.errors)
        rest = [f"{count} line{'s' if count != 1 else ''} could not be posted: see the message{'s' if count != 1 else ''} "
                f"next to {'them' if count != 1 else 'it'}. Nothing was posted."]
    return DomainError(rest[0], field=error.field, errors=rest)


# -- Inventory parameters ---------------------------------------------------------------------------

@require_permission("closing.view_inventoryparameters")
def parameters(request: HttpRequest) -> HttpResponse:
    may_change = request.user.has_perm(CHANGE_PARAMETERS)
    if request.method == "POST" and not may_change:
        raise PermissionDenied
    form = InventoryParametersForm(request.POST or None, instance=InventoryParameters.load())
    if not may_change:
        for field in form.fields.values():
            field.disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            services.parameters_update(user=request.user, **{name: form.cleaned_data[name] for name in form.fields})
        except DomainError as error:
            _show_error(form, error)
        else:
            messages.success(request, "Inventory parameters saved.")
            return redirect("closing:parameters")
    return render(request, "closing/parameters.html", {"form": form, "may_change": may_change})
