"""Reads of the portal core, always inside the caller's visibility scope."""

from django.db.models import Count, Q, QuerySet

from .models import AuditEvent, Bureau, Organization, WorkerHeartbeat


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


def audit_events(*, action: str = "", outcome: str = "") -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.select_related("actor")
    if action:
        qs = qs.filter(action=action)
    if outcome:
        qs = qs.filter(outcome=outcome)
    return qs


def latest_heartbeat() -> WorkerHeartbeat | None:
    return WorkerHeartbeat.objects.order_by("-beat_at").first()
