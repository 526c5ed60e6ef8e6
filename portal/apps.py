from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import Error, register
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal core")

    def ready(self) -> None:
        # Wires Django's and Axes' authentication signals to the audit trail.
        # bundles registers the documents' rule, list_exports the core's list exporters,
        # import_resources the core's importers, ratelimit its configuration check.
        # account_sessions maps each login's session to its user (the sessions page).
        from . import (  # noqa: F401
            account_sessions,
            audit,
            bundles,
            import_resources,
            list_exports,
            ratelimit,
        )

        audit.connect_signals()
        account_sessions.connect_signals()
        register(check_security_settings)
        from django.urls import path

        from .api import registry, resources

        registry.register("organizations", resources.OrganizationViewSet, "api-organization")
        registry.register("deadlines", resources.DeadlineViewSet, "api-deadline")
        registry.register("inbox", resources.InboxViewSet, "api-notification")
        registry.register_path(lambda: path("me/", resources.me, name="api-me"))


def check_security_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Audit retention below the legal minimum or an unknown crypto suite stop the portal."""
    errors = []
    minimum = settings.PORTAL_AUDIT_RETENTION_MINIMUM_MONTHS
    if settings.PORTAL_AUDIT_RETENTION_MONTHS < minimum:
        errors.append(
            Error(
                f"PORTAL_AUDIT_RETENTION_MONTHS must be at least {minimum} (GB/T 22239-2019).",
                id="portal.E001",
            )
        )
    if settings.PORTAL_CRYPTO not in ("international", "national"):
        errors.append(
            Error('PORTAL_CRYPTO must be "international" or "national".', id="portal.E002")
        )
    return errors
