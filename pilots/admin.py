"""The operator's view of the pilots' records. Records change through their services on the
portal's pages; the admin reads them, and imports the lists the bureaus import (the same
resources, see pilots.imports)."""

from django.contrib import admin
from import_export.admin import ImportMixin

from portal.admin import ReadOnlyAdmin
from portal.imports import ResourceImportAdmin

from .imports import PilotEnterpriseResource, ProductResource, ProviderResource
from .models import (
    Alliance,
    AllianceChange,
    AllianceMember,
    Assessment,
    BenchmarkTitle,
    Contract,
    DemandList,
    EnrolmentRequest,
    LeadingUnit,
    PilotEnterprise,
    PilotProgramme,
    Product,
    ServiceProvider,
    TaskBook,
)


@admin.register(LeadingUnit)
class LeadingUnitAdmin(ReadOnlyAdmin):
    list_display = ("organization", "kind", "bureau", "status", "selected_at")
    list_filter = ("kind", "status")
    list_select_related = ("organization", "bureau")
    search_fields = ("organization__name", "organization__uscc")


class AllianceMemberInline(admin.TabularInline):
    model = AllianceMember
    extra = 0
    fields = ("role", "name", "uscc", "duties")
    readonly_fields = fields
    can_delete = False


@admin.register(Alliance)
class AllianceAdmin(ReadOnlyAdmin):
    list_display = ("leading_unit", "bureau")
    list_select_related = ("leading_unit__organization", "bureau")
    search_fields = ("leading_unit__organization__name",)
    inlines = [AllianceMemberInline]


@admin.register(AllianceChange)
class AllianceChangeAdmin(ReadOnlyAdmin):
    list_display = ("member_name", "kind", "alliance", "status", "filed_at")
    list_filter = ("kind", "status")
    list_select_related = ("alliance__leading_unit__organization",)
    search_fields = ("member_name", "member_uscc")


@admin.register(BenchmarkTitle)
class BenchmarkTitleAdmin(ReadOnlyAdmin):
    list_display = ("organization", "title", "bureau", "status", "awarded_at")
    list_filter = ("status",)
    list_select_related = ("organization", "bureau")
    search_fields = ("organization__name", "title")


@admin.register(PilotProgramme)
class PilotProgrammeAdmin(ReadOnlyAdmin):
    list_display = ("name", "bureau", "approving_bureau", "status", "starts_on", "ends_on")
    list_filter = ("status",)
    list_select_related = ("bureau", "approving_bureau")
    search_fields = ("name",)


@admin.register(PilotEnterprise)
class PilotEnterpriseAdmin(ResourceImportAdmin, ImportMixin, ReadOnlyAdmin):
    list_display = ("organization", "leading_unit", "bureau", "scale", "tier", "status")
    list_filter = ("status", "scale", "tier", "above_scale")
    list_select_related = ("organization", "leading_unit__organization", "bureau")
    search_fields = ("organization__name", "organization__uscc", "sub_industry")
    resource_classes = [PilotEnterpriseResource]


@admin.register(EnrolmentRequest)
class EnrolmentRequestAdmin(ReadOnlyAdmin):
    list_display = ("organization", "leading_unit", "sub_industry", "status", "created_at")
    list_filter = ("status",)
    list_select_related = ("organization", "leading_unit__organization")
    search_fields = ("organization__name", "organization__uscc")


@admin.register(TaskBook)
class TaskBookAdmin(ReadOnlyAdmin):
    list_display = ("enterprise", "status", "starts_on", "ends_on", "budget_wan")
    list_filter = ("status",)
    list_select_related = ("enterprise__organization",)
    search_fields = ("enterprise__organization__name",)


@admin.register(Contract)
class ContractAdmin(ReadOnlyAdmin):
    list_display = ("enterprise", "status", "starts_on", "ends_on", "signed_on")
    list_filter = ("status",)
    list_select_related = ("enterprise__organization",)
    search_fields = ("enterprise__organization__name",)


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ("enterprise", "stage", "kind", "level", "assessed_at")
    list_filter = ("stage", "kind", "level")
    list_select_related = ("enterprise__organization",)
    search_fields = ("enterprise__organization__name",)
    exclude = ("answers",)


@admin.register(ServiceProvider)
class ServiceProviderAdmin(ResourceImportAdmin, ImportMixin, ReadOnlyAdmin):
    list_display = ("name", "uscc", "capability", "field", "bureau")
    list_filter = ("capability", "field")
    list_select_related = ("bureau",)
    search_fields = ("name", "uscc")
    resource_classes = [ProviderResource]


@admin.register(Product)
class ProductAdmin(ResourceImportAdmin, ImportMixin, ReadOnlyAdmin):
    list_display = ("name", "provider", "direction", "stage", "price_wan", "own_ip")
    list_filter = ("direction", "stage", "own_ip")
    list_select_related = ("provider",)
    search_fields = ("name", "provider__name")
    resource_classes = [ProductResource]


@admin.register(DemandList)
class DemandListAdmin(ReadOnlyAdmin):
    list_display = ("sub_industry", "bureau", "created_at")
    list_select_related = ("bureau",)
    search_fields = ("sub_industry",)
