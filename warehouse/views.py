"""The warehouse pages: bins and their set-up, default bins and bin content, bin contents with
their entries, warehouse journals, Calculate Whse. Adjustment and bins against inventory. Views
parse and call the services (warehouse/services); every refusal comes back as a message."""

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from common.errors import DomainError
from common.money import plain_number
from common.spreadsheets import csv_lines
from config.permissions import require_permission
from config.roles import POST_JOURNAL
from inventory.models import Journal
from inventory.services.csv_files import ImportResult
from warehouse import forms, selectors, tables
from warehouse.models import WarehouseJournal
from warehouse.services.adjustment import warehouse_adjustment_calculate, warehouse_adjustment_post
from warehouse.services.bins import (
    bin_content_modify,
    bin_create,
    bins_import_file,
    default_bin_set,
    warehouse_bins_set,
)
from warehouse.services.journals import (
    WarehouseLineInput,
    warehouse_journal_create,
    warehouse_journal_import_file,
    warehouse_journal_register,
    warehouse_line_add,
    warehouse_line_delete,
)
from warehouse.services.physical import warehouse_count_set, warehouse_physical_calculate

REGISTER = ("warehouse.add_warehousejournal", "warehouse.register_warehousejournal")


def _refused(request: HttpRequest, error: DomainError) -> None:
    for message in error.errors:
        messages.error(request, message)


def _form_errors(request: HttpRequest, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label or field.replace("_", " ").capitalize() if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


def _submit(request: HttpRequest, form, service, success) -> None:
    """A posted form handed to its service: `success(result, data)` is said when the service
    writes, the service's refusal or the form's errors otherwise."""
    if not form.is_valid():
        _form_errors(request, form)
        return
    try:
        result = service(user=request.user, **form.cleaned_data)
    except DomainError as error:
        _refused(request, error)
        return
    messages.success(request, success(result, form.cleaned_data))


# -- bins -------------------------------------------------------------------------------------------

@require_permission("warehouse.view_bin")
def bin_list(request: HttpRequest) -> HttpResponse:
    return render(request, "warehouse/bin_list.html", {
        "bins": selectors.bin_list(), "warehouses": selectors.warehouses_with_bins(),
        "bin_form": forms.BinForm(), "mandatory_form": forms.BinMandatoryForm(),
        "import_form": forms.BinsImportForm()})


@require_POST
@require_permission("warehouse.add_bin")
def bin_add(request: HttpRequest) -> HttpResponse:
    _submit(request, forms.BinForm(request.POST), bin_create, lambda bin, data: f"Bin {bin} added.")
    return redirect("warehouse:bin_list")


@require_POST
@require_permission("warehouse.change_warehousesetup")
def bins_mandatory(request: HttpRequest) -> HttpResponse:
    _submit(request, forms.BinMandatoryForm(request.POST), warehouse_bins_set, lambda _setup, data: (
        f"Bins are {'mandatory' if data['bin_mandatory'] else 'optional'} in {selectors.warehouse_label(data['warehouse'])}."))
    return redirect("warehouse:bin_list")


@require_permission("warehouse.view_bincontent")
def default_bins(request: HttpRequest) -> HttpResponse:
    return render(request, "warehouse/default_bins.html", {
        "contents": selectors.default_bins(), "default_form": forms.DefaultBinForm(),
        "content_form": forms.BinContentForm()})


@require_POST
@require_permission("warehouse.change_bincontent")
def default_bin_change(request: HttpRequest) -> HttpResponse:
    _submit(request, forms.DefaultBinForm(request.POST), default_bin_set,
            lambda content, data: f"{content.item.number} now defaults to bin {content.bin}.")
    return redirect("warehouse:default_bins")


@require_POST
@require_permission("warehouse.change_bincontent")
def bin_content_change(request: HttpRequest) -> HttpResponse:
    _submit(request, forms.BinContentForm(request.POST), bin_content_modify,
            lambda content, data: f"Bin content of {content.item.number} in {content.bin} changed.")
    return redirect("warehouse:default_bins")


# -- contents and entries ---------------------------------------------------------------------------

@require_permission("warehouse.view_warehouseentry")
def bin_contents(request: HttpRequest) -> HttpResponse:
    form = forms.ContentsFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = selectors.bin_contents(**{key: value for key, value in filters.items() if value})
    if request.GET.get("_export") == "csv":
        lines = [["item", "warehouse", "bin", "lot", "serial", "qty"]] + [
            [row.item, row.warehouse, row.bin, row.lot, row.serial, Decimal(plain_number(row.qty))] for row in rows]
        return _csv(lines, "bin-contents.csv")
    return render(request, "warehouse/bin_contents.html", {"form": form, "table": _paged(request, tables.BinContentTable(rows))})


@require_permission("warehouse.view_warehouseentry")
def entry_list(request: HttpRequest) -> HttpResponse:
    """The warehouse entries behind a bin content or a comparison row (filters in the query)."""
    form = forms.EntryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    # An empty lot/serial in the query means "without one" (a bin content of an untracked item).
    tracking = filters.get("tracking_number") if "tracking_number" in request.GET else None
    entries = selectors.entry_list(warehouse=filters.get("warehouse"), bin=filters.get("bin"), item=filters.get("item"),
                                   tracking_number=tracking)
    return render(request, "warehouse/entry_list.html", {"form": form, "table": _paged(request, tables.EntryTable(entries)),
                                                         "bin": filters.get("bin"), "item": filters.get("item"),
                                                         "tracking_number": tracking})


@require_permission("warehouse.view_warehouseentry")
def comparison(request: HttpRequest) -> HttpResponse:
    """Bins against inventory per item and warehouse; the adjustment bin explains a difference."""
    query = request.GET.copy()
    if query.get("differences") == "1":  # the short link of the page's hint
        query["only_differences"] = "on"
    form = forms.ComparisonFilterForm(query or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = selectors.bins_vs_inventory(warehouse=filters.get("warehouse"), item=filters.get("item"),
                                       only_differences=bool(filters.get("only_differences")))
    if request.GET.get("_export") == "csv":
        lines = [["item", "warehouse", "storage_bins", "inventory", "difference", "adjustment_bin", "explained"]] + [
            [row.item, row.warehouse, *(Decimal(plain_number(value)) for value in
                                        (row.storage, row.inventory, row.difference, row.adjustment)),
             "yes" if row.explained else "no"] for row in rows]
        return _csv(lines, "bins-vs-inventory.csv")
    return render(request, "warehouse/comparison.html", {"form": form, "table": _paged(request, tables.ComparisonTable(rows))})


def _paged(request: HttpRequest, table):
    RequestConfig(request, paginate={"per_page": tables.PER_PAGE}).configure(table)
    return table


def _csv(lines: list[list], filename: str) -> HttpResponse:
    response = HttpResponse("".join(csv_lines(lines)), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# -- uploads (the commands' services: all or nothing, problems by line) --------------------------------

# An upload's problems shown on the page at most; the rest are counted.
SHOWN_ERRORS = 100


def _upload_refused(request: HttpRequest, upload) -> bool:
    if upload.size > settings.IMPORT_MAX_BYTES:
        messages.error(request, f"The file is {upload.size:,} bytes: at most {settings.IMPORT_MAX_BYTES:,} bytes are "
                                "accepted. Nothing was changed.")
        return True
    return False


def _import_problems(request: HttpRequest, result: ImportResult, nothing: str) -> None:
    messages.error(request, f"{nothing}: {result.error_count} problem(s).")
    for line, message in result.errors[:SHOWN_ERRORS]:
        messages.error(request, f"CSV line {line}: {message}" if line else message)
    if result.error_count > SHOWN_ERRORS:
        messages.error(request, f"… and {result.error_count - SHOWN_ERRORS:,} more problems.")


@require_POST
@require_permission("warehouse.add_bin")
def bins_import(request: HttpRequest) -> HttpResponse:
    form = forms.BinsImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose the bins CSV file to upload.")
        return redirect("warehouse:bin_list")
    upload = form.cleaned_data["file"]
    if not _upload_refused(request, upload):
        result = bins_import_file(stream=upload, user=request.user)
        if result.ok:
            messages.success(request, f"{result.posted} bin(s) added ({result.rows_read} row(s) read).")
        else:
            _import_problems(request, result, "No bin was added")
    return redirect("warehouse:bin_list")


@require_POST
@require_permission(REGISTER)
def journal_import(request: HttpRequest) -> HttpResponse:
    form = forms.JournalImportForm(request.POST, request.FILES)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("warehouse:journal_list")
    upload = form.cleaned_data["file"]
    if not _upload_refused(request, upload):
        result = warehouse_journal_import_file(stream=upload, on=form.cleaned_data["date"], user=request.user)
        if result.ok:
            messages.success(request, f"{result.posted} line(s) registered in the bins.")
        else:
            _import_problems(request, result, "Nothing was registered")
    return redirect("warehouse:journal_list")


# -- journals ---------------------------------------------------------------------------------------

@require_permission("warehouse.view_warehousejournal")
def journal_list(request: HttpRequest) -> HttpResponse:
    return render(request, "warehouse/journal_list.html", {"journals": selectors.journal_list()[:500],
                                                           "form": forms.JournalCreateForm(),
                                                           "import_form": forms.JournalImportForm(auto_id="import_%s")})


@require_POST
@require_permission(REGISTER)
def journal_new(request: HttpRequest) -> HttpResponse:
    form = forms.JournalCreateForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("warehouse:journal_list")
    data = form.cleaned_data
    try:
        journal = warehouse_journal_create(kind=data["kind"], warehouse=data["warehouse"], on=data["date"],
                                           description=data["description"], user=request.user)
    except DomainError as error:
        _refused(request, error)
        return redirect("warehouse:journal_list")
    messages.success(request, f"Warehouse journal {journal.number} created.")
    return redirect(journal)


@require_permission("warehouse.view_warehousejournal")
def journal_detail(request: HttpRequest, number: str) -> HttpResponse:
    journal = get_object_or_404(WarehouseJournal.objects.select_related("warehouse__site"), number=number)
    return render(request, "warehouse/journal_detail.html", {
        "journal": journal, "lines": journal.lines.select_related("item", "bin", "to_bin"),
        "line_form": forms.JournalLineForm(journal=journal), "calculate_form": forms.PhysicalCalculateForm(),
        "is_physical": journal.kind == WarehouseJournal.Kind.PHYSICAL})


@require_POST
@require_permission(REGISTER)
def journal_line_add(request: HttpRequest, number: str) -> HttpResponse:
    journal = get_object_or_404(WarehouseJournal, number=number)
    form = forms.JournalLineForm(request.POST, journal=journal)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(journal)
    try:
        warehouse_line_add(journal=journal, line=WarehouseLineInput(**form.cleaned_data), user=request.user)
        messages.success(request, "Line added.")
    except DomainError as error:
        _refused(request, error)
    return redirect(journal)


@require_POST
@require_permission(REGISTER)
def journal_line_delete(request: HttpRequest, number: str, line: int) -> HttpResponse:
    journal = get_object_or_404(WarehouseJournal, number=number)
    try:
        warehouse_line_delete(journal=journal, line_number=line, user=request.user)
        messages.success(request, f"Line {line} deleted.")
    except DomainError as error:
        _refused(request, error)
    return redirect(journal)


@require_POST
@require_permission(REGISTER)
def journal_calculate(request: HttpRequest, number: str) -> HttpResponse:
    journal = get_object_or_404(WarehouseJournal, number=number)
    form = forms.PhysicalCalculateForm(request.POST)
    if form.is_valid():
        try:
            count = warehouse_physical_calculate(journal=journal, items=form.cleaned_data["items"], user=request.user)
            messages.success(request, f"Calculated {count} line(s) from the bins.")
        except DomainError as error:
            _refused(request, error)
    return redirect(journal)


@require_POST
@require_permission(REGISTER)
def journal_counts(request: HttpRequest, number: str) -> HttpResponse:
    """The counted quantities of the lines shown (fields counted_<line>)."""
    journal = get_object_or_404(WarehouseJournal, number=number)
    changed = 0
    try:
        for name, value in request.POST.items():
            if not name.startswith("counted_") or not name[8:].isdigit() or value.strip() == "":
                continue
            try:
                counted = forms.forms.DecimalField(**forms.QTY).clean(value)
            except forms.forms.ValidationError:
                raise DomainError(f"Line {name[8:]}: the counted quantity {value!r} is not a number.") from None
            warehouse_count_set(journal=journal, line_number=int(name[8:]), counted_qty=counted, user=request.user)
            changed += 1
        messages.success(request, f"{changed} count(s) saved.")
    except DomainError as error:
        _refused(request, error)
    return redirect(journal)


@require_POST
@require_permission(REGISTER)
def journal_register(request: HttpRequest, number: str) -> HttpResponse:
    journal = get_object_or_404(WarehouseJournal, number=number)
    try:
        warehouse_journal_register(journal=journal, user=request.user)
        messages.success(request, f"Warehouse journal {journal.number} registered.")
    except DomainError as error:
        messages.error(request, error.message)
        for message in error.errors[1:] if error.errors[:1] == [error.message] else error.errors:
            messages.error(request, message)
    return redirect(journal)


# -- Calculate Whse. Adjustment ---------------------------------------------------------------------

@require_permission("warehouse.view_warehousejournal")
def adjustment(request: HttpRequest) -> HttpResponse:
    return render(request, "warehouse/adjustment.html", {
        "form": forms.AdjustmentForm(), "journals": selectors.adjustment_journals()[:100]})


@require_POST
@require_permission((*REGISTER, POST_JOURNAL))
def adjustment_calculate(request: HttpRequest) -> HttpResponse:
    form = forms.AdjustmentForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("warehouse:adjustment")
    try:
        journal = warehouse_adjustment_calculate(user=request.user, warehouse=form.cleaned_data["warehouse"],
                                                 on=form.cleaned_data["date"], items=form.cleaned_data["items"])
        messages.success(request, f"Journal {journal.number} proposes {journal.lines.count()} line(s): check and post it.")
    except DomainError as error:
        _refused(request, error)
    return redirect("warehouse:adjustment")


@require_POST
@require_permission((*REGISTER, POST_JOURNAL))
def adjustment_post(request: HttpRequest, number: str) -> HttpResponse:
    journal = get_object_or_404(Journal, number=number)
    try:
        warehouse_adjustment_post(journal=journal, user=request.user)
        messages.success(request, f"Journal {journal.number} posted: the adjustment bin is emptied.")
    except DomainError as error:
        _refused(request, error)
    return redirect("warehouse:adjustment")
