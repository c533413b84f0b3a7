"""What inventory tells the apps built on it, without knowing them (they connect in their ready()).

- `company_bootstrapped` is sent inside `company_bootstrap`'s transaction once the chart, sites,
  groups and calendar exist, so each app can create its own company-wide rows (closing: the
  inventory parameters) in the same idempotent step.
- The lock date: posting refuses dates on or before the latest close. The close belongs to the
  closing app, which registers the function answering "closed up to which date?" here; without
  one (closing not installed), nothing is closed.
"""

from collections.abc import Callable
from datetime import date

from django.dispatch import Signal

company_bootstrapped = Signal()

LockDate = Callable[[], date | None]
_lock_date_providers: list[LockDate] = []


def lock_date_provider(provider: LockDate) -> LockDate:
    """Register `provider` (idempotent: a second registration of the same function is ignored)."""
    if provider not in _lock_date_providers:
        _lock_date_providers.append(provider)
    return provider


def closed_until() -> date | None:
    """The latest date any registered provider has closed inventory on, or None."""
    dates = [day for day in (provider() for provider in _lock_date_providers) if day is not None]
    return max(dates) if dates else None
