"""The in-app inbox, notification preferences, and the deadlines of a jurisdiction."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from . import deadlines, list_exports, services, workdays
from .models import Deadline, Notification, NotificationPreference, Reminder, ReminderPolicy, Role
from .params import text_param
from .views import paginate
from .visibility import visible_or_404


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    page = paginate(request, Notification.objects.filter(user=request.user))
    items = [(n, *deadlines.render(n)) for n in page]
    return render(request, "portal/inbox.html", {"page": page, "items": items})


@login_required
def inbox_open(request: HttpRequest, notification_pk: int) -> HttpResponse:
    notification = Notification.objects.filter(user=request.user, pk=notification_pk).first()
    if notification is None:
        raise Http404
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk).update(read_at=timezone.now())
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}):
        return redirect(link)
    return redirect("inbox")


@login_required
@require_POST
def inbox_read_all(request: HttpRequest) -> HttpResponse:
    Notification.objects.filter(user=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return redirect("inbox")


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request: HttpRequest) -> HttpResponse:
    kinds = sorted(deadlines.KINDS)
    if request.method == "POST":
        services.notification_preferences_set(
            user=request.user, email_kinds=set(request.POST.getlist("email")) & set(kinds)
        )
        messages.success(request, _("Saved."))
        return redirect("notification-preferences")
    off = set(
        NotificationPreference.objects.filter(user=request.user, email=False).values_list(
            "kind", flat=True
        )
    )
    return render(
        request,
        "portal/notification_preferences.html",
        {
            "rows": [(code, deadlines.kind_label(code), code not in off) for code in kinds],
            "has_email": bool(request.user.email),
        },
    )


def _require_staff(request: HttpRequest) -> None:
    if not (request.visibility.is_bureau_staff or request.visibility.is_operator):
        raise PermissionDenied


@login_required
def deadline_list(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    filters = list_exports.deadline_filters(request.GET)
    qs = list_exports.deadline_list(**filters)
    return render(
        request,
        "portal/deadline_list.html",
        {
            "page": paginate(request, qs),
            "show": filters["show"],
            "labels": {c: deadlines.kind_label(c) for c in deadlines.KINDS},
            "can_edit_policies": request.visibility.has_role(Role.BUREAU_ADMIN),
        },
    )


@login_required
def deadline_detail(request: HttpRequest, deadline_pk: int) -> HttpResponse:
    # Whoever may see the deadline may see its plan: visibility decides, so a foreign one is 404.
    deadline = visible_or_404(Deadline.objects.select_related("bureau"), pk=deadline_pk)
    offsets, working_days = deadlines.policy_for(deadline)
    plan = [
        (offset, deadlines.send_instant(deadline.due_at, offset, working_days))
        for offset in sorted(set(offsets), reverse=True)
    ]
    reminders = paginate(
        request,
        deadline.reminders.select_related("recipient").order_by("-send_at", "recipient__username"),
        per_page=50,
    )
    return render(
        request,
        "portal/deadline_detail.html",
        {
            "deadline": deadline,
            "label": deadlines.kind_label(deadline.kind),
            "plan": plan,
            "working_days": working_days,
            # Reminders counted in working days over a year without holiday data: say so.
            "calendar_unknown": working_days
            and not all(workdays.is_known(at.date()) for _offset, at in plan),
            "page": reminders,
            "status_labels": dict(Reminder.Status.choices),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def reminder_policies(request: HttpRequest) -> HttpResponse:
    visibility = request.visibility
    bureau = (
        visibility.bureaus().filter(pk__in=visibility.bureau_ids_with({Role.BUREAU_ADMIN})).first()
    )
    if bureau is None and not visibility.is_operator:
        raise PermissionDenied
    if request.method == "POST":
        kind = text_param(request.POST, "kind", 64)
        try:
            services.reminder_policy_set(
                visibility=visibility.resolve(),
                bureau=bureau,
                kind=kind,
                offsets_text=text_param(request.POST, "offsets", 200),
                working_days=request.POST.get("working_days") == "on",
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Saved."))
        return redirect("reminder-policies")
    rows: list[dict[str, Any]] = []
    for code, kind in sorted(deadlines.KINDS.items()):
        own = ReminderPolicy.objects.filter(kind=code, bureau=bureau).first()
        rows.append(
            {
                "code": code,
                "label": kind.label(),
                "default": ", ".join(map(str, kind.default_offsets)),
                "offsets": ", ".join(map(str, own.offsets)) if own else "",
                "working_days": own.working_days if own else kind.working_days,
            }
        )
    return render(request, "portal/reminder_policies.html", {"rows": rows, "bureau": bureau})
