"""Who may see and do what, page by page, for each persona of tests/conftest.py.

Every role views everything; the clerk and the accountant keep journals and import; only the
accountant runs, reverses, pauses and resumes closes; the auditor only looks; a signed-in user
without a role gets 403 (not a 500, not a redirect); anonymous visitors are sent to the login page.
"""

from datetime import date
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import get_resolver, reverse
from factories import ItemFactory

from closing.models import ClosingRun
from inventory.models import ImportJob, InventoryTransaction, Item, Journal, JournalLine, SourceType
from inventory.services.counting import Selection, counting_calculate, counting_journal_create
from inventory.services.import_jobs import import_job_run
from inventory.services.journals import LineInput, journal_create, journal_line_add
from inventory.services.posting import posting_session
from inventory.services.standard_journals import standard_journal_save
from ledger.models import FiscalPeriod, Voucher
from reports.exports import export_job_run
from reports.models import BookCheck, ExportJob
from warehouse.models import Bin, WarehouseEntry, WarehouseJournal
from warehouse.services.bins import bin_create
from warehouse.services.journals import warehouse_journal_create

D = Decimal
ACCOUNTANT, CLERK, AUDITOR, STAFF = "ada_client", "carl_client", "audrey_client", "sam_client"
EVERY_ROLE = {ACCOUNTANT, CLERK, AUDITOR, STAFF}
KEEPERS = {ACCOUNTANT, CLERK, STAFF}  # keep journals and import
CLOSERS = {ACCOUNTANT, STAFF}  # run, reverse, pause and resume closes
KEEPERS_OF_ITEMS = {ACCOUNTANT, STAFF}  # create and change items, open and close fiscal periods
AUDIT_READERS = {ACCOUNTANT, AUDITOR, STAFF}  # the audit log page
KEEPERS_OF_BINS = {ACCOUNTANT, STAFF}  # add and import bins, make bins mandatory


def route(name: str, *keys: str, query: str = ""):
    """The URL of a named route, its arguments taken from the `objects` fixture."""
    return lambda objects: reverse(name, args=[objects[key] for key in keys]) + query


# Every named route of the inventory, ledger and closing pages, and who may use it: GET pages ...
PAGES = {
    "home": (route("home"), EVERY_ROLE),
    "inventory:item_list": (route("inventory:item_list"), EVERY_ROLE),
    "inventory:item_detail": (route("inventory:item_detail", "item"), EVERY_ROLE),
    "inventory:item_new": (route("inventory:item_new"), KEEPERS_OF_ITEMS),
    "inventory:item_edit": (route("inventory:item_edit", "item"), KEEPERS_OF_ITEMS),
    "closing:revalue_standard_cost": (route("closing:revalue_standard_cost", "item"), CLOSERS),
    "ledger:fiscal_period_list": (route("ledger:fiscal_period_list"), EVERY_ROLE),
    "ledger:audit_log": (route("ledger:audit_log"), AUDIT_READERS),
    "audit-log.csv": (route("ledger:audit_log", query="?_export=csv"), AUDIT_READERS),
    "inventory:model_group_list": (route("inventory:model_group_list"), EVERY_ROLE),
    "inventory:transaction_list": (route("inventory:transaction_list"), EVERY_ROLE),
    "inventory:transaction_detail": (route("inventory:transaction_detail", "transaction"), EVERY_ROLE),
    "inventory:journal_list": (route("inventory:journal_list"), EVERY_ROLE),
    "inventory:journal_detail": (route("inventory:journal_detail", "journal"), EVERY_ROLE),
    "inventory:journal_new": (route("inventory:journal_new"), KEEPERS),
    "inventory:import": (route("inventory:import"), KEEPERS),
    "inventory:import_template": (lambda objects: reverse("inventory:import_template", args=["transactions"]), KEEPERS),
    "inventory:import_job": (route("inventory:import_job", "import_job"), KEEPERS),
    "inventory:import_job_status": (route("inventory:import_job_status", "import_job"), KEEPERS),
    "inventory:import_job_errors": (route("inventory:import_job_errors", "import_job"), KEEPERS),
    "counting journal": (route("inventory:journal_detail", "counting_journal"), EVERY_ROLE),
    "inventory:journal_count_sheet": (route("inventory:journal_count_sheet", "counting_journal"), EVERY_ROLE),
    "inventory:standard_journal_list": (route("inventory:standard_journal_list"), EVERY_ROLE),
    "inventory:counting_period_list": (route("inventory:counting_period_list"), EVERY_ROLE),
    "ledger:account_list": (route("ledger:account_list"), EVERY_ROLE),
    "ledger:account_statement": (route("ledger:account_statement", "account"), EVERY_ROLE),
    "ledger:voucher_list": (route("ledger:voucher_list"), EVERY_ROLE),
    "ledger:voucher_detail": (route("ledger:voucher_detail", "voucher"), EVERY_ROLE),
    "ledger:report_list": (route("ledger:report_list"), EVERY_ROLE),
    "ledger:trial_balance": (route("ledger:trial_balance", query="?date_from=2026-01-01&date_to=2026-01-31"), EVERY_ROLE),
    "closing:run_list": (route("closing:run_list"), EVERY_ROLE),
    "closing:open_quantities": (route("closing:open_quantities"), EVERY_ROLE),
    "closing:cost_prices": (route("closing:cost_prices"), EVERY_ROLE),
    "closing:close": (route("closing:close"), CLOSERS),
    "closing:recalculate": (route("closing:recalculate"), CLOSERS),
    "closing:run_item_count": (route("closing:run_item_count", query="?date=2026-01-31"), CLOSERS),
    "closing:reverse": (route("closing:reverse"), CLOSERS),
    "closing:adjust_on_hand": (route("closing:adjust_on_hand"), CLOSERS),
    "closing:adjust_transactions": (route("closing:adjust_transactions"), CLOSERS),
    "closing:parameters": (route("closing:parameters"), EVERY_ROLE),
    "closing:run_detail": (route("closing:run_detail", "run"), EVERY_ROLE),
    "closing:run_status": (route("closing:run_status", "run"), EVERY_ROLE),
    "closing:run_log": (route("closing:run_log", "run"), EVERY_ROLE),
    "closing:run_settlements": (route("closing:run_settlements", "run"), EVERY_ROLE),
    "closing:run_voucher": (route("closing:run_voucher", "run"), EVERY_ROLE),
    # ... the same pages' downloads ...
    "items.csv": (route("inventory:item_list", query="?_export=csv"), EVERY_ROLE),
    "transactions.csv": (route("inventory:transaction_list", query="?_export=csv"), EVERY_ROLE),
    "vouchers.csv": (route("ledger:voucher_list", query="?_export=csv"), EVERY_ROLE),
    "count-sheet.csv": (route("inventory:journal_count_sheet", "counting_journal", query="?format=csv"), EVERY_ROLE),
    "reports:inventory_value": (route("reports:inventory_value", query="?as_of=2026-01-31"), EVERY_ROLE),
    "reports:inventory_value_transactions": (
        route("reports:inventory_value_transactions", query="?item=WIDGET&as_of=2026-01-31"), EVERY_ROLE),
    "reports:reconciliation": (route("reports:reconciliation", query="?as_of=2026-01-31"), EVERY_ROLE),
    "reports:reconciliation_details": (
        lambda objects: reverse("reports:reconciliation_details") + f"?as_of=2026-01-31&account={objects['account']}",
        EVERY_ROLE),
    "reports:close_summary": (route("reports:close_summary", "run"), EVERY_ROLE),
    "reports:book_checks": (route("reports:book_checks"), EVERY_ROLE),
    "reports:book_check_detail": (route("reports:book_check_detail", "book_check"), EVERY_ROLE),
    "reports:book_check_status": (route("reports:book_check_status", "book_check"), EVERY_ROLE),
    "inventory-value.csv": (route("reports:inventory_value", query="?_export=csv"), EVERY_ROLE),
    "inventory-value.xlsx": (route("reports:inventory_value", query="?_export=xlsx"), EVERY_ROLE),
    "reconciliation.csv": (route("reports:reconciliation", query="?_export=csv"), EVERY_ROLE),
    "trial-balance.csv": (route("ledger:trial_balance", query="?_export=csv"), EVERY_ROLE),
    "account-statement.xlsx": (route("ledger:account_statement", "account", query="?_export=xlsx"), EVERY_ROLE),
    "close-summary.csv": (route("reports:close_summary", "run", query="?_export=csv"), EVERY_ROLE),
    "reports:ageing": (route("reports:ageing", query="?on=2026-01-31"), EVERY_ROLE),
    "reports:open_layers": (route("reports:open_layers", query="?item=WIDGET"), EVERY_ROLE),
    "reports:negative_inventory": (route("reports:negative_inventory"), EVERY_ROLE),
    "reports:cogs": (route("reports:cogs", query="?month_from=2026-01&month_to=2026-01"), EVERY_ROLE),
    "reports:cogs_transactions": (route("reports:cogs_transactions", query="?month=2026-01"), EVERY_ROLE),
    "ageing.csv": (route("reports:ageing", query="?_export=csv"), EVERY_ROLE),
    "cogs.xlsx": (route("reports:cogs", query="?_export=xlsx"), EVERY_ROLE),
    "warehouse:bin_list": (route("warehouse:bin_list"), EVERY_ROLE),
    "warehouse:default_bins": (route("warehouse:default_bins"), EVERY_ROLE),
    "warehouse:bin_contents": (route("warehouse:bin_contents"), EVERY_ROLE),
    "warehouse:entry_list": (route("warehouse:entry_list", query="?item=WIDGET"), EVERY_ROLE),
    "warehouse:comparison": (route("warehouse:comparison"), EVERY_ROLE),
    "warehouse:journal_list": (route("warehouse:journal_list"), EVERY_ROLE),
    "warehouse:journal_detail": (route("warehouse:journal_detail", "warehouse_journal"), EVERY_ROLE),
    "warehouse:adjustment": (route("warehouse:adjustment"), EVERY_ROLE),
    "bin-contents.csv": (route("warehouse:bin_contents", query="?_export=csv"), EVERY_ROLE),
    "bins-vs-inventory.csv": (route("warehouse:comparison", query="?_export=csv"), EVERY_ROLE),
}
# ... and the POST-only actions. Validating a journal only reads it: every role may.
POST_ACTIONS = {
    "inventory:journal_line_delete": (route("inventory:journal_line_delete", "journal", "line"), KEEPERS),
    "inventory:journal_validate": (route("inventory:journal_validate", "journal"), EVERY_ROLE),
    "inventory:journal_post": (route("inventory:journal_post", "journal"), KEEPERS),
    "inventory:journal_calculate": (route("inventory:journal_calculate", "counting_journal"), KEEPERS),
    "inventory:journal_counts": (route("inventory:journal_counts", "counting_journal"), KEEPERS),
    "inventory:journal_counts_import": (route("inventory:journal_counts_import", "counting_journal"), KEEPERS),
    "inventory:journal_save_standard": (route("inventory:journal_save_standard", "journal"), KEEPERS),
    "inventory:standard_journal_recall": (route("inventory:standard_journal_recall", "standard_journal"), KEEPERS),
    "inventory:standard_journal_delete": (route("inventory:standard_journal_delete", "standard_journal"), KEEPERS),
    "inventory:counting_period_calculate": (route("inventory:counting_period_calculate"), KEEPERS),
    "reports:close_sign_off": (route("reports:close_sign_off", "run"), CLOSERS),
    "closing:run_pause": (route("closing:run_pause", "run"), CLOSERS),
    "ledger:fiscal_period_status": (route("ledger:fiscal_period_status", "period"), KEEPERS_OF_ITEMS),
    "closing:run_resume": (route("closing:run_resume", "run"), CLOSERS),
    "warehouse:bin_add": (route("warehouse:bin_add"), KEEPERS_OF_BINS),
    "warehouse:bins_import": (route("warehouse:bins_import"), KEEPERS_OF_BINS),
    "warehouse:bins_mandatory": (route("warehouse:bins_mandatory"), KEEPERS_OF_BINS),
    "warehouse:default_bin_change": (route("warehouse:default_bin_change"), KEEPERS),
    "warehouse:bin_content_change": (route("warehouse:bin_content_change"), KEEPERS),
    "warehouse:journal_new": (route("warehouse:journal_new"), KEEPERS),
    "warehouse:journal_import": (route("warehouse:journal_import"), KEEPERS),
    "warehouse:journal_line_add": (route("warehouse:journal_line_add", "warehouse_journal"), KEEPERS),
    "warehouse:journal_line_delete": (route("warehouse:journal_line_delete", "warehouse_journal", "line"), KEEPERS),
    "warehouse:journal_calculate": (route("warehouse:journal_calculate", "warehouse_journal"), KEEPERS),
    "warehouse:journal_counts": (route("warehouse:journal_counts", "warehouse_journal"), KEEPERS),
    "warehouse:journal_register": (route("warehouse:journal_register", "warehouse_journal"), KEEPERS),
    "warehouse:adjustment_calculate": (route("warehouse:adjustment_calculate"), KEEPERS),
    "warehouse:adjustment_post": (route("warehouse:adjustment_post", "journal"), KEEPERS),
}
# ... and the pages of one user's export (reports.ExportJob): its owner only, 404 for everyone else
# (test_it_shows_an_export_to_its_owner_only). Starting one takes the permission of its kind's page.
OWNER_PAGES = {"reports:export_start", "reports:export_job_detail", "reports:export_job_status",
               "reports:export_job_download"}


@pytest.fixture
def objects(company) -> dict:
    """One of everything a page shows: an item with a posted receipt and its voucher, a draft
    journal with one line, an account and an ended closing run."""
    item = ItemFactory(number="WIDGET", model_group="FIFO")
    with posting_session() as session:
        receipt = session.receive(item=item, qty=D("4"), unit_cost=D("10.00"), posting_date=date(2026, 1, 5),
                                  site=company.site, warehouse=company.warehouse, source_type=SourceType.PURCHASE,
                                  financial=True)
    journal = journal_create(journal_type=Journal.JournalType.PROFIT_LOSS)
    journal_line_add(journal=journal, line=LineInput(date=date(2026, 1, 20), item=item, qty=D("-1"), site=company.site,
                                                     warehouse=company.warehouse))
    run = ClosingRun.objects.create(number="CLS-1", run_type=ClosingRun.RunType.CLOSING, date=date(2025, 12, 31),
                                    status=ClosingRun.Status.ENDED)
    counting = counting_journal_create(description="Count WIDGET")
    counting_calculate(journal=counting, selection=Selection(date=date(2026, 1, 20)))
    standard = standard_journal_save(journal=journal, name="Monthly shrinkage")
    book_check = BookCheck.objects.create(checks_total=4)
    # Bins in MAIN (optional, so the other pages' postings need none) and an empty warehouse journal.
    bin_create(warehouse=company.warehouse, code="A1")
    bin_create(warehouse=company.warehouse, code="ADJ", kind="adjustment")
    warehouse_journal = warehouse_journal_create(kind="item", warehouse=company.warehouse, on=date(2026, 1, 20))
    import_job = ImportJob.objects.create(kind="transactions", file_name="t.csv", file_path="imports/t.csv",
                                          status=ImportJob.Status.FAILED, errors=[{"line": 2, "message": "unknown item"}],
                                          error_count=1)
    return {"import_job": import_job.pk, "book_check": book_check.pk, "item": item.number, "transaction": receipt.pk, "journal": journal.number, "line": 1,
            "account": company.accounts["1400"].pk, "voucher": session.vouchers[0].number, "run": run.pk,
            "counting_journal": counting.number, "standard_journal": standard.pk,
            "warehouse_journal": warehouse_journal.number,
            "period": FiscalPeriod.objects.order_by("start_date").first().pk}


def test_it_covers_every_route_of_the_pages():
    resolver = get_resolver()
    named = {f"{namespace}:{name}" for namespace in ("inventory", "ledger", "closing", "reports", "warehouse")
             for name in resolver.namespace_dict[namespace][1].reverse_dict if isinstance(name, str)}
    covered = {name for name in PAGES | POST_ACTIONS if ":" in name} | OWNER_PAGES
    assert named == covered, "add new routes to PAGES or POST_ACTIONS above"


# -- viewing ----------------------------------------------------------------------------------------


def statuses(client: Client, objects: dict, pages: dict) -> dict[str, int]:
    return {page: client.get(url(objects)).status_code for page, (url, _) in pages.items()}


@pytest.mark.parametrize("persona", [ACCOUNTANT, CLERK, AUDITOR, STAFF])
def test_it_shows_every_page_to_the_roles_that_may_see_it(request, objects, persona):
    client: Client = request.getfixturevalue(persona)

    expected = {page: 200 if persona in allowed else 403 for page, (_, allowed) in PAGES.items()}
    assert statuses(client, objects, PAGES) == expected


def test_it_forbids_every_page_to_a_user_without_a_role(nora_client, objects):
    pages = {page: entry for page, entry in PAGES.items() if page != "home"}

    assert statuses(nora_client, objects, pages) == dict.fromkeys(pages, 403)
    forbidden = nora_client.get(PAGES["inventory:item_list"][0](objects))
    assert "Your role (No role) does not allow this page or action." in forbidden.content.decode()


def test_it_shows_the_overview_to_a_user_without_a_role(nora_client, objects):
    # The overview is only counts; it says who is signed in and with which role.
    response = nora_client.get("/")

    assert response.status_code == 200
    assert '<span class="role-badge" data-testid="role">No role</span>' in response.content.decode()


def test_it_sends_anonymous_visitors_to_the_login_page(client, objects):
    for page, (url, _) in (PAGES | POST_ACTIONS).items():
        url = url(objects)

        response = client.post(url) if page in POST_ACTIONS else client.get(url)

        assert (response.status_code, response["Location"]) == (302, f"/login/?next={quote(url, safe='/')}"), page


@pytest.mark.parametrize("persona", [ACCOUNTANT, CLERK, AUDITOR, STAFF])
def test_it_shows_an_export_to_its_owner_only(request, settings, tmp_path, objects, persona, client, nora_client):
    settings.FILES_DIR = tmp_path
    owner: Client = request.getfixturevalue(persona)
    started = owner.get(reverse("reports:export_start") + "?_kind=items&_format=csv")
    assert nora_client.get(reverse("reports:export_start") + "?_kind=items&_format=csv").status_code == 403
    job = ExportJob.objects.get()
    assert (started.status_code, started["Location"]) == (302, job.get_absolute_url())
    export_job_run(job_id=job.pk)
    others = [request.getfixturevalue(other) for other in sorted(EVERY_ROLE - {persona})] + [nora_client]
    for name in sorted(OWNER_PAGES - {"reports:export_start"}):
        url = reverse(name, args=[job.pk])
        assert owner.get(url).status_code == 200, name
        assert [other.get(url).status_code for other in others] == [404] * len(others), name
        assert client.get(url).status_code == 302, name  # anonymous: to the login page


def test_it_lets_anonymous_visitors_reach_the_login_page_and_health(client, db):
    assert client.get("/login/").status_code == 200
    assert client.get("/health/").json() == {"status": "ok"}


def test_it_shows_the_journal_tools_only_to_those_who_may_use_them(objects, carl_client, audrey_client):
    url = PAGES["inventory:journal_detail"][0](objects)

    as_clerk = carl_client.get(url).content.decode()
    as_auditor = audrey_client.get(url).content.decode()

    assert "Add a line" in as_clerk and ">Post</button>" in as_clerk and ">Remove</button>" in as_clerk
    assert "Add a line" not in as_auditor and ">Post</button>" not in as_auditor and ">Remove</button>" not in as_auditor


# -- doing ------------------------------------------------------------------------------------------


def add_line_data(company, **changes) -> dict:
    return {"date": "2026-01-21", "item": "WIDGET", "qty": "2", "unit_cost": "5.00",
            "warehouse": company.warehouse.pk, **changes}


def upload():
    body = b"ref,date,item,qty,unit_cost,update\nUP-1,2026-01-22,WIDGET,1,9.00,financial\n"
    return {"kind": "transactions", "file": SimpleUploadedFile("upload.csv", body, content_type="text/csv")}


@pytest.mark.parametrize("persona", [CLERK, ACCOUNTANT])
def test_it_lets_clerks_and_accountants_keep_and_post_journals(request, company, objects, persona):
    client: Client = request.getfixturevalue(persona)

    created = client.post(reverse("inventory:journal_new"), {"journal_type": "profit_loss", "description": "Count"})
    journal = Journal.objects.exclude(number__in=[objects["journal"], objects["counting_journal"]]).get()
    assert (created.status_code, created["Location"]) == (302, journal.get_absolute_url())

    added = client.post(journal.get_absolute_url(), add_line_data(company))
    assert (added.status_code, added["Location"]) == (302, journal.get_absolute_url())
    added = client.post(journal.get_absolute_url(), add_line_data(company, qty="-1", unit_cost=""))
    assert added.status_code == 302
    assert list(journal.lines.values_list("line_number", "qty")) == [(1, D("2")), (2, D("-1"))]

    removed = client.post(reverse("inventory:journal_line_delete", args=[journal.number, 2]))
    assert removed.status_code == 302
    assert list(journal.lines.values_list("line_number", flat=True)) == [1]

    assert client.post(reverse("inventory:journal_validate", args=[journal.number])).status_code == 302
    posted = client.post(reverse("inventory:journal_post", args=[journal.number]))
    assert posted.status_code == 302
    journal.refresh_from_db()
    assert journal.status == Journal.Status.POSTED
    assert journal.posted_by.username == persona.removesuffix("_client")
    assert InventoryTransaction.objects.get(ref=f"{journal.number}-1").cost_amount_posted == D("10.00")

    imported = client.post(reverse("inventory:import"), upload())
    job = ImportJob.objects.exclude(pk=objects["import_job"]).get()
    assert (imported.status_code, imported["Location"]) == (302, job.get_absolute_url())
    import_job_run(job_id=job.pk)  # what the worker does (tests/inventory/test_import_worker.py)
    assert InventoryTransaction.objects.filter(ref="UP-1").exists()


@pytest.mark.parametrize("persona", [CLERK, ACCOUNTANT])
def test_it_shows_why_a_line_is_refused(request, company, objects, persona):
    client: Client = request.getfixturevalue(persona)

    response = client.post(PAGES["inventory:journal_detail"][0](objects), add_line_data(company, unit_cost=""))

    assert response.status_code == 200
    assert "a receipt line needs a unit cost" in response.content.decode()
    assert JournalLine.objects.filter(journal__number=objects["journal"]).count() == 1


def changes(objects, company) -> dict:
    """Every action that changes something, with the data someone allowed to would send, and who is."""
    return {
        "create journal": (reverse("inventory:journal_new"), {"journal_type": "profit_loss"}, KEEPERS),
        "add line": (PAGES["inventory:journal_detail"][0](objects), add_line_data(company), KEEPERS),
        "remove line": (POST_ACTIONS["inventory:journal_line_delete"][0](objects), {}, KEEPERS),
        "post journal": (POST_ACTIONS["inventory:journal_post"][0](objects), {}, KEEPERS),
        "import": (reverse("inventory:import"), upload(), KEEPERS),
        "close": (reverse("closing:close"), {"date": "2026-01-31", "specification": "total"}, CLOSERS),
        "recalculate": (reverse("closing:recalculate"), {"date": "2026-01-31", "specification": "total"}, CLOSERS),
        "reverse": (reverse("closing:reverse"), {}, CLOSERS),
        "pause": (POST_ACTIONS["closing:run_pause"][0](objects), {}, CLOSERS),
        "resume": (POST_ACTIONS["closing:run_resume"][0](objects), {}, CLOSERS),
        "create item": (reverse("inventory:item_new"), item_data(company, number="NEWONE"), KEEPERS_OF_ITEMS),
        "edit item": (PAGES["inventory:item_edit"][0](objects), item_data(company, name="Renamed"), KEEPERS_OF_ITEMS),
        "close period": (POST_ACTIONS["ledger:fiscal_period_status"][0](objects), {"status": "closed", "confirm": "1"},
                         KEEPERS_OF_ITEMS),
        "revalue": (PAGES["closing:revalue_standard_cost"][0](objects),
                    {"new_standard": "12", "date": "2026-01-31", "specification": "total"}, CLOSERS),
    }


def item_data(company, **changes) -> dict:
    return {"number": "WIDGET", "name": "Widget", "unit": "pcs", "item_type": "item", "item_group": company.item_group.pk,
            "model_group": company.model_groups["FIFO"].pk, "default_cost_price": "10", "tracking": "none", **changes}


def books() -> tuple:
    return (Journal.objects.count(), JournalLine.objects.count(), InventoryTransaction.objects.count(),
            Voucher.objects.count(), list(Journal.objects.values_list("status", flat=True)),
            list(ClosingRun.objects.values_list("number", "status")),
            list(Item.objects.values_list("number", "name", "default_cost_price")),
            list(FiscalPeriod.objects.values_list("name", "status")))


@pytest.mark.parametrize("persona", [AUDITOR, "nora_client", CLERK])
def test_it_forbids_every_change_to_those_without_the_permission(request, company, objects, persona):
    client: Client = request.getfixturevalue(persona)
    before = books()
    forbidden = {action: (url, data) for action, (url, data, allowed) in changes(objects, company).items()
                 if persona not in allowed}

    refused = {action: client.post(url, data).status_code for action, (url, data) in forbidden.items()}

    assert refused == dict.fromkeys(forbidden, 403)
    assert len(forbidden) == (9 if persona == CLERK else 14)
    assert books() == before


def test_it_lets_an_auditor_validate_a_journal_without_changing_it(audrey_client, nora_client, objects):
    # Validation only reads the journal and reports its problems (the page shows the button to
    # every role); a user without a role still may not.
    url = POST_ACTIONS["inventory:journal_validate"][0](objects)
    before = books()

    assert audrey_client.post(url).status_code == 302
    assert nora_client.post(url).status_code == 403
    assert books() == before


def test_it_lets_every_role_ask_for_the_book_checks(request, nora_client, objects):
    # Checking the books only reads them (the check is queued and its result kept); a user without
    # a role still may not.
    for day, persona in enumerate(sorted(EVERY_ROLE), start=10):
        response = request.getfixturevalue(persona).post(reverse("reports:book_checks"), {"as_of": f"2026-01-{day}"})
        assert response.status_code == 302, persona
    assert nora_client.post(reverse("reports:book_checks")).status_code == 403
    assert BookCheck.objects.exclude(pk=objects["book_check"]).count() == len(EVERY_ROLE)


def test_it_lets_an_accountant_reach_pause_and_resume(ada_client, objects):
    # The run has ended: the accountant gets past the permission and is told there is nothing to do.
    before = books()

    for action in ("closing:run_pause", "closing:run_resume"):
        response = ada_client.post(POST_ACTIONS[action][0](objects))
        assert (response.status_code, response["Location"]) == (302, f"/closing/runs/{objects['run']}/")

    assert books() == before


WAREHOUSE_ACTIONS = {name: entry for name, entry in POST_ACTIONS.items() if name.startswith("warehouse:")}


def warehouse_books() -> tuple:
    return (list(Bin.objects.values_list("code", "kind")), list(WarehouseJournal.objects.values_list("number", "status")),
            WarehouseEntry.objects.count(), Journal.objects.count())


@pytest.mark.parametrize("persona", [ACCOUNTANT, CLERK, AUDITOR, STAFF, "nora_client"])
def test_it_lets_only_the_warehouse_roles_reach_the_warehouse_actions(request, objects, persona):
    # Sent empty, an allowed action comes back to its page with a message (302); a forbidden one is
    # refused (403) and changes nothing.
    client: Client = request.getfixturevalue(persona)
    before = warehouse_books()

    answers = {name: client.post(url(objects)).status_code for name, (url, _) in WAREHOUSE_ACTIONS.items()}

    assert answers == {name: 302 if persona in allowed else 403 for name, (_, allowed) in WAREHOUSE_ACTIONS.items()}
    assert warehouse_books() == before


@pytest.mark.parametrize("action", list(POST_ACTIONS))
def test_it_refuses_get_on_the_post_only_actions(carl_client, objects, action):
    assert carl_client.get(POST_ACTIONS[action][0](objects)).status_code == 405
