"""POST, GET /api/v1/items/ and GET /api/v1/items/{number}/: items under the items CSV contract,
created or updated by the same service as the CSV import."""

from django.shortcuts import get_object_or_404
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
    errors_response,
    number_text,
    paginated,
)
from api.permissions import require
from api.rows import csv_row, service_errors
from api.transactions import ERRORS, UNIQUE_VIOLATIONS
from inventory import selectors as inventory_selectors
from inventory.models import Item
from inventory.services import imports

# Creating and updating items takes the item permissions, like the items import (#16, point 9).
ADD_ITEMS = ("inventory.add_item", "inventory.change_item")
VIEW_ITEM = "inventory.view_item"
MAX_BATCH = 10_000
COLUMNS = {"number": "item", "name": "name", "item_group": "item_group", "model_group": "model_group",
           "unit_cost": "unit_cost"}


class ItemRowSerializer(StrictSerializer):
    number = Text(max_length=Item._meta.get_field("number").max_length)
    name = Text(max_length=Item._meta.get_field("name").max_length)
    item_group = Text(max_length=20, help_text="An existing item group code, e.g. DEFAULT.")
    model_group = Text(max_length=20, help_text="An existing model group code, e.g. FIFO.")
    unit_cost = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, allow_null=True,
                                         help_text="Default cost price (0 when absent); the standard cost for STD.")


class ItemBatchSerializer(StrictSerializer):
    items = ItemRowSerializer(many=True, allow_empty=False, max_length=MAX_BATCH)


ITEM_FIELDS = {
    "number": serializers.CharField(), "name": serializers.CharField(), "item_group": serializers.CharField(),
    "model_group": serializers.CharField(), "unit_cost": serializers.CharField(),
}


def _item(item: Item) -> dict:
    return {"number": item.number, "name": item.name, "item_group": item.item_group.code,
            "model_group": item.model_group.code, "unit_cost": number_text(item.default_cost_price)}


def _item_detail(item: Item) -> dict:
    totals = inventory_selectors.item_totals(item=item)
    financial_qty = totals["financial_qty"]
    return {
        **_item(item),
        "on_hand": {"physical_qty": number_text(totals["physical_qty"]), "financial_qty": number_text(financial_qty),
                    "financial_value": amount_text(totals["financial_value"]),
                    "physical_value": amount_text(totals["physical_value"])},
        # The item's running average over all its dimensions (the rule of inventory/averages.py, on
        # the item's totals); each dimension's own, the one its next issue is costed at, is in
        # `dimensions`. None while nothing is on hand to average.
        "running_average": number_text(average) if (average := inventory_selectors.item_running_average(
            item=item, totals=totals)) is not None else None,
        "dimensions": [{"site": row["dimension"].site.code,
                        "warehouse": row["dimension"].warehouse.code if row["dimension"].warehouse_id else None,
                        "tracking_number": row["dimension"].tracking_number,
                        "financial_qty": number_text(row["dimension"].financial_qty),
                        "financial_value": amount_text(row["dimension"].financial_value),
                        "running_average": number_text(row["running_average"])}
                       for row in inventory_selectors.item_cost_dimensions(item=item)],
        "warehouses": [{"site": row.site.code, "warehouse": row.warehouse.code, "tracking_number": row.tracking_number,
                        "physical_qty": number_text(row.physical_qty), "financial_qty": number_text(row.financial_qty),
                        "financial_value": amount_text(row.financial_value), "physical_value": amount_text(row.physical_value)}
                       for row in inventory_selectors.item_on_hand(item=item)],
    }


class ItemsView(ApiView):
    def get_permissions(self):
        return [require(*ADD_ITEMS)() if self.request.method == "POST" else require(VIEW_ITEM)()]

    @extend_schema(
        operation_id="items_list",
        parameters=[OpenApiParameter("page", int), OpenApiParameter("page_size", int, description="Up to 1,000.")],
        responses={200: inline_serializer("ItemPage", {
            "count": serializers.IntegerField(), "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": inline_serializer("ItemListRow", ITEM_FIELDS, many=True)})},
    )
    def get(self, request):
        return paginated(self, selectors.item_list(), _item)

    @extend_schema(
        operation_id="items_post",
        request=ItemBatchSerializer,
        description="Create or update items under the items CSV contract, all or nothing: 200 (or 201 when an item "
                    "was created) with the count; 400 naming every bad row by its 0-based index, nothing changed.",
        responses={200: inline_serializer("ItemBatchResult", {"posted": serializers.IntegerField(),
                                                              "created": serializers.IntegerField()}),
                   201: inline_serializer("ItemBatchCreated", {"posted": serializers.IntegerField(),
                                                               "created": serializers.IntegerField()}),
                   400: ERRORS},
        examples=[OpenApiExample("Two items", request_only=True, value={"items": [
            {"number": "WIDGET", "name": "Blue widget", "item_group": "DEFAULT", "model_group": "FIFO", "unit_cost": "4.25"},
            {"number": "BOLT", "name": "Bolt M6", "item_group": "DEFAULT", "model_group": "STD", "unit_cost": "0.12"}]})],
    )
    def post(self, request):
        batch = ItemBatchSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        rows = batch.validated_data["items"]
        try:
            return self._post(rows)
        except UNIQUE_VIOLATIONS:
            # Another request created one of these items between our read and our insert: nothing
            # of ours was written; again, the item now exists and is updated.
            return self._post(rows)

    def _post(self, rows: list[dict]) -> Response:
        existing = set(Item.objects.filter(number__in=[row["number"] for row in rows]).values_list("number", flat=True))
        result = imports.items_post(rows=[(index, csv_row(row, COLUMNS)) for index, row in enumerate(rows)],
                                    user=self.request.user)
        if result.errors:
            return errors_response(service_errors(result.errors, fields=set(COLUMNS) - {"number"},
                                                  rename={"item": "number"}), status=status.HTTP_400_BAD_REQUEST)
        created = len({row["number"] for row in rows} - existing)
        return Response({"posted": result.posted, "created": created},
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ItemDetailView(ApiView):
    permission_classes = (require(VIEW_ITEM),)

    @extend_schema(operation_id="items_retrieve", responses={200: inline_serializer("ItemDetail", {
        **ITEM_FIELDS, "on_hand": serializers.DictField(), "running_average": serializers.CharField(allow_null=True),
        "dimensions": serializers.ListField(child=serializers.DictField()),
        "warehouses": serializers.ListField(child=serializers.DictField())})})
    def get(self, request, number: str):
        return Response(_item_detail(get_object_or_404(selectors.item_list(), number=number)))
