"""The warehouse reports (docs/domain.md §5.1): the book check "bins equal inventory once the
adjustment bin is empty", bins against inventory with its filters, drill-down and export, the paged
bin contents and entries, and the upload pages for the bins file and the warehouse-journal file."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from factories import ItemFactory

from inventory.models import InventoryTransaction, SourceType
from inventory.services.posting import posting_session
from reports.checks import books_check
from warehouse.models import Bin, WarehouseEntry, WarehouseJournal
from warehouse.services.bins import default_bin_set
from warehouse.services.journals import (
    WarehouseLineInput,
    warehouse_journal_create,
    warehouse_journal_register,
    warehouse_line_add,
)

D = Decimal
ON = date(2026, 1, 20)


def receive(bins, item, qty):
    with posting_session() as session:
        session.receive(item=item, qty=D(qty), unit_cost=D("2.00"), posting_date=date(2026, 1, 10), site=bins.site,
                        warehouse=bins.warehouse, source_type=SourceType.PURCHASE, financial=True)


def register(bins, *lines):
    journal = warehouse_journal_create(kind="item", warehouse=bins.warehouse, on=ON)
    for bin, item, qty in lines:
        warehouse_line_add(journal=journal, line=WarehouseLineInput(item=item, bin=bin, qty=D(qty)))
    return warehouse_journal_register(journal=journal)


@pytest.fixture
def widget_found(bins):
    """WIDGET: 10 received into A1; then 3 found in A2 (in the bins, not yet in inventory)."""
    widget = ItemFactory(number="WIDGET")
    default_bin_set(item=widget, bin=bins.a1)
    receive(bins, widget, "10")
    register(bins, (bins.a2, widget, "3"))
    return widget


# -- the book check -----------------------------------------------------------------------------------


def test_the_book_check_accepts_a_difference_the_adjustment_bin_explains(widget_found):
    result = books_check()

    assert result.ok
    assert [check.ok for check in result.checks if check.name == "bins_equal_inventory"] == [True]


def test_the_book_check_names_a_bin_that_lost_an_entry_inventory_has(widget_found, bins):
    receipt = InventoryTransaction.objects.get(item=widget_found)
    WarehouseEntry.objects.filter(transaction=receipt).delete()  # as a hand edit in the database would

    result = books_check()

    assert {check.name: check.differences for check in result.checks if not check.ok} == {"bins_equal_inventory": [
        {"item": "WIDGET", "warehouse": "MAIN/MAIN", "storage_bins": "3.000000", "inventory": "10.000000",
         "adjustment_bin": "-3.000000", "unexplained": "-10.000000"}]}
    out = io.StringIO()
    with pytest.raises(CommandError, match="Bins equal inventory once the adjustment bin is empty"):
        call_command("check_books", stdout=out)
    assert "FAIL Bins equal inventory once the adjustment bin is empty: 1 difference(s)" in out.getvalue()


def test_the_book_check_leaves_a_warehouse_whose_bins_are_optional_alone(widget_found, bins):
    WarehouseEntry.objects.filter(transaction__item=widget_found).delete()
    bins.warehouse.bin_setup.bin_mandatory = False
    bins.warehouse.bin_setup.save()

    assert books_check().ok  # bins optional: not every transaction names a bin


# -- bins against inventory -------------------------------------------------------------------------


def test_the_comparison_explains_the_difference_and_drills_down_to_the_entries(ada_client, widget_found, bins):
    ItemFactory(number="BOLT")
    bolt_receipt = ItemFactory(number="NUT")
    default_bin_set(item=bolt_receipt, bin=bins.a1)
    receive(bins, bolt_receipt, "4")

    page = ada_client.get(reverse("warehouse:comparison"))
    rows = [(row.item, row.storage, row.inventory, row.difference, row.adjustment, row.explained)
            for row in page.context["table"].data]
    assert rows == [("NUT", D("4"), D("4"), D("0"), D("0"), True), ("WIDGET", D("13"), D("10"), D("3"), D("-3"), True)]

    only = ada_client.get(reverse("warehouse:comparison") + "?differences=1")
    assert [row.item for row in only.context["table"].data] == ["WIDGET"]
    by_item = ada_client.get(reverse("warehouse:comparison"), {"item": "NUT", "warehouse": bins.warehouse.pk})
    assert [row.item for row in by_item.context["table"].data] == ["NUT"]

    drill = f'?warehouse={bins.warehouse.pk}&amp;item=WIDGET'
    assert reverse("warehouse:entry_list") + drill in page.content.decode()
    entries = ada_client.get(reverse("warehouse:entry_list"), {"warehouse": bins.warehouse.pk, "item": "WIDGET"})
    assert sorted((entry.bin.code, entry.qty) for entry in entries.context["table"].data) == [
        ("A1", D("10")), ("A2", D("3")), ("ADJ", D("-3"))]
    contents = ada_client.get(reverse("warehouse:bin_contents"), {"warehouse": bins.warehouse.pk, "item": "WIDGET"})
    assert [(row.bin, row.qty) for row in contents.context["table"].data] == [("A1", D("10")), ("A2", D("3")),
                                                                               ("ADJ", D("-3"))]


def test_the_comparison_exports_what_it_shows(audrey_client, widget_found):
    export = audrey_client.get(reverse("warehouse:comparison") + "?differences=1&_export=csv")

    assert export["Content-Type"] == "text/csv"
    assert export.content.decode().splitlines() == [
        "item,warehouse,storage_bins,inventory,difference,adjustment_bin,explained",
        "WIDGET,MAIN/MAIN,13,10,3,-3,yes"]


def test_an_unknown_item_in_a_filter_is_a_message_not_an_error(carl_client, widget_found):
    for page in ("comparison", "entry_list", "bin_contents"):
        response = carl_client.get(reverse(f"warehouse:{page}"), {"item": "NOPE"})
        assert response.status_code == 200
        assert "There is no item NOPE." in response.content.decode()


def test_the_bin_contents_and_the_entries_are_paged(carl_client, bins):
    items = [ItemFactory(number=f"P{n:03d}") for n in range(55)]
    register(bins, *((bins.a1, item, "1") for item in items))

    first = carl_client.get(reverse("warehouse:bin_contents"), {"bin": bins.a1.pk})
    second = carl_client.get(reverse("warehouse:bin_contents"), {"bin": bins.a1.pk, "page": 2})
    assert [row.record.item for row in first.context["table"].page.object_list] == [f"P{n:03d}" for n in range(50)]
    assert [row.record.item for row in second.context["table"].page.object_list] == [f"P{n:03d}" for n in range(50, 55)]
    entries = carl_client.get(reverse("warehouse:entry_list"), {"page": 3})
    assert len(entries.context["table"].page.object_list) == 10  # 110 entries: A1 and the adjustment bin
    assert len(carl_client.get(reverse("warehouse:bin_contents") + "?_export=csv").content.decode().splitlines()) == 111


# -- the upload pages ---------------------------------------------------------------------------------


def upload(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_an_accountant_uploads_the_bins_file(ada_client, company):
    response = ada_client.post(reverse("warehouse:bins_import"), {
        "file": upload("bins.csv", "warehouse,bin,kind\nMAIN,A1,storage\nMAIN,ADJ,adjustment\n")}, follow=True)

    assert "2 bin(s) added (2 row(s) read)." in response.content.decode()
    assert sorted(Bin.objects.values_list("code", "kind")) == [("A1", "storage"), ("ADJ", "adjustment")]


def test_a_bad_bins_file_adds_nothing_and_names_its_lines(ada_client, company):
    response = ada_client.post(reverse("warehouse:bins_import"), {"file": upload(
        "bins.csv", "warehouse,bin,kind\nMAIN,A1,storage\nNOWHERE,A2,storage\nMAIN,ADJ,adjustment\nMAIN,ADJ2,adjustment\n"
        "MAIN,B1,shelf\n")}, follow=True)

    page = response.content.decode()
    assert "No bin was added: 3 problem(s)." in page
    assert "CSV line 3: unknown warehouse &#x27;NOWHERE&#x27;" in page
    assert "CSV line 5: warehouse MAIN/MAIN already has its adjustment bin on line 4: a warehouse has exactly one" in page
    assert "CSV line 6: kind must be &#x27;storage&#x27; or &#x27;adjustment&#x27;, not &#x27;shelf&#x27;" in page
    assert not Bin.objects.exists()


def test_only_accountants_upload_bins(carl_client, company):
    response = carl_client.post(reverse("warehouse:bins_import"), {
        "file": upload("bins.csv", "warehouse,bin,kind\nMAIN,A1,storage\n")})

    assert response.status_code == 403
    assert not Bin.objects.exists()


def test_a_clerk_uploads_bin_quantities_found_and_missing(carl_client, widget_found, bins):
    response = carl_client.post(reverse("warehouse:journal_import"), {
        "date": "2026-01-22", "file": upload("found.csv", "item,warehouse,bin,qty,lot,serial\nWIDGET,MAIN,A1,-1,,\n"
                                                            "WIDGET,MAIN,A2,2,,\n")}, follow=True)

    assert "2 line(s) registered in the bins." in response.content.decode()
    journal = WarehouseJournal.objects.get(date=date(2026, 1, 22))
    assert (journal.kind, journal.status, journal.lines.count()) == ("item", "registered", 2)
    contents = carl_client.get(reverse("warehouse:bin_contents"), {"item": "WIDGET"}).context["table"].data
    assert [(row.bin, row.qty) for row in contents] == [("A1", D("9")), ("A2", D("5")), ("ADJ", D("-4"))]


def test_a_bad_bin_quantities_file_registers_nothing_and_names_its_lines(carl_client, widget_found, bins):
    entries = WarehouseEntry.objects.count()

    response = carl_client.post(reverse("warehouse:journal_import"), {
        "date": "2026-01-22", "file": upload("found.csv", "item,warehouse,bin,qty,lot,serial\nWIDGET,MAIN,A1,2,,\n"
                                                            "NOPE,MAIN,A1,1,,\nWIDGET,MAIN,A2,-9,,\n")}, follow=True)

    page = response.content.decode()
    assert "Nothing was registered: 1 problem(s)." in page
    assert "CSV line 3: unknown item &#x27;NOPE&#x27;" in page
    assert WarehouseEntry.objects.count() == entries
    response = carl_client.post(reverse("warehouse:journal_import"), {
        "date": "2026-01-22", "file": upload("found.csv", "item,warehouse,bin,qty,lot,serial\nWIDGET,MAIN,A2,-9,,\n")},
        follow=True)
    assert "CSV line 2: bin A2 holds 3 of WIDGET: 9 cannot be taken out of it" in response.content.decode()
    assert WarehouseEntry.objects.count() == entries and not WarehouseJournal.objects.filter(status="registered",
                                                                                             date=date(2026, 1, 22))
    response = carl_client.post(reverse("warehouse:journal_import"), {"file": upload("found.csv", "item\n")}, follow=True)
    assert "Registering date: This field is required." in response.content.decode()


def test_the_auditor_uploads_no_bin_quantities(audrey_client, widget_found):
    response = audrey_client.post(reverse("warehouse:journal_import"), {
        "date": "2026-01-22", "file": upload("found.csv", "item,warehouse,bin,qty,lot,serial\nWIDGET,MAIN,A1,1,,\n")})

    assert response.status_code == 403
