"""API tokens (issue #15, point 1): bearer tokens stored hashed, revocable, with a last-used time,
created by `manage.py api_token` or on the tokens page; anonymous requests get 401, never a redirect."""

import hashlib
import io

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from api.models import ApiToken
from api.services import token_create
from common.models import AuditEntry

ITEMS = "/api/v1/items/"


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_it_prints_a_new_token_as_the_last_word_and_keeps_only_its_hash(company, audrey_auditor):
    out = io.StringIO()

    call_command("api_token", "audrey", "--name", "ledger", stdout=out)

    secret = out.getvalue().split()[-1]
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.last_used_at, token.revoked_at) == (audrey_auditor, "ledger", None, None)
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest() and secret not in str(vars(token))
    assert secret.startswith(token.prefix)
    assert bearer(secret).get(ITEMS).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert AuditEntry.objects.filter(action="api_token.create", object_id=str(token.pk), user=audrey_auditor).exists()


def test_it_refuses_a_token_for_an_unknown_user(db):
    with pytest.raises(CommandError, match="No user 'ghost'"):
        call_command("api_token", "ghost", stdout=io.StringIO())


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nope", "Bearer a b", "Token abc", "Bearer \u00e9t\u00e9"])
def test_it_answers_401_with_a_bearer_challenge_never_a_redirect(company, header):
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header.encode("utf-8").decode("latin-1"))

    for url in (ITEMS, "/api/v1/runs/", "/api/v1/vouchers/", "/api/v1/schema/?format=json", "/api/v1/transactions/"):
        response = client.get(url)
        assert response.status_code == 401, url
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["detail"]
    assert client.post("/api/v1/transactions/", {}, format="json").status_code == 401


def test_it_refuses_a_revoked_token_and_the_token_of_an_inactive_user(company, carl_clerk, audrey_auditor):
    revoked, inactive = token_create(user=carl_clerk), token_create(user=audrey_auditor)
    revoked_client = bearer(revoked.secret)
    assert revoked_client.get(ITEMS).status_code == 200

    from api.services import token_revoke
    token_revoke(token_id=revoked.token.pk, user=carl_clerk)
    audrey_auditor.is_active = False
    audrey_auditor.save()

    assert revoked_client.get(ITEMS).status_code == 401
    assert bearer(inactive.secret).get(ITEMS).status_code == 401


def test_it_lets_a_user_create_and_revoke_their_own_tokens_on_the_tokens_page(company, carl_client, carl_clerk, ada_accountant):
    page = carl_client.post("/api/v1/tokens/", {"name": "warehouse scanner"})

    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=carl_clerk)
    secret = page.context["created"].secret
    assert secret in page.content.decode() and token.prefix in page.content.decode()
    assert bearer(secret).get(ITEMS).status_code == 200
    listed = carl_client.get("/api/v1/tokens/").content.decode()
    assert "warehouse scanner" in listed and secret not in listed and "never" not in listed

    others = token_create(user=ada_accountant)
    refused = carl_client.post(f"/api/v1/tokens/{others.token.pk}/revoke/", follow=True)
    assert "No such token of yours." in refused.content.decode()
    assert carl_client.post(f"/api/v1/tokens/{token.pk}/revoke/").status_code == 302

    token.refresh_from_db()
    others.token.refresh_from_db()
    assert token.revoked_at is not None and others.token.revoked_at is None
    assert bearer(secret).get(ITEMS).status_code == 401
    assert AuditEntry.objects.filter(action="api_token.revoke", object_id=str(token.pk)).count() == 1


def test_it_sends_a_signed_out_visitor_of_the_tokens_page_to_the_login_page(db, client):
    response = client.get("/api/v1/tokens/")

    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_it_serves_the_schema_as_json_and_the_docs_from_static_files(company, ada_api, ada_client):
    schema = ada_api.get("/api/v1/schema/?format=json")

    assert schema.status_code == 200
    document = schema.json()
    assert document["openapi"].startswith("3.")
    assert {"/api/v1/transactions/", "/api/v1/runs/{id}/", "/api/v1/vouchers/"} <= set(document["paths"])
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": document["components"]["securitySchemes"]["bearerAuth"]["description"]}
    docs = ada_client.get("/api/v1/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs and "cdn" not in docs.lower()


def test_it_uses_the_session_of_a_signed_in_user_with_csrf_on_writes(company, carl_clerk):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(carl_clerk)

    assert client.get(ITEMS).status_code == 200
    assert client.post(ITEMS, {"items": []}, format="json").status_code == 403  # no CSRF token
