"""The CSV contract: `import_transactions`, `import_items`, `export_transactions` and the upload page.

A file with any bad row posts nothing, and says which lines are bad and why.
"""

import io
import json
from datetime import date
from decimal import Decimal
from textwrap import dedent

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from factories import ItemFactory, WarehouseFactory

from closing.models import ClosingRun
from inventory.models import (
    CostDimension,
    ImportJob,
    InventoryTransaction,
    Item,
    ItemModelGroup,
    OnHand,
    SourceType,
    ValuationMethod,
)
from inventory.services.import_jobs import import_job_run
from inventory.services.posting import posting_session
from ledger.models import FiscalPeriod, Voucher, VoucherLine

D = Decimal
HEADER = "ref,date,item,qty,unit_cost,update,site,warehouse,marking"


def csv_file(tmp_path, body: str, name: str = "transactions.csv"):
    path = tmp_path / name
    path.write_text(dedent(body).lstrip(), encoding="utf-8")
    return path


def run_import(path) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_transactions", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused_import(path) -> tuple[str, list[str]]:
    """The CommandError's message and the stderr lines of a refused file."""
    err = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("import_transactions", str(path), stdout=io.StringIO(), stderr=err)
    return str(refused.value), err.getvalue().splitlines()


def export(*args: str) -> str:
    out = io.StringIO()
    call_command("export_transactions", *args, stdout=out)
    return out.getvalue()


def books() -> tuple[int, int, int, list]:
    """Everything a posting writes: transactions, vouchers, voucher lines, and the running totals."""
    totals = list(CostDimension.objects.order_by("key").values_list("financial_qty", "financial_value", "physical_qty", "physical_value"))
    totals += list(OnHand.objects.order_by("id").values_list("physical_qty", "financial_qty", "financial_value", "physical_value"))
    return InventoryTransaction.objects.count(), Voucher.objects.count(), VoucherLine.objects.count(), totals


@pytest.fixture
def widget(company):
    return ItemFactory(number="WIDGET", model_group="FIFO")


@pytest.fixture
def gadget(company):
    return ItemFactory(number="GADGET", model_group="FIFO")


@pytest.fixture
def bulk(company):
    return WarehouseFactory(site=company.site, code="BULK")


# -- the happy path -----------------------------------------------------------------------------

HAPPY_FILE = f"""
    {HEADER}
    R1,2026-01-05,WIDGET,2,10.00,physical,,,
    R2,2026-01-06,WIDGET,3,12.00,financial,MAIN,MAIN,
    R1,2026-01-08,WIDGET,2,11.00,financial,,,
    S1,2026-01-09,WIDGET,-1,,financial,,,R2
    S2,2026-01-10,WIDGET,-2,,physical,,,
    R3,2026-01-11,WIDGET,1,14.00,financial,,,
    S2,2026-01-12,WIDGET,-2,,financial,,,

    G1,2026-01-10,GADGET,5,4.10,financial,,BULK,
    G2,2026-01-11,GADGET,-1,,financial,MAIN,BULK,
"""

# R1 received at 20.00 and invoiced at 22.00; S1 at (22 + 36) / 5 = 11.60; S2 physically at
# 46.40 / 4 = 11.60 each, invoiced after R3 at 60.40 / 5 = 12.08 each.
HAPPY_EXPORT = """\
ref,item,site,warehouse,date_physical,date_financial,qty,status,cost_amount_physical,cost_amount_posted,cost_amount_adjustment,cost_amount,value_open
R1,WIDGET,MAIN,MAIN,2026-01-05,2026-01-08,2,purchased,20.00,22.00,0.00,22.00,1
R2,WIDGET,MAIN,MAIN,2026-01-06,2026-01-06,3,purchased,36.00,36.00,0.00,36.00,1
S1,WIDGET,MAIN,MAIN,2026-01-09,2026-01-09,-1,sold,-11.60,-11.60,0.00,-11.60,1
S2,WIDGET,MAIN,MAIN,2026-01-10,2026-01-12,-2,sold,-23.20,-24.16,0.00,-24.16,1
R3,WIDGET,MAIN,MAIN,2026-01-11,2026-01-11,1,purchased,14.00,14.00,0.00,14.00,1
G1,GADGET,MAIN,BULK,2026-01-10,2026-01-10,5,purchased,20.50,20.50,0.00,20.50,1
G2,GADGET,MAIN,BULK,2026-01-11,2026-01-11,-1,sold,-4.10,-4.10,0.00,-4.10,1
"""


def test_it_imports_and_exports_transactions(tmp_path, widget, gadget, bulk):
    out, err = run_import(csv_file(tmp_path, HAPPY_FILE))

    assert out.startswith("Posted 9 rows in ")
    assert err == ""
    assert export() == HAPPY_EXPORT
    assert InventoryTransaction.objects.get(ref="S1").marked_to.ref == "R2"
    assert set(InventoryTransaction.objects.values_list("source_type", flat=True)) == {SourceType.PURCHASE, SourceType.SALE}
    # One voucher per financial posting (R2, R1's invoice, S1, R3, S2's invoice, G1, G2).
    assert Voucher.objects.count() == 7
    widget_dimension = CostDimension.objects.get(item=widget)
    assert (widget_dimension.financial_qty, widget_dimension.financial_value) == (D("3"), D("36.24"))
    assert (widget_dimension.physical_qty, widget_dimension.physical_value) == (D("0"), D("0.00"))
    assert OnHand.objects.get(item=gadget, warehouse=bulk).financial_value == D("16.40")


def test_it_exports_json_and_one_item(tmp_path, widget, gadget, bulk):
    run_import(csv_file(tmp_path, HAPPY_FILE))

    rows = json.loads(export("--format", "json", "--item", "GADGET"))

    assert rows == [
        {"ref": "G1", "item": "GADGET", "site": "MAIN", "warehouse": "BULK", "date_physical": "2026-01-10",
         "date_financial": "2026-01-10", "qty": "5", "status": "purchased", "cost_amount_physical": "20.50",
         "cost_amount_posted": "20.50", "cost_amount_adjustment": "0.00", "cost_amount": "20.50", "value_open": True},
        {"ref": "G2", "item": "GADGET", "site": "MAIN", "warehouse": "BULK", "date_physical": "2026-01-11",
         "date_financial": "2026-01-11", "qty": "-1", "status": "sold", "cost_amount_physical": "-4.10",
         "cost_amount_posted": "-4.10", "cost_amount_adjustment": "0.00", "cost_amount": "-4.10", "value_open": True},
    ]
    with pytest.raises(CommandError, match="There is no item NOPE"):
        export("--item", "NOPE")


# -- bad rows: each leaves nothing posted -------------------------------------------------------


@pytest.fixture
def ledger_before(widget, gadget, company):
    """WIDGET's history before the file: OLD-1 received (2 @ 10.00), OLD-2 invoiced (1 @ 10.00),
    OLD-S an issue; OLD-G a receipt of GADGET, OLD-A one of the moving average item AVG. STRICT is
    an item whose model group refuses physical negative inventory."""
    strict_group = ItemModelGroup.objects.create(code="FIFO-STRICT", name="FIFO, no negative stock",
                                                 valuation_method=ValuationMethod.FIFO, physical_negative_allowed=False)
    ItemFactory(number="STRICT", model_group=strict_group)
    average = ItemFactory(number="AVG", model_group="MOVAVG")
    with posting_session() as session:
        common = dict(item=widget, posting_date=date(2026, 1, 5), site=company.site, warehouse=company.warehouse)
        session.receive(qty=D("2"), unit_cost=D("10"), source_type=SourceType.PURCHASE, financial=False, ref="OLD-1", **common)
        session.receive(qty=D("1"), unit_cost=D("10"), source_type=SourceType.PURCHASE, financial=True, ref="OLD-2", **common)
        session.issue(qty=D("1"), source_type=SourceType.SALE, financial=True, ref="OLD-S", **common)
        session.receive(item=gadget, qty=D("1"), unit_cost=D("3"), posting_date=date(2026, 1, 5), site=company.site,
                        warehouse=company.warehouse, source_type=SourceType.PURCHASE, financial=True, ref="OLD-G")
        session.receive(item=average, qty=D("1"), unit_cost=D("3"), posting_date=date(2026, 1, 5), site=company.site,
                        warehouse=company.warehouse, source_type=SourceType.PURCHASE, financial=True, ref="OLD-A")


def close_february():
    FiscalPeriod.objects.filter(name="2026-02").update(status=FiscalPeriod.Status.CLOSED)


def close_inventory_on_march_first():
    ClosingRun.objects.create(number="CLS-1", run_type=ClosingRun.RunType.CLOSING, date=date(2026, 3, 1),
                              status=ClosingRun.Status.ENDED)


# Each bad row goes on line 4, between good rows (lines 2, 3 and 5).
BAD_ROWS = {
    "unknown item": ("B1,2026-03-05,NOPE,1,1.00,financial,,,", "unknown item 'NOPE'", None),
    "bad date": ("B1,2026-02-30,WIDGET,1,1.00,financial,,,", "bad date '2026-02-30' (expected YYYY-MM-DD)", None),
    "bad quantity": ("B1,2026-03-05,WIDGET,two,1.00,financial,,,", "bad number 'two' in qty", None),
    "bad unit cost": ("B1,2026-03-05,WIDGET,1,1.2.3,financial,,,", "bad number '1.2.3' in unit_cost", None),
    "zero quantity": ("B1,2026-03-05,WIDGET,0,1.00,financial,,,", "qty cannot be zero", None),
    "negative unit cost": ("B1,2026-03-05,WIDGET,1,-1.00,financial,,,", "unit_cost cannot be negative", None),
    "empty ref": (",2026-03-05,WIDGET,1,1.00,financial,,,", "ref is empty", None),
    "bad update": ("B1,2026-03-05,WIDGET,1,1.00,invoice,,,", "update must be 'physical' or 'financial', not 'invoice'", None),
    "missing cost on a receipt": ("B1,2026-03-05,WIDGET,1,,financial,,,", "missing unit_cost: a receipt needs one", None),
    "cost on an issue": ("B1,2026-03-05,WIDGET,-1,9.00,financial,,,",
                         "unexpected unit_cost on an issue: issues are costed at the running average", None),
    "unknown site": ("B1,2026-03-05,WIDGET,1,1.00,financial,EAST,,", "unknown site 'EAST'", None),
    "unknown warehouse": ("B1,2026-03-05,WIDGET,1,1.00,financial,,NOWHERE,", "unknown warehouse 'NOWHERE' in site MAIN", None),
    "negative inventory not allowed": (
        "B1,2026-03-05,STRICT,-1,,physical,,,",
        "Physical inventory of STRICT in MAIN/MAIN would go negative (-1) on 2026-03-05; model group FIFO-STRICT "
        "does not allow physical negative inventory.", None),
    "closed period": ("B1,2026-02-10,WIDGET,1,1.00,financial,,,",
                      "Fiscal period 2026-02 is closed: nothing can be posted on 2026-02-10.", close_february),
    "closed inventory date": ("B1,2026-03-01,WIDGET,1,1.00,financial,,,",
                              "Inventory is closed up to 2026-03-01: nothing can be posted on 2026-03-01. "
                              "Post on a later date or reverse the close.", close_inventory_on_march_first),
    "duplicate ref in the file": ("G1,2026-03-05,WIDGET,1,1.00,physical,,,", "duplicate ref 'G1': earlier in the file", None),
    "duplicate ref in the database": ("OLD-2,2026-03-05,WIDGET,1,1.00,physical,,,", "duplicate ref 'OLD-2': already posted", None),
    "financial update of another quantity": ("OLD-1,2026-03-05,WIDGET,3,11.00,financial,,,",
                                             "qty 3 does not match transaction OLD-1's quantity 2", None),
    "financial update of another item": ("OLD-1,2026-03-05,GADGET,2,11.00,financial,,,",
                                         "ref 'OLD-1' is a transaction of WIDGET, not GADGET", None),
    "financial update dated before the receipt": (
        "OLD-1,2026-01-04,WIDGET,2,11.00,financial,,,",
        "Transaction OLD-1 cannot be financially updated on 2026-01-04, before its physical date 2026-01-05.", None),
    "financial update of a financial ref": ("OLD-2,2026-03-05,WIDGET,1,11.00,financial,,,",
                                            "duplicate ref 'OLD-2': it is already financially updated", None),
    "financial update of a ref made financial earlier in the file": (
        "G1,2026-03-05,WIDGET,4,10.00,financial,,,", "duplicate ref 'G1': it is already financially updated", None),
    "marking to an unknown ref": ("B1,2026-03-05,WIDGET,-1,,financial,,,NOPE", "marking to unknown ref 'NOPE'", None),
    "marking to an issue": ("B1,2026-03-05,WIDGET,-1,,financial,,,OLD-S", "marking to 'OLD-S', which is not a receipt", None),
    "marking to another item's receipt": (
        "B1,2026-03-05,WIDGET,-1,,financial,,,OLD-G",
        "An issue of WIDGET can only be marked to a receipt of the same item; OLD-G is not one.", None),
    "marking a moving average item": (
        "B1,2026-03-05,AVG,-1,,financial,,,OLD-A", "AVG uses Moving average: marking does not apply.", None),
    "marking on a receipt row": ("B1,2026-03-05,WIDGET,1,1.00,financial,,,OLD-1", "marking is only for issue rows", None),
}


@pytest.mark.parametrize("kind", list(BAD_ROWS))
def test_it_posts_nothing_from_a_file_with_a_bad_row(tmp_path, ledger_before, kind):
    bad_row, reason, setup = BAD_ROWS[kind]
    if setup:
        setup()
    path = csv_file(tmp_path, f"""
        {HEADER}
        G1,2026-03-02,WIDGET,4,10.00,financial,,,
        G2,2026-03-03,WIDGET,-1,,financial,,,
        {bad_row}
        G3,2026-03-04,WIDGET,1,9.00,physical,,,
    """)
    before = books()

    message, errors = refused_import(path)

    assert message == "1 bad row(s); nothing was posted."
    assert errors == [f"transactions.csv: line 4: {reason}"]
    assert books() == before


def test_it_lists_every_bad_line_of_a_file(tmp_path, ledger_before):
    close_february()
    path = csv_file(tmp_path, f"""
        {HEADER}
        G1,2026-03-02,WIDGET,4,10.00,financial,,,
        B2,2026-03-05,NOPE,1,1.00,financial,,,
        B3,05/03/2026,WIDGET,1,1.00,financial,,,
        B4,2026-03-05,WIDGET,1,,financial,,,
        G5,2026-03-06,WIDGET,-1,,financial,,,

        B7,2026-03-05,STRICT,-1,,financial,,,
        B8,2026-02-10,WIDGET,1,1.00,financial,,,
        OLD-1,2026-03-05,WIDGET,3,11.00,financial,,,
        B10,2026-03-05,WIDGET,-1,,financial,,,NOPE
        OLD-2,2026-03-05,WIDGET,1,1.00,physical,,,
    """)
    before = books()

    message, errors = refused_import(path)

    assert message == "8 bad row(s); nothing was posted."
    assert errors == [
        "transactions.csv: line 3: unknown item 'NOPE'",
        "transactions.csv: line 4: bad date '05/03/2026' (expected YYYY-MM-DD)",
        "transactions.csv: line 5: missing unit_cost: a receipt needs one",
        "transactions.csv: line 8: Physical inventory of STRICT in MAIN/MAIN would go negative (-1) on 2026-03-05; "
        "model group FIFO-STRICT does not allow physical negative inventory.",
        "transactions.csv: line 9: Fiscal period 2026-02 is closed: nothing can be posted on 2026-02-10.",
        "transactions.csv: line 10: qty 3 does not match transaction OLD-1's quantity 2",
        "transactions.csv: line 11: marking to unknown ref 'NOPE'",
        "transactions.csv: line 12: duplicate ref 'OLD-2': already posted",
    ]
    assert books() == before


EXPECTED = "(expected ref,date,item,qty,unit_cost,update,site,warehouse,marking,bin)"


@pytest.mark.parametrize(("header", "reasons"), [
    ("ref,date,item,qty,update", [f"header is missing column(s): unit_cost {EXPECTED}"]),
    ("ref,date,item,qty,cost,update", [f"header is missing column(s): unit_cost {EXPECTED}",
                                       "header has unknown column(s): cost"]),
    (f"{HEADER},note", ["header has unknown column(s): note"]),
])
def test_it_refuses_a_file_with_a_bad_header(tmp_path, widget, header, reasons):
    path = csv_file(tmp_path, f"{header}\nG1,2026-03-02,WIDGET,4,10.00,financial,,,\n")

    message, errors = refused_import(path)

    assert message == f"{len(reasons)} bad row(s); nothing was posted."
    assert errors == [f"transactions.csv: line 1: {reason}" for reason in reasons]
    assert InventoryTransaction.objects.count() == 0


def test_it_says_when_the_file_cannot_be_read(tmp_path, company):
    with pytest.raises(CommandError, match="Cannot read .*missing.csv"):
        call_command("import_transactions", str(tmp_path / "missing.csv"))


# -- items ----------------------------------------------------------------------------------------


def test_it_imports_items(tmp_path, widget):
    path = csv_file(tmp_path, """
        item,name,item_group,model_group,unit_cost
        NEW-1,Hinge,DEFAULT,WAVG-IPV,1.50
        NEW-2,Brush,DEFAULT,STD,9.99
        NEW-3,Free sample,DEFAULT,MOVAVG,
        WIDGET,Widget (renamed),DEFAULT,LIFO,2.00
    """, name="items.csv")
    out = io.StringIO()

    call_command("import_items", str(path), stdout=out)

    assert out.getvalue().strip() == "Imported 4 items."
    rows = {item.number: (item.name, item.item_group.code, item.model_group.code, item.default_cost_price)
            for item in Item.objects.select_related("item_group", "model_group")}
    assert rows == {
        "NEW-1": ("Hinge", "DEFAULT", "WAVG-IPV", D("1.50")),
        "NEW-2": ("Brush", "DEFAULT", "STD", D("9.99")),
        "NEW-3": ("Free sample", "DEFAULT", "MOVAVG", D("0")),
        "WIDGET": ("Widget (renamed)", "DEFAULT", "LIFO", D("2.00")),  # no transactions yet: may change group
    }


def test_it_changes_no_item_from_a_file_with_bad_rows(tmp_path, ledger_before):
    path = csv_file(tmp_path, """
        item,name,item_group,model_group,unit_cost
        NEW-1,Hinge,DEFAULT,FIFO,1.50
        NEW-2,Nut,NOPE,FIFO,1.00
        NEW-3,Bolt,DEFAULT,NOPE,1.00
        NEW-1,Hinge again,DEFAULT,FIFO,1.50
        NEW-4,,DEFAULT,FIFO,1.00
        ,Nameless,DEFAULT,FIFO,1.00
        NEW-5,Screw,DEFAULT,FIFO,cheap
        NEW-6,Nail,DEFAULT,FIFO,-0.01
        NEW-7,Brush,DEFAULT,STD,
        WIDGET,Widget,DEFAULT,LIFO,1.00
        GADGET,Gadget renamed,DEFAULT,FIFO,3.00
    """, name="items.csv")
    items_before = list(Item.objects.order_by("number").values_list("number", "name", "model_group__code", "default_cost_price"))
    err = io.StringIO()

    with pytest.raises(CommandError, match=r"^9 bad row\(s\); nothing was imported\.$"):
        call_command("import_items", str(path), stdout=io.StringIO(), stderr=err)

    assert err.getvalue().splitlines() == [
        "items.csv: line 3: unknown item group 'NOPE'",
        "items.csv: line 4: unknown model group 'NOPE'",
        "items.csv: line 5: duplicate item 'NEW-1' in the file",
        "items.csv: line 6: name is empty",
        "items.csv: line 7: item is empty",
        "items.csv: line 8: bad number 'cheap' in unit_cost",
        "items.csv: line 9: unit_cost cannot be negative",
        "items.csv: line 10: NEW-7 uses standard cost: unit_cost (the standard cost) is required",
        "items.csv: line 11: WIDGET has transactions: its item group and model group can no longer change",
    ]
    assert list(Item.objects.order_by("number").values_list("number", "name", "model_group__code", "default_cost_price")) == items_before


def test_it_refuses_item_numbers_that_would_break_the_item_pages_address(tmp_path, company, ada_client):
    path = csv_file(tmp_path, """
        item,name,item_group,model_group,unit_cost
        A/B,Slash,DEFAULT,FIFO,1.00
        WHAT?,Question,DEFAULT,FIFO,1.00
        -LEAD,Dash first,DEFAULT,FIFO,1.00
        TWO WORDS,Space,DEFAULT,FIFO,1.00
        50%,Percent,DEFAULT,FIFO,1.00
        ÆBLE-1.5_X,Apple,DEFAULT,FIFO,1.00
    """, name="items.csv")
    err = io.StringIO()

    with pytest.raises(CommandError, match=r"^5 bad row\(s\); nothing was imported\.$"):
        call_command("import_items", str(path), stdout=io.StringIO(), stderr=err)

    assert [line.split(": ", 2)[1] for line in err.getvalue().splitlines()] == [
        "line 2", "line 3", "line 4", "line 5", "line 6"]
    assert "item number 'A/B' may contain only letters, digits, '.', '_' and '-'" in err.getvalue()
    assert not Item.objects.exists()
    # What remains is a valid item number in any alphabet, and its page opens.
    path = csv_file(tmp_path, "item,name,item_group,model_group,unit_cost\nÆBLE-1.5_X,Apple,DEFAULT,FIFO,1.00\n",
                    name="apple.csv")
    call_command("import_items", str(path), stdout=io.StringIO())
    item = Item.objects.get(number="ÆBLE-1.5_X")
    assert ada_client.get(item.get_absolute_url()).status_code == 200
    assert ada_client.get("/inventory/items/").status_code == 200


def test_it_refuses_an_items_file_with_a_bad_header(tmp_path, company):
    path = csv_file(tmp_path, "item,name,group\nNEW-1,Hinge,DEFAULT\n", name="items.csv")
    err = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_items", str(path), stdout=io.StringIO(), stderr=err)

    assert err.getvalue().splitlines() == [
        "items.csv: line 1: header is missing column(s): item_group, model_group (expected item,name,item_group,model_group,unit_cost)",
        "items.csv: line 1: header has unknown column(s): group",
    ]
    assert Item.objects.count() == 0


# -- the upload page ------------------------------------------------------------------------------
# The page stores the file and queues an import job (issue #15): it redirects to the job's page, and
# a worker runs the job (here in-process; tests/inventory/test_import_worker.py runs real workers).


@pytest.fixture(autouse=True)
def files_dir(settings, tmp_path):
    settings.FILES_DIR = tmp_path / "files"


def upload(client, body: str, kind: str = "transactions"):
    file = SimpleUploadedFile("upload.csv", dedent(body).lstrip().encode("utf-8"), content_type="text/csv")
    return client.post("/inventory/import/", {"kind": kind, "file": file})


def uploaded_and_run(client, body: str, kind: str = "transactions") -> ImportJob:
    page = upload(client, body, kind)
    job = ImportJob.objects.get()
    assert (page.status_code, page["Location"]) == (302, f"/inventory/import/{job.pk}/")
    return import_job_run(job_id=job.pk)


def test_it_shows_the_bad_lines_of_an_upload_and_posts_nothing(carl_client, ledger_before):
    before = books()

    job = uploaded_and_run(carl_client, f"""
        {HEADER}
        G1,2026-03-02,WIDGET,4,10.00,financial,,,
        B2,2026-03-05,NOPE,1,1.00,financial,,,
        B3,2026-03-05,WIDGET,-1,2.00,financial,,,
    """)

    page = carl_client.get(job.get_absolute_url())
    assert page.status_code == 200
    html = page.content.decode()
    assert "Nothing was posted: 2 problems" in html
    assert '<tr><td class="num">3</td><td>unknown item &#x27;NOPE&#x27;</td></tr>' in html
    assert ('<tr><td class="num">4</td><td>unexpected unit_cost on an issue: issues are costed at the running '
            'average</td></tr>') in html
    assert f'href="/inventory/import/{job.pk}/errors.csv"' in html
    errors_csv = b"".join(carl_client.get(f"/inventory/import/{job.pk}/errors.csv").streaming_content).decode()
    assert errors_csv.splitlines() == ["line,message", "3,unknown item 'NOPE'",
                                       "4,unexpected unit_cost on an issue: issues are costed at the running average"]
    assert books() == before


def test_it_posts_a_good_upload_and_shows_the_transactions(carl_client, carl_clerk, widget):
    job = uploaded_and_run(carl_client, f"""
        {HEADER}
        G1,2026-03-02,WIDGET,4,10.00,financial,,,
        G2,2026-03-03,WIDGET,-1,,financial,,,
    """)

    assert (job.status, job.rows_read, job.rows_posted, job.error_count) == ("succeeded", 2, 2, 0)
    assert 'href="/inventory/transactions/"' in carl_client.get(job.get_absolute_url()).content.decode()
    assert list(InventoryTransaction.objects.order_by("id").values_list("ref", "cost_amount_posted", "created_by")) == [
        ("G1", D("40.00"), carl_clerk.pk), ("G2", D("-10.00"), carl_clerk.pk)]


def test_it_imports_items_from_the_upload_page(ada_client, company):
    job = uploaded_and_run(ada_client, """
        item,name,item_group,model_group,unit_cost
        NEW-1,Hinge,DEFAULT,FIFO,1.50
    """, kind="items")

    assert job.status == "succeeded"
    assert 'href="/inventory/items/"' in ada_client.get(job.get_absolute_url()).content.decode()
    assert Item.objects.get(number="NEW-1").default_cost_price == D("1.50")
