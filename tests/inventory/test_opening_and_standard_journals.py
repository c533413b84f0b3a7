"""Item journal conveniences (docs/domain.md §5.6): opening entries for a new installation from a CSV
file (BC: positive adjustments with a unit cost on the go-live date) and standard journals saved and
recalled. 1400 inventory, 3900 opening balance equity."""

import io
from datetime import date
from decimal import Decimal
from textwrap import dedent

import pytest
from django.core.management import CommandError, call_command
from factories import ItemFactory, WarehouseFactory

from common.errors import DomainError
from inventory.models import InventoryTransaction, Item, Journal, JournalLine, OnHand, StandardJournal
from inventory.services.imports import opening_import
from inventory.services.journals import LineInput, journal_create, journal_line_add, journal_post
from inventory.services.standard_journals import standard_journal_recall, standard_journal_save
from ledger.models import FiscalPeriod, Voucher

D = Decimal
GO_LIVE = date(2026, 1, 1)
HEADER = "item,site,warehouse,tracking_number,expiry_date,qty,unit_cost"


@pytest.fixture
def catalogue(company):
    WarehouseFactory(site=company.site, code="BACK")
    return {"BOLT": ItemFactory(number="BOLT"),
            "PAINT": ItemFactory(number="PAINT", tracking=Item.Tracking.LOT),
            "DRILL": ItemFactory(number="DRILL", tracking=Item.Tracking.SERIAL)}


def csv_file(tmp_path, body: str):
    path = tmp_path / "opening.csv"
    path.write_text(HEADER + "\n" + dedent(body).lstrip(), encoding="utf-8")
    return path


GOOD = """\
    BOLT,MAIN,MAIN,,,120,0.35
    BOLT,MAIN,BACK,,,30,0.35
    PAINT,,,L-100,2026-08-31,12,4.125
    DRILL,MAIN,MAIN,SN-1,,1,89.99
    DRILL,MAIN,MAIN,SN-2,,1,89.99
"""


def test_it_posts_opening_entries_from_a_csv_file(catalogue, tmp_path, company):
    out = io.StringIO()

    call_command("import_opening", str(csv_file(tmp_path, GOOD)), "--date", "2026-01-01", "--post", stdout=out)

    journal = Journal.objects.get(journal_type=Journal.JournalType.OPENING)
    assert out.getvalue().strip() == f"Opening journal {journal.number} with 5 lines posted."
    assert (journal.status, journal.offset_account.number) == (Journal.Status.POSTED, "3900")
    assert list(OnHand.objects.order_by("item__number", "warehouse__code", "tracking_number").values_list(
        "item__number", "warehouse__code", "tracking_number", "physical_qty", "financial_value")) == [
        ("BOLT", "BACK", "", D("30"), D("10.50")),
        ("BOLT", "MAIN", "", D("120"), D("42.00")),
        ("DRILL", "MAIN", "SN-1", D("1"), D("89.99")),
        ("DRILL", "MAIN", "SN-2", D("1"), D("89.99")),
        ("PAINT", "MAIN", "L-100", D("12"), D("49.50")),  # 12 x 4.125
    ]
    assert InventoryTransaction.objects.get(tracking_number="L-100").expiry_date == date(2026, 8, 31)
    lines = [(line.account.number, line.debit, line.credit) for voucher in Voucher.objects.all()
             for line in voucher.lines.select_related("account")]
    assert sum(debit for number, debit, _ in lines if number == "1400") == D("281.98")
    assert sum(credit for number, _, credit in lines if number == "3900") == D("281.98")


def test_it_creates_a_draft_opening_journal_without_post(catalogue, company):
    result = opening_import(text=HEADER + "\nBOLT,,,,,10,0.35\n", posting_date=GO_LIVE,
                            offset_account=company.accounts["3900"])

    assert (result.ok, result.posted, result.journal.status) == (True, 1, Journal.Status.DRAFT)
    assert list(result.journal.lines.values_list("qty", "unit_cost", "date")) == [(D("10"), D("0.35"), GO_LIVE)]
    assert not InventoryTransaction.objects.exists()


def test_it_refuses_an_opening_file_with_any_bad_row_and_creates_nothing(catalogue, tmp_path):
    bad = csv_file(tmp_path, """\
        BOLT,MAIN,MAIN,,,120,0.35
        GHOST,,,,,1,1.00
        BOLT,MAIN,NOWHERE,,,1,1.00
        BOLT,,,,,-5,1.00
        BOLT,,,,,5,
        BOLT,,,,2026-12-31,5,1.00
        PAINT,,,,,5,1.00
        DRILL,,,SN-1,,1,89.99
        DRILL,,,SN-1,,1,89.99
        DRILL,,,SN-3,,2,89.99
    """)
    err = io.StringIO()

    with pytest.raises(CommandError) as refused:
        call_command("import_opening", str(bad), "--date", "2026-01-01", "--post", stdout=io.StringIO(), stderr=err)

    assert str(refused.value) == "8 problem(s); nothing was created or posted."
    assert err.getvalue().splitlines() == [
        "opening.csv: line 3: unknown item 'GHOST'",
        "opening.csv: line 4: unknown warehouse 'NOWHERE' in site MAIN",
        "opening.csv: line 5: qty must be greater than zero: opening entries are receipts",
        "opening.csv: line 6: missing unit_cost: an opening entry needs one",
        "opening.csv: line 7: BOLT is not lot-tracked: it has no expiry date",
        "opening.csv: line 8: PAINT is tracked by lot number: enter its lot number",
        "opening.csv: line 10: serial number SN-1 of DRILL is already on line 9",
        "opening.csv: line 11: DRILL is serial-numbered: post one unit per serial number",
    ]
    assert not Journal.objects.exists() and not InventoryTransaction.objects.exists()


def test_it_refuses_opening_entries_on_a_closed_date_or_for_a_serial_already_on_hand(catalogue, company):
    opening_import(text=HEADER + "\nDRILL,,,SN-1,,1,89.99\n", posting_date=GO_LIVE,
                   offset_account=company.accounts["3900"], post=True)
    FiscalPeriod.objects.filter(name="2026-02").update(status=FiscalPeriod.Status.CLOSED)

    again = opening_import(text=HEADER + "\nDRILL,,,SN-1,,1,89.99\n", posting_date=GO_LIVE,
                           offset_account=company.accounts["3900"], post=True)
    closed = opening_import(text=HEADER + "\nBOLT,,,,,1,1.00\n", posting_date=date(2026, 2, 2),
                            offset_account=company.accounts["3900"], post=True)

    assert again.errors == [(2, "serial number SN-1 of DRILL is already on hand")]
    assert closed.errors == [(0, "Fiscal period 2026-02 is closed: nothing can be posted on 2026-02-02.")]
    assert Journal.objects.count() == 1


# -- standard journals --------------------------------------------------------------------------


def test_it_saves_a_journals_lines_as_a_standard_journal_and_recalls_them(catalogue, company, carl_clerk):
    journal = journal_create(journal_type=Journal.JournalType.MOVEMENT, description="Weekly samples",
                             offset_account=company.accounts["5110"])
    for qty, cost in (("10", "0.40"), ("-2", None)):
        journal_line_add(journal=journal, line=LineInput(
            date=date(2026, 1, 5), item=catalogue["BOLT"], qty=D(qty), unit_cost=D(cost) if cost else None,
            site=company.site, warehouse=company.warehouse))

    standard = standard_journal_save(journal=journal, name="Weekly samples", user=carl_clerk)
    recalled = standard_journal_recall(standard_journal=standard, posting_date=date(2026, 1, 12), user=carl_clerk)

    assert (recalled.journal_type, recalled.offset_account.number, recalled.description, recalled.status) == (
        Journal.JournalType.MOVEMENT, "5110", "Weekly samples", Journal.Status.DRAFT)
    assert list(recalled.lines.values_list("line_number", "date", "item__number", "qty", "unit_cost")) == [
        (1, date(2026, 1, 12), "BOLT", D("10"), D("0.40")), (2, date(2026, 1, 12), "BOLT", D("-2"), None)]
    journal_post(journal=recalled, user=carl_clerk)
    assert InventoryTransaction.objects.get(ref=f"{recalled.number}-2").cost_amount_posted == D("-0.80")
    assert JournalLine.objects.filter(journal=journal).count() == 2  # the original is untouched


def test_it_refuses_a_duplicate_name_an_empty_journal_and_a_physical_inventory_journal(catalogue, company):
    journal = journal_create(journal_type=Journal.JournalType.TRANSFER)
    with pytest.raises(DomainError, match=f"Journal {journal.number} has no lines to save."):
        standard_journal_save(journal=journal, name="Empty")
    journal_line_add(journal=journal, line=LineInput(date=date(2026, 1, 5), item=catalogue["BOLT"], qty=D("1"),
                                                     site=company.site, warehouse=company.warehouse,
                                                     to_site=company.site,
                                                     to_warehouse=company.site.warehouses.get(code="BACK")))
    standard_journal_save(journal=journal, name="To the back")

    with pytest.raises(DomainError, match="There is already a standard journal named 'To the back'"):
        standard_journal_save(journal=journal, name="To the back")
    with pytest.raises(DomainError, match="cannot be saved as a standard journal"):
        standard_journal_save(journal=journal_create(journal_type=Journal.JournalType.COUNTING), name="Count")
    assert list(StandardJournal.objects.values_list("name", "journal_type")) == [("To the back", "transfer")]
