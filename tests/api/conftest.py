"""API clients that authenticate like an outside system: with a real bearer token of a persona."""

import pytest
from rest_framework.test import APIClient

from api.services import token_create


def bearer_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user, name='tests').secret}")
    return client


@pytest.fixture
def ada_api(ada_accountant) -> APIClient:
    return bearer_client(ada_accountant)


@pytest.fixture
def carl_api(carl_clerk) -> APIClient:
    return bearer_client(carl_clerk)


@pytest.fixture
def audrey_api(audrey_auditor) -> APIClient:
    return bearer_client(audrey_auditor)


@pytest.fixture
def nora_api(nora_norole) -> APIClient:
    return bearer_client(nora_norole)
