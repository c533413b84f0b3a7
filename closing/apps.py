from django.apps import AppConfig


class ClosingConfig(AppConfig):
    name = "closing"
    verbose_name = "Closing and adjustment"
