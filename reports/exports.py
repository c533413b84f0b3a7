"""Exports as jobs (issue #15, point 3): an export asked for through the API, or one of a list page
or report longer than EXPORT_JOB_ROWS rows, is queued (ExportJob), written by a worker on the
`default` queue to a file under FILES_DIR, row by row (memory stays flat whatever the row count), and
downloaded by the user who asked, and by no one else.

Each kind names the page whose table (or the contract whose columns) it writes, the permission of
that page, and how the same rows are read again from the filters: the worker rebuilds the page's
table from the query string the page had. Every CSV and Excel cell goes through
common.spreadsheets (no cell leaves as a formula)."""

import json
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from common.audit import audit_record
from common.errors import DomainError
from common.spreadsheets import CONTENT_TYPES, CSV, XLSX, CsvWriter, XlsxWriter
from common.table_exports import table_row_count, table_rows
from inventory import selectors as inventory_selectors
from inventory.filters import ItemFilter, TransactionFilter
from inventory.models import InventoryTransaction, Item
from inventory.tables import ItemTable, TransactionTable
from ledger import selectors as ledger_selectors
from ledger.filters import AccountFilter, VoucherFilter
from ledger.models import MainAccount, VoucherLine
from ledger.tables import AccountTable, StatementTable, TrialBalanceTable, VoucherTable
from reports import queue as job_queue
from reports import selectors
from reports.filters import InventoryValueFilter
from reports.models import ExportJob
from reports.tables import InventoryValueTable

logger = logging.getLogger(__name__)

JSONL = ExportJob.Format.JSONL.value
# Progress (and the heartbeat that tells a running export from a lost one) is written every this
# many rows: often enough for the page's bar, rarely enough to cost nothing next to the rows.
PROGRESS_EVERY = 1000


@dataclass
class ExportSource:
    """What a kind writes: the header, how many rows (for the progress bar), the rows as values,
    and which columns are numbers (Excel number cells)."""

    header: list[str]
    total: int | None
    rows: Iterator[list[object]]
    numeric_columns: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class ExportKind:
    name: str
    title: str
    permission: str
    params: tuple[str, ...]
    source: Callable[[dict[str, str], str], ExportSource]
    formats: tuple[str, ...] = (CSV, XLSX)
    validate: Callable[[dict[str, str]], dict[str, list[str]]] = lambda params: {}
    stem: Callable[[dict[str, str]], str] | None = None

    def file_name(self, params: dict[str, str], fmt: str) -> str:
        return f"{self.stem(params) if self.stem else self.name.replace('_', '-')}.{fmt}"


# -- kinds built on a page's filters and table ------------------------------------------------------

def _filter_kind(name: str, title: str, permission: str, filterset_class, queryset: Callable[[], QuerySet],
                 table_class, *, stem: str) -> ExportKind:
    """A list page as an export kind: its filterset over its selector, its table, its sort order."""
    params = (*filterset_class.base_filters, "sort")

    def validate(values: dict[str, str]) -> dict[str, list[str]]:
        filterset = filterset_class(values, queryset=queryset().none())
        return {} if filterset.is_valid() else {key: list(errors) for key, errors in filterset.errors.items()}

    def source(values: dict[str, str], fmt: str) -> ExportSource:
        filterset = filterset_class(values, queryset=queryset())
        table = table_class(filterset.qs)
        return _table_source(table, values)

    return ExportKind(name=name, title=title, permission=permission, params=params, source=source, validate=validate,
                      stem=lambda values: stem)


def _table_source(table, values: dict[str, str]) -> ExportSource:
    if values.get("sort"):
        table.order_by = values["sort"]
    total = table_row_count(table)
    rows = table_rows(table)
    return ExportSource(header=rows.header, total=total, rows=rows.rows, numeric_columns=rows.numeric_columns)


def _inventory_value(values: dict[str, str], fmt: str) -> ExportSource:
    filterset = InventoryValueFilter(values, queryset=InventoryTransaction.objects.all())
    as_of = filterset.as_of_value
    report = selectors.inventory_value(as_of=as_of, transactions=filterset.qs)
    return _table_source(InventoryValueTable(report.rows, as_of=as_of), values)


def _inventory_value_validate(values: dict[str, str]) -> dict[str, list[str]]:
    filterset = InventoryValueFilter(values, queryset=InventoryTransaction.objects.none())
    return {} if filterset.is_valid() else {key: list(errors) for key, errors in filterset.errors.items()}


def _dates(values: dict[str, str], *names: str) -> tuple[dict[str, date | None], dict[str, list[str]]]:
    found: dict[str, date | None] = {}
    problems: dict[str, list[str]] = {}
    for name in names:
        text = values.get(name) or ""
        try:
            found[name] = date.fromisoformat(text) if text else None
        except ValueError:
            problems[name] = [f"{name} must be a date as YYYY-MM-DD, not {text!r}."]
    return found, problems


def _trial_balance_dates(values: dict[str, str]) -> tuple[date, date]:
    found, _ = _dates(values, "date_from", "date_to")
    today = timezone.localdate()
    return found["date_from"] or today.replace(month=1, day=1), found["date_to"] or today


def _trial_balance(values: dict[str, str], fmt: str) -> ExportSource:
    date_from, date_to = _trial_balance_dates(values)
    rows = ledger_selectors.trial_balance(date_from=date_from, date_to=date_to)
    return _table_source(TrialBalanceTable(rows), {})


def _trial_balance_validate(values: dict[str, str]) -> dict[str, list[str]]:
    return _dates(values, "date_from", "date_to")[1]


def _account_statement_validate(values: dict[str, str]) -> dict[str, list[str]]:
    problems = _dates(values, "date_from", "date_to")[1]
    number = values.get("account") or ""
    if not number:
        problems["account"] = ["Name the account (its number) whose statement to export."]
    elif not MainAccount.objects.filter(number=number).exists():
        problems["account"] = [f"There is no account {number}."]
    return problems


def _account_statement(values: dict[str, str], fmt: str) -> ExportSource:
    from django_tables2.data import TableListData

    account = MainAccount.objects.get(number=values["account"])
    found, _ = _dates(values, "date_from", "date_to")
    statement = ledger_selectors.account_statement(account=account, date_from=found["date_from"], date_to=found["date_to"])
    # Handed over as it is: StatementRows streams its lines when iterated (see ledger.views).
    return _table_source(StatementTable(TableListData(statement.rows)), {})


# -- the contracts: transactions (README "CSV import/export contract") and the voucher feed --------

def _transactions_validate(values: dict[str, str]) -> dict[str, list[str]]:
    item = values.get("item")
    if item and not Item.objects.filter(number=item).exists():
        return {"item": [f"There is no item {item}."]}
    return {}


def _transactions(values: dict[str, str], fmt: str) -> ExportSource:
    item = values.get("item") or None
    counted = InventoryTransaction.objects.filter(item__number=item) if item else InventoryTransaction.objects.all()
    columns = inventory_selectors.EXPORT_COLUMNS

    def rows() -> Iterator[list[object]]:
        for row in inventory_selectors.transactions_export_rows(item_number=item):
            if fmt != JSONL:  # as export_transactions writes it: 1 or 0
                row["value_open"] = "1" if row["value_open"] else "0"
            yield [row[column] for column in columns]

    numeric = {columns.index(name) for name in ("qty", "cost_amount_physical", "cost_amount_posted",
                                                 "cost_amount_adjustment", "cost_amount")}
    return ExportSource(header=list(columns), total=counted.count(), rows=rows(), numeric_columns=numeric)


VOUCHER_FEED_COLUMNS = ["voucher", "date", "source", "description", "reverses", "line", "account", "account_name",
                        "debit", "credit", "storno", "line_description", "item", "item_group", "transaction"]


def _voucher_feed(values: dict[str, str], fmt: str) -> ExportSource:
    """Every voucher with its lines, in posting order (the vouchers' and lines' ids)."""
    found, _ = _dates(values, "date_from", "date_to")
    lines = VoucherLine.objects.select_related("voucher", "voucher__reverses", "account", "item", "item_group",
                                               "inventory_transaction").order_by("voucher_id", "id")
    if found["date_from"]:
        lines = lines.filter(date__gte=found["date_from"])
    if found["date_to"]:
        lines = lines.filter(date__lte=found["date_to"])

    def rows() -> Iterator[list[object]]:
        voucher_id, number = None, 0
        for line in lines.iterator(chunk_size=2000):
            number = number + 1 if line.voucher_id == voucher_id else 1
            voucher_id = line.voucher_id
            voucher = line.voucher
            yield [voucher.number, voucher.date.isoformat(), voucher.source, voucher.description,
                   voucher.reverses.number if voucher.reverses_id else "", number, line.account.number,
                   line.account.name, f"{line.debit:.2f}", f"{line.credit:.2f}", "1" if line.is_storno else "0",
                   line.description, line.item.number if line.item_id else "",
                   line.item_group.code if line.item_group_id else "",
                   line.inventory_transaction.ref if line.inventory_transaction_id else ""]

    numeric = {VOUCHER_FEED_COLUMNS.index("debit"), VOUCHER_FEED_COLUMNS.index("credit")}
    return ExportSource(header=VOUCHER_FEED_COLUMNS, total=lines.count(), rows=rows(), numeric_columns=numeric)


KINDS: dict[str, ExportKind] = {kind.name: kind for kind in [
    ExportKind(name="transactions", title="Inventory transactions (export contract)",
               permission="inventory.view_inventorytransaction", params=("item",), source=_transactions,
               formats=(CSV, JSONL), validate=_transactions_validate),
    ExportKind(name="vouchers", title="Voucher feed", permission="ledger.view_voucher", params=("date_from", "date_to"),
               source=_voucher_feed, validate=lambda values: _dates(values, "date_from", "date_to")[1],
               stem=lambda values: "voucher-feed"),
    _filter_kind("items", "Items", "inventory.view_item", ItemFilter, inventory_selectors.item_list, ItemTable,
                 stem="items"),
    # The warehouse column shows its site too: joined here, or one query per row.
    _filter_kind("transaction_list", "Inventory transactions", "inventory.view_inventorytransaction", TransactionFilter,
                 lambda: inventory_selectors.transaction_list().select_related("warehouse__site"), TransactionTable,
                 stem="inventory-transactions"),
    _filter_kind("accounts", "Accounts", "ledger.view_mainaccount", AccountFilter, ledger_selectors.account_list,
                 AccountTable, stem="accounts"),
    _filter_kind("voucher_list", "Vouchers", "ledger.view_voucher", VoucherFilter, ledger_selectors.voucher_list,
                 VoucherTable, stem="vouchers"),
    ExportKind(name="inventory_value", title="Inventory value", permission="inventory.view_inventorytransaction",
               params=(*InventoryValueFilter.base_filters, "sort"), source=_inventory_value,
               validate=_inventory_value_validate),
    ExportKind(name="trial_balance", title="Trial balance", permission="ledger.view_voucherline",
               params=("date_from", "date_to"), source=_trial_balance, validate=_trial_balance_validate,
               stem=lambda values: "trial-balance-{:%Y-%m-%d}-{:%Y-%m-%d}".format(*_trial_balance_dates(values))),
    ExportKind(name="account_statement", title="Account statement", permission="ledger.view_voucherline",
               params=("account", "date_from", "date_to"), source=_account_statement,
               validate=_account_statement_validate, stem=lambda values: f"account-{values.get('account')}"),
]}


# Named for the API's schema (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]: ExportKindEnum).
KIND_CHOICES = [(kind.name, kind.title) for kind in KINDS.values()]


# -- the jobs ---------------------------------------------------------------------------------------

def files_dir() -> Path:
    return Path(settings.FILES_DIR)


def export_params_clean(*, kind: str, params: dict) -> dict[str, str]:
    """The parameters a kind knows, as text; raises DomainError naming each unknown or wrong one."""
    found = KINDS.get(kind)
    if found is None:
        raise DomainError(f"Unknown export kind {kind!r}: choose one of {', '.join(KINDS)}.", field="kind")
    problems: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for name, value in params.items():
        if name not in found.params:
            problems[name] = [f"The {kind} export has no parameter {name!r}"
                              + (f" (it takes {', '.join(found.params)})." if found.params else ".")]
        elif value is None or value == "":
            continue
        elif isinstance(value, (str, int)) and not isinstance(value, bool):
            cleaned[name] = str(value)
        else:
            problems[name] = [f"{name} must be a text or a number."]
    if not problems:
        problems = found.validate(cleaned)
    if problems:
        name, messages = next(iter(problems.items()))
        errors = [f"{key}: {message}" for key, values in problems.items() for message in values]
        raise DomainError(f"{name}: {messages[0]}", field=name, errors=errors)
    return cleaned


def export_job_create(*, kind: str, fmt: str, params: dict, user: AbstractBaseUser, queue: bool = True) -> ExportJob:
    """Queue an export for `user` (who must hold the kind's permission: the caller checks it, as its
    page does), for a worker once committed (`queue=False`: the caller runs it)."""
    cleaned = export_params_clean(kind=kind, params=params)
    found = KINDS[kind]
    if fmt not in found.formats:
        raise DomainError(f"The {kind} export is written as {' or '.join(found.formats)}, not {fmt!r}.", field="format")
    if not user.has_perm(found.permission):
        raise PermissionDenied(f"Your role does not allow the {found.title.lower()} export.")
    export_jobs_lost_fail()
    with transaction.atomic():
        job = ExportJob.objects.create(kind=kind, format=fmt, params=cleaned, file_name=found.file_name(cleaned, fmt),
                                       created_by=user)
        audit_record(user=user, action="export.queued", obj=job, kind=kind, format=fmt, params=cleaned)
        if queue:
            transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    try:
        job_queue.enqueue_export_job(job_id)
    except Exception as error:  # Redis away: the job says so instead of waiting forever
        logger.exception("Export %s could not be queued", job_id)
        ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
            status=ExportJob.Status.FAILED, error=f"It could not be queued for a worker: {error}",
            finished_at=timezone.now())


def export_jobs_lost_fail() -> int:
    """Record exports no worker started, or whose worker stopped giving signs of life, within
    ExportJob.LOST_AFTER as failed."""
    deadline = timezone.now() - ExportJob.LOST_AFTER
    return ExportJob.objects.filter(status__in=ExportJob.UNFINISHED).filter(
        Q(heartbeat_at__lt=deadline) | Q(heartbeat_at__isnull=True, started_at__lt=deadline)
        | Q(heartbeat_at__isnull=True, started_at__isnull=True, created_at__lt=deadline)).update(
        status=ExportJob.Status.FAILED, finished_at=timezone.now(),
        error=f"No worker ended it within {ExportJob.LOST_AFTER.seconds // 60} minutes: is a worker running on the "
              "default queue?")


def export_job_run(*, job_id: int) -> ExportJob:
    """Write a queued export's file. Claimed with a conditional update, so an export enqueued twice
    is written once; the file is written under a temporary name and renamed once complete, so a
    half-written file is never offered. A failure is recorded on the job with its error."""
    now = timezone.now()
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
        status=ExportJob.Status.RUNNING, started_at=now, heartbeat_at=now)
    job = ExportJob.objects.get(pk=job_id)
    if not claimed:
        return job
    relative = f"exports/{uuid.uuid4().hex}.{job.format}"
    target = files_dir() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    try:
        rows = _write(job, partial)
        os.replace(partial, target)
    except Exception as error:
        partial.unlink(missing_ok=True)
        ExportJob.objects.filter(pk=job_id).update(status=ExportJob.Status.FAILED, finished_at=timezone.now(),
                                                   error=f"{type(error).__name__}: {error}")
        raise
    ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.RUNNING).update(
        status=ExportJob.Status.SUCCEEDED, rows_written=rows, file_path=relative, size=target.stat().st_size,
        finished_at=timezone.now(), heartbeat_at=timezone.now())
    job.refresh_from_db()
    return job


def _write(job: ExportJob, path: Path) -> int:
    source = KINDS[job.kind].source(job.params, job.format)
    ExportJob.objects.filter(pk=job.pk).update(rows_total=source.total)
    written = 0

    def progress() -> None:
        ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.RUNNING).update(
            rows_written=written, heartbeat_at=timezone.now())

    if job.format == JSONL:
        with open(path, "w", encoding="utf-8", newline="") as out:
            for row in source.rows:
                out.write(json.dumps(dict(zip(source.header, row, strict=True)), default=str) + "\n")
                written += 1
                if written % PROGRESS_EVERY == 0:
                    progress()
        return written
    with open(path, "w", encoding="utf-8", newline="") if job.format == CSV else open(path, "wb") as out:
        writer = CsvWriter(out) if job.format == CSV else XlsxWriter(
            out, title=KINDS[job.kind].title, numeric_columns=source.numeric_columns)
        writer.writerow(source.header)
        for row in source.rows:
            writer.writerow(row)
            written += 1
            if written % PROGRESS_EVERY == 0:
                progress()
        writer.close()
    return written


@dataclass(frozen=True)
class ExportFile:
    path: Path
    name: str
    content_type: str


def export_job_of(*, job_id: int, user: AbstractBaseUser) -> ExportJob:
    """The export, if `user` asked for it (ExportJob.DoesNotExist otherwise: another user's export
    is not theirs to see, nor to know of)."""
    return ExportJob.objects.get(pk=job_id, created_by_id=user.pk)


def export_job_file(*, job_id: int, user: AbstractBaseUser) -> ExportFile:
    """The finished file of the user's export; ExportJob.DoesNotExist when it is not theirs, not
    finished or its file is gone."""
    job = export_job_of(job_id=job_id, user=user)
    path = files_dir() / job.file_path if job.file_path else None
    if job.status != ExportJob.Status.SUCCEEDED or path is None or not path.is_file():
        raise ExportJob.DoesNotExist(f"Export {job_id} has no file to download.")
    content_type = CONTENT_TYPES.get(job.format, "application/x-ndjson; charset=utf-8")
    return ExportFile(path=path, name=job.file_name, content_type=content_type)
