"""What the Import CSV page shows before a job is queued (issue #17, point 19): a template file per
kind, and a preview of an uploaded file, its first rows and how its columns map onto the contract.

The columns are the contract's own (inventory.services.imports): nothing here lists them again. The
uploaded file waits under FILES_DIR/imports/preview/ until it is queued (import_jobs.import_job_create
then copies it, as it copies any upload) or until PREVIEW_KEPT has passed. It is read with the
import's own reader (csv_files.CsvRows): strict UTF-8, the same line limit, the same size cap.
"""

import csv
import io
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile

from common.errors import DomainError
from inventory.models import ImportJob
from inventory.services import imports
from inventory.services.csv_files import CsvRows
from inventory.services.import_jobs import ImportTooLarge, import_size_refusal

PREVIEW_ROWS = 10
PREVIEW_KEPT_SECONDS = 2 * 60 * 60
PREVIEW_DIR = "imports/preview"
_TOKEN = re.compile(r"^[0-9a-f]{32}$")

# kind: (required columns, every column), from the import's contract.
CONTRACTS: dict[str, tuple[list[str], list[str]]] = {
    ImportJob.Kind.TRANSACTIONS: (imports.REQUIRED_TRANSACTION_COLUMNS, imports.TRANSACTION_COLUMNS),
    ImportJob.Kind.ITEMS: (imports.REQUIRED_ITEM_COLUMNS, imports.ITEM_COLUMNS),
    ImportJob.Kind.OPENING: (imports.REQUIRED_OPENING_COLUMNS, imports.OPENING_COLUMNS),
}


def _contract(kind: str) -> tuple[list[str], list[str]]:
    try:
        return CONTRACTS[kind]
    except KeyError:
        raise DomainError(f"Unknown kind {kind!r}: choose one of {', '.join(CONTRACTS)}.", field="kind") from None


def import_template_csv(*, kind: str) -> str:
    """The header row a file of `kind` starts with: every column of the contract, in its order."""
    _, known = _contract(kind)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(known)
    return buffer.getvalue()


def import_template_name(kind: str) -> str:
    _contract(kind)
    return f"costbook-{kind}-template.csv"


@dataclass
class ColumnMapping:
    """One column of the file, or a contract column the file lacks (`position` None)."""

    file_column: str  # as in the file's header ("" for a column the file lacks)
    contract_column: str | None  # the contract column it fills, None for an unknown column
    position: int | None
    status: str  # "required", "optional", "unknown", "duplicate", "missing", "absent"
    note: str = ""

    @property
    def is_problem(self) -> bool:
        return self.status in ("unknown", "duplicate", "missing")


@dataclass
class ImportPreview:
    kind: str
    file_name: str
    size: int
    header: list[str] = field(default_factory=list)
    mapping: list[ColumnMapping] = field(default_factory=list)
    rows: list[tuple[int, list[str]]] = field(default_factory=list)  # (line, values in header order)
    problems: list[tuple[int, str]] = field(default_factory=list)  # the file's, and its first rows'
    more_rows: bool = False
    token: str = ""

    @property
    def ok(self) -> bool:
        """Whether the import can be queued: the header fits the contract and the file reads."""
        return bool(self.header) and not self.problems and not any(column.is_problem for column in self.mapping)

    @property
    def column_problems(self) -> list[ColumnMapping]:
        return [column for column in self.mapping if column.is_problem]


class _EveryColumn:
    """`known` for the reader: the preview reads whatever columns the file has and compares them
    with the contract itself, so a wrong header is shown rather than only refused."""

    def __contains__(self, name) -> bool:
        return True


def import_preview_read(*, kind: str, stream, file_name: str = "", size: int = 0, rows: int = PREVIEW_ROWS
                        ) -> ImportPreview:
    """The first `rows` rows of a file of `kind` and the mapping of its columns (nothing written)."""
    required, known = _contract(kind)
    preview = ImportPreview(kind=kind, file_name=file_name, size=size)
    reader = CsvRows(stream, required=[], known=_EveryColumn())
    for line, values in reader:
        if len(preview.rows) == rows:
            preview.more_rows = True
            break
        preview.rows.append((line, [values.get(name, "") for name in reader.header]))
    preview.problems = list(reader.errors)
    preview.header = list(reader.header)
    if not preview.header and not reader.failed:
        preview.problems.append((1, "the file is empty: it has no header row"))
    preview.mapping = _mapping(preview.header, required, known) if preview.header else []
    return preview


def _mapping(header: list[str], required: list[str], known: list[str]) -> list[ColumnMapping]:
    by_lower = {name.lower(): name for name in known}
    mapping, seen = [], set()
    for position, name in enumerate(header):
        if name in known:
            if name in seen:
                mapping.append(ColumnMapping(name, None, position, "duplicate",
                                             f"column {name} appears twice: the import refuses the file"))
                continue
            seen.add(name)
            mapping.append(ColumnMapping(name, name, position, "required" if name in required else "optional"))
        elif not name:
            mapping.append(ColumnMapping(name, None, position, "unknown", "a column without a name: the import "
                                                                          "refuses the file"))
        else:
            near = by_lower.get(name.lower())
            hint = f"; did you mean {near}? (names are case-sensitive)" if near else ""
            mapping.append(ColumnMapping(name, None, position, "unknown",
                                         f"{name} is not a column of this kind: the import refuses the file{hint}"))
    for name in known:
        if name not in seen:
            if name in required:
                mapping.append(ColumnMapping("", name, None, "missing",
                                             f"the required column {name} is missing: the import refuses the file"))
            else:
                mapping.append(ColumnMapping("", name, None, "absent", f"{name} is left blank on every row"))
    return mapping


# -- the upload waiting for its preview to be confirmed --------------------------------------------


def _preview_dir() -> Path:
    return Path(settings.FILES_DIR) / PREVIEW_DIR


def import_preview_store(*, kind: str, uploaded_file: UploadedFile) -> ImportPreview:
    """Keep an upload for PREVIEW_KEPT_SECONDS and read its preview. The size cap is the import's."""
    _contract(kind)
    size = uploaded_file.size or 0
    refusal = import_size_refusal(size)
    if refusal:
        raise ImportTooLarge(refusal, field="file")
    import_previews_expire()
    token = uuid.uuid4().hex
    target = _preview_dir() / f"{token}.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as out:
        out.writelines(uploaded_file.chunks())
    name = (uploaded_file.name or "upload.csv")[:255]
    with open(target, "rb") as stream:
        preview = import_preview_read(kind=kind, stream=stream, file_name=name, size=size)
    preview.token = token
    return preview


def import_preview_file(*, token: str, file_name: str) -> File:
    """The stored upload of a preview, as a file import_job_create accepts. A token that is not one
    (or whose file has expired) is refused with a message that says to upload again."""
    path = _preview_dir() / f"{token}.csv" if _TOKEN.match(token or "") else None
    if path is None or not path.exists():
        raise DomainError("The previewed file is no longer kept (a preview is kept for "
                          f"{PREVIEW_KEPT_SECONDS // 3600} hours): choose the file and preview it again.", field="file")
    stream = open(path, "rb")  # the caller closes it (File.close)
    return File(stream, name=file_name or "upload.csv")


def import_preview_discard(*, token: str) -> None:
    if _TOKEN.match(token or ""):
        (_preview_dir() / f"{token}.csv").unlink(missing_ok=True)


def import_previews_expire(*, now: float | None = None) -> int:
    """Remove stored previews older than PREVIEW_KEPT_SECONDS; how many were removed."""
    folder = _preview_dir()
    if not folder.exists():
        return 0
    deadline = (now if now is not None else time.time()) - PREVIEW_KEPT_SECONDS
    removed = 0
    for path in folder.glob("*.csv"):
        try:
            if path.stat().st_mtime < deadline:
                path.unlink(missing_ok=True)
                removed += 1
        except FileNotFoundError:
            continue
    return removed
