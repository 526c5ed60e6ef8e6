from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PilotsConfig(AppConfig):
    name = "pilots"
    verbose_name = _("Pilot programmes")

    def ready(self) -> None:
        from portal import bundles

        from . import visibility

        visibility.register_rules()

        from applications.services import register_eligibility_check

        from .eligibility import serving_unit_refusal

        register_eligibility_check(serving_unit_refusal)

        from . import audit_actions

        audit_actions.register()

        from . import (
            deadlines,  # noqa: F401 - registers the deadline kinds
            documents,
            exports,  # noqa: F401 - registers the exporters
            imports,  # noqa: F401 - registers the importers
            list_exports,  # noqa: F401 - registers the list exporters
        )
        from .models import PilotEnterprise

        # The enterprise's own documents: its members, the leading unit serving it and the
        # bureaus over its county see them, as they see the enterprise (004 §2.2.13).
        bundles.register(documents.TASK_BOOK, documents.build_task_book, subject=PilotEnterprise)
        bundles.register(
            documents.ENTERPRISE_FILE, documents.build_enterprise_file, subject=PilotEnterprise
        )
        from . import api

        api.register()
