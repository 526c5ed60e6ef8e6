"""Who sees calls and application books (DESIGN.md §3), registered with the core's rules."""

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from portal.models import BUREAU_ROLES, Organization
from portal.visibility import Visibility, follows, register

from .models import (
    Application,
    ApplicationEvent,
    ApplicationSection,
    Attachment,
    Call,
    CallTemplate,
    CorrectionRequest,
)

# Application statuses hidden from the issuing bureau: drafts are the applicant's own; when the
# call asks for county recommendation (001 §三), the city sees a book only once recommended.
_PRIVATE_STATUSES = ("draft", "withdrawn")
_BEFORE_RECOMMENDATION = ("submitted", "not_recommended")


def _organizations_of(bureau_ids: Iterable[int]) -> QuerySet[Organization, dict[str, Any]]:
    """Organizations at home in ``bureau_ids``, as a subquery: a filter the database evaluates
    only for rows the issuing branch did not already admit, where a join to the organizations
    would be read for every row of a staff list's count (DESIGN.md §9)."""
    # Rules are evaluated inside scopes, so the subqueries they use read the base managers.
    return Organization._base_manager.filter(home_bureau_id__in=bureau_ids).values("pk")


def application_q(v: Visibility, prefix: str = "") -> Q:
    """Who sees an application (and, with ``prefix``, the rows that belong to one)."""
    p = prefix
    own = Q(**{f"{p}organization_id__in": v.organization_ids})
    issuing = (
        Q(**{f"{p}call__bureau_id__in": v.staff_bureau_ids})
        & ~Q(**{f"{p}status__in": _PRIVATE_STATUSES})
        & (
            Q(**{f"{p}call__requires_recommendation": False})
            | ~Q(**{f"{p}status__in": _BEFORE_RECOMMENDATION})
        )
    )
    # The applicant's own competent bureau (the county) sees and recommends its submitted books;
    # only its own staff, not those above, or the city would see books before recommendation.
    recommending = Q(
        **{f"{p}organization_id__in": _organizations_of(v.bureau_ids_with(BUREAU_ROLES))}
    ) & ~Q(**{f"{p}status__in": _PRIVATE_STATUSES})
    # Bureaus above the county (a city under a provincial call) see what the county recommended
    # up, so their 推荐汇总表 rolls up its counties' rows (001 §三(二): 县初审后择优推荐).
    recommended_up = (
        Q(**{f"{p}call__requires_recommendation": True})
        & Q(**{f"{p}organization_id__in": _organizations_of(v.staff_bureau_ids)})
        & ~Q(**{f"{p}status__in": _PRIVATE_STATUSES + _BEFORE_RECOMMENDATION})
    )
    # Only the branches the user holds roles for: each empty one would still join its tables
    # into every count of a staff list.
    condition = Q(**{f"{p}pk__in": []})
    if v.organization_ids:
        condition |= own
    if v.staff_bureau_ids:
        condition |= issuing | recommending | recommended_up
    return condition


def register_rules() -> None:
    register(
        Call,
        lambda v: Q(status__in=("published", "closed")) | Q(bureau_id__in=v.staff_bureau_ids),
    )
    register(
        CallTemplate,
        lambda v: Q(owner_bureau__isnull=True) | Q(owner_bureau_id__in=v.staff_bureau_ids),
    )
    register(Application, application_q, prefixed=True)
    for model in (ApplicationSection, ApplicationEvent, Attachment, CorrectionRequest):
        register(model, follows(Application, "application__"))
