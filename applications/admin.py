from django.contrib import admin

from .models import Application, ApplicationEvent, Attachment, Call, CallTemplate, CorrectionRequest


@admin.register(CallTemplate)
class CallTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "version", "kind", "owner_bureau")
    list_filter = ("kind",)
    list_select_related = ("owner_bureau",)
    readonly_fields = ("code", "version", "definition", "cloned_from")


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ("title", "document_number", "bureau", "kind", "status", "closes_at")
    list_filter = ("kind", "status")
    list_select_related = ("bureau",)
    search_fields = ("title", "document_number")


class EventInline(admin.TabularInline):
    model = ApplicationEvent
    extra = 0
    readonly_fields = ("at", "actor", "from_status", "to_status", "note")
    can_delete = False


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    """Read-only for operators: books change only through their owners' services."""

    list_display = ("organization", "call", "status", "submitted_at")
    list_filter = ("status",)
    list_select_related = ("organization", "call")
    search_fields = ("organization__name", "organization__uscc")
    inlines = [EventInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ("original_name", "application", "slot", "kind", "size", "uploaded_at")
    list_select_related = ("application",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


admin.site.register(CorrectionRequest)
