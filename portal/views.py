from collections.abc import Callable, Sequence
from copy import copy
from functools import cached_property
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import (
    account_sessions,
    audit,
    home_panels,
    list_exports,
    members,
    personal_data,
    ratelimit,
    selectors,
    services,
)
from .api import errors as api_errors
from .forms import MemberAddForm, OrganizationProfileForm, RegistrationForm
from .models import AuditEvent, Bureau, Deadline, Organization, Role
from .params import int_param, text_param
from .visibility import visible_or_404

PAGE_SIZE = 25
# Lists count at most this many rows: a staff list of a million rows pays for ten thousand, and
# says "more than" beyond (its export holds every row).
COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """Counts up to ``COUNT_CAP`` rows (``SELECT count(*) FROM (… LIMIT cap + 1)``).

    ``rows`` turns the page's slice into what the page shows (a projection of a few columns, see
    ``pilots.selectors.enterprise_page_rows``); the count stays on the plain queryset.
    """

    def __init__(
        self,
        object_list: Any,
        per_page: int,
        *,
        rows: Callable[[Any], Sequence[Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.rows = rows

    @cached_property
    def count(self) -> int:
        if not hasattr(self.object_list, "query"):
            return len(self.object_list)
        # The order changes no count, and without it the planner need not walk the sort index.
        return int(self.object_list.order_by()[: COUNT_CAP + 1].count())

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP

    def page(self, number: Any) -> Any:
        page = super().page(number)
        if self.rows is not None:
            page.object_list = self.rows(page.object_list)
        return page


def paginate(
    request: HttpRequest,
    queryset: Any,
    per_page: int = PAGE_SIZE,
    *,
    rows: Callable[[Any], Sequence[Any]] | None = None,
) -> Any:
    # get_page turns a malformed or out-of-range ?page= into the nearest real page.
    return CappedPaginator(queryset, per_page, rows=rows).get_page(request.GET.get("page"))


def home(request: HttpRequest) -> HttpResponse:
    visibility = request.visibility
    if not request.user.is_authenticated:
        return render(
            request,
            "portal/home_public.html",
            {"panels": home_panels.panels_for(request, home_panels.PUBLIC)},
        )
    context: dict[str, Any] = {
        "visibility": visibility,
        "panels": home_panels.panels_for(request, home_panels.SIGNED_IN),
    }
    if visibility.is_applicant:
        context["organizations"] = list(
            Organization.objects.filter(pk__in=visibility.organization_ids).select_related(
                "home_bureau"
            )
        )
    if visibility.is_bureau_staff:
        staff_bureaus = Bureau.objects.filter(
            pk__in=visibility.bureau_ids_with(
                {Role.BUREAU_REVIEWER, Role.BUREAU_MANAGER, Role.BUREAU_ADMIN}
            )
        )
        context["staff_bureaus"] = list(staff_bureaus)
        context["jurisdiction_bureau_count"] = len(visibility.staff_bureau_ids)
        context["jurisdiction_organization_count"] = Organization.objects.filter(
            home_bureau_id__in=visibility.staff_bureau_ids
        ).count()
        context["upcoming_deadlines"] = list(
            Deadline.objects.filter(
                status=Deadline.Status.OPEN, due_at__gte=timezone.now()
            ).order_by("due_at")[:5]
        )
        context["recent_organizations"] = list(
            Organization.objects.filter(home_bureau_id__in=visibility.staff_bureau_ids)
            .select_related("home_bureau")
            .order_by("-created_at")[:5]
        )
    if visibility.is_expert:
        context["expert_pools"] = list(
            Bureau.objects.filter(pk__in=visibility.bureau_ids_with({Role.EXPERT}))
        )
    if visibility.is_operator:
        context["heartbeat"] = selectors.latest_heartbeat()
        context["heartbeat_stale_after"] = settings.PORTAL_HEARTBEAT_STALE_AFTER
        context["bureau_count"] = Bureau.objects.count()
        context["organization_count"] = Organization.objects.count()
    context["recent_logins"] = list(
        AuditEvent.objects.filter(actor_id=request.user.pk, action="login").order_by("-at")[:3]
    )
    return render(request, "portal/home.html", context)


@require_http_methods(["GET", "POST"])
@ratelimit.limited(ratelimit.Rule("register_ip", ratelimit.client_address))
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            _organization, user = services.organization_register(
                uscc_code=data["uscc"],
                name=data["name"],
                kind=data["kind"],
                username=data["username"],
                password=data["password1"],
                full_name=data["full_name"],
                phone=data["phone"],
                email=data["email"],
                home_bureau=data["home_bureau"],
            )
        except ValidationError as error:
            for field_name, field_errors in error.message_dict.items():
                target = {"password": "password1"}.get(field_name, field_name)
                form.add_error(target if target in form.fields else None, field_errors)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request, _("Your organization is registered. Complete its profile next.")
            )
            return redirect("home")
    return render(request, "portal/register.html", {"form": form})


@login_required
def organization_list(request: HttpRequest) -> HttpResponse:
    search = text_param(request.GET, "q")
    bureau_id = int_param(request.GET, "bureau")
    page = paginate(request, selectors.organization_list(search=search, bureau_id=bureau_id))
    bureaus = (
        request.visibility.bureaus()
        if request.visibility.is_bureau_staff
        else Bureau.objects.none()
    )
    return render(
        request,
        "portal/organization_list.html",
        {"page": page, "search": search, "bureau_id": bureau_id, "bureaus": bureaus},
    )


@login_required
def organization_detail(request: HttpRequest, organization_pk: int) -> HttpResponse:
    organization = visible_or_404(
        Organization.objects.select_related("home_bureau"), pk=organization_pk
    )
    # The contact's phone and email: for the organization's members and its bureau's managers.
    reveal = personal_data.may_reveal(
        request.visibility,
        organization_id=organization.pk,
        bureau_id=organization.home_bureau_id,
    )
    if reveal and (organization.contact_phone or organization.contact_email):
        personal_data.audit_reveal(where="organization_detail", subject=organization)
    return render(
        request,
        "portal/organization_detail.html",
        {
            "organization": organization,
            "reveal": reveal,
            "members": selectors.organization_members(organization),
            "can_edit": request.visibility.is_operator
            or organization.pk in request.visibility.admin_organization_ids,
            "member_form": MemberAddForm(),
            "member_roles": [(role, role.label) for role in (Role.ORG_MEMBER, Role.ORG_ADMIN)],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def organization_edit(request: HttpRequest, organization_pk: int) -> HttpResponse:
    organization = visible_or_404(
        Organization.objects.select_related("home_bureau"), pk=organization_pk
    )
    if not (
        request.visibility.is_operator
        or organization.pk in request.visibility.admin_organization_ids
    ):
        # Visible but not editable (bureau staff, ordinary members): forbidden, not hidden.
        raise PermissionDenied
    # The form validates a copy: the service compares against the stored values.
    form = OrganizationProfileForm(request.POST or None, instance=copy(organization))
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_update_profile(
                visibility=request.visibility.resolve(),
                organization=organization,
                **{name: form.cleaned_data[name] for name in services.PROFILE_FIELDS},
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("organization-detail", organization_pk=organization.pk)
    return render(
        request, "portal/organization_edit.html", {"form": form, "organization": organization}
    )


@login_required
def bureau_list(request: HttpRequest) -> HttpResponse:
    if not (request.visibility.is_bureau_staff or request.visibility.is_operator):
        raise PermissionDenied
    page = paginate(request, request.visibility.bureaus().order_by("path"), per_page=50)
    return render(request, "portal/bureau_list.html", {"page": page})


@login_required
def bureau_detail(request: HttpRequest, bureau_pk: int) -> HttpResponse:
    bureau = visible_or_404(request.visibility.bureaus(), pk=bureau_pk)
    return render(
        request,
        "portal/bureau_detail.html",
        {
            "bureau": bureau,
            "children": selectors.bureau_children(bureau),
            "organizations": paginate(request, selectors.organization_list(bureau_id=bureau.pk)),
            "is_bureau_admin": request.visibility.is_operator
            or bureau.pk in request.visibility.bureau_ids_with({Role.BUREAU_ADMIN}),
        },
    )


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    request.visibility.require_role(Role.BUREAU_ADMIN, Role.ORG_ADMIN)
    filters = list_exports.audit_filters(request.GET)
    page = paginate(request, selectors.audit_events(**filters), per_page=50)
    for event in page:
        event.action_label = audit.action_label(event.action)
    return render(
        request,
        "portal/audit_list.html",
        {
            "page": page,
            "filters": filters,
            "outcomes": AuditEvent.Outcome.choices,
            "actions": sorted(
                ((code, str(label)) for code, label in audit.ACTION_LABELS.items()),
                key=lambda item: item[1],
            ),
        },
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    success_url = reverse_lazy("home")

    def form_valid(self, form: Any) -> HttpResponse:
        old_key = self.request.session.session_key
        response = super().form_valid(form)
        members.password_changed(user=form.user)
        audit.record(action="password_changed", outcome=AuditEvent.Outcome.SUCCESS)
        # Every other session of the user ends (issue 14, item 7); Django gave this one a new
        # key when the password changed, and its row follows.
        new_key = self.request.session.session_key
        account_sessions.session_rekeyed(old_key=old_key, new_key=new_key)
        account_sessions.sessions_end_others(
            user=form.user, current_session_key=new_key, reason="password_changed"
        )
        messages.success(self.request, _("Your password has been changed."))
        return response


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and operators: the database answers; the beat is recent."""
    # Raw SQL on no table: only whether the database answers.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    heartbeat = selectors.latest_heartbeat()
    age = (timezone.now() - heartbeat.beat_at).total_seconds() if heartbeat else None
    return JsonResponse({"database": "ok", "worker_heartbeat_age_seconds": age})


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if api_errors.is_api_path(request.path):
        return api_errors.django_error(request, "not_found", 404)
    return render(request, "404.html", status=404)


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The portal's own page for a request it cannot read, in the user's language (Django's
    default is a bare English "Bad Request (400)"): too many fields, too large a body, a
    malformed upload, a forged host or session."""
    from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
    from django.http.multipartparser import MultiPartParserError

    if isinstance(exception, TooManyFieldsSent):
        reason = _("The form sent too many fields. Reload the page and send it again.")
    elif isinstance(exception, TooManyFilesSent):
        reason = _("Too many files were sent at once. Send fewer files at a time.")
    elif isinstance(exception, RequestDataTooBig):
        reason = _("What was sent is too large. Send smaller files or less text at a time.")
    elif isinstance(exception, MultiPartParserError):
        reason = _("The upload arrived damaged. Choose the file again and send it once more.")
    else:
        reason = _("The request could not be understood. Reload the page and try again.")
    if not hasattr(request, "user"):
        # Refused before the authentication middleware ran (a forged Host header): the layout
        # still asks who is logged in.
        from django.contrib.auth.models import AnonymousUser

        request.user = AnonymousUser()
    return render(request, "400.html", {"reason": reason}, status=400)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if api_errors.is_api_path(request.path):
        return api_errors.django_error(request, "permission_denied", 403)
    return render(request, "403.html", status=403)


def error_500(request: HttpRequest) -> HttpResponse:
    if api_errors.is_api_path(request.path):
        return api_errors.django_error(request, "server_error", 500)
    return render(request, "500.html", status=500)
