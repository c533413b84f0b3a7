"""The ledger's invariants and reports: balanced vouchers (in Python and, on PostgreSQL, at commit),
number sequences, storno lines and the trial balance."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from factories import ItemFactory

from common.audit import audit_record
from common.errors import DomainError
from common.models import AuditEntry
from common.numbering import number_block, number_next
from inventory.models import Journal
from inventory.services.journals import LineInput, journal_create, journal_line_add, journal_line_delete
from ledger.models import Voucher, VoucherLine
from ledger.selectors import account_statement, trial_balance, unbalanced_vouchers
from ledger.services import LineSpec, voucher_post

D = Decimal
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)")


def post(company, on: date, *pairs: tuple[str, str], storno: bool = False) -> Voucher:
    """A voucher from (account number, signed amount) pairs: positive = debit, negative = credit."""
    lines = [LineSpec(account=company.accounts[number], amount=D(amount), storno=storno) for number, amount in pairs]
    return voucher_post(date=on, description="test", source=Voucher.Source.INVENTORY, lines=lines)


def entries(voucher: Voucher) -> list[tuple[str, Decimal, Decimal, bool]]:
    return [(line.account.number, line.debit, line.credit, line.is_storno)
            for line in voucher.lines.select_related("account").order_by("id")]


# -- balanced vouchers ----------------------------------------------------------------------------


def test_it_posts_a_balanced_voucher(company):
    voucher = post(company, date(2026, 1, 5), ("1400", "24.00"), ("2100", "-24.00"))

    assert voucher.number == "INV-000001"
    assert entries(voucher) == [("1400", D("24.00"), D("0.00"), False), ("2100", D("0.00"), D("24.00"), False)]


def test_it_refuses_an_unbalanced_voucher_and_writes_nothing(company):
    with pytest.raises(DomainError, match=r"Voucher 'test' does not balance: difference 0\.01\."):
        post(company, date(2026, 1, 5), ("1400", "10.00"), ("2100", "-9.99"))

    assert Voucher.objects.count() == 0
    assert VoucherLine.objects.count() == 0
    # The number was not drawn either: the next voucher still gets the first number.
    assert post(company, date(2026, 1, 5), ("1400", "1"), ("2100", "-1")).number == "INV-000001"


def test_it_rounds_each_line_half_up_before_balancing(company):
    voucher = post(company, date(2026, 1, 5), ("1400", "10.005"), ("2100", "-10.005"))

    assert entries(voucher) == [("1400", D("10.01"), D("0.00"), False), ("2100", D("0.00"), D("10.01"), False)]


def test_it_writes_no_voucher_when_every_line_rounds_to_zero(company):
    assert post(company, date(2026, 1, 5), ("1400", "0.004"), ("2100", "-0.004")) is None
    assert Voucher.objects.count() == 0


@pytest.mark.parametrize(("debit", "credit", "is_storno"), [
    (D("5"), D("5"), False),  # both sides on one line
    (D("-5"), D("0"), False),  # a negative amount that is not storno
])
def test_it_refuses_malformed_lines_in_the_database(company, debit, credit, is_storno):
    voucher = Voucher.objects.create(number="V-1", date=date(2026, 1, 5), description="", source=Voucher.Source.INVENTORY)

    with pytest.raises(IntegrityError), transaction.atomic():
        VoucherLine.objects.create(voucher=voucher, account=company.accounts["1400"], debit=debit, credit=credit,
                                   is_storno=is_storno)


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_commit_an_unbalanced_voucher_on_postgresql(company):
    # Written straight through the ORM, past voucher_post's check: the deferred constraint trigger
    # (ledger/migrations/0002) checks the voucher when the transaction commits.
    inventory, accrual = company.accounts["1400"], company.accounts["2100"]

    with pytest.raises(IntegrityError, match="does not balance"):
        with transaction.atomic():
            voucher = Voucher.objects.create(number="V-1", date=date(2026, 1, 5), description="", source="inventory")
            VoucherLine.objects.create(voucher=voucher, account=inventory, debit=D("10.00"))
            VoucherLine.objects.create(voucher=voucher, account=accrual, credit=D("9.00"))
    assert not Voucher.objects.filter(number="V-1").exists()

    with transaction.atomic():
        voucher = Voucher.objects.create(number="V-2", date=date(2026, 1, 5), description="", source="inventory")
        # Unbalanced between the two statements: fine, the check waits for the commit.
        VoucherLine.objects.create(voucher=voucher, account=inventory, debit=D("10.00"))
        VoucherLine.objects.create(voucher=voucher, account=accrual, credit=D("10.00"))
    assert VoucherLine.objects.filter(voucher__number="V-2").count() == 2

    # One statement writing two vouchers' lines that net to zero together: V-3, off balance after
    # it, is balanced by a second statement; V-4 stays off balance and is refused.
    with pytest.raises(IntegrityError, match=r"Voucher \d+ does not balance: debit minus credit is 3\.00"):
        with transaction.atomic():
            v3 = Voucher.objects.create(number="V-3", date=date(2026, 1, 5), description="", source="inventory")
            v4 = Voucher.objects.create(number="V-4", date=date(2026, 1, 5), description="", source="inventory")
            day = date(2026, 1, 5)
            VoucherLine.objects.bulk_create([
                VoucherLine(voucher=v3, date=day, account=inventory, debit=D("4.00")),
                VoucherLine(voucher=v3, date=day, account=accrual, credit=D("4.00")),
                VoucherLine(voucher=v4, date=day, account=inventory, debit=D("3.00")),
                VoucherLine(voucher=v3, date=day, account=accrual, credit=D("3.00")),
            ])
            VoucherLine.objects.create(voucher=v3, account=inventory, debit=D("3.00"))
    # Lines that balance within their statement, added to a committed voucher, keep it balanced.
    with transaction.atomic():
        v2 = Voucher.objects.get(number="V-2")
        VoucherLine.objects.bulk_create([VoucherLine(voucher=v2, date=v2.date, account=inventory, debit=D("1.00")),
                                         VoucherLine(voucher=v2, date=v2.date, account=accrual, credit=D("1.00"))])
    assert VoucherLine.objects.filter(voucher__number="V-2").count() == 4

    # Changing or deleting one line of a committed voucher unbalances it, and is refused too.
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        VoucherLine.objects.filter(voucher__number="V-2", account=inventory).update(debit=D("11.00"))
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        VoucherLine.objects.filter(voucher__number="V-2", account=accrual).delete()
    # Moving a line to another voucher unbalances the one it leaves, whatever becomes of the other.
    with transaction.atomic():
        v5 = Voucher.objects.create(number="V-5", date=date(2026, 1, 5), description="", source="inventory")
        VoucherLine.objects.create(voucher=v5, account=inventory, debit=D("5.00"))
        VoucherLine.objects.create(voucher=v5, account=accrual, credit=D("5.00"))
    v2 = Voucher.objects.get(number="V-2")
    with pytest.raises(IntegrityError, match=rf"Voucher {v2.pk} does not balance"), transaction.atomic():
        VoucherLine.objects.filter(voucher=v2, account=inventory, debit=D("10.00")).update(voucher=v5)
        VoucherLine.objects.filter(voucher=v5, account=accrual).update(credit=D("15.00"))
    assert unbalanced_vouchers() == []


# -- number sequences -----------------------------------------------------------------------------


def test_it_hands_out_numbers_once(db):
    first = number_block(code="voucher", count=3)
    second = number_next(code="voucher")
    journal = number_next(code="journal")
    other = number_next(code="settlement")

    assert first == ["INV-000001", "INV-000002", "INV-000003"]
    assert second == "INV-000004"
    assert journal == "JNL-000001"  # each sequence counts on its own
    assert other == "SET-000001"  # an unknown sequence is made on first use


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_it_hands_out_unique_numbers_to_simultaneous_callers():
    with transaction.atomic():
        number_next(code="voucher")  # the sequence row exists before the race
    barrier = threading.Barrier(4)
    drawn: list[str] = []
    failures: list[BaseException] = []

    def draw():
        try:
            for _ in range(10):
                barrier.wait(timeout=30)
                with transaction.atomic():
                    drawn.extend(number_block(code="voucher", count=3))
        except BaseException as error:
            failures.append(error)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert sorted(drawn) == [f"INV-{n:06d}" for n in range(2, 122)]


# -- storno -----------------------------------------------------------------------------------------


def test_it_writes_a_storno_line_as_a_negative_amount_on_its_own_side(company):
    # docs/domain.md §3.4: a decrease of 4.00 posted as red storno: Dr 1400 -4.00 / Cr 5000 -4.00,
    # instead of Cr 1400 4.00 / Dr 5000 4.00.
    voucher = post(company, date(2026, 1, 31), ("1400", "-4.00"), ("5000", "4.00"), storno=True)

    assert entries(voucher) == [("1400", D("-4.00"), D("0.00"), True), ("5000", D("0.00"), D("-4.00"), True)]
    assert [line.amount for line in voucher.lines.order_by("id")] == [D("-4.00"), D("4.00")]


def test_it_reduces_turnover_by_storno_in_the_trial_balance(company):
    post(company, date(2026, 1, 10), ("1400", "10.00"), ("5000", "-10.00"))
    post(company, date(2026, 1, 31), ("1400", "-4.00"), ("5000", "4.00"), storno=True)

    rows = {row["account"].number: row for row in trial_balance(date_from=date(2026, 1, 1), date_to=date(2026, 1, 31))}

    assert (rows["1400"]["debit"], rows["1400"]["credit"], rows["1400"]["closing"]) == (D("6.00"), D("0"), D("6.00"))
    assert (rows["5000"]["debit"], rows["5000"]["credit"], rows["5000"]["closing"]) == (D("0"), D("6.00"), D("-6.00"))


# -- reports ----------------------------------------------------------------------------------------


def test_it_adds_up_the_trial_balance(company):
    post(company, date(2025, 12, 20), ("1400", "100.00"), ("3900", "-100.00"))  # before the period
    post(company, date(2026, 1, 5), ("1400", "24.00"), ("2100", "-24.00"))
    post(company, date(2026, 1, 9), ("5000", "30.00"), ("1400", "-30.00"))
    post(company, date(2026, 1, 12), ("1400", "4.00"), ("2100", "-4.00"))
    post(company, date(2026, 2, 1), ("5000", "50.00"), ("1400", "-50.00"))  # after the period

    rows = trial_balance(date_from=date(2026, 1, 1), date_to=date(2026, 1, 31))

    assert [(row["account"].number, row["opening"], row["debit"], row["credit"], row["closing"]) for row in rows] == [
        ("1400", D("100.00"), D("28.00"), D("30.00"), D("98.00")),
        ("2100", D("0"), D("0.00"), D("28.00"), D("-28.00")),
        ("3900", D("-100.00"), D("0"), D("0"), D("-100.00")),
        ("5000", D("0"), D("30.00"), D("0.00"), D("30.00")),
    ]
    assert sum(row["closing"] for row in rows) == D("0")


def test_it_runs_an_account_statement_with_a_running_balance(company):
    post(company, date(2025, 12, 20), ("1400", "100.00"), ("3900", "-100.00"))
    post(company, date(2026, 1, 5), ("1400", "24.00"), ("2100", "-24.00"))
    post(company, date(2026, 1, 9), ("5000", "30.00"), ("1400", "-30.00"))

    statement = account_statement(account=company.accounts["1400"], date_from=date(2026, 1, 1))

    assert statement.opening == D("100.00")
    assert (statement.debit, statement.credit, statement.closing, statement.count) == (
        D("24.00"), D("30.00"), D("94.00"), 2)
    assert [(row["line"].voucher.date, row["balance"]) for row in statement.rows] == [
        (date(2026, 1, 5), D("124.00")), (date(2026, 1, 9), D("94.00"))]


def test_it_pages_an_account_statement_with_the_balance_carried_into_each_page(company):
    for day, amount in enumerate(("10.00", "-4.00", "7.50", "-1.25", "3.00"), start=2):
        post(company, date(2026, 1, day), ("1400", amount), ("3900", str(-D(amount))))
    post(company, date(2026, 1, 1), ("1400", "1.00"), ("3900", "-1.00"))  # posted last, dated first

    statement = account_statement(account=company.accounts["1400"])
    whole = [row["balance"] for row in statement.rows]

    assert whole == [D("1.00"), D("11.00"), D("7.00"), D("14.50"), D("13.25"), D("16.25")]
    assert [row["balance"] for row in statement.rows[2:4]] == whole[2:4]  # the page starts at 11.00 carried
    assert [row["balance"] for row in statement.rows[4:10]] == whole[4:]
    assert statement.rows[-1]["balance"] == statement.closing == D("16.25")
    assert len(statement.rows) == 6


# -- the audit log is append-only and remembers who ---------------------------------------------------


def test_it_keeps_the_username_of_an_audit_entry_when_the_user_is_deleted(company, carl_clerk):
    entry = audit_record(user=carl_clerk, action="journal.create", object_type="inventory.Journal", object_id="7")

    carl_clerk.delete()

    entry.refresh_from_db()
    assert (entry.user_id, entry.username, entry.action) == (None, "carl", "journal.create")


@postgres_only
def test_it_refuses_to_change_or_delete_an_audit_entry(company, ada_accountant):
    entry = audit_record(user=ada_accountant, action="closing.start", object_type="closing.ClosingRun", object_id="1")

    for change in (lambda: AuditEntry.objects.filter(pk=entry.pk).update(action="closing.nothing"),
                   lambda: AuditEntry.objects.filter(pk=entry.pk).update(user=None, username=""),
                   lambda: AuditEntry.objects.filter(pk=entry.pk).delete()):
        with pytest.raises(DatabaseError, match="The audit log cannot be changed"), transaction.atomic():
            change()
    entry.refresh_from_db()
    assert (entry.action, entry.username) == ("closing.start", "ada")


def test_it_audits_journal_lines_added_and_removed_with_their_values(company, carl_clerk):
    item = ItemFactory(number="WIDGET")
    journal = journal_create(journal_type=Journal.JournalType.PROFIT_LOSS, user=carl_clerk)
    journal_line_add(journal=journal, line=LineInput(date=date(2026, 1, 10), item=item, qty=Decimal("3"),
                                                     site=company.site, warehouse=company.warehouse,
                                                     unit_cost=Decimal("2.50")), user=carl_clerk)
    journal_line_delete(journal=journal, line_number=1, user=carl_clerk)

    entries = list(AuditEntry.objects.filter(action__startswith="journal.line.").order_by("id")
                   .values_list("action", "username", "detail"))
    line = {"line": 1, "date": "2026-01-10", "item": "WIDGET", "qty": "3", "unit_cost": "2.5",
            "site": "MAIN", "warehouse": "MAIN", "to_warehouse": None, "tracking_number": "", "counted_qty": None}
    assert entries == [("journal.line.add", "carl", line), ("journal.line.delete", "carl", line)]
