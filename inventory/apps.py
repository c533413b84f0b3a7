from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Inventory"

    def ready(self) -> None:
        # The ledger warns before a fiscal period is closed past the latest inventory close; it asks
        # inventory (which asks the apps that close it, inventory.signals) without importing either.
        from inventory.signals import closed_until
        from ledger.services import inventory_close_date_provider

        inventory_close_date_provider(closed_until)
