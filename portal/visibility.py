"""What each user may see: the one module that decides (DESIGN.md §3).

A :class:`Visibility` is computed from a user's memberships, never from request data. Every
tenant-owned model has a rule in ``RULES`` that turns a visibility into a filter; the
:class:`portal.scoping.VisibleManager` applies it to every query inside a scope. A model with a
``VisibleManager`` but no rule fails loudly instead of leaking.

Rules so far:

* bureau staff see rows owned by their bureau and every bureau below it, never a sibling's;
* an organization's members see their organization's rows;
* every user sees their own memberships and audit events;
* bureau admins and organization admins see their tenant's audit trail;
* portal operators see everything.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Q
from django.http import Http404

from applications.models import (
    Application,
    ApplicationEvent,
    ApplicationSection,
    Attachment,
    Call,
    CallTemplate,
    CorrectionRequest,
)
from evaluation.models import (
    Assessment,
    ExpertAssignment,
    ExpertProfile,
    Objection,
    Publicity,
    PublicityEntry,
    ReviewRound,
    Rubric,
    ScoreSheet,
)
from pilots.models import (
    Alliance,
    AllianceChange,
    AllianceMember,
    BenchmarkTitle,
    Contract,
    ContractItem,
    DemandList,
    DemandRow,
    EnrolmentRequest,
    EnterpriseFileRevision,
    EnterpriseFileSection,
    LeadingUnit,
    PilotEnterprise,
    PilotProgramme,
    Product,
    ProgrammeTarget,
    ServiceProvider,
    TaskBook,
    TaskBookSignature,
)

from .models import (
    BUREAU_ROLES,
    ORGANIZATION_ROLES,
    AuditEvent,
    Bureau,
    Deadline,
    DocumentBundle,
    Membership,
    Organization,
    Role,
)
from .scoping import scopes_disabled


@dataclass(frozen=True)
class Visibility:
    user_id: int | None
    roles: frozenset[tuple[str, int | None, int | None]] = field(default=frozenset())
    is_system: bool = False

    # --- construction -------------------------------------------------------------------
    @classmethod
    def for_user(cls, user: Any) -> "Visibility":
        if user is None or not user.is_authenticated or not user.is_active:
            return cls.anonymous()
        # The user's own roles, read before a scope can exist: the scope is built from them.
        rows = Membership.all_objects.filter(user_id=user.pk).values_list(
            "role", "bureau_id", "organization_id"
        )
        return cls(user_id=user.pk, roles=frozenset(rows))

    @classmethod
    def anonymous(cls) -> "Visibility":
        return cls(user_id=None)

    @classmethod
    def system(cls) -> "Visibility":
        """For jobs acting for the portal itself (heartbeat, demo seed); never for a user."""
        # The one place the system visibility is built; its callers are allow-listed with their
        # reasons in tests/test_architecture.py.
        return cls(user_id=None, is_system=True)

    # --- facts about the user -------------------------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def is_operator(self) -> bool:
        return self.is_system or any(role == Role.OPERATOR for role, _b, _o in self.roles)

    def has_role(self, *roles: str) -> bool:
        return self.is_operator or any(role in roles for role, _b, _o in self.roles)

    def require_role(self, *roles: str) -> None:
        if not self.has_role(*roles):
            raise PermissionDenied

    def bureau_ids_with(self, roles: Iterable[str]) -> frozenset[int]:
        wanted = set(roles)
        return frozenset(b for role, b, _o in self.roles if role in wanted and b is not None)

    def organization_ids_with(self, roles: Iterable[str]) -> frozenset[int]:
        wanted = set(roles)
        return frozenset(o for role, _b, o in self.roles if role in wanted and o is not None)

    def works_for(self, bureau_id: int | None) -> bool:
        """Staff of exactly this bureau (not merely above it), or the operator: who acts for it."""
        return self.is_operator or bureau_id in self.bureau_ids_with(BUREAU_ROLES)

    @cached_property
    def staff_bureau_ids(self) -> frozenset[int]:
        """Bureaus the user works for, with every bureau below them."""
        return _subtree_ids(self.bureau_ids_with(BUREAU_ROLES))

    @cached_property
    def admin_bureau_ids(self) -> frozenset[int]:
        return _subtree_ids(self.bureau_ids_with({Role.BUREAU_ADMIN}))

    @cached_property
    def organization_ids(self) -> frozenset[int]:
        return self.organization_ids_with(ORGANIZATION_ROLES)

    @cached_property
    def admin_organization_ids(self) -> frozenset[int]:
        return self.organization_ids_with({Role.ORG_ADMIN})

    @cached_property
    def home_bureau_line_ids(self) -> frozenset[int]:
        """The home bureaus of the user's organizations and every bureau above them: whose
        published decisions (leading units serving the area) concern the user's enterprise."""
        if not self.organization_ids:
            return frozenset()
        # Read while the scope is being built, and only the user's own organizations.
        paths = Organization._base_manager.filter(pk__in=self.organization_ids).values_list(
            "home_bureau__path", flat=True
        )
        return frozenset(int(part) for path in paths if path for part in path.strip("/").split("/"))

    @property
    def is_bureau_staff(self) -> bool:
        return bool(self.bureau_ids_with(BUREAU_ROLES))

    @property
    def is_applicant(self) -> bool:
        return bool(self.organization_ids)

    @property
    def is_expert(self) -> bool:
        return bool(self.bureau_ids_with({Role.EXPERT}))

    # --- querysets --------------------------------------------------------------------------
    def restrict(self, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
        if self.is_operator:
            return queryset
        rule = RULES.get(queryset.model)
        if rule is None:
            raise LookupError(
                f"{queryset.model.__name__} has a VisibleManager but no rule in portal.visibility.RULES"
            )
        return queryset.filter(rule(self))

    def bureaus(self) -> models.QuerySet[Bureau]:
        """Bureaus whose work this user may see as staff (their own and those below)."""
        qs = Bureau.objects.select_related("parent")
        return qs if self.is_operator else qs.filter(pk__in=self.staff_bureau_ids)


class RequestVisibility:
    """The visibility of a request's user, computed on first use.

    Lazy so that API authentication (which may set ``request.user`` inside the view) has run
    before the user's memberships are read.
    """

    def __init__(self, request: Any) -> None:
        self._request = request
        self._resolved: Visibility | None = None

    def resolve(self) -> Visibility:
        if self._resolved is None or self._resolved.user_id != getattr(
            self._request.user, "pk", None
        ):
            self._resolved = Visibility.for_user(getattr(self._request, "user", None))
        return self._resolved

    def __getattr__(self, name: str) -> Any:
        return getattr(self.resolve(), name)


def _subtree_ids(roots: frozenset[int]) -> frozenset[int]:
    if not roots:
        return frozenset()
    paths = Bureau.objects.filter(pk__in=roots).values_list("path", flat=True)
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return frozenset(Bureau.objects.filter(condition).values_list("pk", flat=True))


# --- the rules: one per tenant-owned model ------------------------------------------------------
Rule = Callable[[Visibility], Q]

# Application statuses hidden from the issuing bureau: drafts are the applicant's own; when the
# call asks for county recommendation (001 §三), the city sees a book only once recommended.
_PRIVATE_STATUSES = ("draft", "withdrawn")
_BEFORE_RECOMMENDATION = ("submitted", "not_recommended")


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
        **{f"{p}organization__home_bureau_id__in": v.bureau_ids_with(BUREAU_ROLES)}
    ) & ~Q(**{f"{p}status__in": _PRIVATE_STATUSES})
    # An expert reads the books assigned to them while the assignment is active. A subquery on
    # the plain base manager (not a join) so two rounds never duplicate a row.
    assigned = Q(
        **{
            (f"{p[:-2]}_id" if p else "pk") + "__in": ExpertAssignment._base_manager.filter(
                expert_id=v.user_id, status__in=ExpertAssignment.ACTIVE
            ).values("application_id")
        }
    )
    return own | issuing | recommending | assigned


def pilot_enterprise_q(v: Visibility, prefix: str = "") -> Q:
    """A pilot enterprise's record: its own members, the leading unit serving it (and no other:
    004 §2.2.13, no leaking of enterprise secrets), and bureau staff over its county."""
    p = prefix
    return (
        Q(**{f"{p}organization_id__in": v.organization_ids})
        | Q(**{f"{p}leading_unit__organization_id__in": v.organization_ids})
        | Q(**{f"{p}bureau_id__in": v.staff_bureau_ids})
    )


def _rounds_of_expert(v: Visibility) -> Any:
    # Rules are evaluated inside scopes, so the subqueries they use read the base managers.
    return ExpertAssignment._base_manager.filter(expert_id=v.user_id).values("round_id")


def _expert_in_pool_of(v: Visibility) -> Any:
    # As above: a subquery of ids inside a rule, never returned to anyone.
    return Membership.all_objects.filter(role=Role.EXPERT, bureau_id__in=v.staff_bureau_ids).values(
        "user_id"
    )


def _counties_of_pilot_parties(v: Visibility) -> Any:
    """Counties where the viewer's organisation is a pilot enterprise or serves one: the county's
    provider reference list (002 §三.2) and demand lists (002 附4) are published to them, and to
    nobody else."""
    # As above: a subquery of county ids inside a rule, never returned to anyone.
    return PilotEnterprise._base_manager.filter(
        Q(organization_id__in=v.organization_ids)
        | Q(leading_unit__organization_id__in=v.organization_ids)
    ).values("bureau_id")


RULES: dict[type[models.Model], Rule] = {
    Organization: lambda v: Q(home_bureau_id__in=v.staff_bureau_ids) | Q(pk__in=v.organization_ids),
    Membership: lambda v: (
        Q(user_id=v.user_id)
        | Q(bureau_id__in=v.staff_bureau_ids)
        | Q(organization_id__in=v.organization_ids)
        | Q(organization__home_bureau_id__in=v.staff_bureau_ids)
    ),
    Call: lambda v: Q(status__in=("published", "closed")) | Q(bureau_id__in=v.staff_bureau_ids),
    CallTemplate: lambda v: (
        Q(owner_bureau__isnull=True) | Q(owner_bureau_id__in=v.staff_bureau_ids)
    ),
    Application: application_q,
    ApplicationSection: lambda v: application_q(v, "application__"),
    ApplicationEvent: lambda v: application_q(v, "application__"),
    Attachment: lambda v: application_q(v, "application__"),
    CorrectionRequest: lambda v: application_q(v, "application__"),
    Deadline: lambda v: (
        Q(bureau_id__in=v.staff_bureau_ids) | Q(organization_id__in=v.organization_ids)
    ),
    DocumentBundle: lambda v: (
        (Q(application__isnull=False) & application_q(v, "application__"))
        | (
            Q(application__isnull=True)
            & (Q(bureau_id__in=v.staff_bureau_ids) | Q(organization_id__in=v.organization_ids))
        )
    ),
    Rubric: lambda v: Q(owner_bureau__isnull=True) | Q(owner_bureau_id__in=v.staff_bureau_ids),
    ExpertProfile: lambda v: Q(user_id=v.user_id) | Q(user_id__in=_expert_in_pool_of(v)),
    ReviewRound: lambda v: (
        Q(call__bureau_id__in=v.staff_bureau_ids) | Q(pk__in=_rounds_of_expert(v))
    ),
    ExpertAssignment: lambda v: (
        Q(round__call__bureau_id__in=v.staff_bureau_ids) | Q(expert_id=v.user_id)
    ),
    # Blind scoring: an expert sees their own sheets, and the others' only once the round closed.
    ScoreSheet: lambda v: (
        Q(assignment__round__call__bureau_id__in=v.staff_bureau_ids)
        | Q(assignment__expert_id=v.user_id)
        | (Q(assignment__round__status="closed") & Q(assignment__round_id__in=_rounds_of_expert(v)))
    ),
    Publicity: lambda v: Q(status__in=Publicity.PUBLIC) | Q(call__bureau_id__in=v.staff_bureau_ids),
    PublicityEntry: lambda v: (
        Q(publicity__status__in=Publicity.PUBLIC)
        | Q(publicity__call__bureau_id__in=v.staff_bureau_ids)
    ),
    Objection: lambda v: Q(publicity__call__bureau_id__in=v.staff_bureau_ids),
    LeadingUnit: lambda v: (
        Q(bureau_id__in=v.staff_bureau_ids)
        | Q(organization_id__in=v.organization_ids)
        # Selected leading units are published (004 §2.1); an enterprise of the area may choose one.
        | Q(status="active", bureau_id__in=v.home_bureau_line_ids)
    ),
    EnrolmentRequest: lambda v: (
        Q(organization_id__in=v.organization_ids)
        | Q(leading_unit__organization_id__in=v.organization_ids)
        | Q(organization__home_bureau_id__in=v.staff_bureau_ids)
    ),
    Alliance: lambda v: (
        Q(bureau_id__in=v.staff_bureau_ids)
        | Q(leading_unit__organization_id__in=v.organization_ids)
    ),
    # Changes in their public notice are public (004 §4.6.3); otherwise as the alliance.
    AllianceChange: lambda v: (
        Q(status__in=("in_publicity", "published"))
        | Q(alliance__bureau_id__in=v.staff_bureau_ids)
        | Q(alliance__leading_unit__organization_id__in=v.organization_ids)
    ),
    # The provider pool, products and demand lists are references for the county's enterprises
    # and the leading units serving them: bureau staff manage them, every signed-in user reads.
    ServiceProvider: lambda v: (
        Q(bureau_id__in=v.staff_bureau_ids) | Q(bureau_id__in=_counties_of_pilot_parties(v))
    ),
    Product: lambda v: (
        Q(provider__bureau_id__in=v.staff_bureau_ids)
        | Q(provider__bureau_id__in=_counties_of_pilot_parties(v))
    ),
    DemandList: lambda v: (
        Q(bureau_id__in=v.staff_bureau_ids) | Q(bureau_id__in=_counties_of_pilot_parties(v))
    ),
    DemandRow: lambda v: (
        Q(demand_list__bureau_id__in=v.staff_bureau_ids)
        | Q(demand_list__bureau_id__in=_counties_of_pilot_parties(v))
    ),
    AllianceMember: lambda v: (
        Q(alliance__bureau_id__in=v.staff_bureau_ids)
        | Q(alliance__leading_unit__organization_id__in=v.organization_ids)
        | Q(organization_id__in=v.organization_ids)
    ),
    BenchmarkTitle: lambda v: (
        Q(bureau_id__in=v.staff_bureau_ids) | Q(organization_id__in=v.organization_ids)
    ),
    PilotEnterprise: lambda v: pilot_enterprise_q(v),
    EnterpriseFileSection: lambda v: pilot_enterprise_q(v, "enterprise__"),
    EnterpriseFileRevision: lambda v: pilot_enterprise_q(v, "enterprise__"),
    TaskBook: lambda v: pilot_enterprise_q(v, "enterprise__"),
    Contract: lambda v: pilot_enterprise_q(v, "enterprise__"),
    ContractItem: lambda v: pilot_enterprise_q(v, "contract__enterprise__"),
    TaskBookSignature: lambda v: pilot_enterprise_q(v, "task_book__enterprise__"),
    Assessment: lambda v: pilot_enterprise_q(v, "enterprise__"),
    PilotProgramme: lambda v: (
        Q(bureau_id__in=v.staff_bureau_ids) | Q(approving_bureau_id__in=v.staff_bureau_ids)
    ),
    ProgrammeTarget: lambda v: (
        Q(programme__bureau_id__in=v.staff_bureau_ids)
        | Q(programme__approving_bureau_id__in=v.staff_bureau_ids)
    ),
    AuditEvent: lambda v: (
        Q(actor_id=v.user_id)
        | Q(bureau_id__in=v.admin_bureau_ids)
        | Q(organization_id__in=v.admin_organization_ids)
    ),
}


def visible_or_404(queryset: models.QuerySet[Any], **lookup: Any) -> Any:
    """The one object matching ``lookup`` that the current scope may see, else Http404.

    A foreign object answers exactly like a missing one; the attempt is written to the
    audit trail as an access denial.
    """
    from . import audit

    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, ValidationError):
        pass
    try:
        # Escape hatch: only to tell a denial (object exists elsewhere) from a miss for the
        # audit trail; nothing from the foreign row is returned.
        with scopes_disabled():
            exists = queryset.model._default_manager.filter(**lookup).exists()
    except (ValueError, TypeError, ValidationError):
        exists = False
    if exists:
        audit.record(
            action="access_denied",
            outcome=AuditEvent.Outcome.DENIED,
            object_type=queryset.model._meta.label_lower,
            object_id=str(next(iter(lookup.values()), "")),
        )
    raise Http404
