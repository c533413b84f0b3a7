"""The shared kernel's tables: the audit log every app writes to and the number sequences every app
draws from. Nothing here knows the apps that use them."""

from django.conf import settings
from django.db import models


class NumberSequence(models.Model):
    """Gap-free numbering for vouchers, journals and runs. The row is locked while a number is
    drawn, so numbers stay unique across processes."""

    code = models.CharField(max_length=30, unique=True)
    prefix = models.CharField(max_length=10)
    next_value = models.PositiveBigIntegerField(default=1)
    width = models.PositiveSmallIntegerField(default=6)

    def __str__(self) -> str:
        return self.code


class AuditEntry(models.Model):
    """Who did what, when: written in the same transaction as the change it records. Append-only:
    PostgreSQL refuses to change or delete an entry (common migration 0002_database), except for emptying
    `user` when that user is deleted."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # Kept when the user is deleted (the foreign key then goes empty): the log still says who.
    username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=60)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"
        # The audit log page is for accountants and auditors, not every role that views everything.
        permissions = [("see_audit_log", "Can see the audit log")]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type} {self.object_id}"
