"""/api/v1/imports/ endpoints: a CSV file posted as an import job, followed by its URL.

`POST /api/v1/imports/` (multipart: `kind`, `file`, and for opening entries `date`,
`offset_account`, `description`, `post`) stores the file and queues the job, like the Import CSV
page (the same service, the same permissions), and answers 202 with the job's id and URL.
`GET /api/v1/imports/{id}/` is the job: status, rows read and posted, progress, and the errors with
the file's line numbers (the header is line 1)."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView, RetrieveAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from api.permissions import require
from common.errors import DomainError
from inventory import selectors
from inventory.models import ImportJob
from inventory.services import import_jobs
from ledger.models import MainAccount

# The multipart envelope and the other fields add a little to the file itself.
UPLOAD_ENVELOPE_BYTES = 64 * 1024


class ImportCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ImportJob.Kind.choices)
    file = serializers.FileField(help_text="The CSV file: UTF-8, with or without a byte-order mark, header row first.")
    date = serializers.DateField(required=False, help_text="Opening entries: the go-live date they are posted on.")
    offset_account = serializers.CharField(required=False, max_length=20,
                                           help_text="Opening entries: the number of the account they are posted against.")
    description = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    post = serializers.BooleanField(required=False, default=False,
                                    help_text="Opening entries: post the journal at once (needs the right to post journals).")

    def validate(self, data: dict) -> dict:
        if data["kind"] == ImportJob.Kind.OPENING:
            problems = {}
            if not data.get("date"):
                problems["date"] = ["Opening entries need the date they are posted on."]
            number = data.get("offset_account")
            if not number:
                problems["offset_account"] = ["Opening entries need the account they are posted against."]
            else:
                data["offset_account"] = MainAccount.objects.filter(number=number, is_active=True).first()
                if data["offset_account"] is None:
                    problems["offset_account"] = [f"There is no active account {number}."]
            if problems:
                raise serializers.ValidationError(problems)
        else:
            data["offset_account"] = None
        return data


class ImportErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="The file's line number (the header is line 1; 0: the file as a whole).")
    message = serializers.CharField()


class ImportJobSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField(help_text="queued, running, succeeded or failed.")
    progress = serializers.SerializerMethodField(help_text="Percent of the file read (100 once succeeded).")
    errors = ImportErrorSerializer(many=True, read_only=True, help_text=f"The first {ImportJob.ERRORS_KEPT} errors.")
    url = serializers.SerializerMethodField()
    error_csv_url = serializers.SerializerMethodField(help_text="Every error as line,message CSV (a failed file only).")

    class Meta:
        model = ImportJob
        fields = ["id", "url", "kind", "status", "file_name", "size", "rows_read", "rows_posted", "progress", "errors",
                  "error_count", "error_csv_url", "message", "result", "created_at", "started_at", "finished_at"]
        read_only_fields = fields

    def get_status(self, job: ImportJob) -> str:
        return ImportJob.Status.FAILED.value if job.is_lost else job.status

    def get_progress(self, job: ImportJob) -> int:
        return job.progress_percent

    def get_url(self, job: ImportJob) -> str:
        return self.context["request"].build_absolute_uri(reverse("api:import_detail", args=[job.pk]))

    def get_error_csv_url(self, job: ImportJob) -> str | None:
        if not job.error_count:
            return None
        return self.context["request"].build_absolute_uri(reverse("inventory:import_job_errors", args=[job.pk]))


CREATED = inline_serializer("ImportCreated", {"id": serializers.IntegerField(), "url": serializers.URLField()})
REFUSED = inline_serializer("ImportRefused", {"detail": serializers.CharField(),
                                              "file": serializers.ListField(child=serializers.CharField())})


class ImportCreateView(GenericAPIView):
    """Upload a CSV file to import; a worker posts it. Follow the job at the URL answered."""

    permission_classes = [require(import_jobs.ADD_TRANSACTION)]
    parser_classes = [MultiPartParser, FormParser]
    serializer_class = ImportCreateSerializer

    @extend_schema(
        operation_id="imports_create",
        request={"multipart/form-data": ImportCreateSerializer},
        responses={202: CREATED, 400: OpenApiResponse(OpenApiTypes.OBJECT, description="A field is missing or wrong."),
                   403: OpenApiResponse(description="The role does not allow this import."),
                   413: OpenApiResponse(REFUSED, description="The file is larger than IMPORT_MAX_BYTES.")},
    )
    def post(self, request, *args, **kwargs):
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        refusal = import_jobs.import_size_refusal(declared - UPLOAD_ENVELOPE_BYTES)
        if refusal:  # before the body is read
            return Response({"detail": refusal, "file": [refusal]}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if not request.user.has_perms(import_jobs.import_permissions(kind=data["kind"], post=data["post"])):
            raise PermissionDenied("Your role does not allow posting journals: import without post, or ask an accountant.")
        try:
            job = import_jobs.import_job_create(
                kind=data["kind"], uploaded_file=data["file"], user=request.user,
                posting_date=data.get("date"), offset_account=data.get("offset_account"),
                description=data.get("description", ""), post=data["post"])
        except import_jobs.ImportTooLarge as error:
            return Response({"detail": error.message, "file": [error.message]}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        except DomainError as error:
            return Response({error.field or "detail": [error.message]}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"id": job.pk, "url": request.build_absolute_uri(reverse("api:import_detail", args=[job.pk]))},
                        status=status.HTTP_202_ACCEPTED)


class ImportDetailView(RetrieveAPIView):
    """An import job: its status, progress and errors. Users see their own imports (superusers all)."""

    permission_classes = [require(import_jobs.ADD_TRANSACTION)]
    serializer_class = ImportJobSerializer

    def get_queryset(self):
        return selectors.import_jobs_of(user=self.request.user)


urlpatterns = [
    # API clients authenticate with a token, not the login page: anonymous requests get 401 JSON.
    path("imports/", login_not_required(ImportCreateView.as_view()), name="import_list"),
    path("imports/<int:pk>/", login_not_required(ImportDetailView.as_view()), name="import_detail"),
]
