"""Reads for the reports: set-based aggregates over transactions, cost adjustments and ledger lines.

Every figure is computed from the transactions and adjustments themselves, never from the on-hand
or cost-dimension caches (those are what check_books verifies).

Value of a transaction as of a date (docs/domain.md §0 and §2.2):

* financially updated on or before the date: cost_amount_posted + cost_amount_adjustment, less the
  adjustments of active runs dated after the date;
* physically updated on or before the date, not yet financially: cost_amount_physical plus the
  adjustments of active runs dated on or before the date (IPV adjustments of physical issues);
* otherwise not on the books yet.

A reversed run's adjustments are already taken off cost_amount_adjustment by the reversal (closing
services `_undo_run_sql`), so only active runs' adjustments are ever subtracted or added here.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Case, Count, DecimalField, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Abs

from closing.models import ClosingLog, ClosingRun, CostAdjustment, RunPostedAmount
from closing.selectors import voucher_source
from common.money import AMOUNT_FIELD, QUANTITY_FIELD, ZERO, round_amount
from common.money import summed_amount as amount
from common.money import summed_quantity as quantity
from inventory.models import (
    FINANCIAL_STATUSES,
    InventoryTransaction,
    Item,
    ItemGroup,
    Site,
    SourceType,
    Warehouse,
)
from ledger.models import MainAccount, Voucher, VoucherLine
from reports.models import BookCheck

AMOUNT = DecimalField(**AMOUNT_FIELD)
QUANTITY = DecimalField(**QUANTITY_FIELD)
# How many rows a drill-down lists before it says "and N more" (a million transactions without
# voucher is one finding, not a page of a million rows).
DETAIL_LIMIT = 500


# -- value as of a date -------------------------------------------------------------------------

def _financial_as_of(as_of: date | None, prefix: str = "") -> Q:
    if as_of is None:
        return Q(**{f"{prefix}status__in": FINANCIAL_STATUSES})
    return Q(**{f"{prefix}date_financial__lte": as_of})


def _physical_as_of(as_of: date | None, prefix: str = "") -> Q:
    """Physically updated on the date, not financially (yet)."""
    if as_of is None:
        return Q(**{f"{prefix}date_financial__isnull": True})
    return Q(**{f"{prefix}date_physical__lte": as_of}) & (
        Q(**{f"{prefix}date_financial__isnull": True}) | Q(**{f"{prefix}date_financial__gt": as_of}))


def _on_books(as_of: date | None) -> Q:
    return Q() if as_of is None else Q(date_physical__lte=as_of)


def _sum_when(condition: Q, expression, output) -> Sum:
    return Sum(Case(When(condition, then=expression), default=Value(0), output_field=output))


def subledger_values(*, transactions: QuerySet[InventoryTransaction], as_of: date | None, keys: list[str],
                     ledger_only: bool = False) -> dict[tuple, dict[str, Decimal]]:
    """Quantity and value per `keys` (transaction fields, e.g. ["item_id", "site_id"]), financial
    and physical apart, as of a date (None: now).

    `ledger_only` keeps what the ledger was told: physical-only transactions only where their model
    group posts physical inventory, and not the posted amount of the weighted-average closing pairs
    (settlement bookkeeping that nets to zero and posts no voucher)."""
    financial, physical = _financial_as_of(as_of), _physical_as_of(as_of)
    now_physical = Q(date_financial__isnull=True)
    rows = transactions.filter(_on_books(as_of))
    if ledger_only:
        physical &= Q(item__model_group__post_physical_inventory=True)
        rows = rows.filter(financial | physical)
    posted = F("cost_amount_posted") + F("cost_amount_adjustment")
    if ledger_only:
        posted = Case(When(source_type=SourceType.WEIGHTED_AVERAGE_CLOSING, then=F("cost_amount_adjustment")),
                      default=posted, output_field=AMOUNT)
    aggregates = rows.values(*keys).annotate(
        financial_qty=_sum_when(financial, F("qty"), QUANTITY),
        financial_value=_sum_when(financial, posted, AMOUNT),
        physical_qty=_sum_when(physical, F("qty"), QUANTITY),
        # Invoiced since: its adjustments up to the date come from the correction below.
        physical_value=Sum(Case(When(physical & now_physical, then=F("cost_amount_physical") + F("cost_amount_adjustment")),
                                When(physical, then=F("cost_amount_physical")), default=Value(0), output_field=AMOUNT)),
    ).order_by()
    result: dict[tuple, dict[str, Decimal]] = {}
    for row in aggregates:
        result[tuple(row[key] for key in keys)] = {
            "financial_qty": quantity(row["financial_qty"]), "financial_value": amount(row["financial_value"]),
            "physical_qty": quantity(row["physical_qty"]), "physical_value": amount(row["physical_value"]),
        }
    if as_of is not None:
        _correct_for_adjustment_dates(result, transactions=rows, as_of=as_of, keys=keys, financial=financial,
                                      physical=physical)
    if ledger_only:
        _take_off_unposted(result, transactions=rows, as_of=as_of, keys=keys, financial=financial)
    return result


def _prefixed(condition: Q, prefix: str = "transaction__") -> Q:
    """The same condition on a related model's rows: Q(qty__lt=0) -> Q(transaction__qty__lt=0)."""
    children = [_prefixed(child, prefix) if isinstance(child, Q) else (f"{prefix}{child[0]}", child[1])
                for child in condition.children]
    return Q(*children, _connector=condition.connector, _negated=condition.negated)


def _take_off_unposted(result, *, transactions, as_of: date | None, keys: list[str], financial: Q) -> None:
    """Adjustments of runs made with "update ledger" cleared change the inventory cost only
    (docs/domain.md §2.4): the ledger was never told, so they are not a difference."""
    runs = list(ClosingRun.objects.filter(is_cancelled=False, update_ledger=False).values_list("pk", flat=True))
    if not runs:  # the usual case: nothing to read through a million transactions for
        return
    unposted = CostAdjustment.objects.filter(run__in=runs, transaction__in=transactions.values("pk"))
    if as_of is not None:
        unposted = unposted.filter(date__lte=as_of)
    prefixed = [f"transaction__{key}" for key in keys]
    for row in unposted.values(*prefixed).annotate(
            financial=_sum_when(_prefixed(financial), F("amount"), AMOUNT),
            physical=_sum_when(~_prefixed(financial), F("amount"), AMOUNT)).order_by():
        values = result.setdefault(tuple(row[key] for key in prefixed), _empty())
        values["financial_value"] -= amount(row["financial"])
        values["physical_value"] -= amount(row["physical"])


def _correct_for_adjustment_dates(result, *, transactions, as_of: date, keys: list[str], financial: Q, physical: Q) -> None:
    """Two small set-based corrections: take off the adjustments dated after the date (read through
    the runs, which are few, so PostgreSQL finds them by run), and add back, for transactions
    physical on the date but invoiced since, the adjustments they had by then."""
    prefixed = [f"transaction__{key}" for key in keys]

    later_runs = list(ClosingRun.objects.filter(is_cancelled=False, date__gt=as_of).values_list("pk", flat=True))
    later = CostAdjustment.objects.filter(run__in=later_runs, transaction__in=transactions.values("pk")).values(*prefixed).annotate(
        financial=_sum_when(_prefixed(financial), F("amount"), AMOUNT),
        physical=_sum_when(_prefixed(physical) & Q(transaction__date_financial__isnull=True), F("amount"), AMOUNT),
    ).order_by()
    for row in (later if later_runs else []):
        values = result.setdefault(tuple(row[key] for key in prefixed), _empty())
        values["financial_value"] -= amount(row["financial"])
        values["physical_value"] -= amount(row["physical"])
    # Narrowed in the transactions first (invoiced after the date: the few of the last weeks), so
    # the adjustments are matched against those, not against every transaction on the books.
    invoiced_later = transactions.filter(physical, date_financial__gt=as_of).values("pk")
    invoiced_since = CostAdjustment.objects.filter(run__is_cancelled=False, transaction__in=invoiced_later, date__lte=as_of
                                                   ).values(*prefixed).annotate(total=Sum("amount")).order_by()
    for row in invoiced_since:
        values = result.setdefault(tuple(row[key] for key in prefixed), _empty())
        values["physical_value"] += amount(row["total"])


def _empty() -> dict[str, Decimal]:
    return {"financial_qty": ZERO, "financial_value": ZERO, "physical_qty": ZERO, "physical_value": ZERO}


# -- 1. inventory value -------------------------------------------------------------------------

@dataclass
class InventoryValue:
    as_of: date | None
    rows: list[dict] = field(default_factory=list)  # per item group, item, site, warehouse
    groups: list[dict] = field(default_factory=list)  # subtotals per item group
    totals: dict[str, Decimal] = field(default_factory=_empty)


def inventory_value(*, as_of: date | None, transactions: QuerySet[InventoryTransaction] | None = None) -> InventoryValue:
    """Quantity and value per item, site and warehouse, grouped by item group, financial and
    physical apart, with subtotals and totals. `transactions` carries the page's filters."""
    transactions = InventoryTransaction.objects.all() if transactions is None else transactions
    keys = ["item__item_group_id", "item_id", "site_id", "warehouse_id"]
    values = subledger_values(transactions=transactions, as_of=as_of, keys=keys)
    items, names = {}, {}
    for pk, number, name in Item.objects.filter(pk__in={key[1] for key in values}).values_list("pk", "number", "name"):
        items[pk], names[pk] = number, name
    groups = {group.pk: group.code for group in ItemGroup.objects.all()}
    sites = {site.pk: site.code for site in Site.objects.all()}
    warehouses = {warehouse.pk: warehouse.code for warehouse in Warehouse.objects.all()}
    report = InventoryValue(as_of=as_of)
    subtotals: dict[int, dict] = {}
    for (group_id, item_id, site_id, warehouse_id), row in values.items():
        if not any(row.values()):
            continue
        entry = {"item_group": groups[group_id], "item": items[item_id], "item_name": names[item_id],
                 "site": sites[site_id], "warehouse": warehouses[warehouse_id], "item_id": item_id,
                 "site_id": site_id, "warehouse_id": warehouse_id, "item_group_id": group_id, **row}
        entry["qty"] = row["financial_qty"] + row["physical_qty"]
        entry["value"] = row["financial_value"] + row["physical_value"]
        report.rows.append(entry)
        subtotal = subtotals.setdefault(group_id, {"item_group": groups[group_id], "item_group_id": group_id, **_empty(),
                                                   "qty": ZERO, "value": ZERO, "lines": 0})
        for name in ("financial_qty", "financial_value", "physical_qty", "physical_value", "qty", "value"):
            subtotal[name] += entry[name]
        subtotal["lines"] += 1
    report.rows.sort(key=lambda row: (row["item_group"], row["item"], row["site"], row["warehouse"]))
    report.groups = sorted(subtotals.values(), key=lambda row: row["item_group"])
    report.totals = {name: sum((row[name] for row in report.groups), ZERO)
                     for name in ("financial_qty", "financial_value", "physical_qty", "physical_value", "qty", "value")}
    return report


def inventory_value_transactions(*, as_of: date | None, transactions: QuerySet[InventoryTransaction]) -> dict:
    """The transactions behind one figure of the inventory value report, each with its value as of
    the date (together they make the figure), at most DETAIL_LIMIT of them."""
    rows = transactions.filter(_on_books(as_of)).select_related("item", "site", "warehouse").order_by("date_physical", "id")
    count = rows.count()
    shown = list(rows[:DETAIL_LIMIT])
    adjustments: dict[int, dict[str, Decimal]] = defaultdict(lambda: {"later": ZERO, "earlier": ZERO})
    if as_of is not None:
        for txn_id, adjustment_date, total in CostAdjustment.objects.filter(
                run__is_cancelled=False, transaction__in=[txn.pk for txn in shown]).values_list("transaction_id", "date", "amount"):
            adjustments[txn_id]["later" if adjustment_date > as_of else "earlier"] += total
    result = []
    for txn in shown:
        adjusted = adjustments[txn.pk]
        if txn.date_financial is not None and (as_of is None or txn.date_financial <= as_of):
            update, value = "financial", txn.cost_amount_posted + txn.cost_amount_adjustment - adjusted["later"]
        elif txn.date_financial is None:
            update, value = "physical", txn.cost_amount_physical + txn.cost_amount_adjustment - adjusted["later"]
        else:  # physical on the date, invoiced since
            update, value = "physical", txn.cost_amount_physical + adjusted["earlier"]
        result.append({"transaction": txn, "ref": txn.ref, "item": txn.item.number, "site": txn.site.code,
                       "warehouse": txn.warehouse.code,
                       "date": txn.date_financial if update == "financial" else txn.date_physical,
                       "update": update, "status": txn.get_status_display(), "qty": txn.qty, "value": round_amount(value)})
    return {"rows": result, "count": count,
            "totals": {"qty": sum((row["qty"] for row in result), ZERO), "value": sum((row["value"] for row in result), ZERO)}}


# -- 2. inventory-to-ledger reconciliation ------------------------------------------------------

@dataclass
class Reconciliation:
    as_of: date | None
    rows: list[dict] = field(default_factory=list)  # per inventory account and item group
    accounts: list[dict] = field(default_factory=list)  # per inventory account

    @property
    def differences(self) -> list[dict]:
        return [row for row in self.accounts if row["difference"] != ZERO]

    @property
    def totals(self) -> dict[str, Decimal]:
        return {name: sum((row[name] for row in self.accounts), ZERO) for name in ("subledger", "ledger", "difference")}


def inventory_account_ids() -> set[int]:
    """The balance-sheet accounts inventory is kept on: every item group's receipt and issue account."""
    ids = set()
    for receipt, issue in ItemGroup.objects.values_list("inventory_receipt_account_id", "inventory_issue_account_id"):
        ids.update((receipt, issue))
    return ids


def _ledger_lines(as_of: date | None, accounts) -> QuerySet[VoucherLine]:
    lines = VoucherLine.objects.filter(account_id__in=accounts)
    return lines if as_of is None else lines.filter(date__lte=as_of)


def _posted_amounts(runs, accounts) -> dict[tuple[int, int, int], Decimal]:
    """What the runs' vouchers posted per (voucher, account, item group) on these accounts, as
    recorded when each voucher was written (RunPostedAmount)."""
    return {(row["run__voucher_id"], row["account_id"], row["item_group_id"]): row["amount"]
            for row in RunPostedAmount.objects.filter(run__in=runs, account_id__in=accounts).values(
                "run__voucher_id", "account_id", "item_group_id", "amount")}


def _summarized_run_vouchers(lines: QuerySet[VoucherLine]) -> list[ClosingRun]:
    """Runs whose voucher has inventory lines without an item group (specification Total)."""
    voucher_ids = set(lines.filter(item_group__isnull=True, inventory_transaction__isnull=True)
                      .values_list("voucher_id", flat=True).order_by().distinct())
    return list(ClosingRun.objects.filter(voucher_id__in=voucher_ids)) if voucher_ids else []


def reconciliation(*, as_of: date | None) -> Reconciliation:
    """Per inventory account and item group: the subledger's value (what the transactions say the
    ledger was told) against the ledger's balance, and the difference.

    Posting lines carry their item group; a closing voucher summarized in total carries none, so
    its lines are spread over item groups by what the run recorded it posted per item group;
    whatever of such a line that does not explain stays on a row without item group, as a
    difference."""
    accounts = inventory_account_ids()
    sub = subledger_values(transactions=InventoryTransaction.objects.filter(inventory_account__isnull=False), as_of=as_of,
                           keys=["inventory_account_id", "item__item_group_id"], ledger_only=True)
    accounts |= {account_id for account_id, _ in sub}
    lines = _ledger_lines(as_of, accounts)
    ledger: dict[tuple[int, int | None], Decimal] = defaultdict(lambda: ZERO)
    for row in lines.values("account_id", "item_group_id").annotate(d=Sum("debit"), c=Sum("credit")).order_by():
        ledger[(row["account_id"], row["item_group_id"])] += amount(row["d"]) - amount(row["c"])
    summarized = _summarized_run_vouchers(lines)
    if summarized:
        for (_, account_id, group_id), value in _posted_amounts(summarized, accounts).items():
            ledger[(account_id, group_id)] += value
            ledger[(account_id, None)] -= value
    report = Reconciliation(as_of=as_of)
    account_names = {account.pk: account for account in MainAccount.objects.filter(pk__in=accounts)}
    groups = {group.pk: group for group in ItemGroup.objects.all()}
    keys = set(sub) | set(ledger)
    per_account: dict[int, dict] = {}
    for account_id, group_id in sorted(keys, key=lambda key: (account_names[key[0]].number, groups[key[1]].code if key[1] else "~")):
        subledger = sub.get((account_id, group_id), _empty())
        subledger_value = subledger["financial_value"] + subledger["physical_value"]
        ledger_value = ledger.get((account_id, group_id), ZERO)
        if subledger_value == ZERO and ledger_value == ZERO:
            continue
        row = {"account": account_names[account_id], "account_id": account_id, "item_group": groups.get(group_id),
               "item_group_id": group_id, "subledger": subledger_value, "ledger": ledger_value,
               "difference": subledger_value - ledger_value}
        report.rows.append(row)
        total = per_account.setdefault(account_id, {"account": account_names[account_id], "account_id": account_id,
                                                    "subledger": ZERO, "ledger": ZERO, "difference": ZERO})
        for name in ("subledger", "ledger", "difference"):
            total[name] += row[name]
    report.accounts = [per_account[key] for key in sorted(per_account, key=lambda pk: account_names[pk].number)]
    return report


# The transactions behind a difference: each transaction's own voucher lines on its inventory
# account (dated on or before the date) against what they should add up to: the posted value, i.e.
# the value less the adjustments that run vouchers carried (those dated on or after its financial
# date), or the physical amount while it is physical. One pass with hash joins over the aggregated
# lines and adjustments; a correlated subquery per transaction would probe a million times.
DETAIL_SQL = """
WITH lines AS (
    SELECT l.inventory_transaction_id AS id, SUM(l.debit) - SUM(l.credit) AS total, COUNT(*) AS n
      FROM ledger_voucherline l
     WHERE l.account_id = %(account)s AND l.inventory_transaction_id IS NOT NULL {line_date} {line_items}
     GROUP BY l.inventory_transaction_id
), run_adjustments AS (
    SELECT a.transaction_id AS id, SUM(a.amount) AS total
      FROM closing_costadjustment a
      JOIN closing_closingrun r ON r.id = a.run_id
      JOIN inventory_inventorytransaction t ON t.id = a.transaction_id
     WHERE NOT r.is_cancelled AND t.inventory_account_id = %(account)s AND a.date >= t.date_financial {items}
     GROUP BY a.transaction_id
)
SELECT t.id, expected, COALESCE(lines.total, 0) AS ledger, COALESCE(lines.n, 0) AS n FROM (
    SELECT t.id,
           CASE WHEN {financial} THEN t.cost_amount_posted + t.cost_amount_adjustment - COALESCE(ra.total, 0)
                ELSE t.cost_amount_physical END AS expected
      FROM inventory_inventorytransaction t
      JOIN inventory_item i ON i.id = t.item_id
      JOIN inventory_itemmodelgroup m ON m.id = i.model_group_id
      LEFT JOIN run_adjustments ra ON ra.id = t.id
     WHERE t.inventory_account_id = %(account)s AND t.source_type <> '{wa_closing}' {group} {items}
       AND ({financial} OR ({physical} AND m.post_physical_inventory))
) t LEFT JOIN lines ON lines.id = t.id
 WHERE ROUND(expected - COALESCE(lines.total, 0), 2) <> 0
 ORDER BY t.id
"""


# The same comparison per item first: the transactions' expected value less the adjustments run
# vouchers carried, against their own voucher lines, as one grouped sum of the three (ten thousand
# groups, not a million). Only the items that disagree are then compared transaction by
# transaction, so a drill-down into books that mostly agree reads each big table once.
ITEM_DIFFERENCES_SQL = """
SELECT u.item_id FROM (
    SELECT t.item_id, CASE WHEN {financial} THEN t.cost_amount_posted + t.cost_amount_adjustment
                           ELSE t.cost_amount_physical END AS amount
      FROM inventory_inventorytransaction t
      JOIN inventory_item i ON i.id = t.item_id
      JOIN inventory_itemmodelgroup m ON m.id = i.model_group_id
     WHERE t.inventory_account_id = %(account)s AND t.source_type <> '{wa_closing}' {group}
       AND ({financial} OR ({physical} AND m.post_physical_inventory))
    UNION ALL
    SELECT t.item_id, -a.amount
      FROM closing_costadjustment a
      JOIN closing_closingrun r ON r.id = a.run_id
      JOIN inventory_inventorytransaction t ON t.id = a.transaction_id
      JOIN inventory_item i ON i.id = t.item_id
     WHERE NOT r.is_cancelled AND t.inventory_account_id = %(account)s AND a.date >= t.date_financial
       AND t.source_type <> '{wa_closing}' AND {financial} {group}
    UNION ALL
    SELECT l.item_id, l.credit - l.debit
      FROM ledger_voucherline l
      LEFT JOIN inventory_item i ON i.id = l.item_id
     WHERE l.account_id = %(account)s AND l.inventory_transaction_id IS NOT NULL {line_date} {group}
) u
 GROUP BY u.item_id
HAVING ROUND(SUM(u.amount), 2) <> 0
"""
# Up to this many disagreeing items are named in the transaction-level query; beyond, it reads all.
ITEMS_NAMED = 1000


def reconciliation_details(*, as_of: date | None, account: MainAccount, item_group: ItemGroup | None) -> dict:
    """What makes up a difference on one inventory account (and item group):

    * transactions with no voucher line on their inventory account,
    * transactions whose lines disagree with their posted value,
    * inventory lines with no transaction that no run voucher accounts for (hand-made lines),
    * run vouchers whose lines disagree with the run's adjustments."""
    params: dict = {"account": account.pk}
    if as_of is None:
        financial, physical, line_date = "t.date_financial IS NOT NULL", "t.date_financial IS NULL", ""
    else:
        params["as_of"] = as_of
        financial = "t.date_financial <= %(as_of)s"
        physical = "(t.date_physical <= %(as_of)s AND (t.date_financial IS NULL OR t.date_financial > %(as_of)s))"
        line_date = "AND l.date <= %(as_of)s"
    group = ""
    if item_group is not None:
        group, params["group"] = "AND i.item_group_id = %(group)s", item_group.pk
    clauses = {"financial": financial, "physical": physical, "line_date": line_date, "group": group}
    with connection.cursor() as cursor:
        cursor.execute(ITEM_DIFFERENCES_SQL.format(**clauses, wa_closing=SourceType.WEIGHTED_AVERAGE_CLOSING), params)
        items = [row[0] for row in cursor.fetchall()]
        found = []
        if items:
            named = {"items": "", "line_items": ""}
            if None not in items and len(items) <= ITEMS_NAMED:  # a line without item: read all
                placeholders = ", ".join(f"%(item_{n})s" for n in range(len(items)))
                params.update({f"item_{n}": item for n, item in enumerate(items)})
                named = {"items": f"AND t.item_id IN ({placeholders})", "line_items": f"AND l.item_id IN ({placeholders})"}
            cursor.execute(DETAIL_SQL.format(**clauses, **named, wa_closing=SourceType.WEIGHTED_AVERAGE_CLOSING), params)
            found = cursor.fetchall()
    shown = found[:DETAIL_LIMIT]
    transactions = InventoryTransaction.objects.select_related("item").in_bulk([row[0] for row in shown])
    without_voucher, disagreeing = [], []
    for txn_id, expected, ledger, count in shown:
        entry = {"transaction": transactions[txn_id], "expected": amount(expected), "ledger": amount(ledger)}
        entry["difference"] = entry["expected"] - entry["ledger"]
        (without_voucher if count == 0 else disagreeing).append(entry)
    run_voucher_ids = set(ClosingRun.objects.filter(voucher__isnull=False).values_list("voucher_id", flat=True))
    lines = _ledger_lines(as_of, [account.pk])
    loose = lines.filter(inventory_transaction__isnull=True).exclude(voucher_id__in=run_voucher_ids)
    if item_group is not None:
        loose = loose.filter(Q(item_group=item_group) | Q(item_group__isnull=True))
    loose = list(loose.select_related("voucher", "item_group").order_by("date", "voucher_id", "id")[:DETAIL_LIMIT])
    return {
        "without_voucher": without_voucher,
        "disagreeing": disagreeing,
        "transactions_found": len(found),
        "lines_without_transaction": loose,
        "run_vouchers": run_vouchers_disagreeing(as_of=as_of, accounts=[account.pk]),
    }


def run_vouchers_disagreeing(*, as_of: date | None, accounts) -> list[dict]:
    """Run vouchers whose lines on these accounts differ from what the runs posted (a line edited
    after the fact)."""
    lines = _ledger_lines(as_of, accounts).filter(voucher__source=Voucher.Source.CLOSING)
    actual: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for row in lines.values("voucher_id", "account_id").annotate(d=Sum("debit"), c=Sum("credit")).order_by():
        actual[(row["voucher_id"], row["account_id"])] = amount(row["d"]) - amount(row["c"])
    runs = list(ClosingRun.objects.filter(voucher_id__in={voucher for voucher, _ in actual}))
    expected: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for (voucher_id, account_id, _), value in _posted_amounts(runs, accounts).items():
        expected[(voucher_id, account_id)] += value
    run_of = {run.voucher_id: run for run in runs}
    vouchers = Voucher.objects.in_bulk({voucher for voucher, _ in set(actual) | set(expected)})
    accounts_by_id = MainAccount.objects.in_bulk({account for _, account in set(actual) | set(expected)})
    result = []
    for key in sorted(set(actual) | set(expected)):
        if actual[key] != expected[key]:
            result.append({"voucher": vouchers[key[0]], "run": run_of.get(key[0]), "account": accounts_by_id[key[1]],
                           "ledger": actual[key], "expected": expected[key], "difference": expected[key] - actual[key]})
    return result


# -- 4. close summary ---------------------------------------------------------------------------

def close_summary(*, run: ClosingRun, largest: int = 20, items: int = 100) -> dict:
    """What a run changed, to print and sign: cost-of-goods-sold change per item group and per item
    (an issue's adjustment signed like the issue, so COGS moves by its opposite), the largest
    adjustments, and the items left with open issues."""
    source, sign = voucher_source(run)
    adjustments = CostAdjustment.objects.filter(run=source)
    # One pass over the run's adjustments, per item, issues and receipts apart; the item groups'
    # figures are the sums of their items'.
    issue = Q(transaction__qty__lt=0)
    per_item, receipts_total = [], ZERO
    for row in adjustments.values("transaction__item__number", "transaction__item__item_group__code").annotate(
            issues_total=Sum("amount", filter=issue), issues_count=Count("id", filter=issue),
            receipts=Sum("amount", filter=Q(transaction__qty__gt=0))).order_by():
        receipts_total += amount(row["receipts"]) * sign
        if row["issues_count"]:
            per_item.append({"item": row["transaction__item__number"], "item_group": row["transaction__item__item_group__code"],
                             "adjustments": row["issues_count"], "cogs_change": -amount(row["issues_total"]) * sign})
    groups: dict[str, dict] = {}
    for row in per_item:
        group = groups.setdefault(row["item_group"], {"item_group": row["item_group"], "adjustments": 0, "cogs_change": ZERO})
        group["adjustments"] += row["adjustments"]
        group["cogs_change"] += row["cogs_change"]
    # The inventory value change per item group, signed like the preview (+ raises the inventory value,
    # debit inventory), and the part of it the run's voucher carries on the inventory accounts; the
    # rest is "not posted" (physical-only transactions, update ledger off). Issue #17, point 1.
    value_change: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for row in adjustments.values("transaction__item__item_group__code").annotate(total=Sum("amount")).order_by():
        value_change[row["transaction__item__item_group__code"]] += amount(row["total"]) * sign
    posted: dict[str, Decimal] = defaultdict(lambda: ZERO)
    posted_by, posted_sign = (run, 1) if RunPostedAmount.objects.filter(run=run).exists() or not run.voucher_id \
        else (source, sign)  # a reversal's voucher takes back its source's lines
    for row in RunPostedAmount.objects.filter(run=posted_by, account_id__in=inventory_account_ids()).values(
            "item_group__code").annotate(total=Sum("amount")).order_by():
        posted[row["item_group__code"]] += amount(row["total"]) * posted_sign
    for code in set(value_change) | set(posted):
        group = groups.setdefault(code, {"item_group": code, "adjustments": 0, "cogs_change": ZERO})
        group.update(value_change=value_change[code], posted=posted[code], not_posted=value_change[code] - posted[code])
    by_group = [groups[code] for code in sorted(groups)]
    per_item.sort(key=lambda row: (-abs(row["cogs_change"]), row["item"]))
    largest_rows = [{"adjustment": adjustment, "transaction": adjustment.transaction, "amount": adjustment.amount * sign}
                    for adjustment in adjustments.select_related("transaction__item").order_by(
                        Abs("amount").desc(), "id")[:largest]]
    warnings = list(ClosingLog.objects.filter(run=source, item__isnull=False).values("item__number").annotate(
        count=Count("id")).order_by("item__number"))
    open_issues = []
    if source.run_type == ClosingRun.RunType.CLOSING:
        open_issues = [{"item": row["item__number"], "transactions": row["count"], "open_qty": quantity(row["open_qty"])}
                       for row in InventoryTransaction.objects.filter(
                           qty__lt=0, value_open=True, status__in=FINANCIAL_STATUSES, date_financial__lte=source.date)
                       .exclude(source_type=SourceType.WEIGHTED_AVERAGE_CLOSING)
                       .values("item__number").annotate(count=Count("id"), open_qty=Sum(F("qty") - F("qty_settled")))
                       .order_by("item__number")[:500]]
    return {
        "run": run, "source": source,
        "by_group": by_group,
        "cogs_total": sum((row["cogs_change"] for row in by_group), ZERO),
        "value_change_total": sum((row.get("value_change", ZERO) for row in by_group), ZERO),
        "posted_total": sum((row.get("posted", ZERO) for row in by_group), ZERO),
        "not_posted_total": sum((row.get("not_posted", ZERO) for row in by_group), ZERO),
        "receipts_total": receipts_total,
        "items": per_item[:items], "items_count": len(per_item), "item_rows": per_item,
        "largest": largest_rows,
        "warnings": warnings,
        "open_issues": open_issues,
    }


# -- 5. item cost history -----------------------------------------------------------------------

def item_cost_history(*, item: Item) -> dict:
    """Per day of financial issues: the unit cost they were posted at (the running average at
    posting); per active close: the unit cost the issues of its period ended at once settled.
    Unit costs are positive magnitudes (docs/domain.md §0)."""
    issues = InventoryTransaction.objects.filter(item=item, qty__lt=0, status__in=FINANCIAL_STATUSES).exclude(
        source_type=SourceType.WEIGHTED_AVERAGE_CLOSING)
    posting = []
    for row in issues.values("date_financial").annotate(qty=Sum("qty"), posted=Sum("cost_amount_posted")).order_by("date_financial"):
        qty = quantity(row["qty"])
        if qty:
            posting.append({"date": row["date_financial"], "unit_cost": round_amount(amount(row["posted"]) / qty)})
    closes = list(ClosingRun.objects.filter(run_type=ClosingRun.RunType.CLOSING, status=ClosingRun.Status.ENDED,
                                            is_cancelled=False).order_by("date", "id"))
    settled = []
    previous = None
    for close in closes:
        period = issues.filter(date_financial__lte=close.date)
        if previous is not None:
            period = period.filter(date_financial__gt=previous.date)
        totals = period.aggregate(qty=Sum("qty"), posted=Sum("cost_amount_posted"), adjusted=Sum("cost_amount_adjustment"))
        later = CostAdjustment.objects.filter(transaction__in=period.values("pk"), run__is_cancelled=False,
                                              run__id__gt=close.pk).aggregate(total=Sum("amount"))["total"]
        qty = quantity(totals["qty"])
        if qty:
            value = amount(totals["posted"]) + amount(totals["adjusted"]) - amount(later)
            settled.append({"date": close.date, "unit_cost": round_amount(value / qty), "run": close.number})
        previous = close
    return {"posting": posting, "settled": settled}


# -- 6. book checks ----------------------------------------------------------------------------

def book_checks_recent(*, limit: int = 10) -> QuerySet[BookCheck]:
    """The latest book checks asked for on demand, newest first."""
    return BookCheck.objects.select_related("requested_by")[:limit]


def run_with_latest_checks() -> ClosingRun | None:
    """The latest run whose automatic book checks have a stored result."""
    return ClosingRun.objects.exclude(checks={}).only("pk", "number", "run_type", "checks").first()
