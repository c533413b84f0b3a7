"""Each report's figures on the hand-made book of conftest.py, to the cent."""

from datetime import date
from decimal import Decimal

from closing.models import ClosingRun
from closing.services import closing_reverse
from inventory.models import InventoryTransaction, ItemGroup, SourceType
from inventory.services.posting import posting_session
from ledger.models import Voucher, VoucherLine
from ledger.services import LineSpec, voucher_post
from reports.selectors import (
    close_summary,
    inventory_value,
    inventory_value_transactions,
    item_cost_history,
    reconciliation,
    reconciliation_details,
)
from tests.factories import ItemFactory
from tests.reports.conftest import close, edit_line_by_hand, post_book, txn

D = Decimal


def figures(report) -> list[tuple]:
    return [(row["item"], row["financial_qty"], row["financial_value"], row["physical_qty"], row["physical_value"],
             row["value"]) for row in report.rows]


# -- inventory value ----------------------------------------------------------------------------


def test_it_values_inventory_after_the_close_financial_and_physical_apart(closed):
    report = inventory_value(as_of=date(2026, 1, 31))

    # R1 20.00 + R2 40.00 + S1 -40.00 (closed at FIFO); P1 received, not invoiced.
    assert figures(report) == [("WIDGET", D("1"), D("20.00"), D("1"), D("30.00"), D("50.00"))]
    assert (report.totals["financial_value"], report.totals["physical_value"], report.totals["value"]) == (
        D("20.00"), D("30.00"), D("50.00"))
    assert [(group["item_group"], group["value"]) for group in report.groups] == [("DEFAULT", D("50.00"))]


def test_it_values_inventory_as_of_a_date_before_the_close_adjusted_it(closed):
    # On Jan 4 the sale still stood at its posted 45.00: the close's +5.00 is dated Jan 31.
    assert figures(inventory_value(as_of=date(2026, 1, 4))) == [("WIDGET", D("1"), D("15.00"), D("0"), D("0"), D("15.00"))]
    assert figures(inventory_value(as_of=date(2026, 1, 3))) == [("WIDGET", D("4"), D("60.00"), D("0"), D("0"), D("60.00"))]
    assert figures(inventory_value(as_of=date(2026, 1, 1))) == []


def test_it_values_a_receipt_as_physical_before_its_invoice_and_financial_after(closed, company):
    with posting_session() as session:
        session.invoice(txn=txn("P1"), posting_date=date(2026, 2, 3), unit_cost=D("33.00"))

    assert figures(inventory_value(as_of=date(2026, 2, 2))) == [("WIDGET", D("1"), D("20.00"), D("1"), D("30.00"), D("50.00"))]
    assert figures(inventory_value(as_of=date(2026, 2, 3))) == [("WIDGET", D("2"), D("53.00"), D("0"), D("0"), D("53.00"))]


def test_it_adds_up_the_transactions_behind_a_figure_to_that_figure(closed):
    behind = inventory_value_transactions(as_of=date(2026, 1, 31), transactions=InventoryTransaction.objects.filter(
        item__number="WIDGET", date_financial__isnull=False))

    assert [(row["ref"], row["value"]) for row in behind["rows"]] == [
        ("R1", D("20.00")), ("R2", D("40.00")), ("S1", D("-40.00"))]
    assert (behind["totals"]["qty"], behind["totals"]["value"]) == (D("1"), D("20.00"))
    as_of_jan_4 = inventory_value_transactions(as_of=date(2026, 1, 4), transactions=InventoryTransaction.objects.filter(ref="S1"))
    assert [row["value"] for row in as_of_jan_4["rows"]] == [D("-45.00")]


def test_it_filters_the_inventory_value_by_the_transactions_given(widget, company):
    post_book(company, number="GADGET", prefix="G")

    report = inventory_value(as_of=None, transactions=InventoryTransaction.objects.filter(item__number="WIDGET"))

    assert [(row["item"], row["value"]) for row in report.rows] == [("WIDGET", D("45.00"))]
    assert inventory_value(as_of=None).totals["value"] == D("90.00")


# -- reconciliation -----------------------------------------------------------------------------


def reconciled(report) -> list[tuple]:
    return [(row["account"].number, row["item_group"].code if row["item_group"] else None, row["subledger"], row["ledger"],
             row["difference"]) for row in report.rows]


def test_it_reconciles_the_inventory_account_after_the_close(closed):
    report = reconciliation(as_of=date(2026, 1, 31))

    # P1 is physical and its model group does not post physical inventory: not in the ledger.
    assert reconciled(report) == [("1400", "DEFAULT", D("20.00"), D("20.00"), D("0.00"))]
    assert report.differences == []


def test_it_spreads_a_total_closing_voucher_over_item_groups_by_what_the_run_posted(widget, company):
    # The same book for GADGET in a second item group on the same accounts: each group's S1 gets
    # 5.00 back from the close, on one voucher line without item group.
    ItemGroup.objects.create(code="TOOLS", name="Tools", **{
        f"{field.name}_id": getattr(company.item_group, f"{field.name}_id")
        for field in ItemGroup._meta.fields if field.name.endswith("_account")})
    post_book(company, number="GADGET", prefix="G-", item_group="TOOLS")
    close()
    run = ClosingRun.objects.get(run_type="closing")
    assert run.specification == "total"
    assert list(VoucherLine.objects.filter(voucher=run.voucher, account=company.accounts["1400"]).values_list(
        "item_group", "debit")) == [(None, D("10.00"))]
    in_agreement = [("1400", "DEFAULT", D("20.00"), D("20.00"), D("0.00")), ("1400", "TOOLS", D("20.00"), D("20.00"), D("0.00"))]

    assert reconciled(reconciliation(as_of=None)) == in_agreement

    closing_reverse()

    assert reconciled(reconciliation(as_of=None)) == [
        ("1400", "DEFAULT", D("15.00"), D("15.00"), D("0.00")), ("1400", "TOOLS", D("15.00"), D("15.00"), D("0.00"))]
    details = reconciliation_details(as_of=None, account=company.accounts["1400"], item_group=None)
    assert details["run_vouchers"] == [] and details["lines_without_transaction"] == []


def test_it_reconciles_as_of_a_date_before_the_close(closed):
    assert reconciled(reconciliation(as_of=date(2026, 1, 4))) == [("1400", "DEFAULT", D("15.00"), D("15.00"), D("0.00"))]


def test_it_finds_a_voucher_line_edited_directly_in_the_database(closed, company):
    line = VoucherLine.objects.get(inventory_transaction=txn("R2"), account=company.accounts["1400"])
    edit_line_by_hand({"pk": line.pk}, debit=D("41.50"))

    report = reconciliation(as_of=None)
    details = reconciliation_details(as_of=None, account=company.accounts["1400"], item_group=company.item_group)

    assert reconciled(report) == [("1400", "DEFAULT", D("20.00"), D("21.50"), D("-1.50"))]
    assert [(row["transaction"].ref, row["expected"], row["ledger"], row["difference"]) for row in details["disagreeing"]] == [
        ("R2", D("40.00"), D("41.50"), D("-1.50"))]
    assert details["without_voucher"] == [] and details["lines_without_transaction"] == [] and details["run_vouchers"] == []


def test_it_finds_a_transaction_without_voucher(closed, company):
    R1 = txn("R1")
    InventoryTransaction.objects.create(
        ref="GHOST", source_type=SourceType.PURCHASE, item=R1.item, site=R1.site, warehouse=R1.warehouse,
        cost_dimension=R1.cost_dimension, qty=D("1"), status="purchased", date_physical=date(2026, 2, 2),
        date_financial=date(2026, 2, 2), cost_amount_physical=D("12.34"), cost_amount_posted=D("12.34"),
        inventory_account=R1.inventory_account, offset_account=R1.offset_account)

    details = reconciliation_details(as_of=None, account=company.accounts["1400"], item_group=None)

    assert reconciled(reconciliation(as_of=None)) == [("1400", "DEFAULT", D("32.34"), D("20.00"), D("12.34"))]
    assert reconciled(reconciliation(as_of=date(2026, 2, 1))) == [("1400", "DEFAULT", D("20.00"), D("20.00"), D("0.00"))]
    assert [(row["transaction"].ref, row["expected"], row["ledger"]) for row in details["without_voucher"]] == [
        ("GHOST", D("12.34"), D("0.00"))]
    assert details["disagreeing"] == []


def test_it_finds_a_voucher_line_without_a_transaction(closed, company):
    voucher_post(date=date(2026, 2, 3), description="Hand-made", source=Voucher.Source.INVENTORY, lines=[
        LineSpec(account=company.accounts["1400"], amount=D("7.00")), LineSpec(account=company.accounts["5000"], amount=D("-7.00"))])

    details = reconciliation_details(as_of=None, account=company.accounts["1400"], item_group=company.item_group)

    assert reconciled(reconciliation(as_of=None)) == [
        ("1400", "DEFAULT", D("20.00"), D("20.00"), D("0.00")), ("1400", None, D("0"), D("7.00"), D("-7.00"))]
    assert [(line.voucher.description, line.debit) for line in details["lines_without_transaction"]] == [("Hand-made", D("7.00"))]


def test_it_finds_a_closing_voucher_that_disagrees_with_its_run(closed, company):
    run = ClosingRun.objects.get(run_type="closing")
    edit_line_by_hand(dict(voucher=run.voucher, account=company.accounts["1400"]), debit=D("6.00"))

    details = reconciliation_details(as_of=None, account=company.accounts["1400"], item_group=None)

    assert reconciled(reconciliation(as_of=None)) == [
        ("1400", "DEFAULT", D("20.00"), D("20.00"), D("0.00")), ("1400", None, D("0"), D("1.00"), D("-1.00"))]
    assert [(row["voucher"].number, row["expected"], row["ledger"]) for row in details["run_vouchers"]] == [
        (run.voucher.number, D("5.00"), D("6.00"))]


# -- close summary ------------------------------------------------------------------------------


def test_it_summarizes_what_the_close_changed(closed, company):
    gadget = ItemFactory(number="GADGET")
    with posting_session() as session:
        session.issue(item=gadget, qty=D("2"), posting_date=date(2026, 2, 2), site=company.site, warehouse=company.warehouse,
                      source_type=SourceType.SALE, financial=True, ref="G-S1")
    run = ClosingRun.objects.get(run_type="closing")

    summary = close_summary(run=run)

    # S1 went from 45.00 to 40.00: cost of goods sold 5.00 lower.
    assert [(row["item_group"], row["adjustments"], row["cogs_change"]) for row in summary["by_group"]] == [("DEFAULT", 1, D("-5.00"))]
    assert [(row["item"], row["cogs_change"]) for row in summary["items"]] == [("WIDGET", D("-5.00"))]
    assert [(row["transaction"].ref, row["amount"]) for row in summary["largest"]] == [("S1", D("5.00"))]
    assert summary["open_issues"] == []  # G-S1 is after the close date


def test_it_summarizes_a_reversal_as_the_opposite_of_its_close(closed):
    from django.core.management import call_command
    call_command("reverse_closing", stdout=__import__("io").StringIO())
    reversal = ClosingRun.objects.get(run_type="reversal")

    summary = close_summary(run=reversal)

    assert [(row["item_group"], row["cogs_change"]) for row in summary["by_group"]] == [("DEFAULT", D("5.00"))]


def test_it_lists_the_items_left_with_open_issues(company):
    item = ItemFactory(number="SHORT")
    with posting_session() as session:
        session.issue(item=item, qty=D("2"), posting_date=date(2026, 1, 10), site=company.site, warehouse=company.warehouse,
                      source_type=SourceType.SALE, financial=True, ref="SHORT-S1")
    close()

    summary = close_summary(run=ClosingRun.objects.get(run_type="closing"))

    assert [(row["item"], row["transactions"], row["open_qty"]) for row in summary["open_issues"]] == [("SHORT", 1, D("-2"))]


# -- item cost history --------------------------------------------------------------------------


def test_it_charts_the_running_average_at_posting_against_the_settled_cost(closed, company):
    with posting_session() as session:
        session.issue(item=closed, qty=D("1"), posting_date=date(2026, 2, 2), site=company.site, warehouse=company.warehouse,
                      source_type=SourceType.SALE, financial=True, ref="S2")
    close("2026-02-28")

    history = item_cost_history(item=closed)

    # S1 posted at 15.00, settled at 40.00 / 3 = 13.33; S2 posted at the average left, 20.00 (R2's second unit).
    assert [(point["date"], point["unit_cost"]) for point in history["posting"]] == [
        (date(2026, 1, 4), D("15.00")), (date(2026, 2, 2), D("20.00"))]
    assert [(point["date"], point["unit_cost"]) for point in history["settled"]] == [
        (date(2026, 1, 31), D("13.33")), (date(2026, 2, 28), D("20.00"))]
