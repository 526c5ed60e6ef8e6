from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal core")

    def ready(self) -> None:
        # Wires Django's and Axes' authentication signals to the audit trail.
        # bundles registers the documents' rule, list_exports the core's list exporters,
        # import_resources the core's importers.
        from . import audit, bundles, import_resources, list_exports  # noqa: F401

        audit.connect_signals()
        from django.urls import path

        from .api import registry, resources

        registry.register("organizations", resources.OrganizationViewSet, "api-organization")
        registry.register("deadlines", resources.DeadlineViewSet, "api-deadline")
        registry.register("inbox", resources.InboxViewSet, "api-notification")
        registry.register_path(lambda: path("me/", resources.me, name="api-me"))
