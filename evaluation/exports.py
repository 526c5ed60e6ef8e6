"""The ranking table of a review round."""

from collections.abc import Iterable, Sequence
from typing import Any

from django.utils.translation import gettext as _

from portal import exporters

from .models import ReviewRound
from .selectors import ranking


@exporters.register
class RankingExporter(exporters.Exporter):
    identifier = "ranking"

    def __init__(self, *, review_round: ReviewRound) -> None:
        self.review_round = review_round

    def sheet_title(self) -> str:
        return _("Ranking")

    def filename(self) -> str:
        return f"{_('Ranking')}-{self.review_round.pk}"

    def title_rows(self) -> Iterable[Sequence[Any]]:
        return [[f"{self.review_round.call.title} · {self.review_round.name}"]]

    def headers(self) -> Sequence[Any]:
        return [
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

    def iterate_list(self) -> Iterable[Sequence[Any]]:
        for group, rows in ranking(self.review_round):
            for row in rows:
                result = row.result
                yield [
                    group,
                    row.rank,
                    row.application.organization.name,
                    row.application.organization.uscc,
                    f"{result.count}/{row.expected}",
                    " / ".join(str(t) for t in row.totals),
                    _float(result.mean),
                    _float(result.trimmed),
                    _float(result.final),
                ]


def _float(value: Any) -> float | None:
    return float(value) if value is not None else None
