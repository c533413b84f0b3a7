"""Bins and their set-up in the admin. Warehouse entries are read-only here: they are written by
registrations and postings (warehouse/services), never by hand."""

from django.contrib import admin

from warehouse.models import Bin, BinContent, WarehouseEntry, WarehouseJournal, WarehouseSetup


@admin.register(WarehouseSetup)
class WarehouseSetupAdmin(admin.ModelAdmin):
    list_display = ["warehouse", "bin_mandatory"]


@admin.register(Bin)
class BinAdmin(admin.ModelAdmin):
    list_display = ["code", "warehouse", "kind", "description"]
    list_filter = ["kind", "warehouse"]
    search_fields = ["code", "description"]


@admin.register(BinContent)
class BinContentAdmin(admin.ModelAdmin):
    list_display = ["item", "bin", "is_default", "fixed", "min_qty", "max_qty"]
    list_filter = ["is_default", "fixed", "warehouse"]
    search_fields = ["item__number", "bin__code"]
    raw_id_fields = ["item"]


@admin.register(WarehouseEntry)
class WarehouseEntryAdmin(admin.ModelAdmin):
    list_display = ["date", "item", "bin", "tracking_number", "qty", "source_type", "source_number"]
    list_filter = ["source_type", "warehouse"]
    search_fields = ["item__number", "bin__code", "source_number", "tracking_number"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WarehouseJournal)
class WarehouseJournalAdmin(admin.ModelAdmin):
    list_display = ["number", "kind", "warehouse", "date", "status"]
    list_filter = ["kind", "status"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
