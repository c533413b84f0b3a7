from django import forms
from django.contrib import admin

from inventory.models import (
    CostDimension,
    CountingPeriod,
    InventoryTransaction,
    Item,
    ItemGroup,
    ItemModelGroup,
    Journal,
    OnHand,
    Site,
    StandardJournal,
    StandardJournalLine,
    Warehouse,
)
from inventory.services.items import (
    item_change_problems,
    item_delete,
    item_group_save,
    item_save,
    model_group_change_problems,
    model_group_save,
    setup_delete,
)
from ledger.admin import ReadOnlyAdmin, ServiceAdmin, form_candidate


class WarehouseInline(admin.TabularInline):
    model = Warehouse
    extra = 0


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    inlines = [WarehouseInline]


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "site")
    list_filter = ("site",)


@admin.register(ItemGroup)
class ItemGroupAdmin(ServiceAdmin):
    list_display = ("code", "name", "inventory_receipt_account", "cogs_account")
    search_fields = ("code", "name")
    fieldsets = (
        (None, {"fields": ("code", "name", "counting_period")}),
        ("Posting accounts", {"fields": (
            "inventory_receipt_account", "inventory_issue_account", "cogs_account", "purchase_accrual_account",
            "packing_slip_offset_account", "inventory_profit_account", "inventory_loss_account",
            "price_difference_account", "cost_revaluation_account",
        )}),
    )

    def save_with_service(self, request, obj) -> None:
        item_group_save(group=obj, user=request.user)

    def delete_with_service(self, request, obj) -> None:
        setup_delete(obj=obj, user=request.user)


class ModelGroupAdminForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        stored = ItemModelGroup.objects.filter(pk=self.instance.pk).first() if self.instance.pk else None
        for field, message in model_group_change_problems(group=form_candidate(self), stored=stored):
            self.add_error(field if field in self.fields else None, message)
        return cleaned


@admin.register(ItemModelGroup)
class ItemModelGroupAdmin(ServiceAdmin):
    form = ModelGroupAdminForm
    list_display = ("code", "name", "valuation_method", "include_physical_value", "physical_negative_allowed",
                    "financial_negative_allowed", "post_physical_inventory")
    list_filter = ("valuation_method",)

    def save_with_service(self, request, obj) -> None:
        model_group_save(group=obj, user=request.user)

    def delete_with_service(self, request, obj) -> None:
        setup_delete(obj=obj, user=request.user)


class ItemAdminForm(forms.ModelForm):
    """The admin's item form checks what the Items page checks (inventory.services.items), so a
    refused change is shown on the form, not lost."""

    def clean(self):
        cleaned = super().clean()
        stored = Item.objects.select_related("model_group").filter(pk=self.instance.pk).first() \
            if self.instance.pk else None
        candidate = form_candidate(self)
        if candidate.item_group_id and candidate.model_group_id:
            for field, message in item_change_problems(item=candidate, stored=stored):
                self.add_error(field if field in self.fields else None, message)
        return cleaned


@admin.register(Item)
class ItemAdmin(ServiceAdmin):
    form = ItemAdminForm
    list_display = ("number", "name", "item_type", "item_group", "model_group", "default_cost_price", "tracking",
                    "counting_period", "last_counted_date", "next_counting_date")
    list_filter = ("item_group", "model_group", "item_type", "tracking", "counting_period")
    search_fields = ("number", "name")
    list_select_related = ("item_group", "model_group", "counting_period")
    # Counting dates are kept by posting counts, not typed in.
    readonly_fields = ("last_counted_date", "last_counted_by", "next_counting_date")

    def save_with_service(self, request, obj) -> None:
        item_save(item=obj, user=request.user)

    def delete_with_service(self, request, obj) -> None:
        item_delete(item=obj, user=request.user)


@admin.register(InventoryTransaction)
class InventoryTransactionAdmin(ReadOnlyAdmin):
    list_display = ("ref", "item", "site", "warehouse", "status", "qty", "date_physical", "date_financial",
                    "cost_amount_posted", "cost_amount_adjustment", "value_open")
    list_filter = ("status", "source_type", "value_open")
    search_fields = ("ref", "item__number")
    list_select_related = ("item", "site", "warehouse")


@admin.register(Journal)
class JournalAdmin(ReadOnlyAdmin):
    list_display = ("number", "journal_type", "status", "created_by", "posted_at")
    list_filter = ("journal_type", "status")


@admin.register(OnHand)
class OnHandAdmin(ReadOnlyAdmin):
    list_display = ("item", "site", "warehouse", "tracking_number", "physical_qty", "financial_qty", "financial_value")
    list_select_related = ("item", "site", "warehouse")


@admin.register(CostDimension)
class CostDimensionAdmin(ReadOnlyAdmin):
    list_display = ("key", "item", "site", "warehouse", "financial_qty", "financial_value", "physical_qty", "physical_value")


@admin.register(CountingPeriod)
class CountingPeriodAdmin(admin.ModelAdmin):
    list_display = ("code", "description", "frequency_per_year")
    search_fields = ("code", "description")


class StandardJournalLineInline(admin.TabularInline):
    model = StandardJournalLine
    extra = 0


@admin.register(StandardJournal)
class StandardJournalAdmin(admin.ModelAdmin):
    list_display = ("name", "journal_type", "description", "created_by", "created_at")
    list_filter = ("journal_type",)
    inlines = [StandardJournalLineInline]
