from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "evaluation"
    verbose_name = _("Review and evaluation")

    def ready(self) -> None:
        from portal import bundles

        from . import visibility

        visibility.register_rules()

        from . import audit_actions

        audit_actions.register()

        from . import (
            deadlines,  # noqa: F401 - registers the deadline kinds
            documents,
            experts,  # noqa: F401 - registers the experts importer
            exports,  # noqa: F401 - registers the exporters
            list_exports,  # noqa: F401 - registers the list exporters
        )
        from .models import Publicity, ReviewRound
        from .reports import tables  # noqa: F401 - registers the reports' exporters

        # Both are the bureau's own papers: the ranking carries every expert's sheet (experts
        # see their round, not its ranking), and the notice's print copy may predate an edit
        # (the public reads the notice itself on its page).
        bundles.register(
            documents.RANKING, documents.build_ranking, subject=ReviewRound, staff_only=True
        )
        bundles.register(
            documents.PUBLICITY, documents.build_publicity, subject=Publicity, staff_only=True
        )
        from portal import home_panels

        from .dashboard_views import home_panel

        home_panels.register(
            "evaluation/home_dashboard.html", home_panel, audiences={home_panels.SIGNED_IN}
        )
        from .rubrics_loader import sync_shipped_rubrics

        post_migrate.connect(
            sync_shipped_rubrics, sender=self, dispatch_uid="evaluation.sync_rubrics"
        )
        from .indicators_loader import sync_shipped_indicators

        post_migrate.connect(
            sync_shipped_indicators, sender=self, dispatch_uid="evaluation.sync_indicators"
        )
        # A removed leading unit may not apply again to that bureau's calls (004 §4.4).
        from applications.services import register_eligibility_check

        from .performance_outcomes import removed_unit_refusal

        register_eligibility_check(removed_unit_refusal)
        # What the portal holds about a person: an expert's employer and specialty.
        from portal import personal_data

        personal_data.register_holding(_("Expert profile"), experts.profile_rows)

        from . import api

        api.register()
