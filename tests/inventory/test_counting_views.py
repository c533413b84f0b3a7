"""The physical inventory, reclassification and standard journal pages (docs/domain.md §5.7): clerks
calculate, count and post; auditors read; every journal is read-only once posted, with its vouchers
one click away."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from factories import CountingPeriodFactory, ItemFactory, WarehouseFactory

from inventory.models import ImportJob, InventoryTransaction, Item, Journal, SourceType, StandardJournal
from inventory.services.import_jobs import import_job_run
from inventory.services.posting import posting_session

D = Decimal


@pytest.fixture
def shelf(company):
    bolt = ItemFactory(number="BOLT", name="Hex bolt M8")
    nut = ItemFactory(number="NUT", name="Hex nut M8")
    with posting_session() as session:
        for item, qty, cost in ((bolt, "7", "11.00"), (nut, "10", "2.35")):
            session.receive(item=item, qty=D(qty), unit_cost=D(cost), posting_date=date(2026, 1, 5), site=company.site,
                            warehouse=company.warehouse, source_type=SourceType.PURCHASE, financial=True)
    return {"BOLT": bolt, "NUT": nut}


def new_counting_journal(client) -> Journal:
    response = client.post(reverse("inventory:journal_new"), {"journal_type": "counting", "description": "Year end"},
                           follow=True)
    journal = Journal.objects.get(journal_type=Journal.JournalType.COUNTING)
    assert response.redirect_chain == [(journal.get_absolute_url(), 302)]
    assert messages_of(response) == [f"Journal {journal.number} created. Calculate inventory, count, then post it."]
    return journal


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_it_lets_a_clerk_calculate_count_and_post_a_physical_inventory(shelf, carl_client):
    journal = new_counting_journal(carl_client)

    calculated = carl_client.post(reverse("inventory:journal_calculate", args=[journal.number]),
                                  {"date": "2026-01-20"}, follow=True)
    assert messages_of(calculated) == ["Calculated 2 lines (as of 2026-01-20)."]
    page = calculated.content.decode()
    assert 'name="counted-1" value="7"' in page and 'name="counted-2" value="10"' in page

    refused = carl_client.post(reverse("inventory:journal_counts", args=[journal.number]),
                               {"counted-1": "6", "counted-2": "-1"}, follow=True)
    assert messages_of(refused) == ["The counts were not saved.", "Line 2: a counted quantity cannot be below zero"]
    saved = carl_client.post(reverse("inventory:journal_counts", args=[journal.number]),
                             {"counted-1": "6", "counted-2": "11"}, follow=True)
    assert messages_of(saved) == ["Counts saved (2 lines changed)."]
    assert list(journal.lines.values_list("counted_qty", "qty")) == [(D("6"), D("-1")), (D("11"), D("1"))]

    posted = carl_client.post(reverse("inventory:journal_post", args=[journal.number]), follow=True)

    assert messages_of(posted) == [f"Journal {journal.number} posted."]
    page = posted.content.decode()
    assert 'data-testid="journal-status">Posted<' in page
    assert "name=\"counted-1\"" not in page and ">Post</button>" not in page and "Calculate inventory</button>" not in page
    vouchers = re.findall(r'<a href="/ledger/vouchers/([^/]+)/">', page)
    assert len(vouchers) == 2
    assert [(t.item.number, t.qty, t.cost_amount_posted) for t in InventoryTransaction.objects.filter(
        source_type=SourceType.COUNTING).order_by("ref")] == [("BOLT", D("-1"), D("-11.00")), ("NUT", D("1"), D("2.35"))]
    item_page = carl_client.get(shelf["BOLT"].get_absolute_url()).content.decode()
    assert 'data-testid="last-counted">2026-01-20 by carl<' in item_page


def test_it_prints_the_count_sheet_and_takes_the_counts_back_from_its_csv(shelf, carl_client, audrey_client):
    journal = new_counting_journal(carl_client)
    carl_client.post(reverse("inventory:journal_calculate", args=[journal.number]), {"date": "2026-01-20"}, follow=True)
    sheet_url = reverse("inventory:journal_count_sheet", args=[journal.number])

    printed = audrey_client.get(sheet_url).content.decode()
    blind = audrey_client.get(sheet_url + "?expected=0").content.decode()
    csv_text = audrey_client.get(sheet_url + "?format=csv&expected=0").content.decode()

    assert "Hex bolt M8" in printed and "<th class=\"num\">Expected</th>" in printed
    assert "<th class=\"num\">Expected</th>" not in blind
    assert csv_text.splitlines()[1] == "1,BOLT,Hex bolt M8,MAIN,MAIN,,,pcs,,"
    filled = csv_text.replace("pcs,,\n", "pcs,,5\n", 1)
    upload = SimpleUploadedFile("count.csv", filled.encode(), content_type="text/csv")
    imported = carl_client.post(reverse("inventory:journal_counts_import", args=[journal.number]), {"file": upload},
                                follow=True)
    assert messages_of(imported) == ["Counts imported (1 line changed)."]
    assert journal.lines.get(line_number=1).counted_qty == D("5")
    bad = SimpleUploadedFile("count.csv", b"line,counted_qty\n7,1\n", content_type="text/csv")
    refused = carl_client.post(reverse("inventory:journal_counts_import", args=[journal.number]), {"file": bad},
                               follow=True)
    assert messages_of(refused) == ["The counts were not imported: nothing was changed.",
                                    f"CSV line 2: journal {journal.number} has no line 7"]


def test_it_refuses_a_count_sheet_that_is_not_utf8_or_too_large_and_lists_at_most_100_problems(
        shelf, carl_client, settings):
    journal = new_counting_journal(carl_client)
    carl_client.post(reverse("inventory:journal_calculate", args=[journal.number]), {"date": "2026-01-20"}, follow=True)
    url = reverse("inventory:journal_counts_import", args=[journal.number])

    latin1 = SimpleUploadedFile("count.csv", "line,counted_qty,name\n1,5,Bolt Ø8\n".encode("latin-1"))
    refused = messages_of(carl_client.post(url, {"file": latin1}, follow=True))
    assert refused[0] == "The counts were not imported: nothing was changed."
    assert refused[1].startswith("CSV line 2: the file is not UTF-8: byte 0xd8 at byte offset 31 (line 2)")

    many = SimpleUploadedFile("count.csv", ("line,counted_qty\n" + "".join(f"{n},1\n" for n in range(100, 250))).encode())
    shown = messages_of(carl_client.post(url, {"file": many}, follow=True))
    assert len(shown) == 1 + 100 + 1 and shown[-1] == "… and 50 more problems."

    settings.IMPORT_MAX_BYTES = 10
    big = SimpleUploadedFile("count.csv", b"line,counted_qty\n1,5\n")
    assert messages_of(carl_client.post(url, {"file": big}, follow=True)) == [
        "The file is 21 bytes: at most 10 bytes are accepted. Nothing was changed."]
    assert journal.lines.get(line_number=1).counted_qty == D("7")


def test_it_shows_the_auditor_a_physical_inventory_without_its_tools(shelf, carl_client, audrey_client):
    journal = new_counting_journal(carl_client)
    carl_client.post(reverse("inventory:journal_calculate", args=[journal.number]), {"date": "2026-01-20"})

    page = audrey_client.get(journal.get_absolute_url()).content.decode()

    assert "Count sheet" in page and "as of 2026-01-20" in page
    assert "counted-1" not in page and "Calculate inventory</button>" not in page and "Import counts" not in page
    assert audrey_client.post(reverse("inventory:journal_counts", args=[journal.number]), {"counted-1": "1"}).status_code == 403
    assert journal.lines.get(line_number=1).counted_qty == D("7")


def test_it_creates_a_cycle_count_from_the_counting_periods_page(shelf, carl_client):
    quarter = CountingPeriodFactory(code="QUARTER", frequency_per_year=4)
    Item.objects.filter(number="BOLT").update(counting_period=quarter)

    page = carl_client.get(reverse("inventory:counting_period_list") + "?date=2026-01-20").content.decode()
    assert "BOLT" in page and "NUT</a>" not in page
    created = carl_client.post(reverse("inventory:counting_period_calculate"), {"date": "2026-01-20"}, follow=True)

    journal = Journal.objects.get(journal_type=Journal.JournalType.COUNTING)
    assert messages_of(created) == [f"Physical inventory journal {journal.number} created with 1 lines for the items due."]
    assert list(journal.lines.values_list("item__number", "expected_qty")) == [("BOLT", D("7"))]


def test_it_adds_reclassification_lines_and_saves_and_recalls_standard_journals(shelf, company, carl_client):
    back = WarehouseFactory(site=company.site, code="BACK")
    carl_client.post(reverse("inventory:journal_new"), {"journal_type": "reclassification"})
    journal = Journal.objects.get(journal_type=Journal.JournalType.RECLASSIFICATION)
    line = {"date": "2026-01-21", "item": "BOLT", "qty": "2", "warehouse": company.warehouse.pk, "tracking_number": ""}

    same = carl_client.post(journal.get_absolute_url(), line)
    assert "the new warehouse, lot/serial number and expiry date are the same" in same.content.decode()
    added = carl_client.post(journal.get_absolute_url(), {**line, "to_warehouse": back.pk}, follow=True)
    assert messages_of(added) == ["Line added."]
    saved = carl_client.post(reverse("inventory:journal_save_standard", args=[journal.number]), {"name": "To the back"},
                             follow=True)
    assert messages_of(saved) == ["Saved as standard journal To the back."]
    standard = StandardJournal.objects.get()
    listing = carl_client.get(reverse("inventory:standard_journal_list")).content.decode()
    assert "To the back" in listing and "Recall into a new journal" in listing

    recalled = carl_client.post(reverse("inventory:standard_journal_recall", args=[standard.pk]), {"date": "2026-02-02"},
                                follow=True)

    new = Journal.objects.filter(journal_type=Journal.JournalType.RECLASSIFICATION).exclude(pk=journal.pk).get()
    assert messages_of(recalled) == [f"Journal {new.number} created from standard journal To the back."]
    assert list(new.lines.values_list("date", "item__number", "qty", "to_warehouse__code")) == [
        (date(2026, 2, 2), "BOLT", D("2"), "BACK")]
    carl_client.post(reverse("inventory:journal_post", args=[new.number]))
    new.refresh_from_db()
    assert new.status == Journal.Status.POSTED and new.voucher is None  # same site: no voucher


def test_it_imports_opening_entries_on_the_import_page(company, carl_client, audrey_client):
    ItemFactory(number="BOLT")
    body = b"item,site,warehouse,tracking_number,expiry_date,qty,unit_cost\nBOLT,MAIN,MAIN,,,100,0.35\n"
    data = {"kind": "opening", "date": "2026-01-01", "offset_account": company.accounts["3900"].pk, "post": "on"}

    missing = carl_client.post(reverse("inventory:import"), {"kind": "opening",
                                                             "file": SimpleUploadedFile("o.csv", body)})
    assert "Opening entries need the date they are posted on." in missing.content.decode()
    response = carl_client.post(reverse("inventory:import"), {**data, "file": SimpleUploadedFile("o.csv", body)})
    # The page queues the import (issue #15): a worker runs it, here in-process.
    job = ImportJob.objects.get()
    assert (response.status_code, response["Location"]) == (302, job.get_absolute_url())
    import_job_run(job_id=job.pk)

    journal = Journal.objects.get(journal_type=Journal.JournalType.OPENING)
    page = carl_client.get(job.get_absolute_url()).content.decode()
    assert "Imported: 1 row posted." in page and f"Opening journal {journal.number}</a>" in page
    assert journal.voucher.lines.get(account__number="1400").debit == D("35.00")
    assert audrey_client.post(reverse("inventory:import"), {**data, "file": SimpleUploadedFile("o.csv", body)}).status_code == 403
