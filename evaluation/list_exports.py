"""List exporters of review and of leading units' performance, over the same filters and rows as
their pages (the pattern of ``portal.list_exports``).

The score sheets of a round are the ranking page's: every submitted sheet of the rounds whose
call the user's bureau runs, one row per expert, application and criterion. The quarterly
evaluations and sanctions are the performance page's, for the units the user's bureaus selected
(004 §3, §4)."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pilots.models import LeadingUnit
from portal import exporters
from portal.book import localized
from portal.list_exports import QuerysetListExporter, iso_date, local_time
from portal.models import BUREAU_ROLES
from portal.params import int_param
from portal.visibility import Visibility

from .models import QuarterlyEvaluation, ReviewRound, Sanction, ScoreSheet
from .performance import quarter_label
from .scoring import sheet_total


# --- score sheets of a review round -----------------------------------------------------------
def staff_rounds(visibility: Visibility) -> QuerySet[ReviewRound]:
    """Rounds whose ranking page the user may open: staff of the bureau running the call."""
    rounds = ReviewRound.objects.all()
    if not visibility.is_operator:
        rounds = rounds.filter(call__bureau_id__in=visibility.bureau_ids_with(BUREAU_ROLES))
    return rounds


def score_sheet_filters(params: Mapping[str, str]) -> dict[str, Any]:
    return {"round_id": int_param(params, "round")}


def score_sheet_rows(
    visibility: Visibility, *, round_id: int | None = None
) -> QuerySet[ScoreSheet]:
    """Submitted sheets (the ones the ranking counts) of the user's rounds."""
    rounds = staff_rounds(visibility)
    if round_id:
        rounds = rounds.filter(pk=round_id)
    return (
        ScoreSheet.objects.filter(
            assignment__round__in=rounds.values("pk"), status=ScoreSheet.Status.SUBMITTED
        )
        .select_related(
            "assignment__round__call",
            "assignment__application__organization",
            "assignment__expert",
        )
        .order_by(
            "assignment__round_id",
            "assignment__application__organization__name",
            "assignment__application_id",
            "assignment__expert__username",
            "pk",
        )
    )


@exporters.register
class ScoreSheetExporter(QuerysetListExporter):
    """Every expert's score for every criterion of every application (one row each)."""

    identifier = "score_sheets"
    verbose_name = gettext_lazy("Score sheets")
    column_widths = (30, 20, 40, 22, 16, 30, 8, 8, 8, 40, 10, 18)
    wrap_text = True

    @classmethod
    def from_params(cls, *, visibility: Any, params: Mapping[str, str]) -> exporters.Exporter:
        return cls(rows=score_sheet_rows(visibility, **score_sheet_filters(params)))

    def count(self) -> int:
        """Sheets times the criteria of their round, in two queries."""
        sheets = dict(
            self.rows.order_by()
            .values("assignment__round_id")
            .annotate(n=Count("pk"))
            .values_list("assignment__round_id", "n")
        )
        criteria = dict(ReviewRound.objects.filter(pk__in=sheets).values_list("pk", "criteria"))
        return sum(n * len(criteria.get(pk) or []) for pk, n in sheets.items())

    def headers(self) -> Sequence[Any]:
        return [
            _("Call"),
            _("Round"),
            _("Applicant"),
            _("Unified social credit code"),
            _("Expert"),
            _("Criterion"),
            _("Maximum"),
            _("Weight"),
            _("Score"),
            _("Comment"),
            _("Sheet total"),
            _("Submitted at"),
        ]

    def iterate_list(self) -> Iterable[Sequence[Any]]:
        for sheet in self.rows.iterator(chunk_size=2000):
            assignment = sheet.assignment
            review_round = assignment.round
            total = sheet_total(review_round.criteria, sheet.scores)
            for criterion in review_round.criteria:
                key = criterion["key"]
                score = sheet.scores.get(key)
                yield [
                    review_round.call.title,
                    review_round.name,
                    assignment.application.organization.name,
                    assignment.application.organization.uscc,
                    str(assignment.expert),
                    localized(criterion),
                    criterion.get("max"),
                    criterion.get("weight", 1),
                    _number(score),
                    sheet.comments.get(key, ""),
                    float(total) if total is not None else None,
                    local_time(sheet.submitted_at),
                ]


def _number(value: Any) -> Any:
    """A score is kept as text ("8.5"); the sheet holds it as a number when it is one."""
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return str(value)


# --- leading units' performance (the performance page) -------------------------------------------
def jurisdiction_units(visibility: Visibility) -> QuerySet[LeadingUnit]:
    """Units selected by the user's bureaus (or by any, for the operator): the bureau's side of
    the performance page."""
    units = LeadingUnit.objects.all()
    if not visibility.is_operator:
        units = units.filter(bureau_id__in=visibility.staff_bureau_ids)
    return units


@exporters.register
class QuarterlyEvaluationExporter(QuerysetListExporter):
    identifier = "quarterly_evaluations"
    verbose_name = gettext_lazy("Quarterly evaluations of leading units")
    column_widths = (40, 24, 12, 30, 10, 14, 50, 16, 18)
    wrap_text = True

    @classmethod
    def from_params(cls, *, visibility: Any, params: Mapping[str, str]) -> exporters.Exporter:
        rows = (
            QuarterlyEvaluation.objects.filter(
                leading_unit__in=jurisdiction_units(visibility).values("pk")
            )
            .select_related("leading_unit__organization", "leading_unit__bureau", "indicator_set")
            .select_related("evaluated_by")
            .order_by("leading_unit__organization__name", "-year", "-quarter", "pk")
        )
        return cls(rows=rows)

    def headers(self) -> Sequence[Any]:
        return [
            _("Leading unit"),
            _("Bureau"),
            _("Quarter"),
            _("Indicators"),
            _("Total"),
            _("Outcome"),
            _("Reason"),
            _("Evaluated by"),
            _("Evaluated at"),
        ]

    def row(self, item: QuarterlyEvaluation) -> Sequence[Any]:
        return [
            item.leading_unit.organization.name,
            item.leading_unit.bureau.name,
            quarter_label(item.year, item.quarter),
            f"{item.indicator_set.name} v{item.indicator_set.version}",
            item.total,
            item.get_outcome_display(),
            item.reason,
            str(item.evaluated_by),
            local_time(item.evaluated_at),
        ]


@exporters.register
class SanctionExporter(QuerysetListExporter):
    """Criticism with rectification orders and removals (004 §4.2–§4.4)."""

    identifier = "sanctions"
    verbose_name = gettext_lazy("Sanctions of leading units")
    column_widths = (40, 24, 24, 40, 50, 20, 12, 10, 18, 18, 40)
    wrap_text = True

    @classmethod
    def from_params(cls, *, visibility: Any, params: Mapping[str, str]) -> exporters.Exporter:
        rows = (
            Sanction.objects.filter(leading_unit__in=jurisdiction_units(visibility).values("pk"))
            .select_related("leading_unit__organization", "leading_unit__bureau")
            .order_by("leading_unit__organization__name", "-created_at", "pk")
        )
        return cls(rows=rows)

    def headers(self) -> Sequence[Any]:
        return [
            _("Leading unit"),
            _("Bureau"),
            _("Kind"),
            _("Grounds"),
            _("Reason"),
            _("Status"),
            _("Rectify by"),
            _("Proposed by the rules"),
            _("Created at"),
            _("Decided at"),
            _("Decision"),
        ]

    def row(self, item: Sanction) -> Sequence[Any]:
        return [
            item.leading_unit.organization.name,
            item.leading_unit.bureau.name,
            item.get_kind_display(),
            item.get_grounds_display(),
            item.reason,
            item.get_status_display(),
            iso_date(item.rectify_by),
            _("yes") if item.automatic else _("no"),
            local_time(item.created_at),
            local_time(item.decided_at),
            item.decision_note,
        ]
