"""The ranking table of a review round as XLSX."""

import io
from urllib.parse import quote

from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook

from applications.exports import safe_cell

from .models import ReviewRound
from .selectors import ranking


def ranking_response(review_round: ReviewRound) -> HttpResponse:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Ranking")[:31])
    sheet.append([safe_cell(f"{review_round.call.title} · {review_round.name}")])
    sheet.append(
        [
            _("Group"),
            _("Rank"),
            _("Applicant"),
            _("Unified social credit code"),
            _("Experts scored"),
            _("Expert totals"),
            _("Mean"),
            _("Trimmed mean"),
            _("Final"),
        ]
    )
    for group, rows in ranking(review_round):
        for row in rows:
            result = row.result
            sheet.append(
                [
                    safe_cell(group),
                    row.rank,
                    safe_cell(row.application.organization.name),
                    row.application.organization.uscc,
                    f"{result.count}/{row.expected}",
                    " / ".join(str(t) for t in row.totals),
                    float(result.mean) if result.mean is not None else None,
                    float(result.trimmed) if result.trimmed is not None else None,
                    float(result.final) if result.final is not None else None,
                ]
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f"attachment; filename*=UTF-8''{quote(_('Ranking') + f'-{review_round.pk}.xlsx')}"
    )
    return response
