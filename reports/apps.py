from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports and book checks"

    def ready(self) -> None:
        from reports import receivers  # noqa: F401 - connects the book checks to closing.signals.run_ended
