"""The Django admin, as the staff superuser sees it: every page loads; posted records are read-only."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse
from factories import ItemFactory

from closing.models import ClosingLog, ClosingRun, InventoryParameters
from common.models import AuditEntry
from inventory.models import CostDimension, CountingPeriod, InventoryTransaction, Journal, OnHand, SourceType
from inventory.services.journals import LineInput, journal_create, journal_line_add
from inventory.services.posting import posting_session
from inventory.services.standard_journals import standard_journal_save
from ledger.models import Voucher
from warehouse.models import Bin, WarehouseEntry, WarehouseJournal
from warehouse.services.bins import bin_create, default_bin_set
from warehouse.services.journals import (
    WarehouseLineInput,
    warehouse_journal_create,
    warehouse_journal_register,
    warehouse_line_add,
)

# Posted or system-kept records: no one adds, changes or deletes them by hand. The inventory
# parameters are one row, made by bootstrap, so there is nothing to add either.
READ_ONLY = {InventoryTransaction, Voucher, Journal, OnHand, CostDimension, AuditEntry, ClosingRun, ClosingLog}
# Bin quantities are registered by warehouse journals (and their entries by registering them): the
# admin shows them, the pages make them.
NO_ADD_WAREHOUSE = {WarehouseEntry, WarehouseJournal}
NO_ADD = READ_ONLY | NO_ADD_WAREHOUSE | {InventoryParameters}
# django_rq's dashboard entry is a link to the queue pages (they need Redis), not a table. django-axes'
# sign-in records are written by sign-ins only (no add page) and are tested in tests/test_security.py.
REGISTERED = [model for model in admin.site._registry if model._meta.app_label not in {"django_rq", "axes"}]


def url(model, page: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)


@pytest.fixture
def books(company):
    item = ItemFactory(number="WIDGET", model_group="FIFO")
    with posting_session() as session:
        session.receive(item=item, qty=Decimal("2"), unit_cost=Decimal("10.00"), posting_date=date(2026, 1, 5),
                        site=company.site, warehouse=company.warehouse, source_type=SourceType.PURCHASE, financial=True)
    journal = journal_create(journal_type="profit_loss")
    journal_line_add(journal=journal, line=LineInput(date=date(2026, 1, 6), item=item, qty=Decimal("-1"),
                                                     site=company.site, warehouse=company.warehouse))
    run = ClosingRun.objects.create(number="CLS-1", run_type="closing", date=date(2025, 12, 31), status="ended")
    ClosingLog.objects.create(run=run, item=item, message="Issues exceed receipts")
    CountingPeriod.objects.create(code="QUARTER", frequency_per_year=4)
    standard_journal_save(journal=journal, name="Monthly shrinkage")
    # Bins in MAIN (optional there), WIDGET's default bin, and one registered warehouse journal.
    shelf = bin_create(warehouse=company.warehouse, code="A1")
    bin_create(warehouse=company.warehouse, code="ADJ", kind=Bin.Kind.ADJUSTMENT)
    default_bin_set(item=item, bin=shelf)
    found = warehouse_journal_create(kind=WarehouseJournal.Kind.ITEM, warehouse=company.warehouse, on=date(2026, 1, 7))
    warehouse_line_add(journal=found, line=WarehouseLineInput(item=item, bin=shelf, qty=Decimal("1")))
    warehouse_journal_register(journal=found)


def test_it_loads_every_changelist_add_and_change_page(sam_client, books):
    statuses = {}
    for model in REGISTERED:
        statuses[(model.__name__, "changelist")] = sam_client.get(url(model, "changelist")).status_code
        statuses[(model.__name__, "add")] = sam_client.get(url(model, "add")).status_code
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            statuses[(model.__name__, "change")] = sam_client.get(url(model, "change", first.pk)).status_code

    expected = {key: 403 if key[1] == "add" and model_named(key[0]) in NO_ADD else 200 for key in statuses}
    assert statuses == expected
    assert sam_client.get(reverse("admin:index")).status_code == 200
    # Everything registered was seen with an object on its change page.
    assert {name for name, page in statuses if page == "change"} == {model.__name__ for model in REGISTERED}


def model_named(name: str):
    return next(model for model in REGISTERED if model.__name__ == name)


@pytest.mark.parametrize("model", [InventoryTransaction, Voucher])
def test_it_keeps_posted_records_read_only(rf, sam_staff, books, model):
    model_admin = admin.site._registry[model]
    request = rf.get("/")
    request.user = sam_staff
    record = model.objects.order_by("pk").first()

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, record)
    assert not model_admin.has_delete_permission(request, record)
    assert model_admin.has_view_permission(request, record)


@pytest.mark.parametrize("model", [InventoryTransaction, Voucher])
def test_it_refuses_to_change_or_delete_posted_records_through_the_admin(sam_client, books, model):
    record = model.objects.order_by("pk").first()

    assert sam_client.post(url(model, "add"), {}).status_code == 403
    assert sam_client.post(url(model, "change", record.pk), {}).status_code == 403
    assert sam_client.post(url(model, "delete", record.pk), {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=record.pk).exists()
    page = sam_client.get(url(model, "change", record.pk)).content.decode()
    assert 'name="_save"' not in page  # shown to read, with no save button


def test_it_keeps_the_voucher_lines_read_only_inside_the_voucher(sam_client, books):
    voucher = Voucher.objects.get()

    page = sam_client.get(url(Voucher, "change", voucher.pk)).content.decode()

    assert "1400 Inventory" in page and "2100 Purchase accrual" in page
    assert 'name="lines-0-debit"' not in page  # no editable line fields


def test_it_refuses_the_admin_to_people_who_are_not_staff(ada_client, books):
    response = ada_client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
