import csv

from django.conf import settings
from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.generic import DetailView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from closing.selectors import transaction_closing_history
from common.errors import DomainError
from common.money import ZERO, plain_number, round_amount, to_decimal
from common.table_exports import SafeExportMixin
from config.permissions import PermissionRequired, require_permission
from config.roles import POST_JOURNAL
from inventory import selectors
from inventory.filters import ItemFilter, JournalFilter, ModelGroupFilter, StandardJournalFilter, TransactionFilter
from inventory.forms import (
    CountImportForm,
    CountingCalculateForm,
    CountingLineForm,
    CountingPeriodCalculateForm,
    ImportForm,
    JournalCreateForm,
    JournalLineForm,
    ReclassificationLineForm,
    StandardJournalRecallForm,
    StandardJournalSaveForm,
)
from inventory.models import ImportJob, ItemGroup, Journal, Site, StandardJournal, Warehouse
from inventory.services import import_jobs
from inventory.services.counting import (
    Selection,
    count_sheet_csv,
    count_sheet_rows,
    counting_calculate,
    counting_counts_set,
    counting_import_csv,
    counting_period_calculate,
    selection_from_form,
)
from inventory.services.csv_files import ImportResult
from inventory.services.journals import (
    LineInput,
    journal_create,
    journal_line_add,
    journal_line_change,
    journal_line_delete,
    journal_post,
    journal_validate,
)
from inventory.services.standard_journals import standard_journal_delete, standard_journal_recall, standard_journal_save
from inventory.tables import ItemTable, JournalTable, ModelGroupTable, StandardJournalTable, TransactionTable
from ledger.selectors import vouchers_of_transaction


class ItemListView(PermissionRequired, SafeExportMixin, SingleTableMixin, FilterView):
    permission_required = "inventory.view_item"
    table_class = ItemTable
    filterset_class = ItemFilter
    template_name = "inventory/item_list.html"
    paginate_by = 50
    export_name = "items"
    export_kind = "items"

    def get_queryset(self):
        return selectors.item_list()


class ItemDetailView(PermissionRequired, DetailView):
    permission_required = "inventory.view_item"
    template_name = "inventory/item_detail.html"
    slug_field = slug_url_kwarg = "number"

    def get_queryset(self):
        return selectors.item_list()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        item = self.object
        context["on_hand"] = selectors.item_on_hand(item=item)
        context["dimensions"] = selectors.item_cost_dimensions(item=item)
        context["totals"] = selectors.item_totals(item=item)
        context["recent"] = selectors.transaction_list().filter(item=item).order_by("-date_physical", "-id")[:20]
        context["counting_history"] = selectors.item_counting_history(item=item)[:10]
        return context


class ModelGroupListView(PermissionRequired, SafeExportMixin, SingleTableMixin, FilterView):
    permission_required = "inventory.view_itemmodelgroup"
    table_class = ModelGroupTable
    filterset_class = ModelGroupFilter
    template_name = "inventory/model_group_list.html"
    export_name = "item-model-groups"

    def get_queryset(self):
        return selectors.model_group_list()


class TransactionListView(PermissionRequired, SafeExportMixin, SingleTableMixin, FilterView):
    permission_required = "inventory.view_inventorytransaction"
    table_class = TransactionTable
    filterset_class = TransactionFilter
    template_name = "inventory/transaction_list.html"
    paginate_by = 50
    export_name = "inventory-transactions"
    export_kind = "transaction_list"

    def get_queryset(self):
        return selectors.transaction_list()


class TransactionDetailView(PermissionRequired, DetailView):
    permission_required = "inventory.view_inventorytransaction"
    template_name = "inventory/transaction_detail.html"
    context_object_name = "txn"

    def get_queryset(self):
        return selectors.transaction_list().select_related("marked_to", "transfer_issue", "journal_line__journal",
                                                            "inventory_account", "offset_account", "created_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["vouchers"] = vouchers_of_transaction(transaction=self.object)
        context.update(transaction_closing_history(transaction=self.object))
        return context


class JournalListView(PermissionRequired, SingleTableMixin, FilterView):
    permission_required = "inventory.view_journal"
    table_class = JournalTable
    filterset_class = JournalFilter
    template_name = "inventory/journal_list.html"
    paginate_by = 50

    def get_queryset(self):
        # An aggregate drops Meta.ordering (Django 3.1+): order explicitly so pages are stable.
        return selectors.journal_list().annotate(line_count=Count("lines")).order_by("-id")


@require_permission("inventory.add_journal")
def journal_new(request: HttpRequest) -> HttpResponse:
    form = JournalCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            journal = journal_create(user=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            then = ("Calculate inventory, count, then post it." if journal.journal_type == Journal.JournalType.COUNTING
                    else "Add its lines, then post it.")
            messages.success(request, f"Journal {journal.number} created. {then}")
            return redirect(journal)
    return render(request, "inventory/journal_form.html", {"form": form})


LINE_FORMS = {
    Journal.JournalType.COUNTING: CountingLineForm,
    Journal.JournalType.RECLASSIFICATION: ReclassificationLineForm,
}


def _line_from_form(journal: Journal, form) -> LineInput:
    data = form.cleaned_data
    if journal.journal_type == Journal.JournalType.COUNTING:
        # The date and expected quantity come from the journal's calculation (counting service).
        selection = Selection.from_json(journal.selection)
        return LineInput(date=selection.date if selection else timezone.localdate(), item=data["item"], qty=ZERO,
                         site=form.site(),
                         warehouse=data["warehouse"], tracking_number=data.get("tracking_number", "").strip(),
                         expiry_date=data.get("expiry_date"), counted_qty=data["counted_qty"])
    to_warehouse = data.get("to_warehouse")
    return LineInput(date=data["date"], item=data["item"], qty=data["qty"], site=form.site(),
                     warehouse=data["warehouse"], unit_cost=data.get("unit_cost"),
                     to_site=to_warehouse.site if to_warehouse else None, to_warehouse=to_warehouse,
                     tracking_number=data.get("tracking_number", "").strip(), expiry_date=data.get("expiry_date"),
                     to_tracking_number=data.get("to_tracking_number", "").strip(),
                     to_expiry_date=data.get("to_expiry_date"))


@require_permission("inventory.view_journal")
def journal_detail(request: HttpRequest, number: str) -> HttpResponse:
    journal = get_object_or_404(selectors.journal_list(), number=number)
    form_class = LINE_FORMS.get(journal.journal_type, JournalLineForm)
    can_edit = not journal.is_posted and request.user.has_perm("inventory.change_journal")
    lines = journal.lines.select_related("item", "site", "warehouse", "warehouse__site", "to_warehouse__site").prefetch_related("transactions")
    # The lines grid (issue #17, point 11): a line is changed in the same form that adds one, opened
    # with ?edit=<line>; a new line starts on the date of the journal's last line (or today).
    editing = None
    if can_edit and journal.journal_type != Journal.JournalType.COUNTING:
        wanted = request.POST.get("line_number") if request.method == "POST" else request.GET.get("edit")
        editing = next((line for line in lines if str(line.line_number) == (wanted or "").strip()), None)
    last = max(lines, key=lambda line: line.line_number, default=None)
    form = form_class(request.POST or None, initial=_line_initial(editing) if editing else
                      {"date": last.date if last else timezone.localdate()})
    if request.method == "POST":
        if not can_edit:
            return render(request, "403.html", status=403)
        if form.is_valid():
            try:
                if editing is not None:
                    journal_line_change(journal=journal, line_number=editing.line_number,
                                        line=_line_from_form(journal, form), user=request.user)
                else:
                    journal_line_add(journal=journal, line=_line_from_form(journal, form), user=request.user)
            except DomainError as error:
                for message in error.errors:
                    form.add_error(None, message)
            else:
                messages.success(request, f"Line {editing.line_number} changed." if editing else "Line added.")
                return redirect(journal)
    for line in lines:
        line.amount = round_amount(line.qty * line.unit_cost) if line.unit_cost is not None else None
    amounts = [line.amount for line in lines if line.amount is not None]
    dates = sorted(line.date for line in lines)
    actual = [sum((txn.cost_amount_posted + txn.cost_amount_adjustment for txn in line.transactions.all()), ZERO)
              for line in lines] if journal.is_posted else []
    for line, cost in zip(lines, actual, strict=False):
        line.actual_cost = cost
    context = {
        "journal": journal, "lines": lines, "form": form, "can_edit": can_edit, "editing": editing,
        "amount_total": sum(amounts, ZERO), "amounts_missing": len(amounts) < len(lines),
        "actual_total": sum(actual, ZERO), "qty_total": sum((line.qty for line in lines), ZERO),
        "item_choices": selectors.item_list().values_list("number", "name")[:ITEM_CHOICES] if can_edit else [],
        # What the Post confirmation states (issue #17, point 6).
        "item_count": len({line.item_id for line in lines}), "first_date": dates[0] if dates else None,
        "last_date": dates[-1] if dates else None,
        "can_post": not journal.is_posted and request.user.has_perm(POST_JOURNAL),
        "vouchers": selectors.journal_vouchers(journal=journal) if journal.is_posted else [],
        "can_save_standard": (request.user.has_perm("inventory.add_journal")
                              and journal.journal_type != Journal.JournalType.COUNTING),
        "standard_form": StandardJournalSaveForm(),
    }
    if journal.journal_type == Journal.JournalType.COUNTING:
        selection = Selection.from_json(journal.selection)
        context.update({
            "selection": selection,
            "calculate_form": _calculate_form(request, journal, selection),
            "count_import_form": CountImportForm(),
            "differences": sum(1 for line in lines if line.difference),
        })
    return render(request, "inventory/journal_detail.html", context)


ITEM_CHOICES = 2000  # item numbers offered by the line form's lookup; more are still typed


def _line_initial(line) -> dict:
    # Quantities and costs as typed, without the stored trailing zeros (3, not 3.000000).
    return {"date": line.date, "item": line.item.number, "qty": plain_number(line.qty),
            "unit_cost": plain_number(line.unit_cost) if line.unit_cost is not None else None,
            "warehouse": line.warehouse_id, "to_warehouse": line.to_warehouse_id, "tracking_number": line.tracking_number,
            "expiry_date": line.expiry_date, "to_tracking_number": line.to_tracking_number,
            "to_expiry_date": line.to_expiry_date}


def _calculate_initial(selection: Selection | None) -> dict:
    if selection is None:
        return {"date": timezone.localdate()}
    # The calculation keeps its selection (issue #17, point 7): the form shows what was counted.
    groups = ItemGroup.objects.filter(code=selection.item_group) if selection.item_group else ItemGroup.objects.none()
    sites = Site.objects.filter(code=selection.site) if selection.site else Site.objects.none()
    warehouses = Warehouse.objects.filter(code=selection.warehouse) if selection.warehouse else Warehouse.objects.none()
    if selection.site:
        warehouses = warehouses.filter(site__code=selection.site)
    return {"date": selection.date, "item": selection.items[0] if len(selection.items) == 1 else "",
            "item_group": groups.first(), "site": sites.first(), "warehouse": warehouses.first(),
            "tracking_number": selection.tracking_number, "include_zero": selection.include_zero}


CALCULATE_TYPED = "counting_calculate_typed"


def _calculate_form(request: HttpRequest, journal: Journal, selection: Selection | None) -> CountingCalculateForm:
    """The Calculate form: what a refused calculation typed, with its errors next to their fields,
    or else the journal's selection."""
    typed = request.session.pop(CALCULATE_TYPED, None)
    if not typed or typed.get("journal") != journal.number:
        return CountingCalculateForm(initial=_calculate_initial(selection))
    form = CountingCalculateForm(typed["data"])
    if form.is_valid() and typed.get("error"):
        form.add_error(typed.get("field") if typed.get("field") in form.fields else None, typed["error"])
    return form


def _counting_journal(number: str) -> Journal:
    return get_object_or_404(Journal, number=number, journal_type=Journal.JournalType.COUNTING)


@require_POST
@require_permission("inventory.change_journal")
def counting_calculate_view(request: HttpRequest, number: str) -> HttpResponse:
    journal = _counting_journal(number)
    form = CountingCalculateForm(request.POST)
    typed = {"journal": journal.number, "data": {name: request.POST.get(name, "") for name in form.fields
                                                 if name in request.POST}}
    if not form.is_valid():
        request.session[CALCULATE_TYPED] = typed  # shown again on the journal, errors next to their fields
        messages.error(request, "Inventory was not calculated: correct the form below.")
        return redirect(journal)
    data = form.cleaned_data
    try:
        selection = selection_from_form(on=data["date"], item=data.get("item"), item_group=data.get("item_group"),
                                        site=data.get("site"), warehouse=data.get("warehouse"),
                                        tracking_number=data.get("tracking_number", ""),
                                        include_zero=data.get("include_zero", False))
        count = counting_calculate(journal=journal, selection=selection, user=request.user)
    except DomainError as error:
        request.session[CALCULATE_TYPED] = {**typed, "error": error.message, "field": error.field}
        messages.error(request, error.message)
    else:
        messages.success(request, f"Calculated {count} line{'s' if count != 1 else ''} ({selection.describe()}).")
    return redirect(journal)


@require_POST
@require_permission("inventory.change_journal")
def counting_counts_view(request: HttpRequest, number: str) -> HttpResponse:
    """One form with a counted quantity per line: every line's input is saved, or none."""
    journal = _counting_journal(number)
    counts, errors = {}, []
    for line_number in journal.lines.values_list("line_number", flat=True):
        raw = request.POST.get(f"counted-{line_number}", "").strip()
        if raw == "":
            continue
        try:
            counts[line_number] = to_decimal(raw)
        except ValueError:
            errors.append(f"Line {line_number}: {raw!r} is not a quantity")
    if not errors:
        try:
            changed = counting_counts_set(journal=journal, counts=counts, user=request.user)
        except DomainError as error:
            errors = error.errors
        else:
            messages.success(request, f"Counts saved ({changed} line{'s' if changed != 1 else ''} changed).")
    if errors:
        messages.error(request, "The counts were not saved.")
        for message in errors:
            messages.error(request, message)
    return redirect(journal)


@require_permission("inventory.view_journal")
def counting_sheet(request: HttpRequest, number: str) -> HttpResponse:
    """The count sheet: a print view, or its CSV (`?format=csv`); `?expected=0` hides the expected
    quantities for a blind count."""
    journal = _counting_journal(number)
    show_expected = request.GET.get("expected", "1") != "0"
    if request.GET.get("format") == "csv":
        response = HttpResponse(count_sheet_csv(journal=journal, show_expected=show_expected),
                                content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="count-sheet-{journal.number}.csv"'
        return response
    return render(request, "inventory/count_sheet.html", {
        "journal": journal, "rows": count_sheet_rows(journal=journal, show_expected=show_expected),
        "show_expected": show_expected, "selection": Selection.from_json(journal.selection),
    })


@require_POST
@require_permission("inventory.change_journal")
def counting_import_view(request: HttpRequest, number: str) -> HttpResponse:
    journal = _counting_journal(number)
    form = CountImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose the count sheet's CSV file to upload.")
        return redirect(journal)
    upload = form.cleaned_data["file"]
    if upload.size > settings.IMPORT_MAX_BYTES:
        messages.error(request, f"The file is {upload.size:,} bytes: at most {settings.IMPORT_MAX_BYTES:,} bytes are "
                                "accepted. Nothing was changed.")
        return redirect(journal)
    try:
        # The bytes as uploaded: decoded strictly, never with replacement characters.
        result = counting_import_csv(journal=journal, text=upload.read(), user=request.user)
    except DomainError as error:
        result = ImportResult(errors=[(0, message) for message in error.errors])
    if result.ok:
        messages.success(request, f"Counts imported ({result.posted} line{'s' if result.posted != 1 else ''} changed).")
    else:
        messages.error(request, "The counts were not imported: nothing was changed.")
        for line, message in result.errors[:SHOWN_ERRORS]:
            messages.error(request, f"CSV line {line}: {message}")
        if len(result.errors) > SHOWN_ERRORS:
            messages.error(request, f"… and {len(result.errors) - SHOWN_ERRORS:,} more problems.")
    return redirect(journal)


# An upload's problems shown on the page at most; the rest are counted.
SHOWN_ERRORS = 100


@require_POST
@require_permission("inventory.add_journal")
def standard_journal_save_view(request: HttpRequest, number: str) -> HttpResponse:
    journal = get_object_or_404(Journal, number=number)
    form = StandardJournalSaveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the standard journal a name.")
        return redirect(journal)
    try:
        standard = standard_journal_save(journal=journal, name=form.cleaned_data["name"], user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Saved as standard journal {standard.name}.")
    return redirect(journal)


class StandardJournalListView(PermissionRequired, SingleTableMixin, FilterView):
    permission_required = "inventory.view_standardjournal"
    table_class = StandardJournalTable
    filterset_class = StandardJournalFilter
    template_name = "inventory/standard_journal_list.html"
    paginate_by = 50

    def get_queryset(self):
        return selectors.standard_journal_list()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["recall_form"] = StandardJournalRecallForm(initial={"date": timezone.localdate()})
        return context


@require_POST
@require_permission("inventory.add_journal")
def standard_journal_recall_view(request: HttpRequest, pk: int) -> HttpResponse:
    standard = get_object_or_404(StandardJournal, pk=pk)
    form = StandardJournalRecallForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the date of the new journal.")
        return redirect("inventory:standard_journal_list")
    journal = standard_journal_recall(standard_journal=standard, posting_date=form.cleaned_data["date"],
                                      description=form.cleaned_data["description"], user=request.user)
    messages.success(request, f"Journal {journal.number} created from standard journal {standard.name}.")
    return redirect(journal)


@require_POST
@require_permission("inventory.delete_journal")
def standard_journal_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    standard = get_object_or_404(StandardJournal, pk=pk)
    standard_journal_delete(standard_journal=standard, user=request.user)
    messages.success(request, f"Standard journal {standard.name} deleted.")
    return redirect("inventory:standard_journal_list")


@require_permission("inventory.view_countingperiod")
def counting_period_list(request: HttpRequest) -> HttpResponse:
    """Counting periods and, for a date, the items due by their next counting date (the proposal
    Calculate counting period makes into a journal)."""
    form = CountingPeriodCalculateForm(request.GET or None, initial={"date": timezone.localdate()})
    on = form.cleaned_data["date"] if form.is_valid() else timezone.localdate()
    period = form.cleaned_data.get("counting_period") if form.is_bound and form.is_valid() else None
    return render(request, "inventory/counting_period_list.html", {
        "periods": selectors.counting_period_list(), "form": form, "on": on,
        "due": selectors.counting_due(on=on, counting_period=period),
    })


@require_POST
@require_permission("inventory.add_journal")
def counting_period_calculate_view(request: HttpRequest) -> HttpResponse:
    form = CountingPeriodCalculateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the date to count on.")
        return redirect("inventory:counting_period_list")
    data = form.cleaned_data
    try:
        journal = counting_period_calculate(on=data["date"], counting_period=data.get("counting_period"),
                                            description=data.get("description", ""), user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("inventory:counting_period_list")
    messages.success(request, f"Physical inventory journal {journal.number} created with {journal.lines.count()} lines "
                              "for the items due.")
    return redirect(journal)


@require_POST
@require_permission("inventory.change_journal")
def journal_line_remove(request: HttpRequest, number: str, line_number: int) -> HttpResponse:
    journal = get_object_or_404(Journal, number=number)
    try:
        journal_line_delete(journal=journal, line_number=line_number, user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Line {line_number} removed.")
    return redirect(journal)


@require_POST
@require_permission("inventory.view_journal")
def journal_check(request: HttpRequest, number: str) -> HttpResponse:
    journal = get_object_or_404(Journal, number=number)
    errors = journal_validate(journal=journal)
    for error in errors:
        messages.error(request, error)
    if not errors:
        messages.success(request, f"Journal {journal.number} has no errors and can be posted.")
    return redirect(journal)


@require_POST
@require_permission(POST_JOURNAL)
def journal_post_view(request: HttpRequest, number: str) -> HttpResponse:
    journal = get_object_or_404(Journal, number=number)
    try:
        journal = journal_post(journal=journal, user=request.user)
    except DomainError as error:
        for message in error.errors:
            messages.error(request, message)
        if error.errors != [error.message]:
            messages.error(request, error.message)
    else:
        messages.success(request, f"Journal {journal.number} posted.")
    return redirect(journal)


@require_permission(import_jobs.ADD_TRANSACTION)
def import_job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An import's page: everyone who may import follows any import here (clerks and accountants share
    the books); the API shows a user their own imports only."""
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=pk)
    return render(request, "inventory/import_job.html", {"job": job, "form": ImportForm()})


@require_permission(import_jobs.ADD_TRANSACTION)
def import_job_status(request: HttpRequest, pk: int) -> JsonResponse:
    """What the import page polls every second while the job waits or runs."""
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=pk)
    response = JsonResponse({"status": job.status, "status_label": job.get_status_display(), "live": job.is_live,
                             "rows_read": job.rows_read, "rows_posted": job.rows_posted, "progress": job.progress_percent,
                             "error_count": job.error_count})
    response["Cache-Control"] = "no-store"
    return response


@require_permission(import_jobs.ADD_TRANSACTION)
def import_job_errors_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """Every error of a refused file, as `line,message` CSV."""
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=pk)
    buffer = _Echo()
    writer = csv.writer(buffer)
    response = StreamingHttpResponse((writer.writerow(row) for row in import_jobs.import_job_error_rows(job=job)),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response


class _Echo:
    """A file-like object whose write returns what it is given (csv.writer into a streamed response)."""

    def write(self, value: str) -> str:
        return value
