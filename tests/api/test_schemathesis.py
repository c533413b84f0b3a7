"""Schemathesis against the live schema (issue #15, point 5): every operation of /api/v1/schema/ is
called with generated requests, valid and not, as the accountant (the role that may do everything),
and must never answer a server error. A bounded, deterministic number of examples per operation
keeps it to about a minute; marked `slow` (`pytest -m "not slow"` leaves it out)."""

from contextlib import contextmanager

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from factories import ItemFactory
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.test import APIClient
from schemathesis.generation.modes import GenerationMode

from api.services import token_create

EXAMPLES = 10
METHODS = ("get", "post", "put", "patch", "delete")


def _operations() -> list[tuple[str, str]]:
    """The schema's operations, read at collection time (no database needed) to name each test."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return [(method.upper(), path) for path, item in document["paths"].items() for method in item if method in METHODS]


@pytest.fixture
def books(company, tmp_path, settings):
    """A few items, transactions and a run for the generated requests to meet."""
    settings.FILES_DIR = tmp_path / "files"
    ItemFactory(number="WIDGET")
    ItemFactory(number="STDITEM", model_group="STD", default_cost_price="2")


@contextmanager
def wsgi_app():
    """The project's WSGI application, called in this thread on the test's database connection:
    like Django's test client, it must not close that connection at the end of each request (the
    test client connects the signal again after each of its own requests: use no client inside)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path"), _operations())
def test_it_answers_generated_requests_without_a_server_error(books, ada_accountant, method, path):
    authorization = f"Bearer {token_create(user=ada_accountant, name='schemathesis').secret}"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=authorization)
    live = client.get("/api/v1/schema/?format=json")
    assert live.status_code == 200
    schema = schemathesis.openapi.from_dict(live.json())
    client.post("/api/v1/transactions/", {"transactions": [
        {"ref": "R1", "date": "2026-01-02", "item": "WIDGET", "qty": "2", "unit_cost": "10", "update": "physical"},
        {"ref": "S1", "date": "2026-01-03", "item": "WIDGET", "qty": "-1", "update": "financial"}]}, format="json")
    operation = schema[path][method]

    def answers_without_a_server_error(case) -> None:
        response = case.call(app=app, headers={"Authorization": authorization})
        assert response.status_code < 500, (
            f"{method} {path} answered {response.status_code} to {case.as_curl_command()}:\n{response.text[:2000]}")

    def run(strategy, examples: int) -> None:
        @given(case=strategy)
        @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def generated(case):
            answers_without_a_server_error(case)

        generated()

    with wsgi_app() as app:
        # The schema's own examples (valid requests that reach the services), then requests that fit
        # the schema and requests that do not (wrong types, missing and unknown fields).
        for strategy in operation.get_strategies_from_examples():
            run(strategy, 1)
        run(operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(GenerationMode.NEGATIVE), EXAMPLES)
