"""The recommendation summary table (推荐汇总表, 001 §五 附件4).

The seed names the table but does not reproduce its columns; these follow the usual layout of
Jiangmen's recommendation tables and are recorded in docs/decisions.md.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from portal import exporters
from portal.templatetags.portal_tags import join_list

from .models import Application, Call


@exporters.register
class RecommendationSummary(exporters.Exporter):
    identifier = "recommendation_summary"

    def __init__(self, *, call: Call, applications: Iterable[Application]) -> None:
        self.call, self.applications = call, applications

    def sheet_title(self) -> str:
        return _("Recommendation summary")

    def filename(self) -> str:
        return f"{_('Recommendation summary')}-{self.call.pk}"

    def title_rows(self) -> Iterable[Sequence[Any]]:
        return [[f"{self.call.title} {self.call.document_number}"]]

    def headers(self) -> Sequence[Any]:
        return [
            _("No."),
            _("Applicant"),
            _("Unified social credit code"),
            _("County"),
            _("Sub-industries"),
            _("Submitted at"),
            _("Recommendation"),
            _("Reason"),
            _("Recommended by"),
        ]

    def iterate_list(self) -> Iterable[Sequence[Any]]:
        decisions = {
            Application.Status.RECOMMENDED: _("Recommended"),
            Application.Status.NOT_RECOMMENDED: _("Not recommended"),
        }
        for number, application in enumerate(self.applications, 1):
            organization = application.organization
            submitted = application.submitted_at
            yield [
                number,
                organization.name,
                organization.uscc,
                application.home_bureau.region_name,
                join_list(application.sub_industries),
                timezone.localtime(submitted).strftime("%Y-%m-%d %H:%M") if submitted else "",
                decisions.get(application.status, _("Pending")),
                application.recommendation_note,
                str(application.recommended_by or ""),
            ]
