from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportMixin

from . import two_factor, workdays
from .import_resources import OrganizationResource
from .imports import ResourceImportAdmin
from .models import AuditEvent, Bureau, CalendarDay, Membership, Organization, User

admin.site.site_header = _("Portal administration")
admin.site.site_title = _("Portal administration")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Profile"), {"fields": ("full_name", "phone", "must_change_password")}),
    )
    list_display = ("username", "full_name", "email", "is_active", "last_login")
    search_fields = ("username", "full_name", "email")  # the phone is encrypted
    actions = ["reset_second_factor"]

    @admin.action(description=_("Reset the second factor (the user enrols again; sessions end)"))
    def reset_second_factor(self, request: Any, queryset: Any) -> None:
        for user in queryset:
            two_factor.two_factor_reset(actor=request.user, user=user)
        self.message_user(
            request,
            _("Second factor reset for %(count)d users; they enrol again at their next login.")
            % {"count": len(queryset)},
            messages.SUCCESS,
        )


@admin.register(Bureau)
class BureauAdmin(admin.ModelAdmin):
    list_display = ("name", "division_code", "department", "level", "parent")
    list_filter = ("level", "department")
    search_fields = ("name", "division_code")
    readonly_fields = ("path",)


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that change only through their owners' services: the operator looks."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Organization)
class OrganizationAdmin(ResourceImportAdmin, ImportMixin, admin.ModelAdmin):
    """Organizations; the operator imports a list with the bureaus' importer (no bureau: the
    division code column or the code's region decides where each lands)."""

    resource_classes = [OrganizationResource]
    list_display = ("name", "uscc", "kind", "home_bureau", "created_at")
    list_filter = ("kind",)
    list_select_related = ("home_bureau",)
    search_fields = ("name", "uscc")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "organization", "bureau")
    list_filter = ("role",)
    list_select_related = ("user", "organization", "bureau")
    autocomplete_fields = ("user", "organization", "bureau")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "action", "outcome", "actor", "username", "ip_address", "path")
    list_filter = ("action", "outcome")
    list_select_related = ("actor",)
    search_fields = ("username", "action", "object_id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """The operator keeps the statutory calendar (holidays, adjusted working days) here."""

    list_display = ("day", "is_working_day", "name", "source")
    list_filter = ("is_working_day",)
    date_hierarchy = "day"

    def save_model(self, request: Any, obj: CalendarDay, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        workdays.forget()

    def delete_model(self, request: Any, obj: CalendarDay) -> None:
        super().delete_model(request, obj)
        workdays.forget()

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        super().delete_queryset(request, queryset)
        workdays.forget()
