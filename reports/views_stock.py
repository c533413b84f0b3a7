"""The stock report pages (issue #17, point 15): inventory ageing, open cost layers, negative
inventory, cost of goods sold by item group and month. Each reads through reports.selectors_stock,
links every figure to what makes it up, and offers its table as CSV and Excel (?_export=csv|xlsx)
with the page's choices applied. A bad choice is shown next to its field (400), never a 500."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from config.permissions import require_permission
from inventory.models import InventoryTransaction
from ledger.tables import export_response
from reports import selectors_stock
from reports.filters import InventoryValueFilter
from reports.forms import AgeingForm, CogsDetailForm, CogsForm, OpenLayersForm
from reports.tables_stock import (
    AgeingTable,
    CogsTable,
    CogsTransactionTable,
    NegativeInventoryTable,
    OpenLayerTable,
)
from reports.views import VIEW_TRANSACTIONS


def _answer(request: HttpRequest, *, table, name: str, template: str, context: dict, valid: bool) -> HttpResponse:
    """The table as a download when asked for (and the choices are valid), else the page: with a
    choice refused, 400 and the message next to its field."""
    if valid:
        exported = export_response(request, table, name)
        if exported is not None:
            return exported
    return render(request, template, {**context, "table": table}, status=200 if valid else 400)


@require_permission(VIEW_TRANSACTIONS)
def ageing(request: HttpRequest) -> HttpResponse:
    """Inventory ageing: the open value of each item by the age of its open receipts."""
    form = AgeingForm(request.GET or None)
    valid = form.is_valid() if form.is_bound else True
    data = form.cleaned_data if form.is_bound and valid else {}
    on = data.get("on") or timezone.localdate()
    report = None
    if valid:
        group = data.get("item_group")
        report = selectors_stock.inventory_ageing(on=on, item_group_id=group.pk if group else None,
                                                  item_number=data.get("item") or "")
    table = AgeingTable(report.rows if report else [], on=on)
    return _answer(request, table=table, name=f"inventory-ageing-{on:%Y-%m-%d}", template="reports/ageing.html",
                   context={"form": form, "report": report, "on": on, "bands": selectors_stock.AGE_BANDS,
                            "totals_by_band": [report.totals[selectors_stock.AGE_FIELDS[band.key]]
                                               for band in selectors_stock.AGE_BANDS] if report else []},
                   valid=valid)


@require_permission(VIEW_TRANSACTIONS)
def open_layers(request: HttpRequest) -> HttpResponse:
    """The receipts the closes have not fully settled, in the order the next close takes them."""
    form = OpenLayersForm(request.GET or None)
    valid = form.is_valid() if form.is_bound else True
    data = form.cleaned_data if form.is_bound and valid else {}
    report = selectors_stock.open_layers(item_number=data.get("item") or "", on=data.get("on"),
                                         age=data.get("age") or "") if valid else None
    table = OpenLayerTable(report.rows if report else [])
    name = "open-layers" + (f"-{data['item']}" if data.get("item") else "")
    return _answer(request, table=table, name=name, template="reports/open_layers.html",
                   context={"form": form, "report": report, "item": data.get("item"), "limit": selectors_stock.DETAIL_LIMIT},
                   valid=valid)


@require_permission(VIEW_TRANSACTIONS)
def negative_inventory(request: HttpRequest) -> HttpResponse:
    """Items, sites and warehouses below zero on a date (today without one)."""
    filterset = InventoryValueFilter(request.GET or None, queryset=InventoryTransaction.objects.all())
    valid = filterset.is_valid() if filterset.is_bound else True
    as_of = filterset.as_of_value
    rows = selectors_stock.negative_inventory(as_of=as_of, transactions=filterset.qs) if valid else []
    table = NegativeInventoryTable(rows, as_of=as_of)
    return _answer(request, table=table, name="negative-inventory", template="reports/negative_inventory.html",
                   context={"filter": filterset, "rows": rows, "as_of": as_of}, valid=valid)


@require_permission(VIEW_TRANSACTIONS)
def cogs(request: HttpRequest) -> HttpResponse:
    """Cost of goods sold per item group and month, each against the month before."""
    form = CogsForm(request.GET)
    valid = form.is_valid()
    rows, months = [], []
    if valid:
        group = form.cleaned_data.get("item_group")
        rows = selectors_stock.cogs_by_month(first_month=form.cleaned_data["first"], last_month=form.cleaned_data["last"],
                                             item_group_id=group.pk if group else None)
        months = _month_totals(rows)
    table = CogsTable(rows)
    return _answer(request, table=table, name="cost-of-goods-sold", template="reports/cogs.html",
                   context={"form": form, "months": months, "first": form.cleaned_data.get("first") if valid else None,
                            "last": form.cleaned_data.get("last") if valid else None}, valid=valid)


def _month_totals(rows: list[dict]) -> list[dict]:
    """All item groups together, per month, with the change against the month before."""
    totals: dict = {}
    for row in rows:
        month = totals.setdefault(row["month"], {"month": row["month"], "cogs": 0, "previous": 0})
        month["cogs"] += row["cogs"]
        month["previous"] += row["previous"]
    result = []
    for month in sorted(totals):
        entry = totals[month]
        entry["change"] = entry["cogs"] - entry["previous"]
        result.append(entry)
    return result


@require_permission(VIEW_TRANSACTIONS)
def cogs_transactions(request: HttpRequest) -> HttpResponse:
    """The sales behind one month's (and item group's) cost of goods sold."""
    form = CogsDetailForm(request.GET)
    details = None
    if form.is_valid():
        group = form.cleaned_data.get("item_group")
        details = selectors_stock.cogs_transactions(month=form.cleaned_data["month"], item_group_id=group.pk if group else None)
    table = CogsTransactionTable(details["rows"] if details else [])
    month = form.cleaned_data.get("month") if details else None
    return _answer(request, table=table, name=f"cogs-{month:%Y-%m}" if month else "cogs",
                   template="reports/cogs_transactions.html",
                   context={"form": form, "details": details, "month": month,
                            "item_group": form.cleaned_data.get("item_group") if details else None,
                            "limit": selectors_stock.DETAIL_LIMIT}, valid=details is not None)
