from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import Role


def navigation(request: Any) -> dict[str, Any]:
    """The navigation of the user's personas, in one place."""
    visibility = getattr(request, "visibility", None)
    items: list[tuple[str, Any]] = [(reverse("home"), _("Home"))]
    items.append((reverse("call-list"), _("Calls")))
    items.append((reverse("publicity-list"), _("Publicity")))
    if visibility is not None and request.user.is_authenticated:
        if visibility.is_applicant and not visibility.is_operator:
            items.append((reverse("my-applications"), _("My applications")))
            items.append((reverse("organization-list"), _("My organization")))
        if visibility.is_bureau_staff or visibility.is_operator:
            items.append((reverse("staff-applications"), _("Applications")))
        if visibility.is_bureau_staff or visibility.is_operator:
            items.append((reverse("organization-list"), _("Organizations")))
            items.append((reverse("bureau-list"), _("Bureaus")))
        items.append((reverse("enterprise-list"), _("Pilot enterprises")))
        if visibility.is_bureau_staff or visibility.is_applicant or visibility.is_operator:
            items.append((reverse("performance-units"), _("Performance")))
        if visibility.is_expert:
            items.append((reverse("my-reviews"), _("My reviews")))
        if visibility.is_bureau_staff or visibility.is_operator:
            items.append((reverse("dashboard"), _("Dashboard")))
            items.append((reverse("pilot-progress"), _("Pilot progress")))
            items.append((reverse("report-list"), _("Reports")))
            items.append((reverse("deadline-list"), _("Deadlines")))
            items.append((reverse("expert-pool"), _("Expert pool")))
        if visibility.has_role(Role.BUREAU_MANAGER, Role.BUREAU_ADMIN):
            items.append((reverse("imports"), _("Import lists")))
        if visibility.has_role(Role.BUREAU_ADMIN, Role.ORG_ADMIN):
            items.append((reverse("audit-list"), _("Audit log")))
        if visibility.is_operator and request.user.is_staff:
            items.append((reverse("admin:index"), _("Administration")))
    unread = 0
    if request.user.is_authenticated:
        from .models import Notification

        unread = Notification.objects.filter(user=request.user, read_at__isnull=True).count()
    return {"nav_items": items, "portal_name": settings.PORTAL_NAME, "unread_count": unread}
