from django.contrib import admin

from ledger.models import AuditEntry, FiscalPeriod, MainAccount, NumberSequence, Voucher, VoucherLine


@admin.register(MainAccount)
class MainAccountAdmin(admin.ModelAdmin):
    list_display = ("number", "name", "account_type", "is_active")
    list_filter = ("account_type", "is_active")
    search_fields = ("number", "name")


@admin.register(FiscalPeriod)
class FiscalPeriodAdmin(admin.ModelAdmin):
    list_display = ("name", "start_date", "end_date", "status")
    list_filter = ("status",)
    list_editable = ("status",)
    date_hierarchy = "start_date"


@admin.register(NumberSequence)
class NumberSequenceAdmin(admin.ModelAdmin):
    list_display = ("code", "prefix", "next_value", "width")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Posted records are changed only by services (reversals, adjustments), never by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class VoucherLineInline(admin.TabularInline):
    model = VoucherLine
    fields = ("account", "debit", "credit", "is_storno", "item", "inventory_transaction", "description")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Voucher)
class VoucherAdmin(ReadOnlyAdmin):
    list_display = ("number", "date", "description", "source", "created_by")
    list_filter = ("source",)
    search_fields = ("number", "description")
    inlines = [VoucherLineInline]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "username", "action", "object_type", "object_id")
    list_filter = ("action",)
