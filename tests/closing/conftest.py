"""The closing suites' books: what a user does through the commands, and what the books say after.

    books.items(CSV)                      import_items
    books.post(CSV)                       import_transactions
    books.close("2026-01-31")             close_inventory --date … --wait
    books.recalculate("2026-02-28", …)    recalculate_inventory --date … --wait
    books.reverse()                       reverse_closing
    books.adjust_on_hand("A", "--value", "195.00")    adjust_on_hand --item A …
    books.adjust_transaction("R1", "--value", "120")  adjust_transaction --ref R1 …
    books.refused("close_inventory", …)   the CommandError message of a refused command
    books.export()                        export_transactions, parsed: {ref: Row}
    books.costs(item), books.adjusted(item)   cost_amount / cost_amount_adjustment per ref, from the export
    books.settlements()                   active settlements as (issue ref, receipt ref, qty, amount)
    books.open_receipts_value(item)       what is left of the value-open financial receipts
    books.on_hand_value(item)             OnHand.financial_value
    books.balance("1400")                 an account's balance in the ledger
    books.log()                           the close log as (item, transaction ref, message)
    books.counts()                        runs, settlements, adjustments, vouchers, lines, transactions
    books.voucher_lines(run)              a run's voucher as (account, debit, credit, storno)

`books.base22(item, ...)` posts the docs/domain.md §1.2 "BASE-22" book for one item (see `BASE_22`).
"""

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from textwrap import dedent

import pytest
from django.core.management import CommandError, call_command
from django.utils.module_loading import import_string

from closing import queue as closing_queue
from closing.models import ClosingLog, ClosingRun, CostAdjustment, Settlement
from inventory.models import FINANCIAL_STATUSES, InventoryTransaction, OnHand
from ledger.models import MainAccount, Voucher, VoucherLine

D = Decimal
TRANSACTIONS_HEADER = "ref,date,item,qty,unit_cost,update,site,warehouse,marking"
ITEMS_HEADER = "item,name,item_group,model_group,unit_cost"

# docs/domain.md §1.2 (BASE-22), one row per update; "a" rows are physical, "b" rows the invoice of the same
# transaction (same ref). Every label on its own January 2026 day, in order. {p} prefixes the refs
# (several items in one test), {m3} is the marking of issue 3 (set when the issue is first posted,
# so on its physical row 3a).
BASE_22 = """\
{p}R1,2026-01-02,{item},1,10.00,physical,,,
{p}R1,2026-01-03,{item},1,10.00,financial,,,
{p}R2,2026-01-04,{item},1,20.00,physical,,,
{p}R2,2026-01-05,{item},1,22.00,financial,,,
{p}I3,2026-01-06,{item},-1,,physical,,,{m3}
{p}I3,2026-01-07,{item},-1,,financial,,,
{p}R4,2026-01-08,{item},1,25.00,physical,,,
{p}R5,2026-01-09,{item},1,30.00,physical,,,
{p}R5,2026-01-10,{item},1,30.00,financial,,,
{p}I6,2026-01-11,{item},-1,,physical,,,
"""
BASE_22_CLOSE = "2026-01-31"

# The same book as the weighted average date article lays it out: Day 1 = 1a-3b, Day 2 = 4a-6a,
# Day 3 = the close.
BASE_22_BY_DAY = """\
{p}R1,2026-01-05,{item},1,10.00,physical,,,
{p}R1,2026-01-05,{item},1,10.00,financial,,,
{p}R2,2026-01-05,{item},1,20.00,physical,,,
{p}R2,2026-01-05,{item},1,22.00,financial,,,
{p}I3,2026-01-05,{item},-1,,physical,,,{m3}
{p}I3,2026-01-05,{item},-1,,financial,,,
{p}R4,2026-01-06,{item},1,25.00,physical,,,
{p}R5,2026-01-06,{item},1,30.00,physical,,,
{p}R5,2026-01-06,{item},1,30.00,financial,,,
{p}I6,2026-01-06,{item},-1,,physical,,,
"""
BASE_22_BY_DAY_CLOSE = "2026-01-07"


@dataclass(frozen=True)
class Row:
    """One row of export_transactions, amounts as Decimals."""

    ref: str
    item: str
    site: str
    warehouse: str
    date_physical: str
    date_financial: str
    qty: Decimal
    status: str
    cost_amount_physical: Decimal
    cost_amount_posted: Decimal
    cost_amount_adjustment: Decimal
    cost_amount: Decimal
    value_open: bool


def parse_export(text: str) -> dict[str, Row]:
    rows = {}
    for raw in csv.DictReader(io.StringIO(text)):
        rows[raw["ref"]] = Row(
            ref=raw["ref"], item=raw["item"], site=raw["site"], warehouse=raw["warehouse"],
            date_physical=raw["date_physical"], date_financial=raw["date_financial"], qty=D(raw["qty"]),
            status=raw["status"], cost_amount_physical=D(raw["cost_amount_physical"]),
            cost_amount_posted=D(raw["cost_amount_posted"]), cost_amount_adjustment=D(raw["cost_amount_adjustment"]),
            cost_amount=D(raw["cost_amount"]), value_open=raw["value_open"] == "1",
        )
    return rows


class Books:
    def __init__(self, tmp_path, company):
        self.tmp_path = tmp_path
        self.company = company
        self._files = 0

    # -- the commands ---------------------------------------------------------------------------

    def _file(self, header: str, body: str) -> str:
        self._files += 1
        path = self.tmp_path / f"file-{self._files}.csv"
        path.write_text(header + "\n" + dedent(body).strip() + "\n", encoding="utf-8")
        return str(path)

    @staticmethod
    def call(command: str, *args: str) -> str:
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command(command, *args, stdout=out, stderr=err)
        except CommandError as error:
            raise AssertionError(f"{command} {' '.join(args)} refused: {error}\n{err.getvalue()}") from error
        return out.getvalue()

    @staticmethod
    def refused(command: str, *args: str) -> str:
        """Run a command that must be refused; its CommandError message, with any per-line errors
        the command wrote to stderr after it."""
        err = io.StringIO()
        with pytest.raises(CommandError) as refusal:
            call_command(command, *args, stdout=io.StringIO(), stderr=err)
        return "\n".join([str(refusal.value), *err.getvalue().splitlines()])

    def items(self, body: str) -> str:
        return self.call("import_items", self._file(ITEMS_HEADER, body))

    def item(self, number: str, model_group: str, item_group: str = "DEFAULT", unit_cost: str = "") -> str:
        return self.items(f"{number},{number} for the books,{item_group},{model_group},{unit_cost}")

    def post(self, body: str) -> str:
        return self.call("import_transactions", self._file(TRANSACTIONS_HEADER, body))

    def post_refused(self, body: str) -> str:
        return self.refused("import_transactions", self._file(TRANSACTIONS_HEADER, body))

    def base22(self, item: str, *, marked_to: str = "", prefix: str = "", by_day: bool = False) -> str:
        template = BASE_22_BY_DAY if by_day else BASE_22
        return self.post(template.format(p=prefix, item=item, m3=f"{prefix}{marked_to}" if marked_to else ""))

    def close(self, on: str, *options: str) -> str:
        return self.call("close_inventory", "--date", on, "--wait", *options)

    def recalculate(self, on: str, *options: str) -> str:
        return self.call("recalculate_inventory", "--date", on, "--wait", *options)

    def reverse(self, *options: str) -> str:
        return self.call("reverse_closing", *options)

    def adjust_on_hand(self, item: str, *options: str) -> str:
        return self.call("adjust_on_hand", "--item", item, *options)

    def adjust_transaction(self, ref: str, *options: str) -> str:
        return self.call("adjust_transaction", "--ref", ref, *options)

    def export(self, item: str | None = None) -> dict[str, Row]:
        return parse_export(self.call("export_transactions", *(["--item", item] if item else [])))

    def costs(self, item: str) -> dict[str, Decimal]:
        """Final cost amount per ref of the item's own transactions (not the close's system ones)."""
        return {ref: row.cost_amount for ref, row in self.export(item).items() if not ref.startswith("CLS-")}

    def adjusted(self, item: str) -> dict[str, Decimal]:
        """cost_amount_adjustment per ref, where there is one."""
        return {ref: row.cost_amount_adjustment for ref, row in self.export(item).items() if row.cost_amount_adjustment}

    # -- what the books say ---------------------------------------------------------------------

    @staticmethod
    def settlements(item: str | None = None) -> list[tuple[str, str, Decimal, Decimal]]:
        """Active settlements, issue ref <- receipt ref, in the order the close made them."""
        rows = Settlement.objects.filter(is_cancelled=False).select_related("issue", "receipt").order_by("id")
        if item:
            rows = rows.filter(issue__item__number=item)
        return [(s.issue.ref, s.receipt.ref if s.receipt_id else None, s.qty.normalize(), s.amount) for s in rows]

    @staticmethod
    def system_transactions(item: str) -> list[tuple[Decimal, Decimal, Decimal, Decimal, bool]]:
        """The weighted average closing pair(s): (qty, cost amount, qty settled, amount settled, value open)."""
        return [(t.qty.normalize(), t.cost_amount, t.qty_settled.normalize(), t.cost_amount_settled, t.value_open)
                for t in InventoryTransaction.objects.filter(item__number=item, source_type="wa_closing").order_by("id")]

    @staticmethod
    def open_receipts_value(item: str) -> Decimal:
        """Financial on-hand value as the close leaves it: what is left of every value-open financial
        receipt (the weighted average closing receipt included)."""
        total = D("0.00")
        for txn in InventoryTransaction.objects.filter(item__number=item, qty__gt=0, value_open=True,
                                                       status__in=FINANCIAL_STATUSES):
            total += txn.cost_amount - txn.cost_amount_settled
        return total

    # Sums are made in Python: SQLite adds decimals up as floats.

    @staticmethod
    def on_hand_value(item: str) -> Decimal:
        return sum(OnHand.objects.filter(item__number=item).values_list("financial_value", flat=True), D("0.00"))

    @staticmethod
    def balance(account: str) -> Decimal:
        return sum((debit - credit for debit, credit in VoucherLine.objects.filter(account__number=account)
                    .values_list("debit", "credit")), D("0.00"))

    @staticmethod
    def log(run: ClosingRun | None = None) -> list[tuple[str | None, str | None, str]]:
        entries = ClosingLog.objects.select_related("item", "transaction").order_by("id")
        if run is not None:
            entries = entries.filter(run=run)
        return [(e.item.number if e.item_id else None, e.transaction.ref if e.transaction_id else None, e.message)
                for e in entries]

    @staticmethod
    def last_run() -> ClosingRun:
        return ClosingRun.objects.order_by("-id").first()

    @staticmethod
    def counts() -> dict[str, int]:
        return {
            "runs": ClosingRun.objects.count(),
            "settlements": Settlement.objects.count(),
            "active settlements": Settlement.objects.filter(is_cancelled=False).count(),
            "adjustments": CostAdjustment.objects.count(),
            "active adjustments": CostAdjustment.objects.filter(is_cancelled=False).count(),
            "vouchers": Voucher.objects.count(),
            "voucher lines": VoucherLine.objects.count(),
            "transactions": InventoryTransaction.objects.count(),
            "log": ClosingLog.objects.count(),
        }

    @staticmethod
    def voucher_lines(run: ClosingRun) -> list[tuple[str, Decimal, Decimal, bool]]:
        """The run's voucher as (account, debit, credit, storno), in account order."""
        if not run.voucher_id:
            return []
        return [(line.account.number, line.debit, line.credit, line.is_storno)
                for line in VoucherLine.objects.filter(voucher_id=run.voucher_id).select_related("account")
                .order_by("account__number", "id")]

    @staticmethod
    def account(number: str) -> MainAccount:
        return MainAccount.objects.get(number=number)


@pytest.fixture
def books(tmp_path, company) -> Books:
    return Books(tmp_path, company)


@pytest.fixture
def jobs_here(monkeypatch, django_capture_on_commit_callbacks):
    """The workers, here: closing.queue.enqueue calls the job a worker would, and `with jobs_here():`
    runs what a request queued after its commit (the test's transaction never commits) before the
    test goes on."""
    monkeypatch.setattr(closing_queue, "enqueue",
                        lambda kind, object_id: import_string(closing_queue.STEPS[kind])(object_id))
    return lambda: django_capture_on_commit_callbacks(execute=True)
