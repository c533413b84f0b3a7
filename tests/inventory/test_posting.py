"""Posting, read like the books: every kind of posting with its voucher lines to the cent, the running
average examples of docs/domain.md (§1.1 RA-1..3, §1.2 BASE-22, §1.3 MA-1 and §1.3 STD-2) and the refusals.

Accounts of the standard chart (inventory.services.company): 1400 inventory, 2100 purchase accrual,
2150 packing slip offset, 3900 opening balance equity, 5000 COGS, 5100 inventory profit, 5110 inventory
loss, 5200 purchase price variance. Voucher lines are written as (account, debit, credit).
"""

from datetime import date
from decimal import Decimal

import pytest
from factories import AccountFactory, ItemFactory, WarehouseFactory

from closing.models import ClosingRun
from common.errors import DomainError
from inventory.models import (
    CostDimension,
    InventoryTransaction,
    ItemGroup,
    Journal,
    OnHand,
    SourceType,
    TransactionStatus,
)
from inventory.services.journals import LineInput, journal_create, journal_line_add, journal_line_delete, journal_post
from inventory.services.posting import posting_session
from ledger.models import FiscalPeriod, MainAccount, Voucher, VoucherLine
from ledger.selectors import trial_balance

D = Decimal


def jan(day: int) -> date:
    return date(2026, 1, day)


class Books:
    """Posts through the posting services the way a purchase or sales order would, one session per
    posting, and keeps the vouchers the last posting wrote."""

    def __init__(self, company):
        self.company = company
        self.vouchers: list[Voucher] = []

    def _run(self, post):
        with posting_session() as session:
            txn = post(session)
        self.vouchers = session.vouchers
        return txn

    def receipt(self, item, qty, unit_cost, on, *, financial=True, warehouse=None, source_type=SourceType.PURCHASE):
        warehouse = warehouse or self.company.warehouse
        return self._run(lambda s: s.receive(
            item=item, qty=D(qty), unit_cost=D(unit_cost), posting_date=on, site=warehouse.site, warehouse=warehouse,
            source_type=source_type, financial=financial))

    def issue(self, item, qty, on, *, financial=True, warehouse=None, source_type=SourceType.SALE):
        warehouse = warehouse or self.company.warehouse
        return self._run(lambda s: s.issue(
            item=item, qty=D(qty), posting_date=on, site=warehouse.site, warehouse=warehouse,
            source_type=source_type, financial=financial))

    def invoice(self, txn, on, unit_cost=None):
        cost = None if unit_cost is None else D(unit_cost)
        return self._run(lambda s: s.invoice(txn=txn, posting_date=on, unit_cost=cost))

    def entries(self) -> list[tuple[str, Decimal, Decimal]]:
        """The lines of the vouchers the last posting wrote."""
        return entries(*self.vouchers)


def entries(*vouchers: Voucher) -> list[tuple[str, Decimal, Decimal]]:
    return [(line.account.number, line.debit, line.credit)
            for voucher in vouchers for line in voucher.lines.select_related("account").order_by("id")]


def balanced(voucher: Voucher) -> bool:
    lines = list(voucher.lines.all())
    return sum(line.debit for line in lines) == sum(line.credit for line in lines)


def dimension_of(item) -> CostDimension:
    return CostDimension.objects.get(item=item)


def totals(row) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(financial qty, financial value, physical qty, physical value) of a dimension or on-hand row."""
    row.refresh_from_db()
    return row.financial_qty, row.financial_value, row.physical_qty, row.physical_value


def fresh(txn: InventoryTransaction) -> InventoryTransaction:
    return InventoryTransaction.objects.get(pk=txn.pk)


def counts() -> tuple[int, int, int]:
    return InventoryTransaction.objects.count(), Voucher.objects.count(), VoucherLine.objects.count()


@pytest.fixture
def books(company) -> Books:
    return Books(company)


@pytest.fixture
def post_physical(company):
    """FIFO items post their physical updates to the ledger (packing slip offset 2150)."""
    group = company.model_groups["FIFO"]
    group.post_physical_inventory = True
    group.save()
    return group


# -- receipts ---------------------------------------------------------------------------------


def test_it_posts_a_physical_receipt_without_touching_the_ledger(books, company):
    item = ItemFactory(model_group="FIFO")

    receipt = books.receipt(item, "2", "10.00", jan(5), financial=False)

    receipt = fresh(receipt)
    assert receipt.status == TransactionStatus.RECEIVED
    assert (receipt.cost_amount_physical, receipt.cost_amount_posted, receipt.cost_amount) == (D("20.00"), D("0.00"), D("20.00"))
    assert receipt.date_financial is None
    assert books.vouchers == []
    assert totals(dimension_of(item)) == (D("0"), D("0.00"), D("2"), D("20.00"))
    on_hand = OnHand.objects.get(item=item, warehouse=company.warehouse)
    assert (on_hand.physical_qty, on_hand.financial_qty, on_hand.physical_value) == (D("2"), D("0"), D("20.00"))


def test_it_posts_a_physical_receipt_to_the_packing_slip_offset_when_the_model_group_says_so(books, post_physical):
    item = ItemFactory(model_group="FIFO")

    books.receipt(item, "2", "10.00", jan(5), financial=False)

    assert books.entries() == [("1400", D("20.00"), D("0.00")), ("2150", D("0.00"), D("20.00"))]


def test_it_invoices_a_receipt_at_another_unit_cost(books):
    item = ItemFactory(model_group="FIFO")
    receipt = books.receipt(item, "2", "10.00", jan(5), financial=False)

    books.invoice(receipt, jan(8), "12.00")

    assert books.entries() == [("1400", D("24.00"), D("0.00")), ("2100", D("0.00"), D("24.00"))]
    receipt = fresh(receipt)
    assert receipt.status == TransactionStatus.PURCHASED
    assert receipt.date_financial == jan(8)
    assert (receipt.cost_amount_physical, receipt.cost_amount_posted, receipt.cost_amount) == (D("20.00"), D("24.00"), D("24.00"))
    # The physical value left the physical totals; the invoice's value is in the financial ones.
    assert totals(dimension_of(item)) == (D("2"), D("24.00"), D("0"), D("0.00"))


def test_it_reverses_the_physical_posting_when_the_receipt_is_invoiced(books, post_physical):
    item = ItemFactory(model_group="FIFO")
    receipt = books.receipt(item, "2", "10.00", jan(5), financial=False)

    books.invoice(receipt, jan(8), "12.00")

    assert books.entries() == [
        ("1400", D("0.00"), D("20.00")),  # the packing slip's 20.00 comes out ...
        ("2150", D("20.00"), D("0.00")),
        ("1400", D("24.00"), D("0.00")),  # ... and the invoice's 24.00 goes in
        ("2100", D("0.00"), D("24.00")),
    ]
    assert balanced(books.vouchers[0])
    assert fresh(receipt).inventory_account.number == "1400"
    assert fresh(receipt).offset_account.number == "2100"


def test_it_posts_a_financial_receipt_in_one_step(books):
    item = ItemFactory(model_group="FIFO")

    receipt = books.receipt(item, "3", "12.50", jan(5))

    assert books.entries() == [("1400", D("37.50"), D("0.00")), ("2100", D("0.00"), D("37.50"))]
    receipt = fresh(receipt)
    assert receipt.status == TransactionStatus.PURCHASED
    assert (receipt.date_physical, receipt.date_financial) == (jan(5), jan(5))
    assert (receipt.cost_amount_physical, receipt.cost_amount_posted) == (D("37.50"), D("37.50"))
    assert totals(dimension_of(item)) == (D("3"), D("37.50"), D("0"), D("0.00"))


# -- issues -----------------------------------------------------------------------------------


def test_it_posts_a_physical_issue_at_the_running_average(books, company, post_physical):
    item = ItemFactory(model_group="FIFO")
    books.receipt(item, "4", "10.00", jan(5))

    issue = books.issue(item, "1", jan(6), financial=False)

    issue = fresh(issue)
    assert issue.status == TransactionStatus.DEDUCTED
    assert issue.qty == D("-1")
    assert (issue.cost_amount_physical, issue.cost_amount_posted) == (D("-10.00"), D("0.00"))
    assert books.entries() == [("2150", D("10.00"), D("0.00")), ("1400", D("0.00"), D("10.00"))]
    assert totals(dimension_of(item)) == (D("4"), D("40.00"), D("-1"), D("-10.00"))
    on_hand = OnHand.objects.get(item=item, warehouse=company.warehouse)
    assert (on_hand.physical_qty, on_hand.financial_qty, on_hand.financial_value) == (D("3"), D("4"), D("40.00"))


def test_it_invoices_an_issue_to_cost_of_goods_sold(books, post_physical):
    item = ItemFactory(model_group="FIFO")
    books.receipt(item, "4", "10.00", jan(5))
    issue = books.issue(item, "1", jan(6), financial=False)

    books.invoice(issue, jan(7))

    assert books.entries() == [
        ("1400", D("10.00"), D("0.00")),  # packing slip reversed
        ("2150", D("0.00"), D("10.00")),
        ("5000", D("10.00"), D("0.00")),  # invoice
        ("1400", D("0.00"), D("10.00")),
    ]
    issue = fresh(issue)
    assert issue.status == TransactionStatus.SOLD
    assert (issue.cost_amount_posted, issue.cost_amount) == (D("-10.00"), D("-10.00"))
    assert totals(dimension_of(item)) == (D("3"), D("30.00"), D("0"), D("0.00"))


def test_it_posts_a_financial_issue_in_one_step_at_the_running_average(books):
    item = ItemFactory(model_group="FIFO")
    books.receipt(item, "1", "10.00", jan(5))
    books.receipt(item, "2", "11.00", jan(6))

    issue = books.issue(item, "1", jan(7))

    # 32.00 / 3 = 10.666.. -> 10.67, rounded half-up at the transaction.
    assert books.entries() == [("5000", D("10.67"), D("0.00")), ("1400", D("0.00"), D("10.67"))]
    assert fresh(issue).cost_amount_posted == D("-10.67")
    assert fresh(issue).offset_account.number == "5000"
    # Issuing the rest takes exactly what is left, so no rounding residue stays behind.
    last = books.issue(item, "2", jan(8))
    assert fresh(last).cost_amount_posted == D("-21.33")
    assert totals(dimension_of(item)) == (D("0"), D("0.00"), D("0"), D("0.00"))


# -- standard cost and moving average ---------------------------------------------------------


def test_it_posts_the_purchase_price_variance_of_a_standard_cost_receipt(books):
    # docs/domain.md §1.3 STD-2: standard 1,000.00, invoice 1,004.00 -> PPV 4.00.
    item = ItemFactory(model_group="STD", default_cost_price=D("1000.00"))

    receipt = books.receipt(item, "1", "1004.00", jan(5))

    assert books.entries() == [
        ("1400", D("1000.00"), D("0.00")),
        ("2100", D("0.00"), D("1004.00")),
        ("5200", D("4.00"), D("0.00")),
    ]
    assert fresh(receipt).cost_amount == D("1000.00")
    assert totals(dimension_of(item)) == (D("1"), D("1000.00"), D("0"), D("0.00"))


def test_it_posts_the_net_purchase_price_variance_when_a_standard_cost_receipt_is_invoiced(books):
    # STD-2 in two steps: received on a PO at 1,005.00 (valued at standard), invoiced at 1,004.00.
    item = ItemFactory(model_group="STD", default_cost_price=D("1000.00"))
    receipt = books.receipt(item, "1", "1005.00", jan(5), financial=False)
    assert fresh(receipt).cost_amount_physical == D("1000.00")

    books.invoice(receipt, jan(9), "1004.00")

    assert books.entries() == [
        ("1400", D("1000.00"), D("0.00")),
        ("2100", D("0.00"), D("1004.00")),
        ("5200", D("4.00"), D("0.00")),
    ]
    issue = books.issue(item, "1", jan(10))
    assert fresh(issue).cost_amount_posted == D("-1000.00")


def test_it_splits_a_moving_average_invoice_difference_between_stock_and_price_difference(books, company):
    # docs/domain.md §1.3 MA-1: PO 2 @ 10.00 received; sale 1 (cost 10.00); invoice 2 @ 12.00.
    item = ItemFactory(model_group="MOVAVG")
    receipt = books.receipt(item, "2", "10.00", jan(5), financial=False)

    sale = books.issue(item, "1", jan(6))
    assert books.entries() == [("5000", D("10.00"), D("0.00")), ("1400", D("0.00"), D("10.00"))]
    assert fresh(sale).cost_amount_posted == D("-10.00")

    books.invoice(receipt, jan(9), "12.00")

    assert books.entries() == [
        ("1400", D("24.00"), D("0.00")),
        ("2100", D("0.00"), D("24.00")),
        ("1400", D("0.00"), D("2.00")),  # the sold unit's 2.00 is not capitalised ...
        ("5200", D("2.00"), D("0.00")),  # ... it goes to price difference for moving average
    ]
    receipt = fresh(receipt)
    assert (receipt.cost_amount_posted, receipt.cost_amount_adjustment, receipt.cost_amount) == (D("24.00"), D("-2.00"), D("22.00"))
    # One unit on hand at 12.00: the other 2.00 was capitalised.
    assert totals(dimension_of(item)) == (D("1"), D("12.00"), D("0"), D("0.00"))
    on_hand = OnHand.objects.get(item=item, warehouse=company.warehouse)
    assert (on_hand.financial_qty, on_hand.financial_value) == (D("1"), D("12.00"))
    assert fresh(books.issue(item, "1", jan(10))).cost_amount_posted == D("-12.00")


def test_it_values_a_moving_average_receipt_into_negative_stock_at_the_current_average(books, company):
    # docs/domain.md §1.3 MA-neg: the part of a receipt that brings on-hand from negative to zero is
    # costed at the current moving average, the rest at the receipt's cost; the difference goes to
    # the price difference account. Default cost 10.00; sell 2 (at 10.00); receive 3 @ 16.00.
    item = ItemFactory(model_group="MOVAVG", default_cost_price=D("10.00"))
    books.issue(item, "2", jan(5))
    receipt = books.receipt(item, "3", "16.00", jan(6))

    # 2 units at the current average 10.00 + 1 unit at 16.00 = 36.00 booked; 48.00 invoiced.
    assert books.entries() == [
        ("1400", D("36.00"), D("0.00")),
        ("2100", D("0.00"), D("48.00")),
        ("5200", D("12.00"), D("0.00")),
    ]
    assert fresh(receipt).cost_amount == D("36.00")
    # One unit left, at 16.00 (not 28.00, which a plain average over the negative stock would give).
    assert totals(dimension_of(item)) == (D("1"), D("16.00"), D("0"), D("0.00"))
    assert fresh(books.issue(item, "1", jan(7))).cost_amount_posted == D("-16.00")


def test_it_values_a_moving_average_receipt_that_leaves_stock_negative_wholly_at_the_average(books):
    # MA-neg, second rule: new balance still at or below zero -> the whole receipt at the current average.
    item = ItemFactory(model_group="MOVAVG", default_cost_price=D("10.00"))
    books.issue(item, "5", jan(5))
    receipt = books.receipt(item, "3", "16.00", jan(6))
    assert fresh(receipt).cost_amount == D("30.00")
    assert ("5200", D("18.00"), D("0.00")) in books.entries()


# -- running average (docs/domain.md §1.1 and §1.2) -------------------------------------------


def test_it_includes_physical_value_in_the_running_average_ra_1(books):
    # RA-1, IPV on: physical 2 @ 10.00 and financial 3 @ 12.00 -> (20 + 36) / 5 = 11.20.
    item = ItemFactory(model_group="FIFO-IPV")
    books.receipt(item, "2", "10.00", jan(5), financial=False)
    books.receipt(item, "3", "12.00", jan(6))

    issue = books.issue(item, "1", jan(7))

    assert fresh(issue).cost_amount_posted == D("-11.20")


@pytest.mark.parametrize(("model_group", "expected"), [("FIFO", D("-10.00")), ("FIFO-IPV", D("-12.00"))])
def test_it_ignores_physical_receipts_without_include_physical_value_ra_2(books, model_group, expected):
    # RA-2: item cost price 10.00; PO 20 @ 12.00 physically received only; a sale is costed at the
    # cost price without IPV (no financial quantity) and at 12.00 with it.
    item = ItemFactory(model_group=model_group, default_cost_price=D("10.00"))
    books.receipt(item, "20", "12.00", jan(5), financial=False)

    sale = books.issue(item, "1", jan(6))

    assert fresh(sale).cost_amount_posted == expected


def test_it_amplifies_the_price_as_the_readme_explains_ra_3(books):
    # RA-3, IPV on: 100 @ 1.00 financial; 200 issued financially (at 1.00: fin -100 / -100.00);
    # 101 @ 2.00 physically. Estimated price (202 - 100) / (101 - 100) = 102.00.
    # (⚠ SOURCE ISSUE in docs/domain.md §1.1: Microsoft's "expected" 1.51 is really 302 / 201 = 1.50, and is
    # what the price would be had the receipt come before the issue; the running average posts 102.00.)
    item = ItemFactory(model_group="FIFO-IPV")
    books.receipt(item, "100", "1.00", jan(5))
    big_issue = books.issue(item, "200", jan(6))
    assert fresh(big_issue).cost_amount_posted == D("-200.00")
    books.receipt(item, "101", "2.00", jan(7), financial=False)
    assert totals(dimension_of(item)) == (D("-100"), D("-100.00"), D("101"), D("202.00"))

    issue = books.issue(item, "1", jan(8))

    assert fresh(issue).cost_amount_posted == D("-102.00")


@pytest.mark.parametrize(("model_group", "issue_6a"), [("FIFO", D("-23.00")), ("FIFO-IPV", D("-23.67"))])
def test_it_posts_the_base_22_issues_at_the_running_average(books, model_group, issue_6a):
    item = ItemFactory(model_group=model_group)
    r1 = books.receipt(item, "1", "10.00", jan(1), financial=False)  # 1a
    books.invoice(r1, jan(2), "10.00")  # 1b
    r2 = books.receipt(item, "1", "20.00", jan(3), financial=False)  # 2a
    books.invoice(r2, jan(4), "22.00")  # 2b: the invoice price differs
    i3 = books.issue(item, "1", jan(5), financial=False)  # 3a
    assert fresh(i3).cost_amount_physical == D("-16.00")
    books.invoice(i3, jan(6))  # 3b
    books.receipt(item, "1", "25.00", jan(7), financial=False)  # 4a, physical only
    r5 = books.receipt(item, "1", "30.00", jan(8), financial=False)  # 5a
    books.invoice(r5, jan(9), "30.00")  # 5b

    i6 = books.issue(item, "1", jan(10), financial=False)  # 6a, physical only

    # 3b: (10 + 22) / 2 = 16.00 either way; 6a: (16 + 30) / 2 = 23.00 without IPV,
    # (16 + 25 + 30) / 3 = 23.666.. -> 23.67 with IPV.
    assert fresh(i3).cost_amount_posted == D("-16.00")
    assert fresh(i6).cost_amount_physical == issue_6a
    financial_qty, financial_value, physical_qty, physical_value = totals(dimension_of(item))
    assert (financial_qty, financial_value) == (D("2"), D("46.00"))
    assert (physical_qty, physical_value) == (D("0"), D("25.00") + issue_6a)


# -- journals ---------------------------------------------------------------------------------


def line(company, item, qty, on, unit_cost=None, **extra) -> LineInput:
    return LineInput(date=on, item=item, qty=D(qty), site=company.site, warehouse=company.warehouse,
                     unit_cost=None if unit_cost is None else D(unit_cost), **extra)


def test_it_transfers_at_the_issue_cost(books, company):
    item = ItemFactory(model_group="FIFO", warehouse_is_financial=True)
    bulk = WarehouseFactory(site=company.site, code="BULK")
    books.receipt(item, "1", "10.00", jan(5))
    books.receipt(item, "2", "11.00", jan(5))
    journal = journal_create(journal_type=Journal.JournalType.TRANSFER)
    journal_line_add(journal=journal, line=line(company, item, "1", jan(6), to_site=company.site, to_warehouse=bulk))

    journal = journal_post(journal=journal)

    issue = InventoryTransaction.objects.get(ref=f"{journal.number}-1-OUT")
    receipt = InventoryTransaction.objects.get(ref=f"{journal.number}-1-IN")
    # 32.00 / 3 = 10.666.. -> 10.67 out of MAIN, the same 10.67 into BULK.
    assert (issue.qty, issue.cost_amount_posted, issue.warehouse.code) == (D("-1"), D("-10.67"), "MAIN")
    assert (receipt.qty, receipt.cost_amount_posted, receipt.warehouse.code) == (D("1"), D("10.67"), "BULK")
    assert receipt.transfer_issue == issue
    assert {issue.source_type, receipt.source_type} == {SourceType.TRANSFER}
    # One balanced voucher, stock to stock, no P&L.
    assert entries(journal.voucher) == [("1400", D("0.00"), D("10.67")), ("1400", D("10.67"), D("0.00"))]
    assert [line.inventory_transaction for line in journal.voucher.lines.order_by("id")] == [issue, receipt]
    dimensions = {d.warehouse.code: (d.financial_qty, d.financial_value) for d in CostDimension.objects.filter(item=item)}
    assert dimensions == {"MAIN": (D("2"), D("21.33")), "BULK": (D("1"), D("10.67"))}


def test_it_moves_a_transfer_from_the_issue_account_to_the_receipt_account_once(books, company):
    split = ItemGroup.objects.get(code="DEFAULT")
    split.pk, split.code = None, "SPLIT"
    split.inventory_issue_account = AccountFactory(number="1410", name="Inventory issued",
                                                   account_type=MainAccount.AccountType.BALANCE_SHEET)
    split.save()
    item = ItemFactory(model_group="FIFO", item_group=split, warehouse_is_financial=True)
    bulk = WarehouseFactory(site=company.site, code="BULK")
    books.receipt(item, "3", "10.00", jan(5))

    with posting_session() as session:
        issue, receipt = session.transfer(item=item, qty=D("1"), posting_date=jan(6), site=company.site,
                                          warehouse=company.warehouse, to_site=company.site, to_warehouse=bulk)

    [voucher] = session.vouchers
    assert entries(voucher) == [("1410", D("0.00"), D("10.00")), ("1400", D("10.00"), D("0.00"))]
    # Closing adjustments post each transaction against its own offset account: the issue's moves
    # value between the two accounts, the receipt's (offset against its own account) nets to zero,
    # so an adjusted transfer also moves the adjustment once.
    assert (issue.inventory_account.number, issue.offset_account.number) == ("1410", "1400")
    assert (receipt.inventory_account.number, receipt.offset_account.number) == ("1400", "1400")
    balances = {row["account"].number: row["closing"] for row in trial_balance(date_from=jan(1), date_to=jan(31))}
    assert balances == {"1400": D("40.00"), "1410": D("-10.00"), "2100": D("-30.00")}


def test_it_posts_a_movement_journal_to_the_chosen_offset_account(company):
    item = ItemFactory(model_group="FIFO")
    scrap = AccountFactory(number="6100", name="Scrap and samples")
    journal = journal_create(journal_type=Journal.JournalType.MOVEMENT, offset_account=scrap)
    journal_line_add(journal=journal, line=line(company, item, "5", jan(5), "4.20"))
    journal_line_add(journal=journal, line=line(company, item, "-2", jan(6)))

    journal_post(journal=journal)

    receipt = InventoryTransaction.objects.get(ref=f"{journal.number}-1")
    issue = InventoryTransaction.objects.get(ref=f"{journal.number}-2")
    assert (receipt.source_type, receipt.status, receipt.cost_amount_posted) == (SourceType.MOVEMENT, TransactionStatus.PURCHASED, D("21.00"))
    assert (issue.status, issue.cost_amount_posted) == (TransactionStatus.SOLD, D("-8.40"))
    assert entries(*Voucher.objects.filter(lines__inventory_transaction=receipt).distinct()) == [
        ("1400", D("21.00"), D("0.00")), ("6100", D("0.00"), D("21.00"))]
    assert entries(*Voucher.objects.filter(lines__inventory_transaction=issue).distinct()) == [
        ("6100", D("8.40"), D("0.00")), ("1400", D("0.00"), D("8.40"))]


def test_it_refuses_a_movement_journal_without_an_offset_account(company):
    with pytest.raises(DomainError, match="needs an offset account"):
        journal_create(journal_type=Journal.JournalType.MOVEMENT)


def test_it_posts_a_profit_loss_journal_to_inventory_profit_and_loss(company):
    item = ItemFactory(model_group="FIFO")
    journal = journal_create(journal_type=Journal.JournalType.PROFIT_LOSS)
    journal_line_add(journal=journal, line=line(company, item, "3", jan(5), "7.00"))
    journal_line_add(journal=journal, line=line(company, item, "-1", jan(6)))

    journal_post(journal=journal)

    profit = InventoryTransaction.objects.get(ref=f"{journal.number}-1")
    loss = InventoryTransaction.objects.get(ref=f"{journal.number}-2")
    assert entries(*Voucher.objects.filter(lines__inventory_transaction=profit).distinct()) == [
        ("1400", D("21.00"), D("0.00")), ("5100", D("0.00"), D("21.00"))]
    assert entries(*Voucher.objects.filter(lines__inventory_transaction=loss).distinct()) == [
        ("5110", D("7.00"), D("0.00")), ("1400", D("0.00"), D("7.00"))]


def test_it_posts_an_opening_balance_journal_against_equity(company):
    item = ItemFactory(model_group="WAVG")
    journal = journal_create(journal_type=Journal.JournalType.OPENING, offset_account=company.accounts["3900"])
    journal_line_add(journal=journal, line=line(company, item, "10", jan(1), "2.50"))

    journal = journal_post(journal=journal)

    assert journal.status == Journal.Status.POSTED
    assert entries(journal.voucher) == [("1400", D("25.00"), D("0.00")), ("3900", D("0.00"), D("25.00"))]
    receipt = InventoryTransaction.objects.get(ref=f"{journal.number}-1")
    assert (receipt.source_type, receipt.cost_amount_posted, receipt.journal_line.journal) == (SourceType.OPENING, D("25.00"), journal)


def test_it_refuses_an_issue_in_an_opening_balance_journal(company):
    item = ItemFactory(model_group="WAVG")
    journal = journal_create(journal_type=Journal.JournalType.OPENING, offset_account=company.accounts["3900"])

    with pytest.raises(DomainError, match="opening balance line must be a receipt"):
        journal_line_add(journal=journal, line=line(company, item, "-1", jan(1)))


def test_it_never_changes_or_reposts_a_posted_journal(company):
    item = ItemFactory(model_group="FIFO")
    journal = journal_create(journal_type=Journal.JournalType.PROFIT_LOSS)
    journal_line_add(journal=journal, line=line(company, item, "3", jan(5), "7.00"))
    journal = journal_post(journal=journal)
    before = counts()

    with pytest.raises(DomainError, match=f"Journal {journal.number} is posted"):
        journal_post(journal=journal)
    with pytest.raises(DomainError, match="is posted and can no longer be changed"):
        journal_line_add(journal=journal, line=line(company, item, "1", jan(6), "7.00"))
    with pytest.raises(DomainError, match="is posted and can no longer be changed"):
        journal_line_delete(journal=journal, line_number=1)
    # A stale copy (loaded before someone else posted) is refused too.
    stale = Journal.objects.get(pk=journal.pk)
    stale.status = Journal.Status.DRAFT
    with pytest.raises(DomainError, match="is posted"):
        journal_post(journal=stale)

    assert counts() == before
    assert journal.lines.count() == 1


def test_it_posts_a_journal_all_or_nothing_and_names_the_line(company):
    group = company.model_groups["FIFO"]
    group.physical_negative_allowed = False
    group.save()
    item = ItemFactory(model_group="FIFO")
    journal = journal_create(journal_type=Journal.JournalType.PROFIT_LOSS)
    journal_line_add(journal=journal, line=line(company, item, "2", jan(5), "7.00"))
    journal_line_add(journal=journal, line=line(company, item, "-3", jan(6)))
    before = counts()

    with pytest.raises(DomainError) as refused:
        journal_post(journal=journal)

    assert refused.value.errors == [
        f"Line 2: Physical inventory of {item.number} in MAIN/MAIN would go negative (-1) on 2026-01-06; "
        "model group FIFO does not allow physical negative inventory."]
    assert counts() == before
    journal.refresh_from_db()
    assert journal.status == Journal.Status.DRAFT


# -- negative inventory -----------------------------------------------------------------------


def test_it_refuses_physical_negative_inventory_when_the_model_group_forbids_it(books, company):
    group = company.model_groups["FIFO"]
    group.physical_negative_allowed = False
    group.save()
    item = ItemFactory(model_group="FIFO")
    books.receipt(item, "1", "5.00", jan(5), financial=False)  # physically 1, financially 0
    before = counts()

    with pytest.raises(DomainError) as refused:
        books.issue(item, "2", jan(6), financial=False)

    assert refused.value.message == (
        f"Physical inventory of {item.number} in MAIN/MAIN would go negative (-1) on 2026-01-06; "
        "model group FIFO does not allow physical negative inventory.")
    assert counts() == before
    assert totals(dimension_of(item)) == (D("0"), D("0.00"), D("1"), D("5.00"))
    on_hand = OnHand.objects.get(item=item)
    assert (on_hand.physical_qty, on_hand.financial_qty) == (D("1"), D("0"))
    # Financial negative inventory is still allowed: selling the one unit takes physical stock to 0
    # and financial stock to -1.
    books.issue(item, "1", jan(7))
    on_hand.refresh_from_db()
    assert (on_hand.physical_qty, on_hand.financial_qty) == (D("0"), D("-1"))


def test_it_refuses_financial_negative_inventory_when_the_model_group_forbids_it(books, company):
    group = company.model_groups["FIFO"]
    group.financial_negative_allowed = False
    group.save()
    item = ItemFactory(model_group="FIFO", default_cost_price=D("3.00"))
    books.receipt(item, "5", "4.00", jan(5), financial=False)  # physically 5, financially 0
    before = counts()

    with pytest.raises(DomainError) as refused:
        books.issue(item, "1", jan(6))

    assert refused.value.message == (
        f"Financial inventory of {item.number} in MAIN/MAIN would go negative (-1) on 2026-01-06; "
        "model group FIFO does not allow financial negative inventory.")
    assert counts() == before
    assert totals(dimension_of(item)) == (D("0"), D("0.00"), D("5"), D("20.00"))
    # A physical issue leaves financial inventory alone and goes through; its invoice does not.
    deducted = books.issue(item, "1", jan(6), financial=False)
    with pytest.raises(DomainError, match="Financial inventory of .* would go negative"):
        books.invoice(deducted, jan(7))
    assert fresh(deducted).status == TransactionStatus.DEDUCTED


# -- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "shown"), [(FiscalPeriod.Status.CLOSED, "closed"), (FiscalPeriod.Status.ON_HOLD, "on hold")])
def test_it_refuses_posting_into_a_period_that_is_not_open(books, status, shown):
    item = ItemFactory(model_group="FIFO")
    FiscalPeriod.objects.filter(name="2026-02").update(status=status)
    before = counts()

    with pytest.raises(DomainError) as refused:
        books.receipt(item, "1", "5.00", date(2026, 2, 10))

    assert refused.value.message == f"Fiscal period 2026-02 is {shown}: nothing can be posted on 2026-02-10."
    assert counts() == before
    assert not CostDimension.objects.filter(item=item, financial_qty__gt=0).exists()
    books.receipt(item, "1", "5.00", date(2026, 3, 1))  # the next period is open


def test_it_refuses_an_invoice_dated_in_a_closed_period(books):
    item = ItemFactory(model_group="FIFO")
    receipt = books.receipt(item, "1", "5.00", jan(30), financial=False)
    FiscalPeriod.objects.filter(name="2026-02").update(status=FiscalPeriod.Status.CLOSED)

    with pytest.raises(DomainError, match="Fiscal period 2026-02 is closed: nothing can be posted on 2026-02-02"):
        books.invoice(receipt, date(2026, 2, 2), "5.00")

    assert fresh(receipt).status == TransactionStatus.RECEIVED


def test_it_refuses_posting_on_or_before_the_inventory_closing_date(books):
    item = ItemFactory(model_group="FIFO")
    receipt = books.receipt(item, "1", "5.00", jan(20), financial=False)
    ClosingRun.objects.create(number="CLS-1", run_type=ClosingRun.RunType.CLOSING, date=jan(31), status=ClosingRun.Status.ENDED)
    before = counts()

    for on in (jan(31), jan(2)):
        with pytest.raises(DomainError) as refused:
            books.issue(item, "1", on)
        assert refused.value.message == (
            f"Inventory is closed up to 2026-01-31: nothing can be posted on {on:%Y-%m-%d}. "
            "Post on a later date or reverse the close.")
    with pytest.raises(DomainError, match="Inventory is closed up to 2026-01-31"):
        books.invoice(receipt, jan(31), "5.00")

    assert counts() == before
    books.invoice(receipt, date(2026, 2, 1), "5.00")
    assert fresh(receipt).status == TransactionStatus.PURCHASED


def test_it_reopens_posting_when_the_close_is_cancelled(books):
    item = ItemFactory(model_group="FIFO")
    ClosingRun.objects.create(number="CLS-1", run_type=ClosingRun.RunType.CLOSING, date=jan(31),
                              status=ClosingRun.Status.CANCELLED, is_cancelled=True)
    ClosingRun.objects.create(number="CLS-2", run_type=ClosingRun.RunType.RECALCULATION, date=jan(31),
                              status=ClosingRun.Status.ENDED)

    books.receipt(item, "1", "5.00", jan(31))

    assert InventoryTransaction.objects.filter(item=item).count() == 1
