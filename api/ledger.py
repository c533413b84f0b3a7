"""The ledger's side of the API: GET /api/v1/vouchers/ (the voucher feed a general ledger pulls with
a cursor) and the inventory value and reconciliation reports as JSON."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from api import selectors
from api.base import MAX_PAGE_SIZE, ApiView, Text, amount_text, number_text
from api.permissions import require
from api.transactions import ERRORS
from ledger.models import Voucher
from reports import selectors as reports_selectors

VIEW_VOUCHERS = "ledger.view_voucher"
VIEW_TRANSACTIONS = "inventory.view_inventorytransaction"  # the inventory value page's permission
VIEW_LEDGER = "ledger.view_voucherline"  # the reconciliation page's permission
FEED_LIMIT = 100


class FeedQuerySerializer(serializers.Serializer):
    after = Text(required=False, allow_blank=True, max_length=40)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=FEED_LIMIT)

    def validate_after(self, value: str) -> selectors.FeedPosition:
        if not value:
            return selectors.START
        try:
            return selectors.FeedPosition.parse(value)
        except ValueError:
            raise serializers.ValidationError("Not a cursor of this feed: pass the next_cursor of the previous "
                                              "answer, or nothing to start from the first voucher.") from None


def _voucher(voucher: Voucher) -> dict:
    return {
        "cursor": voucher.feed_position.token(), "id": voucher.pk, "number": voucher.number, "date": voucher.date.isoformat(),
        "description": voucher.description, "source": voucher.source,
        "reverses": voucher.reverses.number if voucher.reverses_id else None,
        "created_at": voucher.created_at.isoformat(),
        "lines": [{"account": line.account.number, "debit": amount_text(line.debit), "credit": amount_text(line.credit),
                   "is_storno": line.is_storno, "description": line.description,
                   "item_group": line.item_group.code if line.item_group_id else None,
                   "item": line.item.number if line.item_id else None,
                   "transaction": line.inventory_transaction.ref if line.inventory_transaction_id else None}
                  for line in voucher.lines.all()],
    }


class VoucherFeedView(ApiView):
    permission_classes = (require(VIEW_VOUCHERS),)

    @extend_schema(
        operation_id="vouchers_feed",
        description="Vouchers with their lines in posting order, from a stable cursor: call again with `after` = the "
                    "answer's `next_cursor` to get everything posted since, never a voucher missed or twice. A voucher "
                    "appears once the database transaction that wrote it (and every older one) has committed.",
        parameters=[OpenApiParameter("after", str, description="The previous answer's next_cursor (empty: from the start)."),
                    OpenApiParameter("limit", int, description="Vouchers per answer, up to 1,000 (default 100).")],
        responses={200: inline_serializer("VoucherFeed", {
            "results": serializers.ListField(child=serializers.DictField()), "next_cursor": serializers.CharField(),
            "has_more": serializers.BooleanField()}), 400: ERRORS},
    )
    def get(self, request):
        query = FeedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        vouchers, position, more = selectors.voucher_feed(after=query.validated_data.get("after", selectors.START),
                                                          limit=query.validated_data["limit"])
        return Response({"results": [_voucher(voucher) for voucher in vouchers], "next_cursor": position.token(),
                         "has_more": more})


class AsOfSerializer(serializers.Serializer):
    as_of = serializers.DateField(required=False, input_formats=["iso-8601"])


AS_OF = [OpenApiParameter("as_of", OpenApiTypes.DATE, description="Report date (default: everything posted).")]


def _as_of(request):
    query = AsOfSerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data.get("as_of")


def _figures(row: dict, quantities=("financial_qty", "physical_qty", "qty"),
             amounts=("financial_value", "physical_value", "value")) -> dict:
    return {**{name: number_text(row[name]) for name in quantities}, **{name: amount_text(row[name]) for name in amounts}}


class InventoryValueView(ApiView):
    permission_classes = (require(VIEW_TRANSACTIONS),)

    @extend_schema(operation_id="reports_inventory_value", parameters=AS_OF, responses={200: OpenApiTypes.OBJECT, 400: ERRORS})
    def get(self, request):
        as_of = _as_of(request)
        report = reports_selectors.inventory_value(as_of=as_of)
        return Response({
            "as_of": as_of.isoformat() if as_of else None,
            "rows": [{"item_group": row["item_group"], "item": row["item"], "item_name": row["item_name"], "site": row["site"],
                      "warehouse": row["warehouse"], **_figures(row)} for row in report.rows],
            "item_groups": [{"item_group": row["item_group"], **_figures(row)} for row in report.groups],
            "totals": _figures(report.totals),
        })


class ReconciliationView(ApiView):
    permission_classes = (require(VIEW_LEDGER),)

    @extend_schema(operation_id="reports_reconciliation", parameters=AS_OF, responses={200: OpenApiTypes.OBJECT, 400: ERRORS})
    def get(self, request):
        as_of = _as_of(request)
        report = reports_selectors.reconciliation(as_of=as_of)

        def amounts(row: dict) -> dict:
            return {name: amount_text(row[name]) for name in ("subledger", "ledger", "difference")}

        return Response({
            "as_of": as_of.isoformat() if as_of else None,
            "rows": [{"account": row["account"].number, "item_group": row["item_group"].code if row["item_group"] else None,
                      **amounts(row)} for row in report.rows],
            "accounts": [{"account": row["account"].number, "name": row["account"].name, **amounts(row)}
                         for row in report.accounts],
            "totals": amounts(report.totals),
        })
