"""What every queued job record (imports, exports, book checks) says about itself: whether a worker
still has it. Each model names its UNFINISHED statuses and LOST_AFTER; a record with a
`heartbeat_at` counts its last heartbeat as a sign of life."""

from django.utils import timezone


class JobLiveness:
    """Mixed into a model with `status`, `created_at`, `started_at` (and optionally `heartbeat_at`)."""

    UNFINISHED: tuple[str, ...] = ()

    @property
    def is_lost(self) -> bool:
        """Waiting or running, with no sign of life for LOST_AFTER: its worker or queue is gone."""
        last_sign = getattr(self, "heartbeat_at", None) or self.started_at or self.created_at
        return self.status in self.UNFINISHED and last_sign < timezone.now() - self.LOST_AFTER

    @property
    def is_live(self) -> bool:
        """Waiting for a worker or running: the page follows it."""
        return self.status in self.UNFINISHED and not self.is_lost
