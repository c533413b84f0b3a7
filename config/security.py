"""Sign-in throttling and the queue dashboard's door.

Throttling is django-axes (settings: AXES_*): these are the two pieces it calls back into, the
client address behind a proxy and the page a locked-out sign-in gets. The queue dashboard is
django-rq's, mounted with every view behind one permission check.
"""

import ipaddress
from functools import wraps

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern

# django-rq's own permission ("Access admin page"), created by its migrations: give it to a staff
# member who must run the queues without being a superuser (superusers have every permission).
QUEUE_PERMISSION = "django_rq.admin"


def client_ip(request: HttpRequest) -> str | None:
    """The address a sign-in attempt is counted against.

    Behind PROXY_COUNT reverse proxies, each appends the address it was connected from to
    X-Forwarded-For, so the client is the PROXY_COUNT-th entry from the right; entries further left
    were written by the client itself and are never trusted (else every attempt could claim a new
    address). With no proxy configured, or a request that did not come through all of them (a
    health check on the container's port), the connection's own address is used."""
    remote = request.META.get("REMOTE_ADDR")
    count = settings.PROXY_COUNT
    if count <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < count:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-count]))
    except ValueError:
        return remote


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict | None = None) -> HttpResponse:
    """The sign-in page again, saying why it refuses and for how long (429 Too Many Requests).

    Used for the site's and the admin's sign-in alike: the form posts to the site's login view,
    which authenticates the same way and sends the user on to `next`."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {
        "form": AuthenticationForm(request),
        "next": request.POST.get("next") or request.GET.get("next", ""),
        "lockout_username": request.POST.get("username", ""),
        "lockout_minutes": minutes,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
    }
    return render(request, "registration/login.html", context, status=429)


def queue_dashboard_urlpatterns() -> list[URLPattern]:
    """django-rq's dashboard URLs, each view refused (403) to a signed-in user without
    QUEUE_PERMISSION. django-rq itself only asks for staff, and every staff member could then empty
    the closing queue or delete a run's jobs."""
    from django_rq.urls import urlpatterns

    def guarded(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            # Signed-out visitors go on to django-rq's own check, which sends them to sign in.
            if request.user.is_authenticated and not request.user.has_perm(QUEUE_PERMISSION):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return [URLPattern(pattern.pattern, guarded(pattern.callback), pattern.default_args, pattern.name)
            for pattern in urlpatterns]
