"""`bootstrap` sets up a company to post in; `demo` loads a demo company on top. Both run again safely."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from factories import ItemFactory

from closing.models import InventoryParameters
from common.errors import DomainError
from common.models import AuditEntry
from inventory.models import (
    InventoryTransaction,
    Item,
    ItemGroup,
    ItemModelGroup,
    Site,
    SourceType,
    ValuationMethod,
    Warehouse,
)
from inventory.services.company import DEMO_ADMIN, DEMO_PASSWORDS
from inventory.services.posting import posting_session
from ledger.models import FiscalPeriod, MainAccount, Voucher


def run(command: str) -> str:
    out = io.StringIO()
    call_command(command, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (
        MainAccount, Site, Warehouse, ItemGroup, ItemModelGroup, FiscalPeriod, InventoryParameters, Item,
        InventoryTransaction, Voucher, User)}


def test_it_bootstraps_once_however_often_it_runs(db):
    first = run("bootstrap")
    after_first = counts()

    second = run("bootstrap")

    assert counts() == after_first
    assert first.strip() == "Bootstrap complete: 12 accounts, 12 model groups, 24 fiscal periods created."
    assert second.strip() == "Bootstrap complete: 0 accounts, 0 model groups, 0 fiscal periods created."
    assert {name: after_first[name] for name in ("MainAccount", "Site", "Warehouse", "ItemGroup", "ItemModelGroup",
                                                 "FiscalPeriod", "InventoryParameters")} == {
        "MainAccount": 12, "Site": 1, "Warehouse": 1, "ItemGroup": 1, "ItemModelGroup": 12, "FiscalPeriod": 24,
        "InventoryParameters": 1}
    assert AuditEntry.objects.filter(action="company.bootstrap").count() == 2


def test_it_creates_the_model_groups(db):
    run("bootstrap")

    groups = [(group.code, group.valuation_method, group.include_physical_value, group.physical_negative_allowed,
               group.financial_negative_allowed, group.post_physical_inventory)
              for group in ItemModelGroup.objects.order_by("id")]

    method = ValuationMethod
    assert groups == [(code, valuation, ipv, True, True, False) for code, valuation, ipv in [
        ("FIFO", method.FIFO, False),
        ("LIFO", method.LIFO, False),
        ("LIFODATE", method.LIFO_DATE, False),
        ("WAVG", method.WEIGHTED_AVERAGE, False),
        ("WAVGDATE", method.WEIGHTED_AVERAGE_DATE, False),
        ("STD", method.STANDARD_COST, False),
        ("MOVAVG", method.MOVING_AVERAGE, False),
        ("FIFO-IPV", method.FIFO, True),
        ("LIFO-IPV", method.LIFO, True),
        ("LIFODATE-IPV", method.LIFO_DATE, True),
        ("WAVG-IPV", method.WEIGHTED_AVERAGE, True),
        ("WAVGDATE-IPV", method.WEIGHTED_AVERAGE_DATE, True),
    ]]


def test_it_creates_the_default_item_group_with_every_account(db):
    run("bootstrap")

    group = ItemGroup.objects.get(code="DEFAULT")

    assert {field: group.account_for(field).number for field in (
        "inventory_receipt", "inventory_issue", "cogs", "purchase_accrual", "packing_slip_offset",
        "inventory_profit", "inventory_loss", "price_difference", "cost_revaluation")} == {
        "inventory_receipt": "1400", "inventory_issue": "1400", "cogs": "5000", "purchase_accrual": "2100",
        "packing_slip_offset": "2150", "inventory_profit": "5100", "inventory_loss": "5110",
        "price_difference": "5200", "cost_revaluation": "5300"}
    assert Warehouse.objects.get(code="MAIN").site.code == "MAIN"


def test_it_opens_the_fiscal_periods_of_this_year_and_the_next(db):
    run("bootstrap")
    year = date.today().year

    periods = list(FiscalPeriod.objects.order_by("start_date"))

    assert [period.name for period in periods] == [f"{y}-{m:02d}" for y in (year, year + 1) for m in range(1, 13)]
    assert {period.status for period in periods} == {FiscalPeriod.Status.OPEN}
    assert (periods[0].start_date, periods[-1].end_date) == (date(year, 1, 1), date(year + 1, 12, 31))
    assert all(later.start_date.toordinal() == earlier.end_date.toordinal() + 1 for earlier, later in zip(periods, periods[1:], strict=False))
    assert periods[1].end_date == date(year, 3, 1) - timedelta(days=1)  # February, leap years included


def test_it_opens_the_periods_of_a_year_when_something_is_first_posted_in_it(company):
    item = ItemFactory(model_group="FIFO")
    assert not FiscalPeriod.objects.filter(start_date__year=2030).exists()

    with posting_session() as session:
        session.receive(item=item, qty=Decimal("1"), unit_cost=Decimal("5.00"), posting_date=date(2030, 5, 6),
                        site=company.site, warehouse=company.warehouse, source_type=SourceType.PURCHASE, financial=True)

    periods = FiscalPeriod.objects.filter(start_date__year=2030)
    assert [(p.name, p.status) for p in periods.order_by("start_date")] == [
        (f"2030-{m:02d}", FiscalPeriod.Status.OPEN) for m in range(1, 13)]
    assert Voucher.objects.get().date == date(2030, 5, 6)


def test_it_does_not_open_a_missing_month_of_a_year_that_has_periods(company):
    # A calendar someone shortened on purpose is respected: only a year with no periods is made.
    FiscalPeriod.objects.filter(name="2026-12").delete()
    item = ItemFactory(model_group="FIFO")

    with pytest.raises(DomainError, match="No fiscal period covers 2026-12-10: add one in the fiscal calendar."):
        with posting_session() as session:
            session.receive(item=item, qty=Decimal("1"), unit_cost=Decimal("5.00"), posting_date=date(2026, 12, 10),
                            site=company.site, warehouse=company.warehouse, source_type=SourceType.PURCHASE,
                            financial=True)


def test_it_loads_the_demo_once_however_often_it_runs(db, settings):
    settings.DEBUG = True  # demo refuses to run on a deployment (DEBUG off); pytest turns DEBUG off
    first = run("demo")
    after_first = counts()

    second = run("demo")

    assert counts() == after_first
    assert after_first["Item"] == 36
    assert after_first["InventoryTransaction"] > 300
    assert "Demo company ready: 36 items, " in first
    assert "Demo company ready: 0 items, 0 transactions, 0 users created." in second
    for username, (_, _, role, password) in DEMO_PASSWORDS.items():
        assert f"  {username:<11} {password:<22} {role}" in second


def test_it_lets_the_demo_users_sign_in_with_the_documented_passwords(db, settings):
    settings.DEBUG = True  # demo refuses to run on a deployment (DEBUG off); pytest turns DEBUG off
    run("demo")
    logins = {username: (password, role) for username, (_, _, role, password) in DEMO_PASSWORDS.items()}
    logins[DEMO_ADMIN[0]] = (DEMO_ADMIN[1], "Administrator")

    for username, (password, role) in logins.items():
        client = Client()
        response = client.post("/login/", {"username": username, "password": password})

        assert (response.status_code, response["Location"]) == (302, "/"), username
        assert f'<span class="role-badge" data-testid="role">{role}</span>' in client.get("/").content.decode()
        refused = Client()
        refused.post("/login/", {"username": username, "password": "wrong"})
        assert refused.get("/").status_code == 302  # still signed out
    assert User.objects.get(username=DEMO_ADMIN[0]).is_superuser
