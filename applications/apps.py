from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = _("Calls and applications")

    def ready(self) -> None:
        from portal import bundles

        from . import visibility

        visibility.register_rules()

        from . import audit_actions

        audit_actions.register()

        from portal import workflow

        from .models import Application
        from .services import write_event

        workflow.register_events(Application, write_event)

        from portal import home_panels

        from .selectors import open_calls

        home_panels.register(
            "applications/home_open_calls.html",
            lambda request: {"open_calls": open_calls()},
            audiences={home_panels.PUBLIC, home_panels.SIGNED_IN},
        )

        from . import (
            deadlines,  # noqa: F401 - registers the deadline kinds
            documents,
            exports,  # noqa: F401 - registers the exporters
            list_exports,  # noqa: F401 - registers the list exporters
        )
        from .models import Application

        bundles.register(documents.KIND, documents.build, subject=Application)
        from . import api

        api.register()
        from .templates_loader import sync_shipped_templates

        post_migrate.connect(
            sync_shipped_templates, sender=self, dispatch_uid="applications.sync_templates"
        )
