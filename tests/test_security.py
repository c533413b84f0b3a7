"""Sign-in throttling, session expiry and the queue dashboard's door (issue #16, points 10 and 11).

Throttling is django-axes with its database handler: the attempts it counts are rows of
axes.AccessAttempt, and the cool-off is tested by moving those rows' time back, not by a clock
mock. The test client connects from 127.0.0.1 (REMOTE_ADDR) unless a test says otherwise.
"""

import os
from datetime import timedelta

import pytest
import redis
import rq
from axes.models import AccessAttempt
from django.contrib.auth.models import Permission, User
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD

LOCKED = "Signing in is blocked for 15 minutes."


def sign_in(client: Client, username: str, password: str, *, path: str = "/login/", **extra):
    return client.post(path, {"username": username, "password": password, "next": "/"}, **extra)


def fail(client: Client, username: str, times: int, *, path: str = "/login/", **extra) -> list[int]:
    return [sign_in(client, username, "not-the-password", path=path, **extra).status_code for _ in range(times)]


def signed_in(client: Client) -> bool:
    return client.get(reverse("home")).status_code == 200


def attempts_age(minutes: float) -> None:
    """Pretend the failed attempts so far were made `minutes` ago."""
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(
            attempt_time=timezone.now() - timedelta(minutes=minutes))


# Throttling ---------------------------------------------------------------------------------------

def test_it_locks_a_user_out_after_five_failed_sign_ins_even_with_the_right_password(ada_accountant):
    client = Client()

    assert fail(client, "ada", 4) == [200, 200, 200, 200]  # the form again, with its error
    fifth = sign_in(client, "ada", "still-wrong")
    right = sign_in(client, "ada", PASSWORD)

    assert fifth.status_code == 429
    assert right.status_code == 429
    page = right.content.decode()
    assert LOCKED in page
    assert "5 failed attempts to sign in as “ada”" in page
    assert '<form method="post"' in page  # the sign-in page, not a bare error text
    assert not signed_in(client)


def test_it_lets_the_user_in_again_fifteen_minutes_after_the_lockout(ada_accountant):
    client = Client()
    fail(client, "ada", 5)

    attempts_age(14)
    assert sign_in(client, "ada", PASSWORD).status_code == 429  # not in between either

    attempts_age(15.1)
    response = sign_in(client, "ada", PASSWORD)
    assert (response.status_code, response["Location"]) == (302, "/")
    assert signed_in(client)


def test_it_locks_out_only_that_user_from_that_address(ada_accountant, carl_clerk):
    fail(Client(), "ada", 5)

    assert sign_in(Client(), "ada", PASSWORD).status_code == 429
    assert sign_in(Client(), "ada", PASSWORD, REMOTE_ADDR="198.51.100.20").status_code == 302
    assert sign_in(Client(), "carl", PASSWORD).status_code == 302


def test_it_forgets_the_failures_once_the_user_signs_in(ada_accountant):
    client = Client()
    fail(client, "ada", 4)
    assert sign_in(client, "ada", PASSWORD).status_code == 302
    client.post(reverse("logout"))

    assert fail(client, "ada", 4) == [200] * 4
    assert sign_in(client, "ada", PASSWORD).status_code == 302


def test_it_locks_out_the_admin_sign_in_too(sam_staff):
    client = Client()
    admin_login = reverse("admin:login")

    assert fail(client, "sam", 5, path=admin_login)[-1] == 429
    response = sign_in(client, "sam", PASSWORD, path=admin_login)

    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302  # still signed out


def test_it_lets_an_administrator_unlock_a_user(ada_accountant, sam_client):
    fail(Client(), "ada", 5)
    attempt = AccessAttempt.objects.get(username="ada")

    listing = sam_client.get(reverse("admin:axes_accessattempt_changelist"))
    assert listing.status_code == 200 and "ada" in listing.content.decode()
    deleted = sam_client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})

    assert deleted.status_code == 302
    assert sign_in(Client(), "ada", PASSWORD).status_code == 302


def test_it_counts_the_address_the_proxy_saw_behind_one_proxy(ada_accountant, settings):
    settings.PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    # Whatever the client writes into X-Forwarded-For itself comes before what the proxy appends.
    for spoofed in ("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"):
        sign_in(Client(), "ada", "wrong", HTTP_X_FORWARDED_FOR=f"{spoofed}, 203.0.113.7", **proxy)

    assert AccessAttempt.objects.get(username="ada").ip_address == "203.0.113.7"
    assert sign_in(Client(), "ada", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.9, 203.0.113.7", **proxy).status_code == 429
    # Another client behind the same proxy is not locked out with the first.
    assert sign_in(Client(), "ada", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.8", **proxy).status_code == 302


def test_it_ignores_x_forwarded_for_without_a_proxy(ada_accountant):
    for spoofed in ("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"):
        sign_in(Client(), "ada", "wrong", HTTP_X_FORWARDED_FOR=spoofed)

    assert AccessAttempt.objects.get(username="ada").ip_address == "127.0.0.1"
    assert sign_in(Client(), "ada", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429


# Sessions -----------------------------------------------------------------------------------------

def test_it_ends_the_session_when_the_browser_closes(ada_accountant):
    response = sign_in(Client(), "ada", PASSWORD)

    cookie = response.cookies["sessionid"]
    assert cookie.value
    assert (cookie["max-age"], cookie["expires"]) == ("", "")  # a session cookie: gone with the browser


def test_it_ends_the_session_after_a_working_day_without_a_request(ada_accountant):
    client = Client()
    sign_in(client, "ada", PASSWORD)
    session = Session.objects.get()
    assert abs(session.expire_date - (timezone.now() + timedelta(hours=9))) < timedelta(minutes=1)

    # Last request 8 hours ago: still signed in, and this request starts the 9 hours again.
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() + timedelta(hours=1))
    assert signed_in(client)
    session.refresh_from_db()
    assert abs(session.expire_date - (timezone.now() + timedelta(hours=9))) < timedelta(minutes=1)

    # Last request 9 hours and a minute ago: signed out.
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(minutes=1))
    response = client.get(reverse("home"))
    assert (response.status_code, response["Location"]) == (302, "/login/?next=/")


# The queue dashboard ------------------------------------------------------------------------------

@pytest.fixture
def stella_staff(db) -> User:
    """Staff (may use the Django admin) but not a superuser, and no queue permission."""
    return User.objects.create_user(username="stella", password=PASSWORD, is_staff=True)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def redis_skip_reason() -> str | None:
    url = os.environ.get("REDIS_URL")
    if not url:
        return "needs a real Redis: set REDIS_URL (a dedicated database number)"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return f"Redis at REDIS_URL={url} does not answer: {error}"
    return None


def test_it_refuses_the_queue_dashboard_to_staff_without_the_queue_permission(stella_staff):
    client = client_for(stella_staff)
    closing_queue = 0  # RQ_QUEUES order: closing, default

    assert client.get("/admin/django-rq/").status_code == 403
    assert client.get(f"/admin/django-rq/queues/{closing_queue}/").status_code == 403
    assert client.get(f"/admin/django-rq/queues/{closing_queue}/empty/").status_code == 403
    assert client.post(f"/admin/django-rq/queues/{closing_queue}/empty/").status_code == 403
    assert client.get("/admin/django-rq/stats.json").status_code == 403
    # django-rq's second door, inside the Django admin, is not there at all.
    assert client.get("/admin/django_rq/dashboard/").status_code == 404
    assert client.get("/admin/").status_code == 200  # the rest of the admin stays open to staff


def test_it_sends_anonymous_visitors_of_the_queue_dashboard_to_sign_in(db):
    response = Client().get("/admin/django-rq/")
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.redis
@pytest.mark.skipif(redis_skip_reason() is not None, reason=redis_skip_reason() or "")
def test_it_lets_only_superusers_and_queue_keepers_empty_the_closing_queue(stella_staff, sam_staff):
    import django_rq

    closing = rq.Queue("closing", connection=django_rq.get_connection("closing"))
    closing.empty()
    closing.enqueue("builtins.len", [])
    keeper = User.objects.create_user(username="quinn", password=PASSWORD, is_staff=True)
    keeper.user_permissions.add(Permission.objects.get(content_type__app_label="django_rq", codename="admin"))

    assert client_for(stella_staff).post("/admin/django-rq/queues/0/empty/").status_code == 403
    assert closing.count == 1

    assert client_for(keeper).get("/admin/django-rq/").status_code == 200
    assert client_for(keeper).get("/admin/django-rq/queues/0/").status_code == 200
    assert client_for(sam_staff).get("/admin/django-rq/").status_code == 200
    assert client_for(sam_staff).post("/admin/django-rq/queues/0/empty/").status_code == 302
    assert closing.count == 0
