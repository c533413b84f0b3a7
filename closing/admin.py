from django.contrib import admin

from closing.models import ClosingLog, ClosingRun, InventoryParameters
from closing.services.parameters import PARAMETER_FIELDS, parameters_update
from ledger.admin import ReadOnlyAdmin, ServiceAdmin


@admin.register(InventoryParameters)
class InventoryParametersAdmin(ServiceAdmin):
    list_display = ("__str__", "storno_for_adjustments", "default_specification", "items_per_bundle")

    def save_with_service(self, request, obj) -> None:
        # The one row, changed like the Parameters page changes it (audited before/after).
        parameters_update(user=request.user, **{name: getattr(obj, name) for name in PARAMETER_FIELDS})

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
