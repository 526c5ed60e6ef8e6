""" "What the portal holds about me": a person's own data, unmasked, with the trail of what they did
(PIPL Art. 44/45; GB/T 22239-2019 8.1.4.11). Viewing it is itself audited."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import audit, personal_data, selectors
from .models import AuditEvent

RECENT_EVENTS = 50


@login_required
@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    user = request.user
    audit.record(action="personal_data_viewed", outcome=AuditEvent.Outcome.SUCCESS)
    events = list(selectors.own_audit_events(user)[:RECENT_EVENTS])
    for event in events:
        event.action_label = audit.action_label(event.action)  # type: ignore[attr-defined]
    return render(
        request,
        "portal/my_data.html",
        {
            "person": user,
            "memberships": selectors.own_memberships(user),
            "organizations": selectors.own_organizations(user),
            "sections": personal_data.holdings(user),
            "events": events,
            "event_count": selectors.own_audit_events(user).count(),
            "notification_count": selectors.own_notification_count(user),
            "recent_limit": RECENT_EVENTS,
        },
    )
