"""The CSV import contract (documented in the README; outside test suites rely on it).

A file with any bad row posts nothing: every row is checked, every problem is collected with its
line number, and the whole file is rolled back if there is one. Good files are posted in file order
through the posting services in one database transaction.
"""

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import islice
from typing import BinaryIO

from django.db import connection, transaction
from django.db.models import Max, Q

from common.audit import audit_record
from common.errors import DomainError
from common.money import ZERO
from inventory import hooks
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
from inventory.rules import item_number_problems
from inventory.services.csv_files import (
    MAX_AMOUNT,
    CsvRows,
    ImportResult,
    fewer_collections,
    parse_date,
    parse_number,
    read_rows,
    text_stream,
)
from inventory.services.items import item_import_prepare, items_audit_changes
from inventory.services.journals import LineInput, date_problems, journal_create, journal_post, tracking_problems
from inventory.services.posting import PostingSession, posting_session
from ledger.models import MainAccount

TRANSACTION_COLUMNS = ["ref", "date", "item", "qty", "unit_cost", "update", "site", "warehouse", "marking", "bin"]
REQUIRED_TRANSACTION_COLUMNS = ["ref", "date", "item", "qty", "unit_cost", "update"]
ITEM_COLUMNS = ["item", "name", "item_group", "model_group", "unit_cost"]
REQUIRED_ITEM_COLUMNS = ["item", "name", "item_group", "model_group"]

# Rows posted between two flushes of the posting session: what a transactions file holds in memory
# at a time, whatever its size (the whole file still posts in one database transaction).
CHUNK_ROWS = 5000
REF_LENGTH = InventoryTransaction._meta.get_field("ref").max_length
class _Rollback(Exception):
    pass


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
    bin: str = ""  # hooks: the bin the row names (checked and used by the warehouse app)


class _TransactionFile:
    """Checks and posts a transactions file, a chunk of rows at a time, through one posting session.

    What it keeps between chunks is bounded by the company, not the file: items, sites and
    warehouses (and the session's dimensions and on-hand rows). Refs are looked up in the database
    per chunk: the rows of earlier chunks are already inserted, in the same database transaction."""

    def __init__(self, session: PostingSession):
        self.session = session
        self.items: dict[str, Item] = {}
        self.items_by_id: dict[int, Item] = {}
        self.accounts: dict[int, MainAccount] = {}
        self.sites = {site.code: site for site in Site.objects.all()}
        self.warehouses = {(w.site_id, w.code): w for w in Warehouse.objects.select_related("site")}
        self.sites_by_id = {site.pk: site for site in self.sites.values()}
        self.warehouses_by_id = {w.pk: w for w in self.warehouses.values()}
        # Transactions with a larger id were inserted by this file (in this database transaction).
        self.last_id_before = InventoryTransaction.objects.aggregate(last=Max("id"))["last"] or 0

    def _load_items(self, numbers: set[str] = frozenset(), ids: set[int] = frozenset()) -> None:
        wanted = numbers - self.items.keys()
        wanted_ids = ids - self.items_by_id.keys()
        if wanted or wanted_ids:
            for item in Item.objects.filter(Q(number__in=wanted) | Q(pk__in=wanted_ids)).select_related(
                    "item_group__inventory_receipt_account", "item_group__inventory_issue_account",
                    "item_group__cogs_account", "item_group__purchase_accrual_account",
                    "item_group__packing_slip_offset_account", "item_group__price_difference_account", "model_group"):
                self.items[item.number] = self.items_by_id[item.pk] = item

    def _load_posted(self, ids: Iterable[int]) -> dict[str, InventoryTransaction]:
        """{ref: transaction} of transactions posted before, with their item, site, warehouse and
        accounts taken from what the file keeps (one model instance per row, not eight)."""
        posted = list(InventoryTransaction.objects.filter(pk__in=ids))
        self._load_items(ids={txn.item_id for txn in posted})
        missing = {txn.inventory_account_id for txn in posted} | {txn.offset_account_id for txn in posted}
        missing -= self.accounts.keys() | {None}
        if missing:
            self.accounts.update(MainAccount.objects.in_bulk(missing))
        for txn in posted:
            txn.item, txn.site, txn.warehouse = (self.items_by_id[txn.item_id], self.sites_by_id[txn.site_id],
                                                 self.warehouses_by_id[txn.warehouse_id])
            txn.inventory_account = self.accounts.get(txn.inventory_account_id)
            txn.offset_account = self.accounts.get(txn.offset_account_id)
        return {txn.ref: txn for txn in posted}

    def parse(self, line: int, row: dict) -> _Row:
        ref = row.get("ref", "")
        if not ref:
            raise DomainError("ref is empty")
        if len(ref) > REF_LENGTH:
            raise DomainError(f"ref is {len(ref)} characters long: at most {REF_LENGTH} are allowed")
        posting_date = parse_date(row.get("date", ""))
        item = self.items.get(row.get("item", ""))
        if item is None:
            raise DomainError(f"unknown item {row.get('item', '')!r}")
        qty = parse_number(row.get("qty", ""), "qty")
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
            unit_cost = parse_number(raw_cost, "unit_cost")
            if unit_cost < ZERO:
                raise DomainError("unit_cost cannot be negative")
            if qty * unit_cost >= MAX_AMOUNT:
                raise DomainError(f"qty × unit_cost is too large (at most {MAX_AMOUNT:,.0f} less one cent)")
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
        return _Row(line, ref, posting_date, item, qty, unit_cost, update == "financial", site, warehouse, marking,
                    row.get("bin", ""))

    def post_chunk(self, chunk: list[tuple[int, dict]]) -> tuple[int, list[tuple[int, str]]]:
        """Check and post one chunk of rows; returns (rows posted, errors)."""
        errors: list[tuple[int, str]] = []
        self._load_items({row.get("item", "") for _, row in chunk})
        refs = {row["ref"] for _, row in chunk if row.get("ref")} | {row["marking"] for _, row in chunk if row.get("marking")}
        known = _refs_posted(refs)
        rows: list[_Row] = []
        seen_new: set[str] = set()
        for line, data in chunk:
            try:
                row = self.parse(line, data)
            except DomainError as error:
                errors.append((line, error.message))
                continue
            earlier = row.ref in seen_new or known.get(row.ref, 0) > self.last_id_before
            if (earlier or row.ref in known) and not row.financial:
                errors.append((line, f"duplicate ref {row.ref!r}: {'earlier in the file' if earlier else 'already posted'}"))
                continue
            if row.ref not in known:
                seen_new.add(row.ref)
            rows.append(row)
        # Hooks (a bin-mandatory warehouse refuses a row without a bin); invoices post no new transaction.
        new_refs = {ref: line for ref, line in reversed([(row.ref, row.line) for row in rows]) if ref not in known}
        refused = dict(hooks.rows_check([hooks.RowToCheck(row.line, row.item.pk, row.warehouse.pk, row.bin)
                                         for row in rows if new_refs.get(row.ref) == row.line]))
        errors += sorted(refused.items())
        rows = [row for row in rows if row.line not in refused]
        session = self.session
        session.lock([(row.item, row.site, row.warehouse, "") for row in rows])
        # Loaded after the locks, so the rows we update are not changing under us.
        by_ref = self._load_posted(known.values()) if known else {}
        posted = 0
        for row in rows:
            try:
                self._post_row(session, row, by_ref)
                posted += 1
            except DomainError as error:
                errors.append((row.line, error.message))
        return posted, errors

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
            existing.item = row.item  # the same item, with its groups and accounts loaded: no query per invoice
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
        session.bins[id(txn)] = row.bin  # hooks
        by_ref[row.ref] = txn


def _constraints_check_now() -> None:
    """Run the checks PostgreSQL defers to the commit (foreign keys, balanced vouchers) for what the
    chunk wrote, then defer again. The same work, done chunk by chunk: PostgreSQL otherwise queues
    some 16 checks per row in the backend's memory and runs them all at commit (5 minutes of one
    commit for a million rows, with no progress to show)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _refs_posted(refs: set[str]) -> dict[str, int]:
    """{ref: id} of the refs already posted. On PostgreSQL the unique index on ref is forced: with a
    few thousand refs the planner picks a scan of the whole table, 20 times slower here (200 ms a
    chunk at 400,000 transactions, growing with the table), and its statistics do not yet count the
    rows this file inserted."""
    if not refs:
        return {}
    if connection.vendor != "postgresql":
        return dict(InventoryTransaction.objects.filter(ref__in=refs).values_list("ref", "id"))
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            cursor.execute("SELECT ref, id FROM inventory_inventorytransaction WHERE ref = ANY(%s)", [list(refs)])
            return dict(cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")


def _chunks(rows: Iterable[tuple[int, dict]], size: int) -> Iterator[list[tuple[int, dict]]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def transactions_import(*, text: str, user=None) -> ImportResult:
    return transactions_import_file(stream=text_stream(text), user=user)


def transactions_import_file(*, stream: BinaryIO, user=None, result: ImportResult | None = None,
                             progress: Callable[[ImportResult], None] | None = None) -> ImportResult:
    """Post a transactions file read as a stream (see csv_files): all or nothing, in flat memory."""
    reader = CsvRows(stream, required=REQUIRED_TRANSACTION_COLUMNS, known=TRANSACTION_COLUMNS)
    result = result or ImportResult()

    def counted(chunk_done: ImportResult) -> None:
        chunk_done.bytes_read = reader.bytes_read
        if progress is not None:
            progress(chunk_done)

    result = transactions_post(rows=reader, user=user, result=result, row_errors=reader.errors, progress=counted)
    result.bytes_read = reader.bytes_read
    return result


def transactions_post(*, rows: Iterable[tuple[int, dict]], user=None, result: ImportResult | None = None,
                      row_errors: list[tuple[int, str]] | None = None,
                      progress: Callable[[ImportResult], None] | None = None,
                      chunk_rows: int | None = None) -> ImportResult:
    """Post rows of the transactions contract, each `(number, {column: text})`, all or nothing:
    the errors name each bad row by its number (a file's line, or a batch's index).

    The rows are posted a chunk at a time in one database transaction, flushing the posting session
    after each chunk, so memory stays flat however many rows there are. `row_errors` is a list the
    row source appends its own problems to (a file's unreadable rows): drained after each chunk.
    `progress` is called after each chunk with the result so far."""
    started = time.perf_counter()
    result = result or ImportResult()
    row_errors = row_errors if row_errors is not None else []

    def drained() -> list[tuple[int, str]]:
        taken = list(row_errors)
        row_errors.clear()
        return taken

    posted = 0
    try:
        with fewer_collections(), transaction.atomic():
            with posting_session(user=user) as session:
                session.keep_vouchers = False  # a million rows' vouchers need not stay in memory
                file = _TransactionFile(session)
                for chunk in _chunks(rows, chunk_rows or CHUNK_ROWS):
                    result.rows_read += len(chunk)
                    chunk_posted, errors = file.post_chunk(chunk)
                    posted += chunk_posted
                    session.flush()
                    _constraints_check_now()
                    result.add_errors(errors + drained())
                    result.posted = 0 if result.error_count else posted
                    if progress is not None:
                        progress(result)
                result.add_errors(drained())
                if result.error_count:
                    raise _Rollback
            audit_record(user=user, action="import.transactions", object_type="import", object_id="csv", rows=posted)
        result.posted = posted
    except _Rollback:
        result.posted = 0
    except DomainError as error:  # raised while writing (e.g. a voucher that does not balance)
        result.add_errors([(0, error.message)])
        result.posted = 0
    result.seconds = time.perf_counter() - started
    return result


def items_import(*, text: str, user=None) -> ImportResult:
    return items_import_file(stream=text_stream(text), user=user)


ITEM_NUMBER_LENGTH = Item._meta.get_field("number").max_length
ITEM_NAME_LENGTH = Item._meta.get_field("name").max_length


def items_post(*, rows: Iterable[tuple[int, dict]], user=None, result: ImportResult | None = None,
               row_errors: list[tuple[int, str]] | None = None,
               progress: Callable[[ImportResult], None] | None = None, chunk_rows: int | None = None) -> ImportResult:
    """Create or update items from rows of the items contract, each `(number, {column: text})`, all
    or nothing: the errors name each bad row by its number (a file's line, or a batch's index).

    Written a chunk at a time in one database transaction, like transactions (see transactions_post
    for `row_errors` and `progress`); only the item numbers seen are kept between chunks (an item
    number may appear once per file)."""
    started = time.perf_counter()
    result = result or ImportResult()
    row_errors = row_errors if row_errors is not None else []
    groups = {group.code: group for group in ItemGroup.objects.all()}
    model_groups = {group.code: group for group in ItemModelGroup.objects.all()}
    seen: set[str] = set()
    created = updated = 0

    def drained() -> list[tuple[int, str]]:
        taken = list(row_errors)
        row_errors.clear()
        return taken

    try:
        with transaction.atomic():
            for chunk in _chunks(rows, chunk_rows or CHUNK_ROWS):
                result.rows_read += len(chunk)
                errors, to_create, to_update = _items_chunk(chunk, groups, model_groups, seen)
                result.add_errors(errors + drained())
                if not result.error_count:
                    Item.objects.bulk_create(to_create)
                    Item.objects.bulk_update(to_update, ["name", "item_group", "model_group", "default_cost_price"])
                    items_audit_changes(items=to_update, user=user)
                    created, updated = created + len(to_create), updated + len(to_update)
                result.posted = 0 if result.error_count else created + updated
                if progress is not None:
                    progress(result)
            result.add_errors(drained())
            if result.error_count:
                raise _Rollback
            audit_record(user=user, action="import.items", object_type="import", object_id="csv",
                         created=created, updated=updated)
        result.posted = created + updated
    except _Rollback:
        result.posted = 0
    result.seconds = time.perf_counter() - started
    return result


def _items_chunk(chunk: list[tuple[int, dict]], groups: dict, model_groups: dict,
                 seen: set[str]) -> tuple[list[tuple[int, str]], list[Item], list[Item]]:
    errors: list[tuple[int, str]] = []
    existing = {item.number: item for item in Item.objects.filter(number__in=[row.get("item") for _, row in chunk])
                .select_related("item_group", "model_group", "counting_period")}
    with_transactions = set(InventoryTransaction.objects.filter(item__in=existing.values())
                            .values_list("item__number", flat=True).distinct())
    to_create, to_update = [], []
    for line, row in chunk:
        try:
            number, name = row.get("item", ""), row.get("name", "")
            if not number:
                raise DomainError("item is empty")
            if len(number) > ITEM_NUMBER_LENGTH:
                raise DomainError(f"item is {len(number)} characters long: at most {ITEM_NUMBER_LENGTH} are allowed")
            problems = item_number_problems(number)
            if problems:
                raise DomainError(problems[0])
            if number in seen:
                raise DomainError(f"duplicate item {number!r} in the file")
            seen.add(number)
            if not name:
                raise DomainError("name is empty")
            if len(name) > ITEM_NAME_LENGTH:
                raise DomainError(f"name is {len(name)} characters long: at most {ITEM_NAME_LENGTH} are allowed")
            group = groups.get(row.get("item_group", ""))
            if group is None:
                raise DomainError(f"unknown item group {row.get('item_group', '')!r}")
            model_group = model_groups.get(row.get("model_group", ""))
            if model_group is None:
                raise DomainError(f"unknown model group {row.get('model_group', '')!r}")
            cost = parse_number(row["unit_cost"], "unit_cost") if row.get("unit_cost") else ZERO
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
            item_import_prepare(item=item, cost=cost, has_transactions=number in with_transactions)
            item.name, item.item_group, item.model_group, item.default_cost_price = name, group, model_group, cost
            to_update.append(item)
        except DomainError as error:
            errors.append((line, error.message))
    return errors, to_create, to_update


OPENING_COLUMNS = ["item", "site", "warehouse", "tracking_number", "expiry_date", "qty", "unit_cost"]
REQUIRED_OPENING_COLUMNS = ["item", "qty", "unit_cost"]


def opening_import(*, text: str, posting_date: date, offset_account, description: str = "", post: bool = False,
                   user=None) -> ImportResult:
    """Opening entries for a new installation (docs/domain.md §5.6; BC: opening balances are positive
    adjustments with a unit cost on the go-live date): one opening balance journal line per row,
    posted against `offset_account` (opening balance equity). The journal is created only if every
    row is good, and with `post` it is posted in the same database transaction, so a file either
    becomes a posted journal or changes nothing. `result.journal` is the journal."""
    raw, errors = read_rows(text, REQUIRED_OPENING_COLUMNS, OPENING_COLUMNS)
    if errors:
        return ImportResult(errors=errors)
    return opening_post(rows=raw, posting_date=posting_date, offset_account=offset_account, description=description,
                        post=post, user=user)


def opening_post(*, rows: list[tuple[int, dict]], posting_date: date, offset_account, description: str = "",
                 post: bool = False, user=None) -> ImportResult:
    """Opening entries from rows of the opening contract, each `(line, {column: text})` (see
    opening_import)."""
    started = time.perf_counter()
    result = ImportResult()
    raw = rows
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
            qty = parse_number(row.get("qty", ""), "qty")
            if qty <= ZERO:
                raise DomainError("qty must be greater than zero: opening entries are receipts")
            if not row.get("unit_cost"):
                raise DomainError("missing unit_cost: an opening entry needs one")
            unit_cost = parse_number(row["unit_cost"], "unit_cost")
            if unit_cost < ZERO:
                raise DomainError("unit_cost cannot be negative")
            expiry = parse_date(row["expiry_date"]) if row.get("expiry_date") else None
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


def items_import_file(*, stream: BinaryIO, user=None, result: ImportResult | None = None,
                      progress: Callable[[ImportResult], None] | None = None) -> ImportResult:
    """Items from a file read as a stream (see csv_files), all or nothing, in flat memory."""
    reader = CsvRows(stream, required=REQUIRED_ITEM_COLUMNS, known=ITEM_COLUMNS)
    result = result or ImportResult()

    def counted(chunk_done: ImportResult) -> None:
        chunk_done.bytes_read = reader.bytes_read
        if progress is not None:
            progress(chunk_done)

    result = items_post(rows=reader, user=user, result=result, row_errors=reader.errors, progress=counted)
    result.bytes_read = reader.bytes_read
    return result


def opening_import_file(*, stream: BinaryIO, posting_date: date, offset_account, description: str = "",
                        post: bool = False, user=None) -> ImportResult:
    """Opening entries from a file read as a stream (one row per item, lot or serial number on hand:
    the rows become one journal, so they are held until it is written)."""
    reader = CsvRows(stream, required=REQUIRED_OPENING_COLUMNS, known=OPENING_COLUMNS)
    rows = list(reader)
    if reader.errors:
        return ImportResult(errors=sorted(reader.errors, key=lambda error: error[0]), rows_read=len(rows), bytes_read=reader.bytes_read)
    result = opening_post(rows=rows, posting_date=posting_date, offset_account=offset_account,
                          description=description, post=post, user=user)
    result.rows_read, result.bytes_read = len(rows), reader.bytes_read
    return result
