"""Shared fixtures: a bootstrapped company and one named persona per role.

Kept generic on purpose (the closing engine and browser suites reuse it): no test-specific items
here; tests make their own with tests/factories.py.

    company        the standard company of `company_bootstrap` (2026-01-15): site and warehouse MAIN,
                   item group DEFAULT, the twelve model groups by code, the chart by account number
    ada_accountant Inventory accountant       ada_client
    carl_clerk     Inventory clerk            carl_client
    audrey_auditor Auditor (view only)        audrey_client
    nora_norole    signed in, no role at all  nora_client
    sam_staff      staff superuser (admin)    sam_client
"""

from datetime import date
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from config.roles import ACCOUNTANT, AUDITOR, CLERK, roles_ensure
from inventory.models import ItemGroup, ItemModelGroup, Site, Warehouse
from inventory.services.company import company_bootstrap
from ledger.models import MainAccount

COMPANY_TODAY = date(2026, 1, 15)


def pytest_collection_modifyitems(config, items):
    """`slow` marks every test that starts a browser, a server, worker or child processes: the browser
    and worker suites by their markers, the others by their own `slow` mark. `make test` runs all of
    them; `make test-fast` (pytest -m "not slow") the rest, in a fraction of the time."""
    for item in items:
        if item.get_closest_marker("browser") or item.get_closest_marker("redis"):
            item.add_marker(pytest.mark.slow)
PASSWORD = "costbook-test-password"


@pytest.fixture
def company(db) -> SimpleNamespace:
    company_bootstrap(today=COMPANY_TODAY)
    site = Site.objects.get(code="MAIN")
    return SimpleNamespace(
        today=COMPANY_TODAY,
        site=site,
        warehouse=Warehouse.objects.get(site=site, code="MAIN"),
        item_group=ItemGroup.objects.get(code="DEFAULT"),
        model_groups={group.code: group for group in ItemModelGroup.objects.all()},
        accounts={account.number: account for account in MainAccount.objects.all()},
    )


def role_group(role: str) -> Group:
    """The group of a role. The roles data migration creates them; a transactional test (live
    server, threads) flushes the database afterwards and Django recreates permissions but not data,
    so missing groups are set again by the same function (config.roles.roles_ensure)."""
    if not Group.objects.filter(name=role).exists():
        roles_ensure()
    return Group.objects.get(name=role)


def _persona(username: str, first_name: str, role: str | None = None, **extra) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, first_name=first_name, **extra)
    if role:
        user.groups.add(role_group(role))
    return user


@pytest.fixture
def ada_accountant(db) -> User:
    return _persona("ada", "Ada", ACCOUNTANT)


@pytest.fixture
def carl_clerk(db) -> User:
    return _persona("carl", "Carl", CLERK)


@pytest.fixture
def audrey_auditor(db) -> User:
    return _persona("audrey", "Audrey", AUDITOR)


@pytest.fixture
def nora_norole(db) -> User:
    return _persona("nora", "Nora")


@pytest.fixture
def sam_staff(db) -> User:
    return _persona("sam", "Sam", is_staff=True, is_superuser=True)


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def ada_client(ada_accountant) -> Client:
    return _client_for(ada_accountant)


@pytest.fixture
def carl_client(carl_clerk) -> Client:
    return _client_for(carl_clerk)


@pytest.fixture
def audrey_client(audrey_auditor) -> Client:
    return _client_for(audrey_auditor)


@pytest.fixture
def nora_client(nora_norole) -> Client:
    return _client_for(nora_norole)


@pytest.fixture
def sam_client(sam_staff) -> Client:
    return _client_for(sam_staff)
