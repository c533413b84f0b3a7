from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django.views.generic import DetailView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.export import ExportMixin

from config.permissions import PermissionRequired, require_permission
from config.roles import POST_JOURNAL
from inventory import selectors
from inventory.filters import ItemFilter, JournalFilter, ModelGroupFilter, TransactionFilter
from inventory.forms import ImportForm, JournalCreateForm, JournalLineForm
from inventory.models import Journal
from inventory.services import imports
from inventory.services.journals import (
    LineInput,
    journal_create,
    journal_line_add,
    journal_line_delete,
    journal_post,
    journal_validate,
)
from inventory.tables import ItemTable, JournalTable, ModelGroupTable, TransactionTable
from ledger.errors import DomainError
from ledger.selectors import vouchers_of_transaction


class ItemListView(PermissionRequired, ExportMixin, SingleTableMixin, FilterView):
    permission_required = "inventory.view_item"
    table_class = ItemTable
    filterset_class = ItemFilter
    template_name = "inventory/item_list.html"
    paginate_by = 50
    export_name = "items"

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
        return context


class ModelGroupListView(PermissionRequired, ExportMixin, SingleTableMixin, FilterView):
    permission_required = "inventory.view_itemmodelgroup"
    table_class = ModelGroupTable
    filterset_class = ModelGroupFilter
    template_name = "inventory/model_group_list.html"
    export_name = "item-model-groups"

    def get_queryset(self):
        return selectors.model_group_list()


class TransactionListView(PermissionRequired, ExportMixin, SingleTableMixin, FilterView):
    permission_required = "inventory.view_inventorytransaction"
    table_class = TransactionTable
    filterset_class = TransactionFilter
    template_name = "inventory/transaction_list.html"
    paginate_by = 50
    export_name = "inventory-transactions"

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
        context.update(selectors.transaction_closing_history(transaction=self.object))
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
            messages.success(request, f"Journal {journal.number} created. Add its lines, then post it.")
            return redirect(journal)
    return render(request, "inventory/journal_form.html", {"form": form})


@require_permission("inventory.view_journal")
def journal_detail(request: HttpRequest, number: str) -> HttpResponse:
    journal = get_object_or_404(selectors.journal_list(), number=number)
    form = JournalLineForm(request.POST or None)
    can_edit = not journal.is_posted and request.user.has_perm("inventory.change_journal")
    if request.method == "POST":
        if not can_edit:
            return render(request, "403.html", status=403)
        if form.is_valid():
            data = form.cleaned_data
            to_warehouse = data.get("to_warehouse")
            line = LineInput(date=data["date"], item=data["item"], qty=data["qty"], site=form.site(),
                             warehouse=data["warehouse"], unit_cost=data.get("unit_cost"),
                             to_site=to_warehouse.site if to_warehouse else None, to_warehouse=to_warehouse,
                             tracking_number=data.get("tracking_number", ""), expiry_date=data.get("expiry_date"))
            try:
                journal_line_add(journal=journal, line=line, user=request.user)
            except DomainError as error:
                for message in error.errors:
                    form.add_error(None, message)
            else:
                messages.success(request, "Line added.")
                return redirect(journal)
    lines = journal.lines.select_related("item", "site", "warehouse", "to_warehouse__site").prefetch_related("transactions")
    return render(request, "inventory/journal_detail.html", {
        "journal": journal, "lines": lines, "form": form, "can_edit": can_edit,
        "can_post": not journal.is_posted and request.user.has_perm(POST_JOURNAL),
    })


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


@require_permission("inventory.add_inventorytransaction")
def import_upload(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["file"].read().decode("utf-8-sig", errors="replace")
        importer = imports.items_import if form.cleaned_data["kind"] == "items" else imports.transactions_import
        result = importer(text=text, user=request.user)
        if result.ok:
            messages.success(request, f"Imported {result.posted} rows.")
            return redirect("inventory:transaction_list" if form.cleaned_data["kind"] == "transactions" else "inventory:item_list")
    return render(request, "inventory/import.html", {"form": form, "result": result})
