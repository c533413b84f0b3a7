"""Synthetic inventory history for `benchmark_close`: realistic enough to exercise every path of the
close (FIFO, LIFO and weighted-average items, ~1% going negative, physical-only postings, marking,
transfers between sites) and loaded with COPY so that a million transactions take seconds.

The history's posting vouchers are loaded too, as inventory posting writes them (one voucher per
transaction, an inventory line and an offset line, both carrying the transaction, item and item
group), so that the ledger agrees with the subledger, the book checks are green and the reports
read a ledger of realistic size. Not for a database with real data in it."""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from closing import services
from closing.models import ClosingRun
from common.bulk import copy_rows
from common.errors import DomainError
from common.money import ZERO, amount_for, round_unit_cost
from inventory.models import (
    CostDimension,
    InventoryTransaction,
    Item,
    ItemGroup,
    ItemModelGroup,
    OnHand,
    Site,
    Warehouse,
)

TXN_COLUMNS = [
    "id", "ref", "source_type", "source_number", "user_reference", "item_id", "site_id", "warehouse_id",
    "tracking_number", "cost_dimension_id", "qty", "status", "date_physical", "date_financial",
    "cost_amount_physical", "cost_amount_posted", "cost_amount_adjustment", "qty_settled", "cost_amount_settled",
    "value_open", "marked_to_id", "transfer_issue_id", "inventory_account_id", "offset_account_id", "created_at",
]
METHOD_MIX = [("FIFO", 0.40), ("LIFO", 0.25), ("WAVG", 0.35)]


@dataclass
class History:
    items: int
    transactions: int
    first_date: date
    close_date: date
    last_date: date


@dataclass
class _Dimension:
    pk: int
    site: Site
    warehouse: Warehouse
    qty: Decimal = ZERO
    value: Decimal = ZERO


def history_generate(*, transactions: int, items: int, close_date: date, seed: int = 1, chunk_items: int = 500) -> History:
    """Generate `transactions` over `items` items: eleven in twelve dated in the year up to the close
    date, the rest in the month after it (for the recalculation)."""
    if InventoryTransaction.objects.exists():
        raise DomainError("The benchmark needs a database with no inventory transactions: use a fresh one.")
    rng = random.Random(seed)
    first_date = close_date - timedelta(days=364)
    last_date = close_date + timedelta(days=30)
    model_groups = {group.code: group for group in ItemModelGroup.objects.filter(code__in=[c for c, _ in METHOD_MIX])}
    group = ItemGroup.objects.get(code="DEFAULT")
    main = Site.objects.get(code="MAIN")
    main_wh = Warehouse.objects.get(site=main, code="MAIN")
    second, _ = Site.objects.get_or_create(code="BENCH2", defaults={"name": "Benchmark second site"})
    second_wh, _ = Warehouse.objects.get_or_create(site=second, code="BENCH2", defaults={"name": "Benchmark warehouse"})
    next_id = (InventoryTransaction.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    per_item = transactions / items
    made = 0
    for start in range(0, items, chunk_items):
        with transaction.atomic():
            count = min(chunk_items, items - start)
            chunk = Item.objects.bulk_create([
                Item(number=f"BM{start + n:06d}", name=f"Benchmark item {start + n}", item_group=group,
                     model_group=model_groups[rng.choices([c for c, _ in METHOD_MIX], [w for _, w in METHOD_MIX])[0]],
                     default_cost_price=Decimal(rng.randint(100, 10000)) / 100)
                for n in range(count)])
            remaining_items = items - start
            budget = transactions - made
            rows, dims, hands, next_id = _chunk_rows(rng, chunk, budget, remaining_items, per_item, next_id, first_date,
                                                     close_date, last_date, group, main, main_wh, second, second_wh)
            copy_rows("inventory_inventorytransaction", TXN_COLUMNS, rows)
            made += len(rows)
            OnHand.objects.bulk_create(hands)
            CostDimension.objects.bulk_update(dims, ["financial_qty", "financial_value", "physical_qty", "physical_value"])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence('inventory_inventorytransaction', 'id'), "
                           "(SELECT MAX(id) FROM inventory_inventorytransaction))")
    posting_vouchers_generate()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # What autovacuum would do soon after such a load: statistics for every table, so the
            # planner does not take ten thousand items for eight.
            cursor.execute("ANALYZE")
    return History(items=items, transactions=made, first_date=first_date, close_date=close_date, last_date=last_date)


# A transaction's posted value and posting date, as inventory posting books it: the financial
# posting, or the physical one where the model group posts physical inventory.
POSTED = """
SELECT t.id, t.ref, t.item_id, i.item_group_id, t.inventory_account_id, t.offset_account_id,
       CASE WHEN t.date_financial IS NOT NULL THEN t.date_financial ELSE t.date_physical END AS posted_on,
       CASE WHEN t.date_financial IS NOT NULL THEN t.cost_amount_posted ELSE t.cost_amount_physical END AS amount
  FROM inventory_inventorytransaction t
  JOIN inventory_item i ON i.id = t.item_id
  JOIN inventory_itemmodelgroup m ON m.id = i.model_group_id
 WHERE t.source_number = 'benchmark' AND (t.date_financial IS NOT NULL OR m.post_physical_inventory)
"""
# Voucher numbers of their own ("BV" and the transaction id), so the voucher number sequence that
# runs use stays untouched.
VOUCHERS = """
INSERT INTO ledger_voucher (number, date, description, source, created_at)
SELECT 'BV' || p.id, p.posted_on, 'Benchmark posting ' || p.ref, 'inventory', %s FROM ({posted}) p
 WHERE p.amount <> 0 ORDER BY p.id
"""
VOUCHER_LINES = """
INSERT INTO ledger_voucherline (voucher_id, date, account_id, debit, credit, is_storno, description, item_group_id,
                                item_id, inventory_transaction_id)
SELECT v.id, v.date, side.account_id, CASE WHEN side.amount > 0 THEN side.amount ELSE 0 END,
       CASE WHEN side.amount < 0 THEN -side.amount ELSE 0 END, FALSE, '', side.item_group_id, side.item_id, side.id
  FROM (SELECT id, inventory_account_id AS account_id, amount, item_group_id, item_id, 1 AS n FROM ({posted}) p
        UNION ALL
        SELECT id, offset_account_id, -amount, item_group_id, item_id, 2 FROM ({posted}) p) side
  JOIN ledger_voucher v ON v.number = 'BV' || side.id
 WHERE side.amount <> 0
 ORDER BY side.id, side.n
"""


def posting_vouchers_generate() -> int:
    """The generated transactions' posting vouchers, set-based in the database (two statements for a
    million transactions). Each voucher balances, so the deferred balance trigger passes at commit."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(VOUCHERS.format(posted=POSTED), [timezone.now()])
        cursor.execute(VOUCHER_LINES.format(posted=POSTED))
        written = cursor.rowcount
    return written


def _chunk_rows(rng, chunk, budget, remaining_items, per_item, next_id, first_date, close_date, last_date, group,
                main, main_wh, second, second_wh):
    rows, dim_rows, hand_rows = [], [], []
    now = timezone.now()
    days_before = (close_date - first_date).days
    days_after = (last_date - close_date).days
    for index, item in enumerate(chunk):
        left_items = remaining_items - index
        count = budget // left_items if left_items else 0
        count = max(2, min(budget, int(count * rng.uniform(0.7, 1.3)))) if index < len(chunk) - 1 or left_items > 1 else budget
        budget -= count
        if count <= 0:
            continue
        transfers = rng.random() < 0.05
        may_go_negative = rng.random() < 0.01
        dims = {"main": _Dimension(0, main, main_wh)}
        keys = {"main": CostDimension.key_for(item, main, main_wh, "")[0]}
        if transfers:
            dims["second"] = _Dimension(0, second, second_wh)
            keys["second"] = CostDimension.key_for(item, second, second_wh, "")[0]
        created = CostDimension.objects.bulk_create([
            CostDimension(key=keys[name], item=item, site=dims[name].site) for name in dims])
        for name, dimension in zip(dims, created, strict=False):
            dims[name].pk = dimension.pk
            dims[name].model = dimension
        dates = sorted(first_date + timedelta(days=rng.randrange(days_before + 1)) if rng.random() < 11 / 12
                       else close_date + timedelta(days=1 + rng.randrange(days_after)) for _ in range(count))
        base = item.default_cost_price
        receipts: list[int] = []
        physical_qty = dict.fromkeys(dims, ZERO)
        physical_value = dict.fromkeys(dims, ZERO)
        produced = 0
        for day in dates:
            if produced >= count:
                break
            main_dim = dims["main"]
            roll = rng.random()
            physical_only = roll < 0.03
            if transfers and roll > 0.95 and main_dim.qty > 5 and produced + 2 <= count:
                qty = Decimal(rng.randint(1, int(min(main_dim.qty, 10))))
                amount = _issue_amount(main_dim, qty, base)
                issue_id, receipt_id = next_id, next_id + 1
                next_id += 2
                rows.append(_row(issue_id, f"BT{issue_id}", "transfer", item, main_dim, -qty, day, day, amount, True,
                                 None, None, group, now))
                rows.append(_row(receipt_id, f"BT{receipt_id}", "transfer", item, dims["second"], qty, day, day, -amount,
                                 True, None, issue_id, group, now))
                main_dim.qty -= qty
                main_dim.value += amount
                dims["second"].qty += qty
                dims["second"].value -= amount
                produced += 2
                continue
            receipt = main_dim.qty < 5 or rng.random() < 0.55
            if not receipt and not may_go_negative and main_dim.qty < 1:
                receipt = True
            txn_id = next_id
            next_id += 1
            if receipt:
                qty = Decimal(rng.randint(1, 50))
                unit = round_unit_cost(base * Decimal(rng.randint(80, 120)) / 100)
                amount = amount_for(qty, unit)
                rows.append(_row(txn_id, f"BR{txn_id}", "purchase", item, main_dim, qty, day, None if physical_only else day,
                                 amount, not physical_only, None, None, group, now))
                if physical_only:
                    physical_qty["main"] += qty
                    physical_value["main"] += amount
                else:
                    main_dim.qty += qty
                    main_dim.value += amount
                    receipts.append(txn_id)
            else:
                limit = 20 if may_go_negative else int(min(main_dim.qty, 20))
                qty = Decimal(rng.randint(1, max(1, limit)))
                amount = _issue_amount(main_dim, qty, base)
                marked = rng.choice(receipts) if receipts and rng.random() < 0.005 else None
                rows.append(_row(txn_id, f"BI{txn_id}", "sale", item, main_dim, -qty, day, None if physical_only else day,
                                 amount, not physical_only, marked, None, group, now))
                if physical_only:
                    physical_qty["main"] -= qty
                    physical_value["main"] += amount
                else:
                    main_dim.qty -= qty
                    main_dim.value += amount
            produced += 1
        budget += count - produced
        for name, dimension in dims.items():
            model = dimension.model
            model.financial_qty, model.financial_value = dimension.qty, dimension.value
            model.physical_qty, model.physical_value = physical_qty[name], physical_value[name]
            dim_rows.append(model)
            hand_rows.append(OnHand(item=item, site=dimension.site, warehouse=dimension.warehouse,
                                    physical_qty=dimension.qty + physical_qty[name], financial_qty=dimension.qty,
                                    financial_value=dimension.value, physical_value=physical_value[name]))
    return rows, dim_rows, hand_rows, next_id


def _issue_amount(dimension: _Dimension, qty: Decimal, default: Decimal) -> Decimal:
    if dimension.qty > ZERO and dimension.value >= ZERO:
        if qty == dimension.qty:
            return -dimension.value
        return -amount_for(qty, dimension.value / dimension.qty)
    return -amount_for(qty, default)


def _row(txn_id, ref, source, item, dimension, qty, date_physical, date_financial, amount, financial, marked, transfer,
         group, now):
    receipt = qty > 0
    status = ("purchased" if receipt else "sold") if financial else ("received" if receipt else "deducted")
    offset = group.purchase_accrual_account_id if receipt else group.cogs_account_id
    return (txn_id, ref, source, "benchmark", "", item.pk, dimension.site.pk, dimension.warehouse.pk, "", dimension.pk, qty,
            status, date_physical, date_financial, amount, amount if financial else ZERO, ZERO, ZERO, ZERO, True, marked,
            transfer, group.inventory_receipt_account_id if receipt else group.inventory_issue_account_id, offset, now)


BASELINE_SQL = """
SELECT MAX(running) FROM (
    SELECT SUM(qty) OVER (PARTITION BY item_id, site_id ORDER BY date_physical, id) AS running
      FROM inventory_inventorytransaction
) AS windowed
"""


def history_found(*, close_date: date) -> History:
    """The history an earlier `history_generate` left (with the same close date), refused unless
    nothing has been run on it yet: a copy of a generated database closes like a fresh one."""
    if ClosingRun.objects.exists():
        raise DomainError("This database has runs already: --history-exists needs a freshly generated history.")
    items = Item.objects.filter(number__startswith="BM").count()
    transactions = InventoryTransaction.objects.filter(source_number="benchmark").count()
    if not items or not transactions:
        raise DomainError("This database holds no generated history: run without --history-exists first.")
    return History(items=items, transactions=transactions, first_date=close_date - timedelta(days=364),
                   close_date=close_date, last_date=close_date + timedelta(days=30))


def baseline_query() -> None:
    """The yardstick: one window function over the whole transaction table, as the issue defines it."""
    with connection.cursor() as cursor:
        cursor.execute(BASELINE_SQL)
        cursor.fetchone()


def timed(step: Callable[[], object]) -> float:
    """Seconds `step` takes, to the hundredth."""
    started = time.perf_counter()
    step()
    return round(time.perf_counter() - started, 2)


def run_to_end(run: ClosingRun, workers: int) -> ClosingRun:
    """Execute a started run with `workers` bundles at once and return it ended; a run that does not
    end (fails or pauses) is refused with a DomainError, which the commands show as their error."""
    run = services.run_execute(run_id=run.pk, workers=workers)
    if run.status != ClosingRun.Status.ENDED:
        raise DomainError(f"{run.number} did not end: {run.status} {run.error}")
    return run
