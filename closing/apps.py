from django.apps import AppConfig


class ClosingConfig(AppConfig):
    name = "closing"
    verbose_name = "Closing and adjustment"

    def ready(self) -> None:
        # Inventory asks, without importing closing, up to which date it is closed, and lets
        # closing create its company-wide rows when a company is set up.
        from closing import receivers  # noqa: F401
        from closing.selectors import closing_lock_date
        from inventory.signals import lock_date_provider

        lock_date_provider(closing_lock_date)
