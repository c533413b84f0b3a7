from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static

from closing.selectors import run_latest
from inventory.selectors import dashboard_counts
from reports.selectors_home import month_end_status


def home(request: HttpRequest) -> HttpResponse:
    """The start page: the counts for everyone, and for those who may see the runs, where the month
    end stands and what to do next (reports.selectors_home)."""
    month_end = month_end_status() if request.user.has_perm("closing.view_closingrun") else None
    return render(request, "home.html", {"counts": dashboard_counts(), "latest_run": run_latest(), "month_end": month_end})


@login_not_required
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico on every page that names none (the admin, the API's pages)."""
    return HttpResponseRedirect(static("favicon.svg"))


@login_not_required
def health(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and docker-compose: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
