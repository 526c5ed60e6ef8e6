"""What the audit page calls this app's actions (codes are stable; labels are translations)."""

from django.utils.translation import gettext_lazy as _

from portal import audit


def register() -> None:
    audit.register_actions(
        {
            "review_round_created": _("review round created"),
            "review_round_closed": _("review round closed"),
            "experts_assigned": _("experts assigned"),
            "expert_assigned": _("expert assigned"),
            "conflict_declared": _("conflict of interest declared"),
            "scores_submitted": _("scores submitted"),
            "sheet_reopened": _("score sheet reopened"),
            "selection_proposed": _("selection proposed"),
            "publicity_created": _("notice created"),
            "publicity_published": _("notice published"),
            "objection_submitted": _("objection submitted"),
            "objection_handled": _("objection handled"),
            "selection_finalised": _("selection finalised"),
            "performance_task_book_set": _("performance task book set"),
            "quarterly_report_submitted": _("quarterly report submitted"),
            "quarterly_evaluation_recorded": _("quarterly evaluation recorded"),
            "satisfaction_rated": _("satisfaction rated"),
            "leading_unit_criticised": _("leading unit criticised"),
            "leading_unit_rectified": _("rectification accepted"),
            "rectification_continued": _("rectification continued"),
            "rectification_rectified": _("rectification recorded as done"),
            "rectification_disqualify": _("disqualification proposed after rectification"),
            "rectification_overdue": _("rectification overdue"),
            "leading_unit_removal_proposed": _("removal proposed"),
            "leading_unit_removal_decided": _("removal decided"),
            "leading_unit_removed": _("leading unit removed"),
        }
    )
