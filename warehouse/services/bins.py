"""Bins and their set-up (docs/domain.md §5.1): a warehouse's bins and its bin-mandatory flag, the
bins file, an item's default bin per warehouse (Change default bins) and bin content (Modify bin
content)."""

from decimal import Decimal
from typing import BinaryIO

from django.db import transaction

from common.audit import audit_record
from common.errors import DomainError
from common.money import ZERO
from inventory.models import Item, Warehouse
from inventory.services.csv_files import CsvRows, ImportResult
from warehouse.models import Bin, BinContent, WarehouseSetup
from warehouse.selectors import warehouse_by_code, warehouse_label

BIN_COLUMNS = ["warehouse", "bin", "kind"]
CODE_LENGTH = Bin._meta.get_field("code").max_length


def bin_create(*, warehouse: Warehouse, code: str, kind: str = Bin.Kind.STORAGE, description: str = "",
               user=None) -> Bin:
    """Add a bin. The warehouse uses bins from its first bin on (bins optional until made mandatory)."""
    code = code.strip()
    problems = bin_problems(warehouse=warehouse, code=code, kind=kind)
    if problems:
        raise DomainError(problems[0], field="code" if "bin code" in problems[0] else "kind")
    with transaction.atomic():
        WarehouseSetup.objects.get_or_create(warehouse=warehouse)
        bin = Bin.objects.create(warehouse=warehouse, code=code, kind=kind, description=description)
        audit_record(user=user, action="warehouse.bin.create", obj=bin, warehouse=warehouse_label(warehouse), bin=code,
                     kind=kind)
    return bin


def bin_problems(*, warehouse: Warehouse, code: str, kind: str, taken: set[str] = frozenset(),
                 adjustment_taken: bool = False) -> list[str]:
    problems = []
    if not code:
        problems.append("the bin code is empty")
    elif len(code) > CODE_LENGTH:
        problems.append(f"the bin code is {len(code)} characters long: at most {CODE_LENGTH} are allowed")
    elif code in taken or Bin.objects.filter(warehouse=warehouse, code=code).exists():
        problems.append(f"warehouse {warehouse_label(warehouse)} already has a bin {code}")
    if kind not in Bin.Kind.values:
        problems.append(f"kind must be 'storage' or 'adjustment', not {kind!r}")
    elif kind == Bin.Kind.ADJUSTMENT and (adjustment_taken or Bin.objects.filter(
            warehouse=warehouse, kind=Bin.Kind.ADJUSTMENT).exists()):
        problems.append(f"warehouse {warehouse_label(warehouse)} already has its adjustment bin: a warehouse has "
                        "exactly one")
    return problems


def warehouse_bins_set(*, warehouse: Warehouse, bin_mandatory: bool, user=None) -> WarehouseSetup:
    """Make bins mandatory (or optional) in a warehouse. A bin-mandatory warehouse needs its
    adjustment bin, where every correction made at bin level books its counterpart."""
    with transaction.atomic():
        setup, _ = WarehouseSetup.objects.select_for_update().get_or_create(warehouse=warehouse)
        if bin_mandatory and not Bin.objects.filter(warehouse=warehouse, kind=Bin.Kind.ADJUSTMENT).exists():
            raise DomainError(f"Warehouse {warehouse_label(warehouse)} has no adjustment bin: add one before making "
                              "bins mandatory.", field="bin_mandatory")
        setup.bin_mandatory = bin_mandatory
        setup.save(update_fields=["bin_mandatory"])
        audit_record(user=user, action="warehouse.bins.set", obj=setup, warehouse=warehouse_label(warehouse),
                     bin_mandatory=bin_mandatory)
    return setup


def bins_import_file(*, stream: BinaryIO, user=None) -> ImportResult:
    """Bins from a file with columns warehouse,bin,kind, all or nothing, errors by line. A bin that
    exists with the same kind is left as it is, so a file can be imported again."""
    result = ImportResult()
    reader = CsvRows(stream, required=BIN_COLUMNS, known=BIN_COLUMNS)
    rows = list(reader)
    result.rows_read, result.bytes_read = len(rows), reader.bytes_read
    errors = list(reader.errors)
    to_create: list[tuple[Warehouse, str, str]] = []
    taken: dict[int, set[str]] = {}
    adjustment_in_file: dict[int, int] = {}
    for line, row in rows:
        try:
            warehouse = warehouse_by_code(row["warehouse"]) if row.get("warehouse") else None
            if warehouse is None:
                raise DomainError("warehouse is empty")
            code, kind = row.get("bin", ""), row.get("kind", "").lower() or Bin.Kind.STORAGE
            existing = Bin.objects.filter(warehouse=warehouse, code=code).first()
            if existing is not None:
                if existing.kind != kind:
                    raise DomainError(f"bin {code} of warehouse {warehouse_label(warehouse)} exists as a "
                                      f"{existing.kind} bin, not {kind}")
                continue
            if kind == Bin.Kind.ADJUSTMENT and warehouse.pk in adjustment_in_file:
                raise DomainError(f"warehouse {warehouse_label(warehouse)} already has its adjustment bin on line "
                                  f"{adjustment_in_file[warehouse.pk]}: a warehouse has exactly one")
            problems = bin_problems(warehouse=warehouse, code=code, kind=kind, taken=taken.get(warehouse.pk, set()))
            if problems:
                raise DomainError("; ".join(problems))
            taken.setdefault(warehouse.pk, set()).add(code)
            if kind == Bin.Kind.ADJUSTMENT:
                adjustment_in_file[warehouse.pk] = line
            to_create.append((warehouse, code, kind))
        except DomainError as error:
            errors.append((line, error.message))
    if not rows and not errors:
        errors.append((1, "the file has no rows"))
    if errors:
        result.add_errors(errors)
        return result
    with transaction.atomic():
        for warehouse in {warehouse for warehouse, _, _ in to_create}:
            WarehouseSetup.objects.get_or_create(warehouse=warehouse)
        Bin.objects.bulk_create([Bin(warehouse=warehouse, code=code, kind=kind) for warehouse, code, kind in to_create])
        audit_record(user=user, action="warehouse.bins.import", object_type="import", object_id="csv",
                     created=len(to_create))
    result.posted = len(to_create)
    return result


def default_bin_set(*, item: Item, bin: Bin, user=None) -> BinContent:
    """Change default bins: `bin` becomes the item's default bin in its warehouse (the one it had
    stops being the default)."""
    if bin.is_adjustment:
        raise DomainError(f"Bin {bin.code} is the adjustment bin: an item's default bin is a storage bin.", field="bin")
    with transaction.atomic():
        before = (BinContent.objects.select_for_update().filter(item=item, warehouse_id=bin.warehouse_id, is_default=True)
                  .select_related("bin").first())
        if before is not None and before.bin_id == bin.pk:
            return before
        if before is not None:
            before.is_default = False
            before.save(update_fields=["is_default"])
        content, _ = BinContent.objects.get_or_create(item=item, bin=bin, defaults={"warehouse_id": bin.warehouse_id})
        content.is_default = True
        content.save(update_fields=["is_default"])
        audit_record(user=user, action="warehouse.default_bin.set", obj=content, item=item.number,
                     warehouse=warehouse_label(bin.warehouse), bin=bin.code, before=before.bin.code if before else None)
    return content


def bin_content_modify(*, item: Item, bin: Bin, fixed: bool, min_qty: Decimal | None, max_qty: Decimal | None,
                       user=None) -> BinContent:
    """Modify bin content: whether the item's place in the bin is fixed, and the minimum and maximum
    quantity the bin should hold of it."""
    if min_qty is not None and min_qty < ZERO:
        raise DomainError("The minimum quantity cannot be negative.", field="min_qty")
    if min_qty is not None and max_qty is not None and max_qty < min_qty:
        raise DomainError(f"The maximum quantity ({max_qty}) is below the minimum ({min_qty}).", field="max_qty")
    with transaction.atomic():
        content, _ = BinContent.objects.select_for_update().get_or_create(
            item=item, bin=bin, defaults={"warehouse_id": bin.warehouse_id})
        content.fixed, content.min_qty, content.max_qty = fixed, min_qty, max_qty
        content.save(update_fields=["fixed", "min_qty", "max_qty"])
        audit_record(user=user, action="warehouse.bin_content.modify", obj=content, item=item.number, bin=str(bin),
                     fixed=fixed, min_qty=None if min_qty is None else str(min_qty),
                     max_qty=None if max_qty is None else str(max_qty))
    return content
