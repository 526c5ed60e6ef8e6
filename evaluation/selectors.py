"""Reads of review, inside the caller's scope. The ranking is computed in a fixed number of
queries whatever the number of applications and experts."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from applications.models import Application, Call

from .models import ExpertAssignment, ReviewRound, ScoreSheet
from .scoring import Aggregate, aggregate, competition_ranks, sheet_total


@dataclass
class RankedRow:
    application: Application
    result: Aggregate
    totals: list[Decimal] = field(default_factory=list)
    expected: int = 0
    rank: int | None = None


def ranking(review_round: ReviewRound) -> list[tuple[str, list[RankedRow]]]:
    """Groups (sub-industry, or one group) of rows ranked by their final figure."""
    applications = list(
        Application.objects.filter(expert_assignments__round=review_round)
        .distinct()
        .select_related("organization", "organization__home_bureau")
    )
    expected: defaultdict[int, int] = defaultdict(int)
    for application_id in ExpertAssignment.objects.filter(
        round=review_round, status__in=ExpertAssignment.ACTIVE
    ).values_list("application_id", flat=True):
        expected[application_id] += 1
    totals = defaultdict(list)
    for sheet in ScoreSheet.objects.filter(
        assignment__round=review_round, status=ScoreSheet.Status.SUBMITTED
    ).select_related("assignment"):
        total = sheet_total(review_round.criteria, sheet.scores)
        if total is not None:
            totals[sheet.assignment.application_id].append(total)
    rows = {}
    for application in applications:
        application_totals = sorted(totals[application.pk], reverse=True)
        rows[application.pk] = RankedRow(
            application=application,
            result=aggregate(application_totals, trim=review_round.trimmed_mean),
            totals=application_totals,
            expected=expected[application.pk],
        )
    if review_round.call.kind == Call.Kind.LEADING_UNIT:
        groups = defaultdict(list)
        for row in rows.values():
            for industry in row.application.sub_industries or ["—"]:
                groups[industry].append(row)
        ordered = [
            (name, groups[name])
            for name in (
                review_round.call.sub_industries
                + sorted(set(groups) - set(review_round.call.sub_industries))
            )
            if name in groups
        ]
    else:
        ordered = [("", list(rows.values()))]
    result = []
    for name, members in ordered:
        ranks = competition_ranks([m.result.final for m in members])
        ranked = [
            RankedRow(
                application=m.application,
                totals=m.totals,
                expected=m.expected,
                result=m.result,
                rank=r,
            )
            for m, r in zip(members, ranks, strict=True)
        ]
        ranked.sort(key=lambda r: (r.rank is None, r.rank or 0, r.application.organization.name))
        result.append((name, ranked))
    return result
