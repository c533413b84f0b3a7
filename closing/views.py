from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django_tables2 import RequestConfig

from closing import selectors
from closing.models import ClosingRun
from closing.tables import RunTable
from config.permissions import require_permission


@require_permission("closing.view_closingrun")
def run_list(request: HttpRequest) -> HttpResponse:
    show_all = request.GET.get("show") == "all"
    table = RunTable(selectors.run_list(include_cancelled=show_all))
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    return render(request, "closing/run_list.html", {"table": table, "show_all": show_all})


@require_permission("closing.view_closingrun")
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(selectors.run_list(include_cancelled=True), pk=pk)
    return render(request, "closing/run_detail.html", {"run": run, "log": run.log.select_related("item", "transaction")[:200]})
