"""The recommendation summary table (推荐汇总表, 001 §五 附件4) as XLSX.

The seed names the table but does not reproduce its columns; these follow the usual layout of
Jiangmen's recommendation tables and are recorded in docs/decisions.md.
"""

import io
from collections.abc import Iterable
from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from portal.templatetags.portal_tags import join_list

from .models import Application, Call

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula is prefixed so it stays text."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def recommendation_summary_response(
    call: Call, applications: Iterable[Application]
) -> HttpResponse:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Recommendation summary")[:31])
    sheet.append([safe_cell(f"{call.title} {call.document_number}")])
    sheet.append(
        [
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
    )
    for number, application in enumerate(applications, 1):
        decision = {
            Application.Status.RECOMMENDED: _("Recommended"),
            Application.Status.NOT_RECOMMENDED: _("Not recommended"),
        }.get(application.status, _("Pending"))
        sheet.append(
            [
                number,
                safe_cell(application.organization.name),
                application.organization.uscc,
                application.organization.home_bureau.region_name,
                safe_cell(join_list(application.sub_industries)),
                timezone.localtime(application.submitted_at).strftime("%Y-%m-%d %H:%M")
                if application.submitted_at
                else "",
                decision,
                safe_cell(application.recommendation_note),
                str(application.recommended_by or ""),
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    filename = f"{_('Recommendation summary')}-{call.pk}.xlsx"
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
