"""The Closing and adjustment page (docs/domain.md §4) through the web client, persona by persona: the overview
and its toolbar, the Close procedure checks (OPENQTY-1, COSTDEV-1), the Close / Recalculation /
Reverse dialogs with their previews and refusals, pause and resume, and one run's tabs down to the
transactions behind each voucher line.

Runs are queued by closing.queue.enqueue after the commit; here a recorder stands in for Redis (the
real queue is tested in the Redis suite) and `books.close` runs a close to the end in-process."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from closing import queue as closing_queue
from closing import selectors
from closing.models import ClosingLog, ClosingRun, CostAdjustment, InventoryParameters, Settlement, Specification
from inventory.models import InventoryTransaction
from ledger.models import MainAccount, Voucher, VoucherLine

D = Decimal
VIEWERS = ["ada_client", "carl_client", "audrey_client"]
NOT_RUNNERS = ["carl_client", "audrey_client"]

# WIDGET: two receipts of 2 at 10.00 and 20.00 and an issue of 3 posted at the average 15.00 (45.00);
# FIFO settles it 2 <- R1 and 1 <- R2 (40.00), so the close makes S1 5.00 cheaper: inventory 1400
# debit 5.00, cost of goods sold 5000 credit 5.00. GADGET: 10 received but not invoiced, 3 sold:
# nothing to settle against, so the close logs G2.
BOOK = """
    R1,2026-01-02,WIDGET,2,10.00,financial,,,
    R2,2026-01-03,WIDGET,2,20.00,financial,,,
    S1,2026-01-04,WIDGET,-3,,financial,,,
    G1,2026-01-05,GADGET,10,5.00,physical,,,
    G2,2026-01-06,GADGET,-3,,financial,,,
"""
G2_WARNING = "Issue could not be fully settled: 3 of 3 units open; its cost price may be wrong."
G2_LOG = f"Item GADGET, transaction G2: {G2_WARNING}"


def book_items(books, *numbers: str) -> None:
    for number in numbers:
        books.item(number, "FIFO", unit_cost="4.00")


@pytest.fixture
def closed(books) -> ClosingRun:
    """BOOK's January, closed up to 2026-01-31 (CLS-000001)."""
    book_items(books, "WIDGET", "GADGET")
    books.post(BOOK)
    books.close("2026-01-31")
    return books.last_run()


@pytest.fixture
def queued(monkeypatch) -> list[tuple[str, int]]:
    """closing.queue.enqueue, recorded instead of sent to Redis."""
    calls: list[tuple[str, int]] = []
    monkeypatch.setattr(closing_queue, "enqueue", lambda kind, object_id: calls.append((kind, object_id)))
    return calls


def running_run(**fields) -> ClosingRun:
    values = {"number": "CLS-000900", "run_type": ClosingRun.RunType.CLOSING, "date": date(2026, 2, 28),
              "status": ClosingRun.Status.RUNNING, "phase": "processing bundles", "items_total": 4, "items_done": 1,
              "bundles_total": 4, "bundles_done": 1, "transactions_total": 40, "transactions_done": 10}
    return ClosingRun.objects.create(**(values | fields))


def pages(run: ClosingRun) -> dict[str, str]:
    return {
        "overview": reverse("closing:run_list"),
        "overview, all": reverse("closing:run_list") + "?show=all",
        "open quantities": reverse("closing:open_quantities") + "?date=2026-01-31",
        "cost prices": reverse("closing:cost_prices") + "?date=2026-01-31&max_deviation=30",
        "run": reverse("closing:run_detail", args=[run.pk]),
        "status": reverse("closing:run_status", args=[run.pk]),
        "log": reverse("closing:run_log", args=[run.pk]),
        "settlements": reverse("closing:run_settlements", args=[run.pk]),
        "voucher": reverse("closing:run_voucher", args=[run.pk]),
    }


DIALOGS = {"close": reverse("closing:close"), "recalculation": reverse("closing:recalculate"),
           "reverse": reverse("closing:reverse")}


def actions(run: ClosingRun) -> dict[str, tuple[str, dict]]:
    """Every POST that changes something, with the data an accountant would send."""
    return {
        "close": (DIALOGS["close"], {"date": "2026-02-28", "specification": "total", "action": "start"}),
        "close preview": (DIALOGS["close"], {"date": "2026-02-28", "specification": "total", "action": "preview"}),
        "recalculation": (DIALOGS["recalculation"], {"date": "2026-02-28", "specification": "total",
                                                     "min_adjustment": "0", "action": "start"}),
        "reverse": (DIALOGS["reverse"], {"what": "latest"}),
        "pause": (reverse("closing:run_pause", args=[run.pk]), {}),
        "resume": (reverse("closing:run_resume", args=[run.pk]), {}),
    }


def written() -> dict[str, int]:
    """How many rows a close, recalculation or reversal writes, and the runs' states."""
    return {"runs": ClosingRun.objects.count(), "settlements": Settlement.objects.count(),
            "adjustments": CostAdjustment.objects.count(), "log": ClosingLog.objects.count(),
            "vouchers": Voucher.objects.count(), "voucher lines": VoucherLine.objects.count(),
            "transactions": InventoryTransaction.objects.count(),
            "states": sorted(ClosingRun.objects.values_list("number", "status", "is_cancelled"))}


def text(response) -> str:
    return response.content.decode()


# -- who sees what --------------------------------------------------------------------------------

@pytest.mark.parametrize("persona", VIEWERS)
def test_it_shows_every_page_to_every_role(request, closed, persona):
    client = request.getfixturevalue(persona)

    statuses = {name: client.get(url).status_code for name, url in pages(closed).items()}

    assert statuses == dict.fromkeys(pages(closed), 200)


def test_it_forbids_every_page_and_dialog_to_a_user_without_a_role(nora_client, closed):
    urls = pages(closed) | DIALOGS

    assert {name: nora_client.get(url).status_code for name, url in urls.items()} == dict.fromkeys(urls, 403)


def test_it_opens_the_dialogs_for_the_accountant_only(ada_client, carl_client, audrey_client, closed):
    assert {name: ada_client.get(url).status_code for name, url in DIALOGS.items()} == dict.fromkeys(DIALOGS, 200)
    for client in (carl_client, audrey_client):
        assert {name: client.get(url).status_code for name, url in DIALOGS.items()} == dict.fromkeys(DIALOGS, 403)


@pytest.mark.parametrize("persona", NOT_RUNNERS + ["nora_client"])
@pytest.mark.parametrize("action", ["close", "close preview", "recalculation", "reverse", "pause", "resume"])
def test_it_forbids_every_action_to_clerks_auditors_and_users_without_a_role(request, books, closed, persona, action,
                                                                              queued):
    client = request.getfixturevalue(persona)
    run = running_run() if action == "pause" else running_run(status=ClosingRun.Status.PAUSED)
    url, data = actions(run)[action]
    before = written()

    response = client.post(url, data)

    assert response.status_code == 403
    assert written() == before
    assert queued == []


def test_it_shows_the_accountant_the_whole_toolbar(ada_client, closed):
    page = text(ada_client.get(reverse("closing:run_list")))

    for label in (">Close procedure<", ">1. Check open quantities<", ">2. Check cost prices<", ">3. Close<",
                  ">Recalculation</a>", ">Reverse</a>", ">Pause</button>", ">Resume</button>"):
        assert label in page, label
    for url in DIALOGS.values():
        assert f'href="{url}"' in page, url


@pytest.mark.parametrize("persona", NOT_RUNNERS)
def test_it_shows_clerks_and_auditors_no_action_at_all(request, closed, persona):
    client = request.getfixturevalue(persona)
    paused = running_run(status=ClosingRun.Status.PAUSED)

    overview = text(client.get(reverse("closing:run_list")))
    run_page = text(client.get(reverse("closing:run_detail", args=[paused.pk])))

    assert "Close procedure" not in overview
    for url in DIALOGS.values():
        assert f'href="{url}"' not in overview, url
    assert ">Pause</button>" not in overview and ">Resume</button>" not in overview
    assert ">Active<" in overview and ">All<" in overview  # filtering is not an action
    assert "/pause/" not in run_page and "/resume/" not in run_page


# -- the overview ---------------------------------------------------------------------------------

def test_it_lists_runs_with_their_counts_and_links(ada_client, closed):
    response = ada_client.get(reverse("closing:run_list"))

    row = response.context["table"].rows[0]
    assert [row.get_cell_value(column) for column in ("run_type", "items_total", "settlements_count",
                                                      "adjustments_count")] == ["Closing", 2, 2, 1]
    page = text(response)
    assert f'<a href="{closed.get_absolute_url()}"><span title="CLS-000001">CLS-000001</span></a>' in page
    # The warnings count opens the run's log.
    assert f'<a href="{reverse("closing:run_log", args=[closed.pk])}">1</a>' in page
    assert f'<a href="{closed.voucher.get_absolute_url()}">{closed.voucher.number}</a>' in page
    assert '<span class="status status-ended" data-field="status">Ended</span>' in page


def test_it_hides_cancelled_runs_unless_all_are_asked_for(ada_client, closed, jobs_here):
    with jobs_here():
        ada_client.post(DIALOGS["reverse"], {"what": "latest"})

    active = ada_client.get(reverse("closing:run_list"))
    everything = ada_client.get(reverse("closing:run_list") + "?show=all")

    assert [run.number for run in active.context["table"].data] == ["CLS-000002"]  # the reversal itself is active
    assert [(run.number, run.status) for run in everything.context["table"].data] == [
        ("CLS-000002", "ended"), ("CLS-000001", "cancelled")]
    # One badge for a reversed run (issue #17, point 8: no "Cancelled (cancelled)"), and the reversal
    # names the run it reverses.
    assert "(cancelled)" not in text(everything)
    assert text(everything).count('<span class="status status-cancelled"') == 1
    assert f'<a href="{ClosingRun.objects.get(number="CLS-000001").get_absolute_url()}">CLS-000001</a>' in text(everything)
    assert "REV-000002" in text(everything)


def test_it_asks_the_overview_rows_of_live_runs_to_follow_their_status(ada_client, closed):
    live = running_run()

    page = text(ada_client.get(reverse("closing:run_list")))

    assert f'data-status-url="{reverse("closing:run_status", args=[live.pk])}"' in page
    assert f'data-status-url="{reverse("closing:run_status", args=[closed.pk])}"' not in page


# -- Close procedure: the checks ------------------------------------------------------------------

def test_it_shows_what_a_close_will_leave_open_openqty_1(books, audrey_client):
    # docs/domain.md §1.3 OPENQTY-1: physical receipt 10 (invoice missing); financial issue 3 -> open qty 3.
    books.item("WIDGET", "FIFO", unit_cost="4.00")
    books.item("GADGET", "FIFO", unit_cost="4.00")
    books.post("""
        R1,2026-01-05,WIDGET,10,5.00,physical,,,
        S1,2026-01-06,WIDGET,-3,,financial,,,
        G1,2026-01-05,GADGET,5,5.00,financial,,,
        G2,2026-01-06,GADGET,-3,,financial,,,
    """)

    rows = list(selectors.open_quantities(on=date(2026, 1, 31)))
    response = audrey_client.get(reverse("closing:open_quantities") + "?date=2026-01-31")

    assert [(r["item__number"], r["issue_qty"], r["receipt_qty"], r["physical_receipt_qty"], r["open_qty"])
            for r in rows] == [("WIDGET", D("3"), D("0"), D("10"), D("3"))]  # GADGET's issue is covered
    page = text(response)
    assert 'data-field="open-qty">3</td>' in page
    assert "Financial issues beyond the financial receipts to settle against; 10 received but not invoiced yet" in page
    assert list(selectors.open_quantities(on=date(2026, 1, 5))) == []  # the issue is dated later
    assert [r["item__number"] for r in selectors.open_quantities(on=date(2026, 1, 5), show_receipts=True)] == ["WIDGET"]


def test_it_checks_open_quantities_at_the_proposed_close_date_when_the_page_opens(books, ada_client):
    response = ada_client.get(reverse("closing:open_quantities"))

    assert response.status_code == 200
    assert response.context["form"].cleaned_data["date"] == selectors.close_date_proposal(today=timezone.localdate())


def test_it_lists_receipts_whose_cost_deviates_from_the_cost_price_costdev_1(books, carl_client):
    # docs/domain.md §1.3 COSTDEV-1: cost price 5.00, vendor invoice at 15.00, max 30 % -> listed, 200 %.
    books.item("WIDGET", "FIFO", unit_cost="5.00")
    books.post("""
        P1,2026-01-05,WIDGET,1,15.00,financial,,,
        P2,2026-01-06,WIDGET,2,6.50,financial,,,
        P3,2026-01-07,WIDGET,4,3.00,financial,,,
        P4,2026-02-02,WIDGET,1,50.00,financial,,,
    """)

    listed = selectors.cost_price_deviations(on=date(2026, 1, 31), max_percent=D("30"))
    response = carl_client.get(reverse("closing:cost_prices") + "?date=2026-01-31&max_deviation=30")

    # P2 is exactly 30 % (not more), P4 is after the date; P3 is 40 % below.
    assert [txn.ref for txn in listed] == ["P1", "P3"]
    page = text(response)
    assert 'data-field="deviation">+200.00 %</td>' in page
    assert 'data-field="deviation">-40.00 %</td>' in page
    assert f'href="{InventoryTransaction.objects.get(ref="P1").get_absolute_url()}"' in page


# -- the Close dialog -----------------------------------------------------------------------------

def test_it_proposes_the_end_of_last_month_for_the_first_close(company, ada_client):
    parameters = InventoryParameters.load()
    parameters.default_specification = Specification.ITEM_GROUP
    parameters.save()
    today = timezone.localdate()

    form = ada_client.get(DIALOGS["close"]).context["form"]

    assert form["date"].value() == today.replace(day=1) - timedelta(days=1)
    assert form["specification"].value() == "item-group"


def test_it_proposes_the_last_month_end_that_has_passed_after_the_latest_close(closed, ada_client):
    form = ada_client.get(DIALOGS["close"]).context["form"]

    assert form["date"].value() == timezone.localdate().replace(day=1) - timedelta(days=1)


def test_it_proposes_no_future_date_when_no_month_end_has_passed_since_the_latest_close(books, ada_client):
    last_month_end = timezone.localdate().replace(day=1) - timedelta(days=1)
    ClosingRun.objects.create(number="CLS-000077", run_type="closing", status="ended", date=last_month_end)

    response = ada_client.get(DIALOGS["close"])

    assert response.context["form"]["date"].value() is None
    assert "No month end has fully passed since the latest close" in text(response)


def test_it_warns_before_queuing_a_close_dated_in_the_future(closed, ada_client, queued):
    future = timezone.localdate() + timedelta(days=3)

    warned = ada_client.post(DIALOGS["close"], {"date": future.isoformat(), "specification": "total", "action": "start"})

    assert warned.status_code == 200 and queued == []
    assert not ClosingRun.objects.filter(date=future).exists()
    assert f"{future:%Y-%m-%d} is in the future" in text(warned)
    assert f'name="future_confirmed" value="{future:%Y-%m-%d}"' in text(warned)
    confirmed = ada_client.post(DIALOGS["close"], {"date": future.isoformat(), "specification": "total", "action": "start",
                                                   "future_confirmed": future.isoformat()})
    assert confirmed.status_code == 302 and ClosingRun.objects.filter(date=future, run_type="closing").exists()


def test_it_closes_and_queues_the_run_after_the_commit(closed, ada_accountant, ada_client, queued,
                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = ada_client.post(DIALOGS["close"], {"date": "2026-02-28", "specification": "item",
                                                      "note": "February", "action": "start"})

    run = ClosingRun.objects.latest("id")
    assert (response.status_code, response["Location"]) == (302, run.get_absolute_url())
    assert (run.run_type, run.date, run.specification, run.note, run.status, run.started_by) == (
        "closing", date(2026, 2, 28), "item", "February", "queued", ada_accountant)
    assert queued == [("coordinate", run.pk)]
    followed = ada_client.get(response["Location"])
    assert f"Closing {run.number} up to 2026-02-28 queued." in text(followed)
    assert f'data-status-url="{reverse("closing:run_status", args=[run.pk])}"' in text(followed)


def test_it_previews_the_ledger_effect_without_writing_anything(books, ada_client, queued):
    book_items(books, "WIDGET", "GADGET")
    books.post(BOOK)
    before = written()

    response = ada_client.post(DIALOGS["close"], {"date": "2026-01-31", "specification": "total", "action": "preview"})

    assert response.status_code == 200
    assert written() == before and queued == []
    preview = response.context["preview"]
    # S1 was posted at 15.00 a unit and FIFO makes it 40.00 for 3: inventory +5.00, cost of goods sold -5.00.
    assert [(row["account"].number, row["amount"]) for row in preview.accounts] == [("1400", D("5.00")), ("5000", D("-5.00"))]
    assert [(row["item_group"].code, row["amount"]) for row in preview.item_groups] == [("DEFAULT", D("5.00"))]
    assert (preview.items, preview.settlements, preview.adjustments, preview.warnings) == (2, 2, 1, [G2_LOG])
    page = text(response)
    assert "Preview: the ledger effect (nothing has been written)" in page
    assert '<td>1400 Inventory</td><td class="num">5.00</td><td class="num"></td>' in page
    assert '<td>5000 Cost of goods sold</td><td class="num"></td><td class="num">5.00</td>' in page
    assert G2_WARNING in page


def test_it_refuses_a_date_before_the_latest_close_on_the_date_field(books, closed, ada_client, queued,
                                                                      django_capture_on_commit_callbacks):
    before = written()

    with django_capture_on_commit_callbacks(execute=True):
        response = ada_client.post(DIALOGS["close"], {"date": "2026-01-15", "specification": "total", "action": "start"})
    preview = ada_client.post(DIALOGS["close"], {"date": "2026-01-15", "specification": "total", "action": "preview"})

    message = "Inventory is already closed up to 2026-01-31 (CLS-000001): choose a date after it."
    assert response.status_code == 200
    assert response.context["form"].errors == {"date": [message]}
    assert f"Close inventory up to: {message}" in text(response)
    assert preview.context["form"].errors == {"date": [message]} and preview.context["preview"] is None
    assert written() == before and queued == []


def test_it_refuses_a_second_run_while_one_is_unfinished(closed, ada_client, queued):
    paused = running_run(status=ClosingRun.Status.PAUSED)

    response = ada_client.post(DIALOGS["close"], {"date": "2026-02-28", "specification": "total", "action": "start"})

    assert response.context["form"].non_field_errors() == [
        f"Another closing or adjustment has not finished yet ({paused}). Wait for it, resume it or reverse it."]
    assert ClosingRun.objects.count() == 2 and queued == []


def test_it_refuses_a_form_it_cannot_read(closed, ada_client):
    response = ada_client.post(DIALOGS["close"], {"date": "next week", "specification": "everything", "action": "start"})

    assert set(response.context["form"].errors) == {"date", "specification"}
    assert ClosingRun.objects.count() == 1


# -- the Recalculation dialog ---------------------------------------------------------------------

def test_it_recalculates_a_selection_of_items_and_groups(closed, ada_client, queued, django_capture_on_commit_callbacks):
    parameters = InventoryParameters.load()
    parameters.default_min_adjustment = D("0.50")
    parameters.save()
    assert ada_client.get(DIALOGS["recalculation"]).context["form"]["min_adjustment"].value() == D("0.50")

    with django_capture_on_commit_callbacks(execute=True):
        response = ada_client.post(DIALOGS["recalculation"], {
            "date": "2026-02-15", "items": " WIDGET , WIDGET,", "item_groups": ["DEFAULT"], "min_adjustment": "0.50",
            "specification": "item-group", "note": "mid-month", "action": "start"})

    run = ClosingRun.objects.latest("id")
    assert (response.status_code, response["Location"]) == (302, run.get_absolute_url())
    assert (run.run_type, run.date, run.min_adjustment, run.specification, run.note, run.selection) == (
        "recalculation", date(2026, 2, 15), D("0.50"), "item-group", "mid-month",
        {"items": ["WIDGET"], "item_groups": ["DEFAULT"]})
    assert queued == [("coordinate", run.pk)]


def test_it_names_unknown_items_on_the_items_field(closed, ada_client):
    for action in ("preview", "start"):
        response = ada_client.post(DIALOGS["recalculation"], {
            "date": "2026-02-15", "items": "WIDGET, NOPE", "min_adjustment": "0", "specification": "total",
            "action": action})

        assert response.context["form"].errors == {"items": ["Unknown item(s) in the selection: NOPE."]}
    assert ClosingRun.objects.count() == 1


def test_it_previews_a_recalculation(closed, books, ada_client):
    books.post("""
        F1,2026-02-02,WIDGET,1,40.00,financial,,,
        F2,2026-02-03,WIDGET,-1,,financial,,,
    """)
    before = written()

    response = ada_client.post(DIALOGS["recalculation"], {
        "date": "2026-02-15", "items": "WIDGET", "min_adjustment": "0", "specification": "total", "action": "preview"})

    assert response.status_code == 200 and response.context["preview"] is not None
    assert response.context["preview"].items == 1
    assert written() == before


# -- the Reverse dialog ---------------------------------------------------------------------------

def test_it_queues_the_reversal_of_the_latest_close_and_lands_on_it(books, closed, ada_client, queued,
                                                                      django_capture_on_commit_callbacks):
    dialog = text(ada_client.get(DIALOGS["reverse"]))
    assert "CLS-000001" in dialog and closed.voucher.number in dialog

    with django_capture_on_commit_callbacks(execute=True):
        response = ada_client.post(DIALOGS["reverse"], {"what": "latest"})

    reversal = ClosingRun.objects.get(run_type="reversal")
    # A large close takes a while to reverse: the workers do it, and the page lands on the reversal
    # run (issue #17, point 10), which follows it to the end.
    assert (response.status_code, response["Location"]) == (302, reversal.get_absolute_url())
    assert queued == [("reverse", reversal.pk)]
    assert (reversal.status, reversal.reverses, reversal.voucher) == ("queued", closed, None)
    closed.refresh_from_db()
    assert (closed.status, closed.is_cancelled) == ("ended", False)  # nothing reversed in the request
    landed = text(ada_client.get(response["Location"]))
    assert "Reversal REV-000002 of CLS-000001 queued." in landed
    assert 'class="message run-queued success"' in landed  # closing.js removes it once the run ends
    assert f'data-status-url="{reverse("closing:run_status", args=[reversal.pk])}"' in landed
    assert f'<dd data-testid="reverses"><a href="{closed.get_absolute_url()}">CLS-000001</a>' in landed


def test_it_reverses_the_latest_close_on_the_workers(books, closed, ada_client, jobs_here):
    with jobs_here():
        response = ada_client.post(DIALOGS["reverse"], {"what": "latest"})

    closed.refresh_from_db()
    reversal = ClosingRun.objects.get(run_type="reversal")
    assert response["Location"] == reversal.get_absolute_url()
    assert (reversal.status, reversal.phase, reversal.voucher is not None) == ("ended", "ended", True)
    assert reversal.started_at <= reversal.progress_at == reversal.ended_at
    assert (closed.status, closed.is_cancelled) == ("cancelled", True)
    assert not Settlement.objects.filter(is_cancelled=False).exists()
    assert not CostAdjustment.objects.filter(is_cancelled=False).exists()
    status = ada_client.get(reverse("closing:run_status", args=[reversal.pk])).json()
    assert (status["status"], status["live"]) == ("ended", False)


def test_it_reverses_recalculations_from_a_date(closed, ada_client, jobs_here):
    recalculations = [ClosingRun.objects.create(number=f"CLS-00010{n}", run_type=ClosingRun.RunType.RECALCULATION,
                                                date=date(2026, 2, day), status=ClosingRun.Status.ENDED)
                      for n, day in enumerate((3, 5, 10))]

    with jobs_here():
        response = ada_client.post(DIALOGS["reverse"], {"what": "recalculations", "recalculations_from": "2026-02-05"})

    # One job reverses them one after the other, newest first, each by its own reversal run.
    reversals = list(ClosingRun.objects.filter(run_type="reversal").order_by("pk"))
    assert [(run.reverses.number, run.status) for run in reversals] == [("CLS-000102", "ended"), ("CLS-000101", "ended")]
    assert (response.status_code, response["Location"]) == (302, reversals[0].get_absolute_url())
    assert [run.is_cancelled for run in ClosingRun.objects.filter(pk__in=[r.pk for r in recalculations]).order_by("date")] == [
        False, True, True]


def test_it_shows_why_nothing_can_be_reversed_on_the_form(company, ada_client):
    latest = ada_client.post(DIALOGS["reverse"], {"what": "latest"})
    recalculations = ada_client.post(DIALOGS["reverse"], {"what": "recalculations", "recalculations_from": "2026-01-01"})
    no_date = ada_client.post(DIALOGS["reverse"], {"what": "recalculations"})

    assert latest.context["form"].errors == {"__all__": ["There is no active close to reverse."]}
    assert recalculations.context["form"].errors == {
        "recalculations_from": ["No active recalculation is dated on or after 2026-01-01."]}
    assert list(no_date.context["form"].errors) == ["recalculations_from"]
    assert ClosingRun.objects.count() == 0


# -- pause and resume -----------------------------------------------------------------------------

def test_it_pauses_and_resumes_a_run(ada_client, company, queued, django_capture_on_commit_callbacks):
    run = running_run()
    pause_form = re.search(r'<form[^>]*action="{}"[^>]*>'.format(reverse("closing:run_pause", args=[run.pk])),
                           text(ada_client.get(run.get_absolute_url())))
    assert pause_form and " hidden" not in pause_form.group(0)

    paused = ada_client.post(reverse("closing:run_pause", args=[run.pk]))
    run.refresh_from_db()
    assert (paused.status_code, paused["Location"], run.status) == (302, run.get_absolute_url(), "paused")
    assert "Resume" in text(ada_client.get(run.get_absolute_url()))

    with django_capture_on_commit_callbacks(execute=True):
        resumed = ada_client.post(reverse("closing:run_resume", args=[run.pk]))

    run.refresh_from_db()
    assert (resumed.status_code, run.status) == (302, "queued")  # no bundles yet: coordinated again
    assert queued == [("coordinate", run.pk)]


def test_it_refuses_to_pause_a_run_that_is_not_running(ada_client, closed):
    response = ada_client.post(reverse("closing:run_pause", args=[closed.pk]), follow=True)

    closed.refresh_from_db()
    assert closed.status == "ended"
    assert "CLS-000001 is ended, not running: there is nothing to pause." in text(response)


def test_it_refuses_get_on_pause_and_resume(ada_client, closed):
    assert ada_client.get(reverse("closing:run_pause", args=[closed.pk])).status_code == 405
    assert ada_client.get(reverse("closing:run_resume", args=[closed.pk])).status_code == 405


# -- one run: session, log, settlements, voucher ---------------------------------------------------

def test_it_reports_the_session_as_json(audrey_client, company):
    run = running_run()

    document = audrey_client.get(reverse("closing:run_status", args=[run.pk])).json()

    assert {key: document[key] for key in ("number", "status", "status_label", "live", "progress", "items_done",
                                           "items_total", "bundles_done", "bundles_total", "transactions_done",
                                           "transactions_total", "voucher", "voucher_url")} == {
        "number": "CLS-000900", "status": "running", "status_label": "Running", "live": True, "progress": 25,
        "items_done": 1, "items_total": 4, "bundles_done": 1, "bundles_total": 4, "transactions_done": 10,
        "transactions_total": 40, "voucher": None, "voucher_url": None}


def test_it_reports_an_ended_run_with_its_voucher(audrey_client, closed):
    response = audrey_client.get(reverse("closing:run_status", args=[closed.pk]))

    document = response.json()
    assert response["Cache-Control"] == "no-store"
    assert (document["status"], document["live"], document["progress"], document["settlements"], document["warnings"]) == (
        "ended", False, 100, 2, 1)
    assert (document["voucher"], document["voucher_url"]) == (closed.voucher.number, closed.voucher.get_absolute_url())


def test_it_shows_the_run_general_and_session(carl_client, closed):
    page = text(carl_client.get(closed.get_absolute_url()))

    assert 'data-status-url=""' not in page  # ended a moment ago: follows until its book checks are stored
    closed.checks = {"ok": True, "checked_at": "2026-02-01T08:00:00", "checks": []}
    closed.save(update_fields=["checks"])
    page = text(carl_client.get(closed.get_absolute_url()))
    assert 'data-status-url=""' in page  # ended and checked: nothing to follow
    assert f'<a href="{closed.voucher.get_absolute_url()}">{closed.voucher.number}</a>' in page
    assert 'data-field="progress" data-testid="progress">100</span>' in page
    assert G2_LOG in page


def test_it_filters_the_log_by_level_and_item(audrey_client, closed):
    url = reverse("closing:run_log", args=[closed.pk])

    everything = audrey_client.get(url)
    gadget = audrey_client.get(url + "?level=warning&item=gadget")
    other = audrey_client.get(url + "?item=WIDGET")
    errors = audrey_client.get(url + "?level=error")

    assert [entry.message for entry in everything.context["table"].data] == [G2_LOG]
    assert [entry.message for entry in gadget.context["table"].data] == [G2_LOG]
    assert list(other.context["table"].data) == [] and list(errors.context["table"].data) == []
    g2 = InventoryTransaction.objects.get(ref="G2")
    assert f'<a href="{g2.get_absolute_url()}">G2</a>' in text(everything)
    assert f'<a href="{g2.item.get_absolute_url()}">GADGET</a>' in text(everything)


def test_it_lists_the_settlements_with_each_issue_adjustment(audrey_client, closed):
    response = audrey_client.get(reverse("closing:run_settlements", args=[closed.pk]))

    assert [(s.issue.ref, s.receipt.ref, s.qty, s.amount, s.issue_adjustment)
            for s in response.context["settlements"].data] == [
        ("S1", "R1", D("2"), D("20.00"), D("5.00")), ("S1", "R2", D("1"), D("20.00"), D("5.00"))]
    page = text(response)
    for ref in ("S1", "R1", "R2"):
        assert f'<a href="{InventoryTransaction.objects.get(ref=ref).get_absolute_url()}">{ref}</a>' in page
    assert [(a.transaction.ref, a.amount) for a in response.context["adjustments"].data] == [("S1", D("5.00"))]


def test_it_drills_from_the_voucher_to_the_transactions_behind_each_account(audrey_client, closed):
    url = reverse("closing:run_voucher", args=[closed.pk])
    cogs = MainAccount.objects.get(number="5000")

    first = audrey_client.get(url)
    offset = audrey_client.get(url + f"?account={cogs.pk}")

    accounts = [(row["account"].number, row["debit"], row["credit"]) for row in first.context["accounts"].data]
    assert accounts == [("1400", D("5.00"), D("0.00")), ("5000", D("0.00"), D("5.00"))]
    assert first.context["selected"].number == "1400"
    assert [(a.transaction.ref, a.account_amount) for a in first.context["table"].data] == [("S1", D("5.00"))]
    assert [(a.transaction.ref, a.account_amount) for a in offset.context["table"].data] == [("S1", D("-5.00"))]
    page = text(offset)
    assert f'<a href="{closed.voucher.get_absolute_url()}">{closed.voucher.number}</a>' in page
    assert f'<a href="{InventoryTransaction.objects.get(ref="S1").get_absolute_url()}">S1</a>' in page
    assert "offset account" in page


def test_it_drills_a_reversal_voucher_to_the_reversed_adjustments(ada_client, closed, jobs_here):
    with jobs_here():
        ada_client.post(DIALOGS["reverse"], {"what": "latest"})
    reversal = ClosingRun.objects.get(reverses=closed)

    response = ada_client.get(reverse("closing:run_voucher", args=[reversal.pk]))

    assert [(a.transaction.ref, a.account_amount) for a in response.context["table"].data] == [("S1", D("-5.00"))]
    assert response.context["accounts"].data[0]["credit"] == D("5.00")  # 1400 credited back


def test_it_comes_back_from_a_transaction_to_the_run(audrey_client, closed):
    s1 = InventoryTransaction.objects.get(ref="S1")

    page = text(audrey_client.get(s1.get_absolute_url()))

    assert f'<a href="{closed.get_absolute_url()}">{closed.number}</a>' in page


def test_it_reads_each_page_in_as_many_queries_however_many_rows(books, audrey_client):
    # One item closed in January, four in February: the pages must not query per row.
    def measure(run: ClosingRun) -> dict[str, int]:
        counts = {}
        for name, url in pages(run).items():
            with CaptureQueriesContext(connection) as queries:
                assert audrey_client.get(url).status_code == 200
            counts[name] = len(queries)
        return counts

    book_items(books, "WIDGET", "GADGET")
    books.post(BOOK)
    books.close("2026-01-31")
    january = measure(books.last_run())
    for n in range(4):
        book_items(books, f"W{n}", f"G{n}")
        books.post(BOOK.replace("WIDGET", f"W{n}").replace("GADGET", f"G{n}").replace(",2026-01-", ",2026-02-")
                   .replace("\n    ", f"\n    M{n}"))
    books.close("2026-02-28")

    assert measure(books.last_run()) == january
