"""Who sees review rounds, scores and publicity (DESIGN.md §3), registered with the core's rules;
and the expert's grant on the application books assigned to them."""

from typing import Any

from django.db.models import Q

from applications.models import Application
from portal.models import Membership, Role
from portal.visibility import Visibility, register

from .models import (
    ExpertAssignment,
    ExpertProfile,
    Objection,
    PerformanceTaskBook,
    Publicity,
    PublicityEntry,
    QuarterlyEvaluation,
    QuarterlyReport,
    ReviewRound,
    Rubric,
    Sanction,
    SatisfactionRating,
    ScoreSheet,
)


def _unit_parties(v: Visibility) -> Q:
    """A leading unit's performance records: staff over the bureau that selected it, and the
    unit's own members (not the enterprises it serves, nor the public)."""
    return Q(leading_unit__bureau_id__in=v.staff_bureau_ids) | Q(
        leading_unit__organization_id__in=v.organization_ids
    )


def assigned_application_q(v: Visibility, prefix: str = "") -> Q:
    """An expert reads the books assigned to them while the assignment is active. A subquery on
    the plain base manager (not a join) so two rounds never duplicate a row."""
    field = f"{prefix[:-2]}_id" if prefix else "pk"
    if not v.is_expert:
        return Q(**{f"{field}__in": []})  # no assignments to read: no subquery in every list
    # Rules are evaluated inside scopes, so the subqueries they use read the base managers.
    return Q(
        **{
            f"{field}__in": ExpertAssignment._base_manager.filter(
                expert_id=v.user_id, status__in=ExpertAssignment.ACTIVE
            ).values("application_id")
        }
    )


def _rounds_of_expert(v: Visibility) -> Any:
    # As above: a subquery of ids inside a rule, never returned to anyone.
    return ExpertAssignment._base_manager.filter(expert_id=v.user_id).values("round_id")


def _expert_in_pool_of(v: Visibility) -> Any:
    # As above: a subquery of ids inside a rule, never returned to anyone.
    return Membership.all_objects.filter(role=Role.EXPERT, bureau_id__in=v.staff_bureau_ids).values(
        "user_id"
    )


def register_rules() -> None:
    register(Application, assigned_application_q, prefixed=True)
    register(
        Rubric,
        lambda v: Q(owner_bureau__isnull=True) | Q(owner_bureau_id__in=v.staff_bureau_ids),
    )
    register(
        ExpertProfile,
        lambda v: Q(user_id=v.user_id) | Q(user_id__in=_expert_in_pool_of(v)),
    )
    register(
        ReviewRound,
        lambda v: Q(call__bureau_id__in=v.staff_bureau_ids) | Q(pk__in=_rounds_of_expert(v)),
    )
    register(
        ExpertAssignment,
        lambda v: Q(round__call__bureau_id__in=v.staff_bureau_ids) | Q(expert_id=v.user_id),
    )
    # Blind scoring: an expert sees their own sheets, and the others' only once the round closed.
    register(
        ScoreSheet,
        lambda v: (
            Q(assignment__round__call__bureau_id__in=v.staff_bureau_ids)
            | Q(assignment__expert_id=v.user_id)
            | (
                Q(assignment__round__status="closed")
                & Q(assignment__round_id__in=_rounds_of_expert(v))
            )
        ),
    )
    register(
        Publicity,
        lambda v: Q(status__in=Publicity.PUBLIC) | Q(call__bureau_id__in=v.staff_bureau_ids),
    )
    register(
        PublicityEntry,
        lambda v: (
            Q(publicity__status__in=Publicity.PUBLIC)
            | Q(publicity__call__bureau_id__in=v.staff_bureau_ids)
        ),
    )
    register(Objection, lambda v: Q(publicity__call__bureau_id__in=v.staff_bureau_ids))
    for model in (PerformanceTaskBook, QuarterlyReport, QuarterlyEvaluation, Sanction):
        register(model, _unit_parties)
    # A rating is the enterprise's own; the unit's bureau (its working group) and the county's
    # staff read them; the rated leading unit and providers see only aggregates.
    register(
        SatisfactionRating,
        lambda v: (
            Q(enterprise__organization_id__in=v.organization_ids)
            | Q(enterprise__bureau_id__in=v.staff_bureau_ids)
            | Q(enterprise__leading_unit__bureau_id__in=v.staff_bureau_ids)
        ),
    )
