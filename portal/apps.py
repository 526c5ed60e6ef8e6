from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal core")

    def ready(self) -> None:
        # Wires Django's and Axes' authentication signals to the audit trail.
        from . import audit, bundles  # noqa: F401 - bundles registers the documents' rule

        audit.connect_signals()
