from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from common.jobs import JobLiveness


class ImportJob(JobLiveness, models.Model):
    """A CSV file uploaded on the Import CSV page or through the API, posted by a worker (inventory.jobs).

    The file waits under FILES_DIR until its job has run. The job's state lives here: the page and
    the API follow it by polling. `errors` keeps the first errors (ERRORS_KEPT) with the file's line
    numbers; every error is in the error CSV next to the file."""

    class Kind(models.TextChoices):
        TRANSACTIONS = "transactions", "Inventory transactions"
        ITEMS = "items", "Items"
        OPENING = "opening", "Opening entries"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    UNFINISHED = ("queued", "running")
    ERRORS_KEPT = 1000
    # A job still waiting this long, or running without a sign of life (progress is written after
    # every few thousand rows), has lost its worker or its queue.
    LOST_AFTER = timedelta(minutes=10)

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    file_name = models.CharField(max_length=255, help_text="The name the file was uploaded with.")
    file_path = models.CharField(max_length=255, help_text="Where the file waits, relative to FILES_DIR.")
    size = models.BigIntegerField(default=0)
    options = models.JSONField(default=dict, blank=True,
                               help_text="Opening entries: date, offset_account (number), description, post.")
    rows_read = models.BigIntegerField(default=0)
    rows_posted = models.BigIntegerField(default=0)
    bytes_read = models.BigIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text='The first errors: [{"line": n, "message": "..."}].')
    error_count = models.IntegerField(default=0)
    error_file = models.CharField(max_length=255, blank=True, help_text="Every error as CSV, relative to FILES_DIR.")
    result = models.JSONField(default=dict, blank=True, help_text="Opening entries: the journal's number.")
    message = models.TextField(blank=True, help_text="Why a job failed as a whole (not a row's error).")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["queued", "running", "succeeded", "failed"]),
                                   name="import_job_status_known"),
            models.CheckConstraint(condition=Q(kind__in=["transactions", "items", "opening"]), name="import_job_kind_known"),
        ]

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.get_kind_display().lower()}, {self.file_name})"

    def get_absolute_url(self) -> str:
        return reverse("inventory:import_job", args=[self.pk])


    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        return min(99, int(100 * self.bytes_read / self.size)) if self.size else 0
