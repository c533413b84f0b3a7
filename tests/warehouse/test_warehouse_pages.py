"""The warehouse pages per role, and the journal and adjustment pages driven by POSTs: every role
sees bins, contents, entries, journals and the comparison; clerks and accountants register and
adjust; only accountants keep bins; a refusal is a message naming the line, never a 500."""

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse
from factories import ItemFactory

from inventory.models import OnHand
from inventory.services.imports import transactions_import
from warehouse.models import WarehouseEntry, WarehouseJournal
from warehouse.services.bins import default_bin_set

D = Decimal
PAGES = ["bin_list", "default_bins", "bin_contents", "entry_list", "comparison", "journal_list", "adjustment"]


@pytest.mark.parametrize("persona", ["ada_client", "carl_client", "audrey_client"])
def test_every_role_sees_the_warehouse_pages(request, bins, persona):
    client = request.getfixturevalue(persona)
    assert {page: client.get(reverse(f"warehouse:{page}")).status_code for page in PAGES} == dict.fromkeys(PAGES, 200)


def test_a_user_without_a_role_sees_none_of_them(nora_client, bins):
    assert {page: nora_client.get(reverse(f"warehouse:{page}")).status_code for page in PAGES} == dict.fromkeys(PAGES, 403)


@pytest.mark.parametrize(("persona", "allowed"), [("ada_client", True), ("carl_client", False), ("audrey_client", False)])
def test_only_accountants_add_bins(request, bins, persona, allowed):
    client = request.getfixturevalue(persona)
    response = client.post(reverse("warehouse:bin_add"), {"warehouse": bins.warehouse.pk, "code": "B1", "kind": "storage"})
    assert response.status_code == (302 if allowed else 403)


def test_the_auditor_registers_nothing(audrey_client, bins):
    response = audrey_client.post(reverse("warehouse:journal_new"), {
        "kind": "item", "warehouse": bins.warehouse.pk, "date": "2026-01-20"})
    assert response.status_code == 403
    assert not WarehouseJournal.objects.exists()


def test_a_clerk_registers_and_adjusts_through_the_pages(carl_client, bins):
    widget = ItemFactory(number="WIDGET", default_cost_price=D("2.00"))
    default_bin_set(item=widget, bin=bins.a1)
    transactions_import(text="ref,date,item,qty,unit_cost,update\nPO-1,2026-01-10,WIDGET,10,2.00,financial\n")
    carl_client.post(reverse("warehouse:journal_new"), {"kind": "item", "warehouse": bins.warehouse.pk,
                                                        "date": "2026-01-20"})
    journal = WarehouseJournal.objects.get()
    url = reverse("warehouse:journal_line_add", args=[journal.number])
    carl_client.post(url, {"item": "WIDGET", "bin": bins.a1.pk, "qty": "-12"})
    response = carl_client.post(reverse("warehouse:journal_register", args=[journal.number]), follow=True)
    assert "Line 1: bin A1 holds 10 of WIDGET: 12 cannot be taken out of it" in response.content.decode()
    carl_client.post(reverse("warehouse:journal_line_delete", args=[journal.number, 1]))
    carl_client.post(url, {"item": "WIDGET", "bin": bins.a2.pk, "qty": "4"})
    carl_client.post(reverse("warehouse:journal_register", args=[journal.number]))
    journal.refresh_from_db()
    assert journal.is_registered

    response = carl_client.post(reverse("warehouse:adjustment_calculate"), {
        "warehouse": bins.warehouse.pk, "date": date(2026, 1, 21).isoformat(), "items": ""}, follow=True)
    assert "proposes 1 line(s)" in response.content.decode()
    number = response.context["journals"][0].journal.number
    carl_client.post(reverse("warehouse:adjustment_post", args=[number]))
    assert OnHand.objects.get(item=widget).physical_qty == D("14")
    assert WarehouseEntry.objects.filter(bin=bins.adjustment).aggregate(total=Sum("qty"))["total"] == D("0")
    export = carl_client.get(reverse("warehouse:bin_contents") + "?_export=csv").content.decode()
    assert export.splitlines() == ["item,warehouse,bin,lot,serial,qty", "WIDGET,MAIN/MAIN,A1,,,10",
                                   "WIDGET,MAIN/MAIN,A2,,,4"]


def test_a_physical_inventory_registers_the_differences_and_refuses_a_stale_count(carl_client, bins):
    widget = ItemFactory(number="WIDGET")
    default_bin_set(item=widget, bin=bins.a1)
    transactions_import(text="ref,date,item,qty,unit_cost,update\nPO-1,2026-01-10,WIDGET,10,2.00,financial\n")
    carl_client.post(reverse("warehouse:journal_new"), {"kind": "physical", "warehouse": bins.warehouse.pk,
                                                        "date": "2026-01-20"})
    journal = WarehouseJournal.objects.get()
    carl_client.post(reverse("warehouse:journal_calculate", args=[journal.number]), {"items": ""})
    [line] = journal.lines.all()
    assert (line.expected_qty, line.counted_qty, line.qty) == (D("10"), D("10"), D("0"))
    carl_client.post(reverse("warehouse:journal_counts", args=[journal.number]), {"counted_1": "7"})
    transactions_import(text="ref,date,item,qty,unit_cost,update\nPO-2,2026-01-11,WIDGET,1,2.00,financial\n")
    response = carl_client.post(reverse("warehouse:journal_register", args=[journal.number]), follow=True)
    assert "Line 1: bin A1 now holds 11 of WIDGET, not the 10 calculated: calculate the journal again" in (
        response.content.decode())
    carl_client.post(reverse("warehouse:journal_calculate", args=[journal.number]), {"items": ""})
    carl_client.post(reverse("warehouse:journal_counts", args=[journal.number]), {"counted_1": "7"})
    carl_client.post(reverse("warehouse:journal_register", args=[journal.number]))
    held = dict(WarehouseEntry.objects.values("bin__code").annotate(total=Sum("qty")).values_list("bin__code", "total"))
    assert held == {"A1": D("7"), "ADJ": D("4")}
