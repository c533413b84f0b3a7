from django.contrib import admin

from closing.models import ClosingLog, ClosingRun, InventoryParameters
from ledger.admin import ReadOnlyAdmin


@admin.register(InventoryParameters)
class InventoryParametersAdmin(admin.ModelAdmin):
    list_display = ("__str__", "storno_for_adjustments", "default_specification", "items_per_bundle")

    def has_add_permission(self, request):
        return not InventoryParameters.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ClosingRun)
class ClosingRunAdmin(ReadOnlyAdmin):
    list_display = ("number", "run_type", "date", "status", "started_by", "started_at", "ended_at", "is_cancelled")
    list_filter = ("run_type", "status", "is_cancelled")


@admin.register(ClosingLog)
class ClosingLogAdmin(ReadOnlyAdmin):
    list_display = ("run", "level", "item", "transaction", "message")
    list_filter = ("level",)
