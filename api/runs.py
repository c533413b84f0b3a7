"""/api/v1/runs/: closes and recalculations, started, previewed, paused, resumed and reversed by the
same services as the Closing and adjustment page. A started run is queued on the workers; the client
follows it by its URL."""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.response import Response

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
from api.transactions import ERRORS
from closing import selectors, services
from closing.models import (
    ClosingLog,
    ClosingRun,
    InventoryParameters,
    Settlement,
    Specification,
)
from common.errors import DomainError
from common.money import ZERO
from config.roles import REVERSE_CLOSING, RUN_CLOSING

VIEW_RUNS = "closing.view_closingrun"
RUN_TYPES = {"close": ClosingRun.RunType.CLOSING, "recalculation": ClosingRun.RunType.RECALCULATION}
API_TYPES = {value: key for key, value in RUN_TYPES.items()}
# The API's statuses (issue #15): a run asked to pause whose bundles are finishing is "paused" with
# phase "pausing"; resume accepts it like the page does.
API_STATUS = {ClosingRun.Status.PAUSING: "paused"}
STATUSES = ["queued", "running", "paused", "ended", "failed", "cancelled"]
MAX_SELECTION = 10_000


class RunRequestSerializer(StrictSerializer):
    type = serializers.ChoiceField(choices=list(RUN_TYPES))
    date = serializers.DateField(input_formats=["iso-8601"], help_text="YYYY-MM-DD: the run covers transactions up to it.")
    specification = serializers.ChoiceField(choices=Specification.values, required=False,
                                            help_text="Voucher detail (default: the Inventory parameters').")
    items = serializers.ListField(child=Text(max_length=40), required=False, max_length=MAX_SELECTION,
                                  help_text="Recalculation only: item numbers (empty: all).")
    item_groups = serializers.ListField(child=Text(max_length=20), required=False, max_length=MAX_SELECTION,
                                        help_text="Recalculation only: item group codes.")
    min_adjustment = serializers.DecimalField(max_digits=20, decimal_places=2, min_value=ZERO, required=False,
                                              help_text="Recalculation only: smaller adjustments are not made.")
    note = Text(max_length=2000, required=False, allow_blank=True)
    preview = serializers.BooleanField(required=False, default=False,
                                       help_text="A dry run: answer the ledger effect, write nothing.")

    def validate(self, data):
        if data["type"] == "close":
            extra = {"items", "item_groups", "min_adjustment"} & set(data)
            if extra:
                raise serializers.ValidationError({name: ["Only a recalculation takes this."] for name in sorted(extra)})
        return data

    def run_request(self) -> services.RunRequest:
        data = self.validated_data
        specification = data.get("specification") or InventoryParameters.load().default_specification
        return services.RunRequest(
            run_type=RUN_TYPES[data["type"]], date=data["date"], specification=specification, note=data.get("note", ""),
            min_adjustment=data.get("min_adjustment") or ZERO,
            items=list(dict.fromkeys(data.get("items", []))), item_groups=list(dict.fromkeys(data.get("item_groups", []))))


class ReverseSerializer(StrictSerializer):
    what = serializers.ChoiceField(choices=["latest", "adjustment", "recalculations"], default="latest",
                                   help_text="The latest close, the latest adjustment, or every recalculation from a date.")
    recalculations_from = serializers.DateField(required=False, input_formats=["iso-8601"])

    def validate(self, data):
        if data["what"] == "recalculations" and not data.get("recalculations_from"):
            raise serializers.ValidationError({"recalculations_from": ["Give the date from which recalculations are reversed."]})
        return data


def _stamp(moment) -> str | None:
    return moment.isoformat() if moment else None


def api_status(run: ClosingRun) -> str:
    return "cancelled" if run.is_cancelled else API_STATUS.get(run.status, run.status)


def run_document(run: ClosingRun, request) -> dict:
    url = request.build_absolute_uri(reverse("api:run_detail", args=[run.pk]))
    return {
        "id": run.pk, "number": run.number, "type": API_TYPES.get(run.run_type, run.run_type), "status": api_status(run),
        "phase": run.phase, "date": run.date.isoformat(), "specification": run.specification,
        "progress": run.progress_percent,
        "counts": {"items_total": run.items_total, "items_done": run.items_done,
                   "transactions_total": run.transactions_total, "transactions_done": run.transactions_done,
                   "bundles_total": run.bundles_total, "bundles_done": run.bundles_done,
                   "settlements": run.settlements_count, "adjustments": run.adjustments_count,
                   "warnings": run.warnings_count},
        "checks": run.checks or {}, "error": run.error, "voucher": run.voucher.number if run.voucher_id else None,
        "reverses": run.reverses_id, "created_at": _stamp(run.created_at), "started_at": _stamp(run.started_at),
        "ended_at": _stamp(run.ended_at), "url": url, "settlements_url": url + "settlements/", "log_url": url + "log/",
    }


RUN = inline_serializer("Run", {
    "id": serializers.IntegerField(), "number": serializers.CharField(), "type": serializers.CharField(),
    "status": serializers.ChoiceField(choices=STATUSES), "phase": serializers.CharField(), "date": serializers.DateField(),
    "specification": serializers.CharField(), "progress": serializers.IntegerField(), "counts": serializers.DictField(),
    "checks": serializers.DictField(), "error": serializers.CharField(), "voucher": serializers.CharField(allow_null=True),
    "url": serializers.URLField(), "settlements_url": serializers.URLField(), "log_url": serializers.URLField()})
PAGE = {"count": serializers.IntegerField(), "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True)}
PAGING = [OpenApiParameter("page", int), OpenApiParameter("page_size", int, description="Up to 1,000.")]


def _preview_document(preview, request_data) -> dict:
    return {
        "preview": True, "type": request_data["type"], "date": request_data["date"].isoformat(),
        "items": preview.items, "transactions": preview.transactions, "settlements": preview.settlements,
        "adjustments": preview.adjustments, "warnings": list(preview.warnings),
        "accounts": [{"account": row["account"].number, "name": row["account"].name, "amount": amount_text(row["amount"])}
                     for row in preview.accounts],
        "item_groups": [{"item_group": row["item_group"].code, "amount": amount_text(row["amount"])}
                        for row in preview.item_groups],
    }


def _refused(error: DomainError) -> Response:
    code = status.HTTP_409_CONFLICT if error.message.startswith(services.ANOTHER_RUN.split("(")[0]) else status.HTTP_400_BAD_REQUEST
    return errors_response([{"field": error.field, "message": message} for message in error.errors], status=code)


def _run_or_404(pk: int) -> ClosingRun:
    return get_object_or_404(selectors.run_list(include_cancelled=True), pk=pk)


class RunsView(ApiView):
    def get_permissions(self):
        return [require(RUN_CLOSING if self.request.method == "POST" else VIEW_RUNS)()]

    @extend_schema(operation_id="runs_list", parameters=PAGING,
                   responses={200: inline_serializer("RunPage", {**PAGE, "results": RUN.__class__(many=True)})})
    def get(self, request):
        return paginated(self, selectors.run_list(include_cancelled=True).order_by("-id"),
                         lambda run: run_document(run, request))

    @extend_schema(
        operation_id="runs_start", request=RunRequestSerializer,
        description="Queue a close or recalculation on the workers (202, follow `url`), or with `preview` answer "
                    "its ledger effect (200, nothing written). 409 while another run is unfinished.",
        responses={202: inline_serializer("RunQueued", {"id": serializers.IntegerField(), "status": serializers.CharField(),
                                                        "url": serializers.URLField()}),
                   200: inline_serializer("RunPreview", {"preview": serializers.BooleanField(),
                                                         "accounts": serializers.ListField(child=serializers.DictField()),
                                                         "item_groups": serializers.ListField(child=serializers.DictField()),
                                                         "warnings": serializers.ListField(child=serializers.CharField())}),
                   400: ERRORS, 409: ERRORS},
        examples=[OpenApiExample("Close January", request_only=True, value={"type": "close", "date": "2026-01-31"}),
                  OpenApiExample("Preview a recalculation of two items", request_only=True, value={
                      "type": "recalculation", "date": "2026-02-15", "items": ["WIDGET", "BOLT"], "min_adjustment": "0.50",
                      "preview": True})])
    def post(self, request):
        form = RunRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            if form.validated_data["preview"]:
                return Response(_preview_document(services.closing_preview(request=form.run_request()), form.validated_data))
            run = services.closing_start(request=form.run_request(), user=request.user)
        except DomainError as error:
            return _refused(error)
        return Response({"id": run.pk, "status": api_status(run),
                         "url": request.build_absolute_uri(reverse("api:run_detail", args=[run.pk]))},
                        status=status.HTTP_202_ACCEPTED)


class RunDetailView(ApiView):
    permission_classes = (require(VIEW_RUNS),)

    @extend_schema(operation_id="runs_retrieve", responses={200: RUN})
    def get(self, request, pk: int):
        return Response(run_document(_run_or_404(pk), request))


class RunPauseView(ApiView):
    permission_classes = (require(RUN_CLOSING),)

    @extend_schema(operation_id="runs_pause", request=None, responses={200: RUN, 409: ERRORS})
    def post(self, request, pk: int):
        run = _run_or_404(pk)
        if run.status not in (ClosingRun.Status.QUEUED, ClosingRun.Status.RUNNING):
            return errors_response([{"field": None, "message": f"{run.number} is {api_status(run)}, not running: "
                                                               "there is nothing to pause."}], status=status.HTTP_409_CONFLICT)
        try:
            run = services.closing_pause(user=request.user, run_id=run.pk)
        except DomainError as error:
            return _refused(error)
        return Response(run_document(run, request))


class RunResumeView(ApiView):
    permission_classes = (require(RUN_CLOSING),)

    @extend_schema(operation_id="runs_resume", request=None, responses={200: RUN, 409: ERRORS})
    def post(self, request, pk: int):
        run = _run_or_404(pk)
        if run.status not in (ClosingRun.Status.PAUSED, ClosingRun.Status.PAUSING, ClosingRun.Status.FAILED):
            return errors_response([{"field": None, "message": f"{run.number} is {api_status(run)}: only a paused or "
                                                               "failed run is resumed."}], status=status.HTTP_409_CONFLICT)
        try:
            run = services.closing_resume(user=request.user, run_id=run.pk)
        except DomainError as error:
            return _refused(error)
        return Response(run_document(run, request))


class RunReverseView(ApiView):
    permission_classes = (require(REVERSE_CLOSING),)

    @extend_schema(operation_id="runs_reverse", request=ReverseSerializer,
                   examples=[OpenApiExample("Reverse the latest close", request_only=True, value={"what": "latest"})],
                   description="Queue the reversal on the workers (202, follow `url`: the reversal run, which ends "
                               "with the books as before the reversed run). Several recalculations are reversed one "
                               "after the other, each by its own reversal run. 400 when refused.",
                   responses={202: inline_serializer("ReversalQueued", {"id": serializers.IntegerField(),
                                                                        "status": serializers.CharField(),
                                                                        "url": serializers.URLField()}),
                              400: ERRORS})
    def post(self, request):
        form = ReverseSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            run = services.reversal_queue(
                user=request.user, latest_adjustment=data["what"] == "adjustment",
                recalculations_from=data.get("recalculations_from") if data["what"] == "recalculations" else None)
        except DomainError as error:
            return _refused(error)
        return Response({"id": run.pk, "status": api_status(run),
                         "url": request.build_absolute_uri(reverse("api:run_detail", args=[run.pk]))},
                        status=status.HTTP_202_ACCEPTED)


def _settlement(row: Settlement) -> dict:
    return {"id": row.pk, "date": row.date.isoformat(), "item": row.issue.item.number, "issue": row.issue.ref,
            "receipt": row.receipt.ref if row.receipt_id else None, "qty": number_text(row.qty),
            "amount": amount_text(row.amount),
            "issue_adjustment": amount_text(row.issue_adjustment) if row.issue_adjustment is not None else None}


def _log_entry(row: ClosingLog) -> dict:
    return {"id": row.pk, "level": row.level, "message": row.message,
            "item": row.item.number if row.item_id else None,
            "transaction": row.transaction.ref if row.transaction_id else None, "created_at": _stamp(row.created_at)}


class RunSettlementsView(ApiView):
    permission_classes = (require(VIEW_RUNS),)

    @extend_schema(operation_id="runs_settlements", parameters=PAGING, responses={200: inline_serializer(
        "SettlementPage", {**PAGE, "results": serializers.ListField(child=serializers.DictField())})})
    def get(self, request, pk: int):
        return paginated(self, selectors.run_settlements(run=_run_or_404(pk)), _settlement)


class RunLogView(ApiView):
    permission_classes = (require(VIEW_RUNS),)

    @extend_schema(operation_id="runs_log", parameters=PAGING, responses={200: inline_serializer(
        "LogPage", {**PAGE, "results": serializers.ListField(child=serializers.DictField())})})
    def get(self, request, pk: int):
        return paginated(self, selectors.run_log(run=_run_or_404(pk)), _log_entry)
