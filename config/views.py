from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from closing.selectors import run_latest
from inventory.selectors import dashboard_counts


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"counts": dashboard_counts(), "latest_run": run_latest()})


@login_not_required
def health(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and docker-compose: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
