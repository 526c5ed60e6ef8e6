"""The dashboard of a bureau's area and its full-screen data cockpit (数据驾驶舱) for a meeting
room's screen, which refreshes its figures by itself."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from portal import audit
from portal.models import AuditEvent, Bureau
from portal.params import int_param

from .dashboard import Area, chart_data, dashboard_area, dashboard_figures

COCKPIT_REFRESH_SECONDS = 60


def _area(request: HttpRequest) -> Area:
    """The area of ``?bureau=<id>`` (one of the viewer's bureaus) or the viewer's own; bureau
    staff and the operator only. A foreign or malformed id answers 404, like a missing one."""
    visibility = request.visibility  # type: ignore[attr-defined]
    if not (visibility.is_bureau_staff or visibility.is_operator):
        raise PermissionDenied
    requested = None
    if request.GET.get("bureau"):
        requested = int_param(request.GET, "bureau")
        if requested is None:
            raise Http404
    area = dashboard_area(visibility.resolve(), requested)
    if area is None:
        if requested is not None and Bureau.objects.filter(pk=requested).exists():
            audit.record(
                action="access_denied",
                outcome=AuditEvent.Outcome.DENIED,
                object_type="portal.bureau",
                object_id=str(requested),
            )
        raise Http404
    return area


def _context(request: HttpRequest, area: Area) -> dict[str, Any]:
    figures = dashboard_figures(area)
    return {
        "area": area,
        "area_name": area.bureau.name if area.bureau else _("All bureaus"),
        # indented by depth below the province, as the tree reads
        "bureau_options": [
            (bureau.pk, "\u2014 " * max(bureau.path.count("/") - 2, 0) + bureau.name)
            for bureau in area.choices
        ],
        "everything_allowed": request.visibility.is_operator,  # type: ignore[attr-defined]
        "figures": figures,
        "charts": chart_data(figures),
        "refresh_seconds": COCKPIT_REFRESH_SECONDS,
    }


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "evaluation/dashboard.html", _context(request, _area(request)))


@login_required
def cockpit(request: HttpRequest) -> HttpResponse:
    return render(request, "evaluation/cockpit.html", _context(request, _area(request)))


@login_required
def cockpit_figures(request: HttpRequest) -> HttpResponse:
    """The cockpit's figures alone, which the cockpit page fetches again every minute."""
    return render(request, "evaluation/cockpit_figures.html", _context(request, _area(request)))


def home_panel(request: HttpRequest) -> dict[str, Any] | None:
    """The staff home page's way to the dashboard (bureau staff and the operator)."""
    visibility = request.visibility  # type: ignore[attr-defined]
    if not (visibility.is_bureau_staff or visibility.is_operator):
        return None
    return {}
