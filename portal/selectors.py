"""Reads of the portal core, always inside the caller's visibility scope."""

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet

from .models import (
    ORGANIZATION_ROLES,
    AuditEvent,
    Bureau,
    Membership,
    Notification,
    Organization,
    Role,
    User,
    WorkerHeartbeat,
)


def organization_list(*, search: str = "", bureau_id: int | None = None) -> QuerySet[Organization]:
    qs = Organization.objects.select_related("home_bureau")
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(uscc__icontains=search.upper()))
    if bureau_id:
        qs = qs.filter(home_bureau_id=bureau_id)
    return qs.order_by("name", "pk")


def organization_members(organization: Organization) -> QuerySet:
    return organization.memberships.select_related("user").order_by("role", "user__username")


def bureau_children(bureau: Bureau) -> QuerySet[Bureau]:
    return bureau.children.annotate(organization_count=Count("organizations")).order_by(
        "division_code"
    )


def audit_events(
    *,
    action: str = "",
    outcome: str = "",
    user: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.select_related("actor")
    if action:
        qs = qs.filter(action=action)
    if outcome:
        qs = qs.filter(outcome=outcome)
    if user:
        qs = qs.filter(Q(actor__username=user) | Q(username=user))
    if since:
        qs = qs.filter(at__date__gte=since)
    if until:
        qs = qs.filter(at__date__lte=until)
    return qs


def own_memberships(user: User) -> QuerySet[Membership]:
    """A person's own roles (their scope always shows their own memberships)."""
    return (
        Membership.objects.filter(user=user)
        .select_related("organization", "bureau")
        .order_by("role", "pk")
    )


def own_organizations(user: User) -> QuerySet[Organization]:
    return Organization.objects.filter(memberships__user=user).distinct().order_by("name")


def own_audit_events(user: User) -> QuerySet[AuditEvent]:
    """What the person did, newest first: their scope shows every record they are the actor of."""
    return AuditEvent.objects.filter(actor=user).order_by("-at", "-pk")


def own_notification_count(user: User) -> int:
    return Notification.objects.filter(user=user).count()


def latest_heartbeat() -> WorkerHeartbeat | None:
    return WorkerHeartbeat.objects.order_by("-beat_at").first()


# --- who, decided by the portal itself -------------------------------------------------------------
# Memberships are read unscoped only here and in portal.visibility: the portal itself works out
# whom to notify and who is in a pool (system decisions; nothing here is shown to a user as is).
def organization_member_ids(organization_ids: Any) -> list[int]:
    return list(
        Membership.all_objects.filter(
            organization_id__in=organization_ids, role__in=ORGANIZATION_ROLES, user__is_active=True
        )
        .values_list("user_id", flat=True)
        .distinct()
    )


def organization_member_map(organization_ids: Any) -> dict[int, list[int]]:
    """Active members' user ids per organization, in one query (reminders for a whole batch)."""
    members: dict[int, list[int]] = {}
    # Members of a batch of organizations to remind, read as the portal: ids only, never shown.
    for organization_id, user_id in (
        Membership.all_objects.filter(
            organization_id__in=organization_ids, role__in=ORGANIZATION_ROLES, user__is_active=True
        )
        .values_list("organization_id", "user_id")
        .distinct()
    ):
        members.setdefault(organization_id, []).append(user_id)
    return members


def bureau_user_ids(bureau_id: int | None, roles: Iterable[str]) -> list[int]:
    # Who works at a bureau, for notifications sent as the portal: ids only, never shown.
    if bureau_id is None:
        return []  # a bureau role always has a bureau (membership_target_matches_role)
    return list(
        Membership.all_objects.filter(
            bureau_id=bureau_id, role__in=roles, user__is_active=True
        ).values_list("user_id", flat=True)
    )


def expert_pool_ids(bureau_id: int) -> Any:
    # A bureau's expert pool as a subquery of ids, for assignment by that bureau's staff.
    return Membership.all_objects.filter(role=Role.EXPERT, bureau_id=bureau_id).values("user_id")


def is_member(user_id: int, organization_id: int) -> bool:
    # A yes/no about one membership for permission checks; nothing of it is shown.
    return Membership.all_objects.filter(user_id=user_id, organization_id=organization_id).exists()
