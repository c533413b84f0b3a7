from django.apps import AppConfig


class WarehouseConfig(AppConfig):
    name = "warehouse"
    verbose_name = "Warehouse (bins)"

    def ready(self) -> None:
        # Every inventory posting into or out of a bin-mandatory warehouse gets its warehouse entry
        # (inventory/hooks.py: inventory calls these without knowing this app).
        from inventory import hooks
        from warehouse.services import postings

        hooks.row_check_register(postings.rows_bin_check)
        hooks.after_post_register(postings.transactions_to_bins)
