"""POST and GET /api/v1/transactions/: batches of the transactions CSV contract as JSON, all or
nothing and idempotent by ref, posted by the same service as the CSV import."""

import psycopg
from django.db import IntegrityError, transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.response import Response

from api import selectors
from api.base import (
    ApiView,
    StrictSerializer,
    Text,
    amount_text,
    error_entries,
    errors_response,
    number_text,
    paginated,
)
from api.permissions import require
from api.rows import csv_row, service_errors
from common.money import round_amount
from inventory.models import InventoryTransaction, TransactionStatus, ValuationMethod
from inventory.services import imports

# Rows written by COPY go through psycopg's own cursor, so its error is not Django's IntegrityError.
UNIQUE_VIOLATIONS = (IntegrityError, psycopg.errors.UniqueViolation)
ADD_TRANSACTION = "inventory.add_inventorytransaction"  # what the Import CSV page needs
VIEW_TRANSACTION = "inventory.view_inventorytransaction"
MAX_BATCH = 10_000
COLUMNS = {name: name for name in imports.TRANSACTION_COLUMNS}
QTY = {"max_digits": 20, "decimal_places": 6}
CODE_LENGTH = 20


class TransactionRowSerializer(StrictSerializer):
    """One row of the transactions CSV contract (README). The contract has no lot, serial or expiry
    columns, so neither does this object: tracked items are posted through journals."""

    ref = Text(max_length=imports.REF_LENGTH)
    date = serializers.DateField(input_formats=["iso-8601"], help_text="YYYY-MM-DD")
    item = Text(max_length=40, help_text="An existing item number.")
    qty = serializers.DecimalField(**QTY, coerce_to_string=True,
                                   help_text="Positive: a receipt; negative: an issue. Not 0.")
    unit_cost = serializers.DecimalField(**QTY, coerce_to_string=True, required=False, allow_null=True,
                                         help_text="Required on receipts (0 or more); absent or null on issues.")
    update = serializers.ChoiceField(choices=["physical", "financial"])
    site = Text(max_length=CODE_LENGTH, required=False, allow_blank=True, help_text="Default MAIN.")
    warehouse = Text(max_length=CODE_LENGTH, required=False, allow_blank=True, help_text="Default MAIN.")
    marking = Text(max_length=imports.REF_LENGTH, required=False, allow_blank=True,
                   help_text="On issues only: the ref of the receipt the issue is marked to.")
    bin = Text(max_length=CODE_LENGTH, required=False, allow_blank=True,
               help_text="The bin in a warehouse with bins; empty: the item's default bin there. Required in a "
                         "bin-mandatory warehouse when the item has no default bin.")


class TransactionBatchSerializer(StrictSerializer):
    transactions = TransactionRowSerializer(many=True, allow_empty=False, max_length=MAX_BATCH)


BATCH_RESULT = inline_serializer("TransactionBatchResult", {
    "posted": serializers.IntegerField(help_text="Rows posted now."),
    "unchanged": serializers.IntegerField(help_text="Rows whose ref was already posted with the same content."),
})
ERRORS = inline_serializer("RowErrors", {
    "detail": serializers.CharField(),
    "errors": serializers.ListField(child=inline_serializer("RowError", {
        "index": serializers.IntegerField(required=False), "field": serializers.CharField(allow_null=True),
        "ref": serializers.CharField(required=False), "message": serializers.CharField()})),
})


def _same_place(txn: InventoryTransaction, row: dict) -> bool:
    """The same item, quantity, site and warehouse (empty codes are MAIN, as in the CSV)."""
    return (txn.item.number == row["item"] and txn.qty == row["qty"] and txn.site.code == (row.get("site") or "MAIN")
            and txn.warehouse.code == (row.get("warehouse") or "MAIN"))


def _same_physical(txn: InventoryTransaction, row: dict) -> bool:
    marking = txn.marked_to.ref if txn.marked_to_id else ""
    same = _same_place(txn, row) and txn.date_physical == row["date"] and marking == (row.get("marking") or "")
    if same and txn.is_receipt and txn.item.model_group.valuation_method != ValuationMethod.STANDARD_COST:
        same = txn.cost_amount_physical == round_amount(row["qty"] * (row.get("unit_cost") or 0))
    return same


def _same_invoice(txn: InventoryTransaction, row: dict) -> bool:
    """The financial update of `txn` is what `row` says. A receipt's invoiced cost is compared as the
    amount it booked (for standard cost the standard decides the value, so any cost matches)."""
    marking = txn.marked_to.ref if txn.marked_to_id else ""
    if not _same_place(txn, row) or txn.date_financial != row["date"] or marking != (row.get("marking") or ""):
        return False
    if not txn.is_receipt or txn.item.model_group.valuation_method == ValuationMethod.STANDARD_COST:
        return True
    booked = round_amount(row["qty"] * (row.get("unit_cost") or 0))
    direct = txn.date_physical == txn.date_financial and txn.cost_amount_physical == booked
    return direct or txn.cost_amount_posted + txn.cost_amount_adjustment == booked


def classify(rows: list[dict]) -> tuple[list[int], list[int], list[dict]]:
    """Split a batch into rows to post, exact repeats of posted refs, and conflicts (a posted ref
    with different content), by comparing each row with the stored transaction of its ref."""
    stored = selectors.transactions_by_ref(refs={row["ref"] for row in rows})
    new, repeated, conflicts = [], [], []
    for index, row in enumerate(rows):
        txn = stored.get(row["ref"])
        if txn is None:
            new.append(index)
        elif row["update"] == "physical":
            if _same_physical(txn, row):
                repeated.append(index)
            else:
                conflicts.append({"index": index, "ref": row["ref"], "field": "ref", "message":
                                  f"ref {row['ref']!r} is already posted with different content"})
        elif txn.date_financial is None:
            if not _same_place(txn, row):
                conflicts.append({"index": index, "ref": row["ref"], "field": "ref", "message":
                                  f"ref {row['ref']!r} is a posted transaction of {txn.qty.normalize():f} × "
                                  f"{txn.item.number} at {txn.site.code}/{txn.warehouse.code}: its invoice must have "
                                  "the same item, qty, site and warehouse"})
            else:
                new.append(index)  # the invoice of a physical-only transaction
        elif _same_invoice(txn, row):
            repeated.append(index)
        else:
            conflicts.append({"index": index, "ref": row["ref"], "field": "ref", "message":
                              f"ref {row['ref']!r} is already financially updated with different content"})
    return new, repeated, conflicts


class TransactionsView(ApiView):
    def get_permissions(self):
        return [require(ADD_TRANSACTION if self.request.method == "POST" else VIEW_TRANSACTION)()]

    @extend_schema(
        operation_id="transactions_list",
        parameters=[
            OpenApiParameter("item", str, description="Item number."),
            OpenApiParameter("ref_prefix", str, description="Refs starting with this text."),
            OpenApiParameter("date_from", OpenApiTypes.DATE, description="Physical posting date on or after."),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description="Physical posting date on or before."),
            OpenApiParameter("status", str, enum=TransactionStatus.values),
            OpenApiParameter("page", int), OpenApiParameter("page_size", int, description="Up to 1,000 (default 100)."),
        ],
        responses={200: inline_serializer("TransactionPage", {
            "count": serializers.IntegerField(), "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True), "results": inline_serializer("TransactionListRow", {
                "ref": serializers.CharField(), "item": serializers.CharField(), "qty": serializers.CharField(),
                "status": serializers.CharField(), "date_physical": serializers.DateField(),
                "date_financial": serializers.DateField(allow_null=True), "cost_amount": serializers.CharField(),
                "settled_qty": serializers.CharField(), "adjustment": serializers.CharField()}, many=True)}),
            400: ERRORS},
    )
    def get(self, request):
        filters = TransactionFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return paginated(self, selectors.transaction_list(**filters.validated_data), _transaction_row)

    @extend_schema(
        operation_id="transactions_post",
        request=TransactionBatchSerializer,
        description="All or nothing. Idempotent by ref: a row whose ref is already posted with the same content "
                    "is not posted again. 201 when rows were posted (a batch mixing new rows and exact repeats "
                    "posts the new ones), 200 when every row was a repeat, 409 when a ref is posted with different "
                    "content (nothing posted), 400 naming every bad row by its 0-based index (nothing posted). "
                    "The transactions CSV contract has no lot, serial or expiry columns: neither has this batch.",
        responses={201: BATCH_RESULT, 200: BATCH_RESULT, 400: ERRORS, 409: ERRORS},
        examples=[OpenApiExample("A purchase, its sale and a receipt waiting for its invoice", request_only=True, value={
            "transactions": [
                {"ref": "PO-1001", "date": "2026-01-02", "item": "WIDGET", "qty": "10", "unit_cost": "4.25",
                 "update": "financial"},
                {"ref": "SO-2001", "date": "2026-01-03", "item": "WIDGET", "qty": "-4", "update": "financial",
                 "marking": "PO-1001"},
                {"ref": "PO-1002", "date": "2026-01-04", "item": "WIDGET", "qty": "5", "unit_cost": "4.50",
                 "update": "physical", "site": "MAIN", "warehouse": "MAIN"}]})],
    )
    def post(self, request):
        batch = TransactionBatchSerializer(data=request.data)
        if not batch.is_valid():
            return errors_response(self._every_error(request.data, error_entries(batch.errors)),
                                   status=status.HTTP_400_BAD_REQUEST)
        rows = batch.validated_data["transactions"]
        try:
            return self._post(rows)
        except UNIQUE_VIOLATIONS:
            # Another request posted one of these refs between our check and our insert (the ref is
            # unique in the database): nothing of ours was written; look again, now it is committed.
            return self._post(rows)

    def _post(self, rows: list[dict]) -> Response:
        new, repeated, conflicts = classify(rows)
        if conflicts:
            return errors_response(conflicts, status=status.HTTP_409_CONFLICT)
        if new:
            result = imports.transactions_post(rows=[(index, csv_row(rows[index], COLUMNS)) for index in new],
                                               user=self.request.user)
            if result.errors:
                return errors_response(service_errors(result.errors, fields=set(COLUMNS)), status=status.HTTP_400_BAD_REQUEST)
        return Response({"posted": len(new), "unchanged": len(repeated)},
                        status=status.HTTP_201_CREATED if new else status.HTTP_200_OK)


    def _every_error(self, data, errors: list[dict]) -> list[dict]:
        """A batch with rows that cannot be read: their errors, and what the posting rules say about
        the rows that can be (checked by posting them in a savepoint that is rolled back), so the
        client learns of every bad row at once."""
        raw = data.get("transactions") if isinstance(data, dict) else None
        if not isinstance(raw, list) or not 0 < len(raw) <= MAX_BATCH or any("index" not in error for error in errors):
            return errors
        parsed = {}
        for index, item in enumerate(raw):
            row = TransactionRowSerializer(data=item)
            if row.is_valid():
                parsed[index] = row.validated_data
        indexes = sorted(parsed)
        new, _, conflicts = classify([parsed[index] for index in indexes])
        errors += [{**conflict, "index": indexes[conflict["index"]]} for conflict in conflicts]
        if new:
            with transaction.atomic():
                result = imports.transactions_post(
                    rows=[(indexes[position], csv_row(parsed[indexes[position]], COLUMNS)) for position in new],
                    user=self.request.user)
                transaction.set_rollback(True)
            errors += service_errors(result.errors, fields=set(COLUMNS))
        return sorted(errors, key=lambda error: error["index"])


class TransactionFilterSerializer(serializers.Serializer):
    item = Text(required=False, max_length=40)
    ref_prefix = Text(required=False, max_length=imports.REF_LENGTH)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    status = serializers.ChoiceField(choices=TransactionStatus.values, required=False)


def _transaction_row(txn: InventoryTransaction) -> dict:
    return {
        "ref": txn.ref, "item": txn.item.number, "qty": number_text(txn.qty), "status": txn.status,
        "date_physical": txn.date_physical.isoformat(),
        "date_financial": txn.date_financial.isoformat() if txn.date_financial else None,
        "cost_amount": amount_text(txn.cost_amount), "settled_qty": number_text(txn.qty_settled),
        "adjustment": amount_text(txn.cost_amount_adjustment),
    }

