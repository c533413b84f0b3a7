"""A bin-mandatory warehouse puts every inventory transaction in a bin, and refuses a row that names
no bin when the item has no default bin there: in the CSV import (by line), the API batch (by index,
field `bin`) and journals (by journal line). Nothing is posted from a refused file or batch."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from factories import ItemFactory
from rest_framework.test import APIClient

from api.services import token_create
from common.errors import DomainError
from inventory.models import InventoryTransaction, Journal
from inventory.services.imports import transactions_import
from inventory.services.journals import LineInput, journal_create, journal_line_add, journal_post
from warehouse.models import WarehouseEntry
from warehouse.services.bins import default_bin_set
from warehouse.services.journals import (
    WarehouseLineInput,
    warehouse_journal_create,
    warehouse_journal_register,
    warehouse_line_add,
)

D = Decimal
ON = date(2026, 1, 20)


def held(bin, item) -> Decimal:
    return WarehouseEntry.objects.filter(bin=bin, item=item).aggregate(total=Sum("qty"))["total"] or D("0")


def test_the_import_refuses_rows_without_a_bin_and_names_the_line(bins):
    ItemFactory(number="WIDGET")
    result = transactions_import(text=(
        "ref,date,item,qty,unit_cost,update,bin\n"
        "PO-1,2026-01-10,WIDGET,5,1.00,financial,A1\n"
        "PO-2,2026-01-10,WIDGET,5,1.00,financial,\n"
        "PO-3,2026-01-10,WIDGET,5,1.00,financial,NOPE\n"
        "PO-4,2026-01-10,WIDGET,5,1.00,financial,ADJ\n"))
    assert result.errors == [
        (3, "warehouse MAIN/MAIN is bin mandatory: name a bin in the bin column, or give item WIDGET a default bin "
            "there (Change default bins)"),
        (4, "unknown bin 'NOPE' in warehouse MAIN/MAIN"),
        (5, "bin ADJ is the adjustment bin of warehouse MAIN/MAIN: inventory is brought to it only by Calculate Whse. "
            "Adjustment; name a storage bin"),
    ]
    assert not InventoryTransaction.objects.exists() and not WarehouseEntry.objects.exists()


def test_a_warehouse_without_bins_takes_rows_without_a_bin_as_before(company):
    ItemFactory(number="WIDGET")
    result = transactions_import(text="ref,date,item,qty,unit_cost,update\nPO-1,2026-01-10,WIDGET,5,1.00,financial\n")
    assert result.ok and InventoryTransaction.objects.count() == 1 and not WarehouseEntry.objects.exists()


def test_the_api_refuses_a_row_without_a_bin_naming_its_index_and_field(bins, carl_clerk):
    widget = ItemFactory(number="WIDGET")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_create(user=carl_clerk, name='tests').secret}")
    rows = [{"ref": "PO-1", "date": "2026-01-10", "item": "WIDGET", "qty": "5", "unit_cost": "1", "update": "financial",
             "bin": "A2"},
            {"ref": "PO-2", "date": "2026-01-10", "item": "WIDGET", "qty": "5", "unit_cost": "1", "update": "financial"}]
    response = client.post("/api/v1/transactions/", {"transactions": rows}, format="json")
    assert response.status_code == 400
    assert [(error["index"], error["field"]) for error in response.json()["errors"]] == [(1, "bin")]
    assert not InventoryTransaction.objects.exists()

    default_bin_set(item=widget, bin=bins.a1)
    response = client.post("/api/v1/transactions/", {"transactions": rows}, format="json")
    assert response.status_code == 201
    assert (held(bins.a2, widget), held(bins.a1, widget)) == (D("5"), D("5"))


def test_a_journal_line_without_a_default_bin_is_refused_by_line(bins):
    widget = ItemFactory(number="WIDGET")
    journal = journal_create(journal_type=Journal.JournalType.PROFIT_LOSS)
    journal_line_add(journal=journal, line=LineInput(date=ON, item=widget, qty=D("2"), unit_cost=D("1"),
                                                     site=bins.site, warehouse=bins.warehouse))
    with pytest.raises(DomainError) as refused:
        journal_post(journal=journal)
    assert refused.value.errors == ["Line 1: warehouse MAIN/MAIN is bin mandatory: name a bin in the bin column, or "
                                    "give item WIDGET a default bin there (Change default bins)"]
    default_bin_set(item=widget, bin=bins.a2)
    journal_post(journal=journal)
    assert held(bins.a2, widget) == D("2")


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
def test_two_registrations_taking_from_one_bin_take_turns(company):
    """Both see 8 in bin A1 and take 5: without the bin lock both would pass and A1 would hold -2.
    With it the second waits for the first, then sees 3 and is refused."""
    from warehouse.models import Bin
    from warehouse.services.bins import bin_create, warehouse_bins_set

    a1 = bin_create(warehouse=company.warehouse, code="A1")
    bin_create(warehouse=company.warehouse, code="ADJ", kind=Bin.Kind.ADJUSTMENT)
    warehouse_bins_set(warehouse=company.warehouse, bin_mandatory=True)
    widget = ItemFactory(number="WIDGET")
    found = warehouse_journal_create(kind="item", warehouse=company.warehouse, on=ON)
    warehouse_line_add(journal=found, line=WarehouseLineInput(item=widget, bin=a1, qty=D("8")))
    warehouse_journal_register(journal=found)
    journals = []
    for _ in range(2):
        journal = warehouse_journal_create(kind="item", warehouse=company.warehouse, on=ON)
        warehouse_line_add(journal=journal, line=WarehouseLineInput(item=widget, bin=a1, qty=D("-5")))
        journals.append(journal)
    barrier, outcomes = threading.Barrier(2), []

    def register(journal):
        try:
            barrier.wait(timeout=30)
            warehouse_journal_register(journal=journal)
            outcomes.append("registered")
        except DomainError as error:
            outcomes.append(error.errors[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(journal,)) for journal in journals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["Line 1: bin A1 holds 3 of WIDGET: 5 cannot be taken out of it", "registered"]
    assert held(a1, widget) == D("3")
