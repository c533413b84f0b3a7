"""/api/v1/exports/ endpoints (issue #15, point 3): exports as jobs, followed by their URL.

`POST /api/v1/exports/` (`{"kind", "format", ...filters}`) queues an export with the filters of its
page (the same kinds, service and permissions as the pages' exports, reports.exports.KINDS) and
answers 202 with the job's id and URL. `GET /api/v1/exports/{id}/` is the job: status, rows written,
progress and, once written, `download_url`; `GET /api/v1/exports/{id}/download/` is the file. Only
the user who asked sees an export: for anyone else it does not exist (404)."""

from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from api.base import ApiView
from reports.exports import (
    KIND_CHOICES,
    KINDS,
    export_job_create,
    export_job_file,
    export_job_of,
)
from reports.models import ExportJob

KIND_HELP = "; ".join(f"`{kind.name}`: {kind.title} ({', '.join(kind.formats)}; filters: {', '.join(kind.params) or '-'})"
                      for kind in KINDS.values())


class ExportCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=KIND_CHOICES, help_text=f"What to export. {KIND_HELP}.")
    format = serializers.ChoiceField(choices=ExportJob.Format.choices, default=ExportJob.Format.CSV,
                                     help_text="csv or xlsx; jsonl (JSON lines) for `transactions`.")


class ExportJobSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField(help_text="queued, running, succeeded or failed.")
    progress = serializers.SerializerMethodField(help_text="Percent of the rows written (100 once succeeded).")
    url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField(help_text="The file, once the export has succeeded.")

    class Meta:
        model = ExportJob
        fields = ["id", "url", "kind", "format", "params", "status", "rows_written", "rows_total", "progress",
                  "file_name", "size", "error", "download_url", "created_at", "started_at", "finished_at"]
        read_only_fields = fields

    def get_status(self, job: ExportJob) -> str:
        return job.shown_status

    def get_progress(self, job: ExportJob) -> int:
        return job.progress_percent

    def get_url(self, job: ExportJob) -> str:
        return self.context["request"].build_absolute_uri(reverse("api:export_detail", args=[job.pk]))

    def get_download_url(self, job: ExportJob) -> str | None:
        if job.status != ExportJob.Status.SUCCEEDED:
            return None
        return self.context["request"].build_absolute_uri(reverse("api:export_download", args=[job.pk]))


CREATED = inline_serializer("ExportCreated", {"id": serializers.IntegerField(), "url": serializers.URLField()})


class ExportCreateView(ApiView):
    """Queue an export; a worker writes its file. Follow the job at the URL answered."""

    @extend_schema(
        operation_id="exports_create",
        request=ExportCreateSerializer,
        responses={202: CREATED, 400: OpenApiResponse(OpenApiTypes.OBJECT, description="A field or filter is wrong."),
                   403: OpenApiResponse(description="The role does not allow this export (the page's permission).")},
        description="The filters go next to `kind` and `format`, named as on the kind's page "
                    "(e.g. `{\"kind\": \"inventory_value\", \"format\": \"xlsx\", \"as_of\": \"2026-01-31\"}`). "
                    f"Kinds: {KIND_HELP}.",
    )
    def post(self, request, *args, **kwargs):
        if not isinstance(request.data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Send a JSON object."]})
        serializer = ExportCreateSerializer(data={name: request.data[name] for name in ("kind", "format")
                                                  if name in request.data})
        serializer.is_valid(raise_exception=True)
        kind = KINDS[serializer.validated_data["kind"]]
        if not request.user.has_perm(kind.permission):
            raise PermissionDenied(f"Your role does not allow the {kind.title.lower()} export.")
        params = {name: value for name, value in request.data.items() if name not in ("kind", "format")}
        job = export_job_create(kind=kind.name, fmt=serializer.validated_data["format"], params=params,
                                user=request.user)
        return Response({"id": job.pk, "url": request.build_absolute_uri(reverse("api:export_detail", args=[job.pk]))},
                        status=status.HTTP_202_ACCEPTED)


class ExportDetailView(ApiView):
    """An export job: status, rows written, progress and the download URL once written."""

    @extend_schema(operation_id="exports_retrieve", responses={200: ExportJobSerializer,
                                                                404: OpenApiResponse(description="No such export of yours.")})
    def get(self, request, pk: int, *args, **kwargs):
        try:
            job = export_job_of(job_id=pk, user=request.user)
        except ExportJob.DoesNotExist:
            raise NotFound("No such export.") from None
        return Response(ExportJobSerializer(job, context={"request": request}).data)


class ExportDownloadView(ApiView):
    """The file of a finished export (CSV, Excel or JSON lines), to the user who asked for it only."""

    @extend_schema(operation_id="exports_download",
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY,
                              404: OpenApiResponse(description="No such export of yours, or not written yet.")})
    def get(self, request, pk: int, *args, **kwargs):
        try:
            found = export_job_file(job_id=pk, user=request.user)
        except ExportJob.DoesNotExist:
            raise NotFound("No such export file: it is not yours, or not written yet.") from None
        return FileResponse(open(found.path, "rb"), as_attachment=True, filename=found.name,
                            content_type=found.content_type)


urlpatterns = [
    # API clients authenticate with a token, not the login page: anonymous requests get 401 JSON.
    path("exports/", login_not_required(ExportCreateView.as_view()), name="export_list"),
    path("exports/<int:pk>/", login_not_required(ExportDetailView.as_view()), name="export_detail"),
    path("exports/<int:pk>/download/", login_not_required(ExportDownloadView.as_view()), name="export_download"),
]
