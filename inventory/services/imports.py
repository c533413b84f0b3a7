"""The CSV import contract (documented in the README; outside test suites rely on it).

A file with any bad row posts nothing: every row is checked, every problem is collected with its
line number, and the whole file is rolled back if there is one. Good files are posted in file order
through the posting services in one database transaction.
"""

import csv
import io
import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction

from inventory.models import (
    InventoryTransaction,
    Item,
    ItemGroup,
    ItemModelGroup,
    Journal,
    JournalLine,
    OnHand,
    Site,
    SourceType,
    ValuationMethod,
    Warehouse,
)
from inventory.services.journals import LineInput, date_problems, journal_create, journal_post, tracking_problems
from inventory.services.posting import PostingSession, posting_session
from ledger.errors import DomainError
from ledger.money import ZERO, to_decimal
from ledger.services import audit_record

TRANSACTION_COLUMNS = ["ref", "date", "item", "qty", "unit_cost", "update", "site", "warehouse", "marking"]
REQUIRED_TRANSACTION_COLUMNS = ["ref", "date", "item", "qty", "unit_cost", "update"]
ITEM_COLUMNS = ["item", "name", "item_group", "model_group", "unit_cost"]
REQUIRED_ITEM_COLUMNS = ["item", "name", "item_group", "model_group"]


@dataclass
class ImportResult:
    posted: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    seconds: float = 0.0
    journal: object = None  # opening entries: the journal the file became

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rate(self) -> float:
        return self.posted / self.seconds if self.seconds else 0.0


class _Rollback(Exception):
    pass


def _read(text: str, required: list[str], known: list[str]) -> tuple[list[tuple[int, dict]], list[tuple[int, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [name for name in required if name not in header]
    unknown = [name for name in header if name not in known]
    errors = []
    if missing:
        errors.append((1, f"header is missing column(s): {', '.join(missing)} (expected {','.join(known)})"))
    if unknown:
        errors.append((1, f"header has unknown column(s): {', '.join(unknown)}"))
    if errors:
        return [], errors
    reader.fieldnames = header
    rows = []
    for row in reader:
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue  # blank line
        rows.append((reader.line_num, {key: (value or "").strip() for key, value in row.items() if key}))
    return rows, []


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError(f"bad date {value!r} (expected YYYY-MM-DD)") from None


def _parse_number(value: str, name: str) -> Decimal:
    try:
        return to_decimal(value)
    except ValueError:
        raise DomainError(f"bad number {value!r} in {name}") from None


@dataclass
class _Row:
    line: int
    ref: str
    posting_date: date
    item: Item
    qty: Decimal
    unit_cost: Decimal | None
    financial: bool
    site: Site
    warehouse: Warehouse
    marking: str


class _TransactionFile:
    """Checks and posts one transactions file."""

    def __init__(self, rows: list[tuple[int, dict]]):
        self.raw = rows
        refs = {row["ref"] for _, row in rows if row.get("ref")} | {row.get("marking") for _, row in rows if row.get("marking")}
        numbers = {row.get("item", "") for _, row in rows}
        self.items = {item.number: item for item in Item.objects.filter(number__in=numbers).select_related(
            "item_group__inventory_receipt_account", "item_group__inventory_issue_account", "item_group__cogs_account",
            "item_group__purchase_accrual_account", "item_group__packing_slip_offset_account",
            "item_group__price_difference_account", "model_group")}
        self.sites = {site.code: site for site in Site.objects.all()}
        self.warehouses = {(w.site_id, w.code): w for w in Warehouse.objects.all()}
        self.existing_refs = set(InventoryTransaction.objects.filter(ref__in=refs).values_list("ref", flat=True))
        self.refs = refs

    def parse(self, line: int, row: dict) -> _Row:
        ref = row.get("ref", "")
        if not ref:
            raise DomainError("ref is empty")
        posting_date = _parse_date(row.get("date", ""))
        item = self.items.get(row.get("item", ""))
        if item is None:
            raise DomainError(f"unknown item {row.get('item', '')!r}")
        qty = _parse_number(row.get("qty", ""), "qty")
        if qty == ZERO:
            raise DomainError("qty cannot be zero")
        update = row.get("update", "").lower()
        if update not in ("physical", "financial"):
            raise DomainError(f"update must be 'physical' or 'financial', not {row.get('update', '')!r}")
        raw_cost = row.get("unit_cost", "")
        unit_cost = None
        if qty > ZERO:
            if not raw_cost:
                raise DomainError("missing unit_cost: a receipt needs one")
            unit_cost = _parse_number(raw_cost, "unit_cost")
            if unit_cost < ZERO:
                raise DomainError("unit_cost cannot be negative")
        elif raw_cost:
            raise DomainError("unexpected unit_cost on an issue: issues are costed at the running average")
        site_code = row.get("site") or "MAIN"
        site = self.sites.get(site_code)
        if site is None:
            raise DomainError(f"unknown site {site_code!r}")
        warehouse_code = row.get("warehouse") or "MAIN"
        warehouse = self.warehouses.get((site.pk, warehouse_code))
        if warehouse is None:
            raise DomainError(f"unknown warehouse {warehouse_code!r} in site {site.code}")
        marking = row.get("marking", "")
        if marking and qty > ZERO:
            raise DomainError("marking is only for issue rows")
        return _Row(line, ref, posting_date, item, qty, unit_cost, update == "financial", site, warehouse, marking)

    def post(self, session: PostingSession, rows: list[_Row], errors: list[tuple[int, str]]) -> int:
        session.lock([(row.item, row.site, row.warehouse, "") for row in rows])
        # Loaded after the locks, so the rows we update are not changing under us.
        by_ref = {txn.ref: txn for txn in InventoryTransaction.objects.filter(ref__in=self.refs).select_related(
            "item__item_group", "item__model_group", "site", "warehouse", "inventory_account", "offset_account")}
        posted = 0
        for row in rows:
            try:
                self._post_row(session, row, by_ref)
                posted += 1
            except DomainError as error:
                errors.append((row.line, error.message))
        return posted

    def _post_row(self, session: PostingSession, row: _Row, by_ref: dict[str, InventoryTransaction]) -> None:
        existing = by_ref.get(row.ref)
        if existing is not None:
            if not row.financial:
                raise DomainError(f"duplicate ref {row.ref!r}: it is already posted")
            if existing.item_id != row.item.pk:
                raise DomainError(f"ref {row.ref!r} is a transaction of {existing.item.number}, not {row.item.number}")
            if existing.qty != row.qty:
                raise DomainError(f"qty {row.qty.normalize():f} does not match transaction {row.ref}'s "
                                  f"quantity {existing.qty.normalize():f}")
            if existing.is_financial:
                raise DomainError(f"duplicate ref {row.ref!r}: it is already financially updated")
            session.invoice(txn=existing, posting_date=row.posting_date, unit_cost=row.unit_cost)
            return
        marked_to = None
        if row.marking:
            marked_to = by_ref.get(row.marking)
            if marked_to is None:
                raise DomainError(f"marking to unknown ref {row.marking!r}")
            if not marked_to.is_receipt:
                raise DomainError(f"marking to {row.marking!r}, which is not a receipt")
        if row.qty > ZERO:
            txn = session.receive(item=row.item, qty=row.qty, unit_cost=row.unit_cost, posting_date=row.posting_date,
                                  site=row.site, warehouse=row.warehouse, source_type=SourceType.PURCHASE,
                                  financial=row.financial, ref=row.ref, source_number="import")
        else:
            txn = session.issue(item=row.item, qty=-row.qty, posting_date=row.posting_date, site=row.site,
                                warehouse=row.warehouse, source_type=SourceType.SALE, financial=row.financial,
                                ref=row.ref, source_number="import", marked_to=marked_to)
        by_ref[row.ref] = txn


def transactions_import(*, text: str, user=None) -> ImportResult:
    started = time.perf_counter()
    result = ImportResult()
    raw, result.errors = _read(text, REQUIRED_TRANSACTION_COLUMNS, TRANSACTION_COLUMNS)
    if result.errors:
        return result
    file = _TransactionFile(raw)
    rows: list[_Row] = []
    seen_new: set[str] = set()
    for line, data in raw:
        try:
            row = file.parse(line, data)
        except DomainError as error:
            result.errors.append((line, error.message))
            continue
        known = row.ref in file.existing_refs or row.ref in seen_new
        if known and not row.financial:
            where = "already posted" if row.ref in file.existing_refs else "earlier in the file"
            result.errors.append((line, f"duplicate ref {row.ref!r}: {where}"))
            continue
        if not known:
            seen_new.add(row.ref)
        rows.append(row)
    try:
        with transaction.atomic():
            with posting_session(user=user) as session:
                result.posted = file.post(session, rows, result.errors)
                if result.errors:
                    raise _Rollback
            audit_record(user=user, action="import.transactions", object_type="import", object_id="csv",
                         rows=result.posted)
    except _Rollback:
        result.posted = 0
    except DomainError as error:  # raised while writing (e.g. a voucher that does not balance)
        result.errors.append((0, error.message))
        result.posted = 0
    result.errors.sort()
    result.seconds = time.perf_counter() - started
    return result


def items_import(*, text: str, user=None) -> ImportResult:
    started = time.perf_counter()
    result = ImportResult()
    raw, result.errors = _read(text, REQUIRED_ITEM_COLUMNS, ITEM_COLUMNS)
    if result.errors:
        return result
    groups = {group.code: group for group in ItemGroup.objects.all()}
    model_groups = {group.code: group for group in ItemModelGroup.objects.all()}
    existing = {item.number: item for item in Item.objects.filter(number__in=[row.get("item") for _, row in raw])}
    with_transactions = set(InventoryTransaction.objects.filter(item__in=existing.values()).values_list("item__number", flat=True))
    seen: set[str] = set()
    to_create, to_update = [], []
    for line, row in raw:
        try:
            number, name = row.get("item", ""), row.get("name", "")
            if not number:
                raise DomainError("item is empty")
            if number in seen:
                raise DomainError(f"duplicate item {number!r} in the file")
            seen.add(number)
            if not name:
                raise DomainError("name is empty")
            group = groups.get(row.get("item_group", ""))
            if group is None:
                raise DomainError(f"unknown item group {row.get('item_group', '')!r}")
            model_group = model_groups.get(row.get("model_group", ""))
            if model_group is None:
                raise DomainError(f"unknown model group {row.get('model_group', '')!r}")
            cost = _parse_number(row["unit_cost"], "unit_cost") if row.get("unit_cost") else ZERO
            if cost < ZERO:
                raise DomainError("unit_cost cannot be negative")
            if model_group.valuation_method == ValuationMethod.STANDARD_COST and not row.get("unit_cost"):
                raise DomainError(f"{number} uses standard cost: unit_cost (the standard cost) is required")
            item = existing.get(number)
            if item is None:
                to_create.append(Item(number=number, name=name, item_group=group, model_group=model_group,
                                      default_cost_price=cost))
                continue
            if number in with_transactions and (item.model_group_id != model_group.pk or item.item_group_id != group.pk):
                raise DomainError(f"{number} has transactions: its item group and model group can no longer change")
            item.name, item.item_group, item.model_group, item.default_cost_price = name, group, model_group, cost
            to_update.append(item)
        except DomainError as error:
            result.errors.append((line, error.message))
    if not result.errors:
        with transaction.atomic():
            Item.objects.bulk_create(to_create)
            Item.objects.bulk_update(to_update, ["name", "item_group", "model_group", "default_cost_price"])
            audit_record(user=user, action="import.items", object_type="import", object_id="csv",
                         created=len(to_create), updated=len(to_update))
        result.posted = len(to_create) + len(to_update)
    result.seconds = time.perf_counter() - started
    return result


OPENING_COLUMNS = ["item", "site", "warehouse", "tracking_number", "expiry_date", "qty", "unit_cost"]
REQUIRED_OPENING_COLUMNS = ["item", "qty", "unit_cost"]


def opening_import(*, text: str, posting_date: date, offset_account, description: str = "", post: bool = False,
                   user=None) -> ImportResult:
    """Opening entries for a new installation (issue #8, point 5; BC: opening balances are positive
    adjustments with a unit cost on the go-live date): one opening balance journal line per row,
    posted against `offset_account` (opening balance equity). The journal is created only if every
    row is good, and with `post` it is posted in the same database transaction, so a file either
    becomes a posted journal or changes nothing. `result.journal` is the journal."""
    started = time.perf_counter()
    result = ImportResult()
    raw, result.errors = _read(text, REQUIRED_OPENING_COLUMNS, OPENING_COLUMNS)
    if result.errors:
        return result
    result.errors = [(0, problem) for problem in date_problems([posting_date])]
    items = {item.number: item for item in Item.objects.filter(number__in={row.get("item", "") for _, row in raw})
             .select_related("item_group", "model_group")}
    sites = {site.code: site for site in Site.objects.all()}
    warehouses = {(w.site_id, w.code): w for w in Warehouse.objects.all()}
    serials: dict[tuple[int, str], int] = {}
    # Serial numbers of the file already on hand, in one query (the loop below writes nothing).
    serial_items = {number: item for number, item in items.items() if item.tracking == Item.Tracking.SERIAL}
    wanted = {(serial_items[row.get("item", "")].pk, row.get("tracking_number", "")) for _, row in raw
              if row.get("item", "") in serial_items}
    serials_on_hand = set(OnHand.objects.filter(
        item_id__in={pk for pk, _ in wanted}, tracking_number__in={number for _, number in wanted},
        physical_qty__gt=0).values_list("item_id", "tracking_number")) if wanted else set()
    lines: list[tuple[int, LineInput]] = []
    for line_number, row in raw:
        try:
            item = items.get(row.get("item", ""))
            if item is None:
                raise DomainError(f"unknown item {row.get('item', '')!r}")
            site_code = row.get("site") or "MAIN"
            site = sites.get(site_code)
            if site is None:
                raise DomainError(f"unknown site {site_code!r}")
            warehouse_code = row.get("warehouse") or "MAIN"
            warehouse = warehouses.get((site.pk, warehouse_code))
            if warehouse is None:
                raise DomainError(f"unknown warehouse {warehouse_code!r} in site {site.code}")
            qty = _parse_number(row.get("qty", ""), "qty")
            if qty <= ZERO:
                raise DomainError("qty must be greater than zero: opening entries are receipts")
            if not row.get("unit_cost"):
                raise DomainError("missing unit_cost: an opening entry needs one")
            unit_cost = _parse_number(row["unit_cost"], "unit_cost")
            if unit_cost < ZERO:
                raise DomainError("unit_cost cannot be negative")
            expiry = _parse_date(row["expiry_date"]) if row.get("expiry_date") else None
            tracking = row.get("tracking_number", "")
            problems = tracking_problems(item=item, tracking_number=tracking, expiry_date=expiry, qty=qty)
            if problems:
                raise DomainError("; ".join(problems))
            if item.tracking == Item.Tracking.SERIAL:
                if (item.pk, tracking) in serials:
                    raise DomainError(f"serial number {tracking} of {item.number} is already on line "
                                      f"{serials[(item.pk, tracking)]}")
                serials[(item.pk, tracking)] = line_number
                if (item.pk, tracking) in serials_on_hand:
                    raise DomainError(f"serial number {tracking} of {item.number} is already on hand")
            lines.append((line_number, LineInput(date=posting_date, item=item, qty=qty, site=site, warehouse=warehouse,
                                                 unit_cost=unit_cost, tracking_number=tracking, expiry_date=expiry)))
        except DomainError as error:
            result.errors.append((line_number, error.message))
    if not raw:
        result.errors.append((1, "the file has no rows"))
    if result.errors:
        result.seconds = time.perf_counter() - started
        return result
    try:
        with transaction.atomic():
            journal = journal_create(journal_type=Journal.JournalType.OPENING, offset_account=offset_account,
                                     description=description or f"Opening entries {posting_date:%Y-%m-%d}", user=user)
            JournalLine.objects.bulk_create([
                JournalLine(journal=journal, line_number=number, date=line.date, item=line.item, site=line.site,
                            warehouse=line.warehouse, qty=line.qty, unit_cost=line.unit_cost,
                            tracking_number=line.tracking_number, expiry_date=line.expiry_date)
                for number, (_, line) in enumerate(lines, start=1)
            ])
            audit_record(user=user, action="import.opening", obj=journal, rows=len(lines))
            if post:
                journal = journal_post(journal=journal, user=user)
    except DomainError as error:
        # A refusal names its journal line ("Line N: ..."): report the file's line instead.
        file_lines = {number: line_number for number, (line_number, _) in enumerate(lines, start=1)}
        for message in error.errors:
            head, _, rest = message.partition(": ")
            number = int(head.removeprefix("Line ")) if head.startswith("Line ") and head[5:].isdigit() else None
            result.errors.append((file_lines.get(number, 0), rest if number in file_lines else message))
        result.seconds = time.perf_counter() - started
        return result
    result.posted = len(lines)
    result.journal = journal
    result.seconds = time.perf_counter() - started
    return result
