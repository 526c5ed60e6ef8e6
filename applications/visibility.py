"""Who sees calls and application books (DESIGN.md §3), registered with the core's rules."""

from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

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


def _filed_in(bureau_ids: Iterable[int], prefix: str) -> Exists:
    """The applicant is at home in one of ``bureau_ids``: a correlated test the database makes only
    for rows the issuing branch did not already admit, by the organization's key, where a join
    would read the organizations for every row of a staff list's count and a list of them would
    be built whole before a page's first row (DESIGN.md §9)."""
    # Rules are evaluated inside scopes, so the subqueries they use read the base managers.
    return Exists(
        Organization._base_manager.filter(
            pk=OuterRef(f"{prefix}organization_id"), home_bureau_id__in=bureau_ids
        )
    )


def _calls_of(
    bureau_ids: Iterable[int] | None, *, requires_recommendation: bool
) -> QuerySet[Call, dict[str, Any]]:
    """Calls (of ``bureau_ids``, or of any bureau) that do or do not ask for recommendation."""
    # Rules are evaluated inside scopes, so the subqueries they use read the base managers: only
    # the calls' ids, inside the rule, are ever read.
    calls = Call._base_manager.filter(requires_recommendation=requires_recommendation)
    if bureau_ids is not None:
        calls = calls.filter(bureau_id__in=bureau_ids)
    return calls.values("pk")


def application_q(v: Visibility, prefix: str = "") -> Q:
    """Who sees an application (and, with ``prefix``, the rows that belong to one)."""
    p = prefix
    own = Q(**{f"{p}organization_id__in": v.organization_ids})
    # Calls are few: the issuing bureau's test is a short list of calls, not a join per row.
    issuing = (
        Q(**{f"{p}call_id__in": _calls_of(v.staff_bureau_ids, requires_recommendation=False)})
        & ~Q(**{f"{p}status__in": _PRIVATE_STATUSES})
    ) | (
        Q(**{f"{p}call_id__in": _calls_of(v.staff_bureau_ids, requires_recommendation=True)})
        & ~Q(**{f"{p}status__in": _PRIVATE_STATUSES + _BEFORE_RECOMMENDATION})
    )
    # The applicant's own competent bureau (the county) sees and recommends its submitted books;
    # only its own staff, not those above, or the city would see books before recommendation.
    own_bureaus = v.bureau_ids_with(BUREAU_ROLES)
    recommending = Q(_filed_in(own_bureaus, p)) & ~Q(**{f"{p}status__in": _PRIVATE_STATUSES})
    # Bureaus above the county (a city under a provincial call) see what the county recommended
    # up, so their 推荐汇总表 rolls up its counties' rows (001 §三(二): 县初审后择优推荐). Books of
    # the user's own bureaus are already admitted above, so only the bureaus below them are asked.
    below = v.staff_bureau_ids - own_bureaus
    recommended_up = (
        Q(**{f"{p}call_id__in": _calls_of(None, requires_recommendation=True)})
        & Q(_filed_in(below, p))
        & ~Q(**{f"{p}status__in": _PRIVATE_STATUSES + _BEFORE_RECOMMENDATION})
    )
    # Only the branches the user holds roles for: each empty one would still be tested on every
    # row of a staff list's count.
    condition = Q(**{f"{p}pk__in": []})
    if v.organization_ids:
        condition |= own
    if v.staff_bureau_ids:
        condition |= issuing | recommending
    if below:
        condition |= recommended_up
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
