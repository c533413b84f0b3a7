"""The book checks: green on sound books, and each check catches its own kind of fault."""

import io
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from closing.models import ClosingRun
from inventory.models import InventoryTransaction, OnHand
from ledger.models import VoucherLine
from reports import queue as job_queue
from reports.checks import CHECK_COUNT, books_check
from reports.models import BookCheck
from reports.services import book_check_perform, book_check_request, run_checks_record
from tests.reports.conftest import edit_line_by_hand, txn

D = Decimal


def failing(result) -> dict[str, list[dict]]:
    return {check.name: check.differences for check in result.checks if not check.ok}


def test_it_finds_the_books_in_agreement_after_a_close(closed):
    result = books_check()

    assert result.ok
    assert [check.name for check in result.checks] == [
        "vouchers_balanced", "subledger_equals_ledger", "settled_within_existing", "on_hand_equals_transactions",
        "close_covers_its_period", "bins_equal_inventory"]


def test_it_finds_an_unbalanced_voucher_and_the_ledger_difference_it_makes(closed, company):
    line = VoucherLine.objects.get(inventory_transaction=txn("R2"), account=company.accounts["1400"])
    edit_line_by_hand({"pk": line.pk}, debit=D("41.50"))

    assert failing(books_check()) == {
        "vouchers_balanced": [{"voucher": line.voucher.number, "debit": "41.50", "credit": "40.00", "difference": "1.50"}],
        "subledger_equals_ledger": [{"account": "1400", "subledger": "20.00", "ledger": "21.50", "difference": "-1.50"}],
    }


def test_it_finds_an_on_hand_cache_that_drifted_from_the_transactions(closed):
    OnHand.objects.filter(item__number="WIDGET").update(financial_qty=D("2"))

    assert failing(books_check()) == {"on_hand_equals_transactions": [
        {"on_hand": "WIDGET MAIN/MAIN", "figure": "financial_qty", "cached": "2.000000", "transactions": "1.000000",
         "difference": "1.000000"}]}


def test_it_finds_transactions_whose_on_hand_row_is_missing(closed):
    OnHand.objects.filter(item__number="WIDGET").delete()

    differences = failing(books_check())["on_hand_equals_transactions"]

    assert {d["figure"] for d in differences} >= {"physical_qty", "financial_qty", "financial_value"}
    assert {d["on_hand"] for d in differences} == {"WIDGET (no on-hand row)"}
    assert {(d["figure"], d["cached"], d["transactions"]) for d in differences} >= {
        ("financial_qty", "0", "1.000000")}


def test_it_finds_an_on_hand_row_holding_value_no_transaction_explains(closed):
    row = OnHand.objects.get(item__number="WIDGET")
    OnHand.objects.create(item=row.item, site=row.site, warehouse=row.warehouse, tracking_number="GHOST",
                          physical_qty=D("3"), financial_qty=D("0"), financial_value=D("0"), physical_value=D("0"))

    assert failing(books_check()) == {"on_hand_equals_transactions": [
        {"on_hand": "WIDGET MAIN/MAIN GHOST", "figure": "physical_qty", "cached": "3.000000", "transactions": "0",
         "difference": "3.000000"}]}


def test_it_finds_value_settled_beyond_what_a_transaction_has(closed):
    InventoryTransaction.objects.filter(ref="R1").update(cost_amount_settled=D("25.00"))

    assert failing(books_check()) == {"settled_within_existing": [
        {"transaction": "R1", "qty": "2.000000", "qty_settled": "2.000000", "value": "20.00", "value_settled": "25.00"}]}


def test_it_checks_the_ledger_as_of_a_date(closed, company):
    line = VoucherLine.objects.get(inventory_transaction=txn("R2"), account=company.accounts["1400"])
    edit_line_by_hand({"pk": line.pk}, debit=D("41.50"))  # voucher of Jan 3

    assert "vouchers_balanced" not in failing(books_check(as_of=date(2026, 1, 2)))
    assert "vouchers_balanced" in failing(books_check(as_of=date(2026, 1, 3)))


def test_it_stores_the_result_on_the_run_when_the_run_ends(widget, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("close_inventory", "--date", "2026-01-31", "--wait", stdout=io.StringIO())

    run = ClosingRun.objects.get(run_type="closing")
    assert run.checks["ok"] is True
    assert [check["ok"] for check in run.checks["checks"]] == [True, True, True, True, True, True]


def test_it_stores_the_differences_on_the_run(closed):
    OnHand.objects.filter(item__number="WIDGET").update(financial_value=D("19.99"))
    run = ClosingRun.objects.get(run_type="closing")

    run_checks_record(run_id=run.pk)

    run.refresh_from_db()
    assert run.checks["ok"] is False
    assert [check["name"] for check in run.checks["checks"] if not check["ok"]] == ["on_hand_equals_transactions"]


# -- manage.py check_books ----------------------------------------------------------------------


def test_it_exits_zero_when_the_books_agree(closed):
    out = io.StringIO()

    call_command("check_books", stdout=out)

    assert out.getvalue().splitlines()[-1] == "The books agree."


def test_it_exits_one_with_the_differences_when_they_do_not(closed):
    OnHand.objects.filter(item__number="WIDGET").update(physical_qty=D("5"))
    out = io.StringIO()

    with pytest.raises(CommandError) as refusal:
        call_command("check_books", "--date", "2026-01-31", stdout=out)

    assert refusal.value.returncode == 1
    assert "On-hand equals the sum of the transactions" in str(refusal.value)
    assert "FAIL On-hand equals the sum of the transactions: 1 difference(s)" in out.getvalue()
    assert "on_hand WIDGET MAIN/MAIN, figure physical_qty, cached 5.000000, transactions 2.000000" in out.getvalue()


def test_it_prints_the_structured_result_as_json(closed):
    out = io.StringIO()

    call_command("check_books", "--json", "--date", "2026-01-31", stdout=out)

    result = json.loads(out.getvalue())
    assert (result["ok"], result["as_of"]) == (True, "2026-01-31")
    assert {check["name"]: check["ok"] for check in result["checks"]} == {
        "vouchers_balanced": True, "subledger_equals_ledger": True, "settled_within_existing": True,
        "on_hand_equals_transactions": True, "close_covers_its_period": True, "bins_equal_inventory": True}


def test_it_refuses_a_date_that_is_not_one(db):
    with pytest.raises(CommandError, match="is not a date"):
        call_command("check_books", "--date", "2026-13-01")


# -- the book checks asked for on demand (queued for a worker) ----------------------------------------


def test_it_counts_the_checks_it_runs(closed):
    heard = []

    result = books_check(on_check_done=lambda check: heard.append(check.name))

    assert len(result.checks) == CHECK_COUNT and sorted(heard) == sorted(check.name for check in result.checks)


def test_it_runs_a_queued_book_check_once_however_often_it_is_enqueued(closed, ada_accountant):
    check = book_check_request(as_of=date(2026, 1, 31), user=ada_accountant, queue=False)
    again = book_check_request(as_of=date(2026, 1, 31), user=ada_accountant, queue=False)
    other_date = book_check_request(as_of=None, user=ada_accountant, queue=False)

    done = book_check_perform(check_id=check.pk)
    ended_at = done.ended_at
    book_check_perform(check_id=check.pk)  # the job delivered twice

    assert again.pk == check.pk and other_date.pk != check.pk
    assert (done.status, done.ok, done.checks_done, done.requested_by) == ("ended", True, CHECK_COUNT, ada_accountant)
    assert done.result["as_of"] == "2026-01-31" and [line["name"] for line in done.result["checks"]] == [
        "vouchers_balanced", "subledger_equals_ledger", "settled_within_existing", "on_hand_equals_transactions",
        "close_covers_its_period", "bins_equal_inventory"]
    assert BookCheck.objects.get(pk=check.pk).ended_at == ended_at
    assert book_check_request(as_of=date(2026, 1, 31), user=None, queue=False).pk != check.pk  # ended: a new one


def test_it_marks_a_book_check_that_cannot_run_as_failed_with_the_reason(closed, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("reports.services.books_check", broken)  # fault injection: the checks themselves are real elsewhere
    check = book_check_request(as_of=None, user=None, queue=False)

    with pytest.raises(RuntimeError):
        book_check_perform(check_id=check.pk)  # re-raised, so RQ keeps the job in its failed registry

    check.refresh_from_db()
    assert (check.status, check.ok, check.error) == ("failed", None, "RuntimeError: the database went away")
    assert check.ended_at is not None


def test_it_lets_the_database_refuse_a_second_unfinished_check_for_the_same_date(db):
    BookCheck.objects.create(checks_total=CHECK_COUNT)
    BookCheck.objects.create(checks_total=CHECK_COUNT, as_of=date(2026, 1, 31))

    with pytest.raises(IntegrityError), transaction.atomic():
        BookCheck.objects.create(checks_total=CHECK_COUNT)  # no date, like the first: two clicks at once
    BookCheck.objects.create(checks_total=CHECK_COUNT, status=BookCheck.Status.ENDED)  # ended ones do not count


def test_it_records_a_check_lost_by_its_worker_as_failed_and_queues_a_new_one(closed):
    lost = book_check_request(as_of=None, user=None, queue=False)
    BookCheck.objects.filter(pk=lost.pk).update(created_at=timezone.now() - BookCheck.LOST_AFTER - timedelta(seconds=1))
    lost.refresh_from_db()
    assert (lost.is_lost, lost.is_live) == (True, False)

    fresh = book_check_request(as_of=None, user=None, queue=False)

    lost.refresh_from_db()
    assert fresh.pk != lost.pk and fresh.is_live
    assert (lost.status, lost.error) == (
        "failed", "No worker ended it within 10 minutes: is a worker running on the default queue?")


def test_it_records_a_check_that_cannot_be_queued_as_failed(closed, django_capture_on_commit_callbacks, monkeypatch):
    def redis_away(check_id: int) -> None:
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(job_queue, "enqueue_book_check", redis_away)
    with django_capture_on_commit_callbacks(execute=True):
        check = book_check_request(as_of=None, user=None)

    check.refresh_from_db()
    assert (check.status, check.error) == (
        "failed", "It could not be queued for a worker: Error 111 connecting to 127.0.0.1:6379. Connection refused.")


# -- the close covered its period (the import/close race would show here) ---------------------------


def test_it_names_an_issue_of_the_closed_period_that_the_close_neither_settled_nor_named(closed):
    # As a sale committed into the period after the close had read it would be: financial, dated in
    # the period, not settled, not in the log.
    InventoryTransaction.objects.filter(ref="S1").update(qty_settled=D("0"), cost_amount_settled=D("0"))
    close = ClosingRun.objects.get(run_type="closing")

    assert failing(books_check()) == {"close_covers_its_period": [
        {"transaction": "S1", "item": "WIDGET", "date": "2026-01-04", "qty": "-3.000000", "qty_settled": "0.000000",
         "close": close.number}]}


def test_it_accepts_an_issue_the_close_named_in_its_log(closed):
    InventoryTransaction.objects.filter(ref="S1").update(qty_settled=D("-1"))
    close = ClosingRun.objects.get(run_type="closing")
    close.log.create(transaction=txn("S1"), item=txn("S1").item, message="Issue could not be fully settled")

    assert "close_covers_its_period" not in failing(books_check())


def test_it_finds_a_close_that_read_more_transactions_than_existed(closed):
    close = ClosingRun.objects.get(run_type="closing")
    ClosingRun.objects.filter(pk=close.pk).update(transactions_done=close.transactions_total + 2)

    assert failing(books_check())["close_covers_its_period"] == [
        {"run": close.number, "transactions_read": close.transactions_total + 2,
         "transactions_that_existed": close.transactions_total}]


def test_it_lets_one_user_have_at_most_three_unfinished_book_checks(closed, ada_accountant, ada_client):
    for day in (1, 2, 3):
        book_check_request(as_of=date(2026, 1, day), user=ada_accountant, queue=False)

    response = ada_client.post(reverse("reports:book_checks"), {"as_of": "2026-01-04"})

    assert response.status_code == 429
    assert "You have 3 book checks waiting or running: wait for one of them to end" in response.content.decode()
    assert BookCheck.objects.count() == 3
    # The same date again is the check already waiting, not a fourth one; another user is not held back.
    assert book_check_request(as_of=date(2026, 1, 2), user=ada_accountant, queue=False).as_of == date(2026, 1, 2)
    assert book_check_request(as_of=date(2026, 1, 4), user=None, queue=False).pk
