"""The book checks: do the books agree with themselves?

Run after every close, recalculation, adjustment and reversal (reports.receivers), on demand with
`manage.py check_books`, and at the end of every engine scenario test. Each check is one or two
set-based aggregate queries, so they stay fast on a million transactions.

* vouchers_balanced: every voucher's debits equal its credits.
* subledger_equals_ledger: per inventory account, the transactions' value equals the ledger balance
  (the reconciliation report's totals).
* settled_within_existing: no transaction has more quantity or value settled than it has, and no
  transaction is settled, through active settlements, beyond its quantity.
* on_hand_equals_transactions: the on-hand cache (quantities and values per item, site, warehouse
  and lot) equals the sum of the transactions.
* close_covers_its_period: every financially updated issue dated on or before the latest ended close's
  date, of an item the close settles, is settled or named in that close's log, and the close read
  no more transactions than existed when it started. A posting that slipped into the period while
  the close was reading (the import/close race) shows here.
* bins_equal_inventory: in every bin-mandatory warehouse, per item, the storage bins hold what
  inventory has on hand once the adjustment bin is empty; until Calculate Whse. Adjustment is
  posted they differ by exactly the opposite of the adjustment bin (docs/domain.md §5.1).
"""

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import partial

from django.db import connection
from django.db.models import Case, DecimalField, Exists, F, OuterRef, Q, Sum, When
from django.db.models.functions import Abs
from django.utils import timezone

from closing.models import ClosingLog, ClosingRun
from closing.selectors import SETTLING_METHODS
from common.money import AMOUNT_FIELD, ZERO
from inventory.models import FINANCIAL_STATUSES, InventoryTransaction, Item, OnHand, SourceType
from ledger.models import Voucher, VoucherLine
from reports.selectors import amount, quantity, reconciliation
from warehouse.selectors import bins_vs_inventory

# A check lists this many differences and counts the rest.
MAX_LISTED = 50
TOLERANCE = Decimal("0.005")  # below a cent is rounding in the database's own arithmetic, not a difference


@dataclass
class CheckResult:
    name: str
    title: str
    ok: bool = True
    count: int = 0
    differences: list[dict] = field(default_factory=list)

    def add(self, difference: dict) -> None:
        self.ok = False
        self.count += 1
        if len(self.differences) < MAX_LISTED:
            self.differences.append({key: _plain(value) for key, value in difference.items()})


@dataclass
class BooksCheck:
    as_of: date | None
    checked_at: datetime
    checks: list[CheckResult]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def to_dict(self) -> dict:
        # "lines": each difference as text, in its own order (PostgreSQL's jsonb keeps no key order).
        return {"ok": self.ok, "as_of": self.as_of.isoformat() if self.as_of else None,
                "checked_at": self.checked_at.isoformat(),
                "checks": [{**asdict(check), "lines": [_text(difference) for difference in check.differences]}
                           for check in self.checks]}

    def lines(self) -> list[str]:
        """The result as text, one line per check and per difference listed."""
        out = []
        for check in self.checks:
            out.append(f"{'OK  ' if check.ok else 'FAIL'} {check.title}" + ("" if check.ok else f": {check.count} difference(s)"))
            for difference in check.differences:
                out.append("     " + _text(difference))
            if check.count > len(check.differences):
                out.append(f"     … and {check.count - len(check.differences)} more")
        return out


def _text(difference: dict) -> str:
    return ", ".join(f"{key} {value}" for key, value in difference.items())


def _plain(value):
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, date):
        return value.isoformat()
    return value


# How many checks books_check runs (a queued book check's progress counts them).
CHECK_COUNT = 6


def books_check(*, as_of: date | None = None, accounts: Iterable[int] | None = None,
                on_check_done: Callable[[CheckResult], None] | None = None) -> BooksCheck:
    """Run every check, as of a date (ledger and subledger up to it; the on-hand cache and the
    settlements are always as they stand now). `accounts` limits the ledger comparison to these
    inventory accounts (a run's check looks at the accounts its voucher touched). `on_check_done`
    hears of each check as it finishes (a queued book check counts them for its progress)."""
    checks = [partial(check_vouchers_balanced, as_of=as_of),
              partial(check_subledger_equals_ledger, as_of=as_of, accounts=list(accounts) if accounts is not None else None),
              check_settled_within_existing, check_on_hand_equals_transactions, check_close_covers_its_period,
              check_bins_equal_inventory]
    return BooksCheck(as_of=as_of, checked_at=timezone.now(), checks=_run_all(checks, on_check_done or (lambda result: None)))


def _run_all(checks: list, on_check_done: Callable[[CheckResult], None]) -> list[CheckResult]:
    """The checks are independent scans of big tables: on PostgreSQL, outside a transaction (after a
    run has committed, or from the command), each runs on a connection of its own, so the database
    works on them at once instead of one after the other. Inside a transaction they must see its
    uncommitted rows, so they run here, in turn. `on_check_done` is called here, in this thread."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        results = []
        for check in checks:
            results.append(check())
            on_check_done(results[-1])
        return results
    with ThreadPoolExecutor(max_workers=len(checks)) as pool:
        futures = [pool.submit(_on_own_connection, check) for check in checks]
        for future in as_completed(futures):
            on_check_done(future.result())
        return [future.result() for future in futures]


def _on_own_connection(check) -> CheckResult:
    try:
        return check()
    finally:
        connection.close()  # this thread's connection; the caller's is untouched


def check_vouchers_balanced(*, as_of: date | None = None) -> CheckResult:
    result = CheckResult("vouchers_balanced", "Vouchers balanced (debit = credit)")
    lines = VoucherLine.objects.all() if as_of is None else VoucherLine.objects.filter(date__lte=as_of)
    # Grouped by the lines' own voucher column (a million vouchers: no join to name them all); only
    # the unbalanced few are looked up by number.
    unbalanced = list(lines.values("voucher_id").annotate(debit=Sum("debit"), credit=Sum("credit"))
                      .annotate(gap=Abs(F("debit") - F("credit"))).filter(gap__gte=TOLERANCE).order_by())
    numbers = dict(Voucher.objects.filter(pk__in=[row["voucher_id"] for row in unbalanced]).values_list("pk", "number"))
    for row in sorted(unbalanced, key=lambda row: numbers[row["voucher_id"]]):
        debit, credit = amount(row["debit"]), amount(row["credit"])
        result.add({"voucher": numbers[row["voucher_id"]], "debit": debit, "credit": credit, "difference": debit - credit})
    return result


def check_subledger_equals_ledger(*, as_of: date | None = None, accounts: Iterable[int] | None = None) -> CheckResult:
    result = CheckResult("subledger_equals_ledger", "Subledger equals ledger on the inventory accounts")
    wanted = set(accounts) if accounts is not None else None
    for row in reconciliation(as_of=as_of).accounts:
        if wanted is not None and row["account_id"] not in wanted:
            continue
        if row["difference"] != ZERO:
            result.add({"account": row["account"].number, "subledger": row["subledger"], "ledger": row["ledger"],
                        "difference": row["difference"]})
    return result


def check_settled_within_existing() -> CheckResult:
    result = CheckResult("settled_within_existing", "Nothing settled beyond what exists")
    value = Case(When(status__in=FINANCIAL_STATUSES, then=F("cost_amount_posted") + F("cost_amount_adjustment")),
                 default=F("cost_amount_physical") + F("cost_amount_adjustment"), output_field=DecimalField(**AMOUNT_FIELD))
    beyond = (InventoryTransaction.objects.annotate(value=value)
              .filter(Q(qty_settled__gt=Abs(F("qty"))) | Q(qty_settled__lt=-Abs(F("qty")))
                      | Q(cost_amount_settled__gt=Abs(F("value")) + TOLERANCE)
                      | Q(cost_amount_settled__lt=-Abs(F("value")) - TOLERANCE))
              .values_list("ref", "qty", "qty_settled", "value", "cost_amount_settled").order_by("id"))
    for ref, qty, qty_settled, cost, settled in beyond:
        result.add({"transaction": ref, "qty": quantity(qty), "qty_settled": quantity(qty_settled),
                    "value": amount(cost), "value_settled": amount(settled)})
    with connection.cursor() as cursor:
        cursor.execute(SETTLED_BEYOND_SQL)
        for ref, qty, settled in cursor.fetchall():
            result.add({"transaction": ref, "qty": quantity(qty), "settled_by_settlements": quantity(settled)})
    return result


# Each transaction's quantity settled by active settlements, issue and receipt side together: one
# grouped pass over the settlements, then one join with the transactions for the few that exceed.
SETTLED_BEYOND_SQL = """
SELECT t.ref, t.qty, s.settled FROM (
    SELECT u.id, SUM(u.qty) AS settled FROM (
        SELECT s.issue_id AS id, s.qty FROM closing_settlement s JOIN closing_closingrun r ON r.id = s.run_id
         WHERE NOT r.is_cancelled AND s.issue_id IS NOT NULL
        UNION ALL
        SELECT s.receipt_id, s.qty FROM closing_settlement s JOIN closing_closingrun r ON r.id = s.run_id
         WHERE NOT r.is_cancelled AND s.receipt_id IS NOT NULL
    ) u GROUP BY u.id
) s JOIN inventory_inventorytransaction t ON t.id = s.id
 WHERE s.settled > ABS(t.qty) + 0.000001
 ORDER BY t.ref
"""


ON_HAND_FIGURES = ("physical_qty", "financial_qty", "financial_value", "physical_value")


def _on_hand_figures(row: dict) -> dict[str, Decimal]:
    """An on-hand row's four figures (or the transactions' sums of them), rounded like the books."""
    return {name: (quantity if name.endswith("_qty") else amount)(row[name]) for name in ON_HAND_FIGURES}


# Each place's transactions summed, side by side with its on-hand row (either may be missing), and
# only the places where they differ at all: the database compares, so no place is read into Python
# unless it is a candidate (at 10M transactions, reading every place took 215 MB). The sums are
# exact on PostgreSQL; SQLite's float-like sums may differ by noise, which the rounding in Python
# then settles, so this is a superset of the differences the check reports.
ON_HAND_CANDIDATES = """
SELECT COALESCE(s.item_id, o.item_id), COALESCE(s.site_id, o.site_id), COALESCE(s.warehouse_id, o.warehouse_id),
       COALESCE(s.tracking_number, o.tracking_number),
       s.physical_qty, s.financial_qty, s.financial_value, s.physical_value,
       o.id, o.physical_qty, o.financial_qty, o.financial_value, o.physical_value
  FROM (SELECT item_id, site_id, warehouse_id, tracking_number,
               SUM(qty) AS physical_qty,
               SUM(CASE WHEN status IN ({financial}) THEN qty ELSE 0 END) AS financial_qty,
               SUM(CASE WHEN status IN ({financial}) THEN cost_amount_posted + cost_amount_adjustment ELSE 0 END)
                   AS financial_value,
               SUM(CASE WHEN status IN ({financial}) THEN 0 ELSE cost_amount_physical + cost_amount_adjustment END)
                   AS physical_value
          FROM {transactions} GROUP BY item_id, site_id, warehouse_id, tracking_number) s
  FULL OUTER JOIN {on_hand} o
    ON o.item_id = s.item_id AND o.site_id = s.site_id AND o.warehouse_id = s.warehouse_id
   AND o.tracking_number = s.tracking_number
 WHERE s.item_id IS NULL OR o.id IS NULL
    OR s.physical_qty <> o.physical_qty OR s.financial_qty <> o.financial_qty
    OR s.financial_value <> o.financial_value OR s.physical_value <> o.physical_value
"""


def check_on_hand_equals_transactions() -> CheckResult:
    result = CheckResult("on_hand_equals_transactions", "On-hand equals the sum of the transactions")
    financial = [str(status) for status in FINANCIAL_STATUSES]
    marks = ", ".join(["%s"] * len(financial))
    with connection.cursor() as cursor:
        cursor.execute(ON_HAND_CANDIDATES.format(financial=marks, transactions=InventoryTransaction._meta.db_table,
                                                 on_hand=OnHand._meta.db_table), financial * 3)
        candidates = cursor.fetchall()
    zero = _on_hand_figures(dict.fromkeys(ON_HAND_FIGURES))
    differences = []
    for row in candidates:
        key, sums, on_hand_id, cached = row[:4], row[4:8], row[8], row[9:]
        expected = _on_hand_figures(dict(zip(ON_HAND_FIGURES, sums, strict=True))) if sums[0] is not None else zero
        have = _on_hand_figures(dict(zip(ON_HAND_FIGURES, cached, strict=True))) if on_hand_id is not None else zero
        for name, value in expected.items():
            if have[name] != value:
                differences.append((key, on_hand_id, name, have[name], value))
    if not differences:
        return result
    places = {row["id"]: row for row in OnHand.objects.filter(pk__in={d[1] for d in differences} - {None}).values(
        "id", "item__number", "site__code", "warehouse__code")}
    numbers = dict(Item.objects.filter(pk__in={d[0][0] for d in differences if d[1] is None}).values_list("pk", "number"))
    for key, on_hand_id, name, cached, value in sorted(differences, key=lambda d: tuple(str(part) for part in d[0])):
        place = places.get(on_hand_id)
        where = (f"{place['item__number']} {place['site__code']}/{place['warehouse__code']}" if place
                 else f"{numbers.get(key[0], key[0])} (no on-hand row)") + (f" {key[3]}" if key[3] else "")
        result.add({"on_hand": where, "figure": name, "cached": cached, "transactions": value, "difference": cached - value})
    return result


def check_close_covers_its_period() -> CheckResult:
    result = CheckResult("close_covers_its_period", "The latest close settled or named every issue of its period")
    close = (ClosingRun.objects.filter(run_type=ClosingRun.RunType.CLOSING, status=ClosingRun.Status.ENDED,
                                       is_cancelled=False).order_by("-date", "-id").first())
    if close is None:  # none yet, or the latest is still running: it has not settled its period yet
        return result
    if close.transactions_done > close.transactions_total:
        result.add({"run": close.number, "transactions_read": close.transactions_done,
                    "transactions_that_existed": close.transactions_total})
    named = ClosingLog.objects.filter(run=close, transaction_id=OuterRef("pk"))
    unsettled = (InventoryTransaction.objects
                 .filter(qty__lt=0, status__in=FINANCIAL_STATUSES, date_financial__lte=close.date,
                         item__model_group__valuation_method__in=SETTLING_METHODS)
                 .exclude(source_type=SourceType.WEIGHTED_AVERAGE_CLOSING)
                 .exclude(qty_settled=F("qty"))
                 .exclude(Exists(named))
                 .values_list("ref", "item__number", "date_financial", "qty", "qty_settled").order_by("id"))
    for ref, item, on, qty, settled in unsettled:
        result.add({"transaction": ref, "item": item, "date": on, "qty": quantity(qty), "qty_settled": quantity(settled),
                    "close": close.number})
    return result


def check_bins_equal_inventory() -> CheckResult:
    """Warehouse entries against inventory, per item and bin-mandatory warehouse (the rule, that the
    adjustment bin explains every difference, is warehouse's: ComparisonRow.explained)."""
    result = CheckResult("bins_equal_inventory", "Bins equal inventory once the adjustment bin is empty")
    for row in bins_vs_inventory(mandatory_only=True):
        if not row.explained:
            result.add({"item": row.item, "warehouse": row.warehouse, "storage_bins": quantity(row.storage),
                        "inventory": quantity(row.inventory), "adjustment_bin": quantity(row.adjustment),
                        "unexplained": quantity(row.difference + row.adjustment)})
    return result
