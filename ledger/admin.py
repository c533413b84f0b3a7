from copy import copy

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import construct_instance

from common.errors import DomainError
from common.models import AuditEntry, NumberSequence
from common.numbering import number_sequence_save
from ledger.models import FiscalPeriod, MainAccount, Voucher, VoucherLine
from ledger.services import fiscal_period_delete, fiscal_period_problems, fiscal_period_save


def form_candidate(form: forms.ModelForm):
    """The record as the admin's form would save it, without touching the form's own instance: a
    form's clean() runs before Django copies the typed values onto it."""
    return construct_instance(form, copy(form.instance), form._meta.fields, form._meta.exclude)


class ServiceAdmin(admin.ModelAdmin):
    """An admin whose saves and deletes go through the app's services (audited with the values
    before and after, issue #16 point 12) instead of the model's save() and delete(). The form
    checks the same rules first, so a refusal shows on the form; one that only the service finds
    (another user changed the record meanwhile) is shown as an error message."""

    def save_with_service(self, request, obj) -> None:
        raise NotImplementedError

    def delete_with_service(self, request, obj) -> None:
        raise NotImplementedError

    def save_model(self, request, obj, form, change) -> None:
        try:
            self.save_with_service(request, obj)
        except DomainError as error:
            self.message_user(request, error.message, level=messages.ERROR)

    def delete_model(self, request, obj) -> None:
        try:
            self.delete_with_service(request, obj)
        except DomainError as error:
            self.message_user(request, error.message, level=messages.ERROR)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


class FiscalPeriodAdminForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        problems = fiscal_period_problems(period=form_candidate(self))
        if problems:
            raise ValidationError(problems)
        return cleaned


@admin.register(MainAccount)
class MainAccountAdmin(admin.ModelAdmin):
    list_display = ("number", "name", "account_type", "is_active")
    list_filter = ("account_type", "is_active")
    search_fields = ("number", "name")


@admin.register(FiscalPeriod)
class FiscalPeriodAdmin(ServiceAdmin):
    form = FiscalPeriodAdminForm
    list_display = ("name", "start_date", "end_date", "status")
    list_filter = ("status",)
    list_editable = ("status",)
    date_hierarchy = "start_date"

    def save_with_service(self, request, obj) -> None:
        fiscal_period_save(period=obj, user=request.user)

    def delete_with_service(self, request, obj) -> None:
        fiscal_period_delete(period=obj, user=request.user)


class NumberSequenceAdminForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        stored = NumberSequence.objects.filter(pk=self.instance.pk).first() if self.instance.pk else None
        next_value = cleaned.get("next_value")
        if stored is not None and next_value is not None and next_value < stored.next_value:
            raise ValidationError({"next_value": f"Sequence {stored.code} has handed out numbers up to "
                                                 f"{stored.next_value - 1}: the next number cannot go back."})
        return cleaned


@admin.register(NumberSequence)
class NumberSequenceAdmin(ServiceAdmin):
    form = NumberSequenceAdminForm
    list_display = ("code", "prefix", "next_value", "width")

    def save_with_service(self, request, obj) -> None:
        number_sequence_save(sequence=obj, user=request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # a sequence deleted would start again at 1 and repeat numbers


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
