"""The operator's view of review and evaluation records, and the expert import (the same
resource the bureaus use, see evaluation.experts)."""

from django.contrib import admin
from import_export.admin import ImportMixin

from portal.admin import ReadOnlyAdmin
from portal.imports import ResourceImportAdmin

from .experts import ExpertResource
from .models import (
    ExpertAssignment,
    ExpertProfile,
    Objection,
    Publicity,
    QuarterlyReport,
    ReviewRound,
    Rubric,
    Sanction,
)


@admin.register(Rubric)
class RubricAdmin(ReadOnlyAdmin):
    list_display = ("name", "code", "version", "kind", "owner_bureau")
    list_filter = ("kind",)
    list_select_related = ("owner_bureau",)
    search_fields = ("name", "code")


@admin.register(ExpertProfile)
class ExpertProfileAdmin(ResourceImportAdmin, ImportMixin, admin.ModelAdmin):
    list_display = ("user", "employer_name", "employer_uscc", "specialty")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__full_name", "employer_name", "employer_uscc")
    autocomplete_fields = ("user",)
    resource_classes = [ExpertResource]


@admin.register(ReviewRound)
class ReviewRoundAdmin(ReadOnlyAdmin):
    list_display = ("name", "call", "status", "created_at", "closed_at")
    list_filter = ("status",)
    list_select_related = ("call",)
    search_fields = ("name", "call__title")
    exclude = ("criteria",)


@admin.register(ExpertAssignment)
class ExpertAssignmentAdmin(ReadOnlyAdmin):
    list_display = ("expert", "application", "round", "status", "created_at")
    list_filter = ("status",)
    list_select_related = ("expert", "application__organization", "round")
    search_fields = ("expert__username", "expert__full_name")


@admin.register(Publicity)
class PublicityAdmin(ReadOnlyAdmin):
    list_display = ("title", "call", "status", "starts_at", "ends_at")
    list_filter = ("status",)
    list_select_related = ("call",)
    search_fields = ("title",)


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyAdmin):
    list_display = ("publicity", "name", "status", "submitted_at")
    list_filter = ("status",)
    list_select_related = ("publicity",)


@admin.register(QuarterlyReport)
class QuarterlyReportAdmin(ReadOnlyAdmin):
    list_display = ("leading_unit", "year", "quarter", "submitted_at")
    list_filter = ("year", "quarter")
    list_select_related = ("leading_unit__organization",)
    search_fields = ("leading_unit__organization__name",)


@admin.register(Sanction)
class SanctionAdmin(ReadOnlyAdmin):
    list_display = ("leading_unit", "kind", "grounds", "status", "rectify_by", "created_at")
    list_filter = ("kind", "status", "automatic")
    list_select_related = ("leading_unit__organization",)
    search_fields = ("leading_unit__organization__name", "reason")
