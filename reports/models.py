"""The book checks asked for on the Book checks page: each is queued on a worker (reports.jobs) and
keeps its result, so the page answers at once, follows the check while it runs and shows it later."""

from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from common.jobs import JobLiveness


class BookCheck(JobLiveness, models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        ENDED = "ended", "Ended"
        FAILED = "failed", "Failed"

    UNFINISHED = ("queued", "running")
    # The checks take seconds on a million transactions; one still waiting or running after this
    # long has lost its worker (or the queue), and is shown and recorded as failed.
    LOST_AFTER = timedelta(minutes=10)

    as_of = models.DateField(null=True, blank=True, help_text="Ledger and subledger as of this date; empty: as they stand.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    checks_total = models.PositiveSmallIntegerField()
    checks_done = models.PositiveSmallIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True, help_text="reports.checks.BooksCheck.to_dict() once ended.")
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(checks_done__lte=models.F("checks_total")), name="book_check_done_within_total"),
            models.CheckConstraint(condition=Q(status__in=["queued", "running", "ended", "failed"]), name="book_check_status_known"),
            # One check waiting or running per date (no date: as the books stand), whoever asks.
            models.UniqueConstraint(Coalesce("as_of", Value(date.min), output_field=models.DateField()),
                                    condition=Q(status__in=["queued", "running"]), name="one_unfinished_book_check_per_date"),
        ]

    def __str__(self) -> str:
        return f"Book check {self.pk}" + (f" as of {self.as_of:%Y-%m-%d}" if self.as_of else "")

    def get_absolute_url(self) -> str:
        return reverse("reports:book_check_detail", args=[self.pk])


    @property
    def ok(self) -> bool | None:
        """True or False once ended; None while it runs or when it failed to run."""
        return self.result.get("ok") if self.status == self.Status.ENDED else None

    @property
    def progress_percent(self) -> int:
        return 100 if self.status == self.Status.ENDED else int(100 * self.checks_done / self.checks_total)


class ExportJob(JobLiveness, models.Model):
    """An export too long to answer at once (more than EXPORT_JOB_ROWS rows), or asked for through
    the API: a worker streams its rows to a file under FILES_DIR, which only the user who asked
    downloads. The parameters are the page's filters (or the API's), so the worker rebuilds the same
    table (reports.exports.KINDS)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel"
        JSONL = "jsonl", "JSON lines"

    UNFINISHED = ("queued", "running")
    # A running export writes its progress (heartbeat) every few thousand rows; one silent this long,
    # or never started, has lost its worker (or the queue) and is shown and recorded as failed.
    LOST_AFTER = timedelta(minutes=10)

    kind = models.CharField(max_length=40)
    format = models.CharField(max_length=10, choices=Format.choices)
    params = models.JSONField(default=dict, blank=True, help_text="The filters, as the page or the API gave them.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveBigIntegerField(null=True, blank=True, help_text="Rows to write, once counted.")
    rows_written = models.PositiveBigIntegerField(default=0)
    file_name = models.CharField(max_length=255, help_text="The name the download is offered under.")
    file_path = models.CharField(max_length=255, blank=True, help_text="Relative to FILES_DIR, once written.")
    size = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["queued", "running", "succeeded", "failed"]),
                                   name="export_job_status_known"),
            models.CheckConstraint(condition=Q(format__in=["csv", "xlsx", "jsonl"]), name="export_job_format_known"),
            # The file is there exactly when the export succeeded.
            models.CheckConstraint(condition=Q(status="succeeded", file_path__gt="") | ~Q(status="succeeded"),
                                   name="export_job_file_when_succeeded"),
        ]

    def __str__(self) -> str:
        return f"Export {self.pk} ({self.kind}, {self.format})"

    def get_absolute_url(self) -> str:
        return reverse("reports:export_job_detail", args=[self.pk])


    @property
    def shown_status(self) -> str:
        """The status as the page and the API tell it: a lost job is failed."""
        return self.Status.FAILED.value if self.is_lost else self.status

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(100 * self.rows_written / self.rows_total))


class CloseSignOff(models.Model):
    """An accountant's sign-off of a run's close summary: who (the name as it was when signing), when,
    and a comment. Kept when the run is reversed, but void from then on: the void is read from the
    run (ClosingRun.is_cancelled) when shown, so a reversal never writes this table."""

    run = models.OneToOneField("closing.ClosingRun", on_delete=models.PROTECT, related_name="+")
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    signed_by_name = models.CharField(max_length=150, help_text="The signer's name when signing, kept if the user goes.")
    signed_at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-signed_at", "-id"]

    def __str__(self) -> str:
        return f"Sign-off of run {self.run_id} by {self.signed_by_name}"

    @property
    def is_void(self) -> bool:
        """The run it signs was reversed (or cancelled) since."""
        return self.run.is_cancelled
