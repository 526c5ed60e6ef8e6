"""Leading units, alliances and alliance changes."""

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from portal.params import int_param, text_param
from portal.views import paginate
from portal.visibility import visible_or_404

from .. import selectors
from ..models import (
    Alliance,
    AllianceChange,
    AllianceMember,
    LeadingUnit,
)
from ..services import alliances as alliances_services
from ..services import relocation as relocation_services
from .base import _private_pdf


@login_required
def leading_units(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.leading_unit_list())
    # Enterprises of the area see the published units, not the alliances' internals.
    alliances = dict(
        Alliance.objects.filter(leading_unit__in=list(page)).values_list("leading_unit_id", "pk")
    )
    for unit in page:
        unit.alliance_pk = alliances.get(unit.pk)
    visibility = request.visibility
    return render(
        request,
        "pilots/leading_units.html",
        {"page": page, "can_export": visibility.is_bureau_staff or visibility.is_operator},
    )


@login_required
@require_http_methods(["GET", "POST"])
def alliance_detail(request: HttpRequest, alliance_pk: int) -> HttpResponse:
    alliance = visible_or_404(
        Alliance.objects.select_related("leading_unit__organization", "bureau"), pk=alliance_pk
    )
    visibility = request.visibility
    is_leader = alliance.leading_unit.organization_id in visibility.organization_ids
    is_staff = visibility.works_for(alliance.bureau_id)
    errors: dict[str, Any] = {}
    if request.method == "POST":
        try:
            action = request.POST.get("action")
            if action == "file":
                raw_date = text_param(request.POST, "planned_on", 10)
                try:
                    planned_on = date.fromisoformat(raw_date) if raw_date else None
                except ValueError:
                    raise ValidationError(
                        {"planned_on": _("Enter a date as YYYY-MM-DD.")}
                    ) from None
                alliances_services.alliance_change_file(
                    visibility=visibility.resolve(),
                    alliance=alliance,
                    kind=text_param(request.POST, "kind", 16),
                    member_name=text_param(request.POST, "member_name", 200),
                    member_uscc=text_param(request.POST, "member_uscc", 40),
                    role=text_param(request.POST, "role", 16),
                    reason=text_param(request.POST, "reason", 5000),
                    planned_on=planned_on,
                    materials={
                        name: request.FILES.get(name)
                        for name in alliances_services.CHANGE_MATERIALS
                    },
                    actor=request.user,
                )
                messages.success(request, _("The change is filed."))
            elif action in ("approve", "reject", "publish"):
                change = visible_or_404(
                    AllianceChange.objects.filter(alliance=alliance),
                    pk=int_param(request.POST, "change"),
                )
                if action == "publish":
                    alliances_services.alliance_change_publish(
                        visibility=visibility.resolve(), change=change, actor=request.user
                    )
                else:
                    alliances_services.alliance_change_review(
                        visibility=visibility.resolve(),
                        change=change,
                        approve=action == "approve",
                        note=text_param(request.POST, "note", 5000),
                        actor=request.user,
                    )
                messages.success(request, _("Saved."))
            return redirect("alliance-detail", alliance_pk=alliance.pk)
        except ValidationError as error:
            errors = (
                error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
            )
    changes = list(alliance.changes.all())
    for change in changes:  # the filed materials, for the parties who may download them
        change.material_links = [
            (n, label) for n, label in CHANGE_MATERIAL_LABELS if getattr(change, n)
        ]
    return render(
        request,
        "pilots/alliance.html",
        {
            "alliance": alliance,
            "members": alliance.members.order_by("role", "name"),
            "changes": changes,
            "is_leader": is_leader,
            "is_staff": is_staff,
            "errors": errors,
            "posted": request.POST if errors else {},
            "kinds": AllianceChange.Kind.choices,
            "roles": [
                (code, label) for code, label in AllianceMember.Role.choices if code != "leader"
            ],
            "materials": CHANGE_MATERIAL_LABELS,
        },
    )


CHANGE_MATERIAL_LABELS = [
    ("licence", gettext_lazy("Business licence")),
    ("legal_rep_id", gettext_lazy("Legal representative's ID copy")),
    ("accounts", gettext_lazy("Last year's audited accounts or stamped financial statements")),
    ("credit_report", gettext_lazy("Credit China report (key pages)")),
]


@login_required
def alliance_change_material(request: HttpRequest, change_pk: int, material: str) -> HttpResponse:
    """The materials of a change filing (004 §4.6.1) are for the leading unit and its bureau only,
    even while the change itself is on public notice."""
    visibility = request.visibility
    change = visible_or_404(
        AllianceChange.objects.select_related("alliance__leading_unit").filter(
            Q(alliance__bureau_id__in=visibility.staff_bureau_ids)
            | Q(alliance__leading_unit__organization_id__in=visibility.organization_ids)
        ),
        pk=change_pk,
    )
    labels = dict(CHANGE_MATERIAL_LABELS)
    if material not in labels:
        raise Http404
    return _private_pdf(getattr(change, material), f"{labels[material]}-{change.member_name}.pdf")


@login_required
@require_http_methods(["GET", "POST"])
def unit_relocation(request: HttpRequest, unit_pk: int) -> HttpResponse:
    """The unit asks to become its local legal entity; the selecting bureau decides (000 §四(八))."""
    unit = visible_or_404(LeadingUnit.objects.select_related("organization", "bureau"), pk=unit_pk)
    visibility = request.visibility.resolve()
    is_unit_admin = unit.organization_id in visibility.admin_organization_ids
    is_staff = visibility.works_for(unit.bureau_id)
    if not (is_unit_admin or is_staff or unit.bureau_id in visibility.staff_bureau_ids):
        raise Http404
    errors: list[str] = []
    if request.method == "POST":
        try:
            if request.POST.get("action") == "decide":
                relocation = visible_or_404(
                    unit.relocations.all(), pk=int_param(request.POST, "relocation")
                )
                relocation_services.relocation_decide(
                    visibility=visibility,
                    relocation=relocation,
                    approve=request.POST.get("decision") == "approve",
                    note=text_param(request.POST, "note", max_length=500),
                    actor=request.user,
                )
                messages.success(request, _("The decision is recorded."))
            else:
                relocation_services.relocation_request(
                    visibility=visibility,
                    unit=unit,
                    uscc_code=text_param(request.POST, "uscc", max_length=40),
                    name=text_param(request.POST, "name", max_length=200),
                    reason=text_param(request.POST, "reason", max_length=2000),
                    actor=request.user,
                )
                messages.success(request, _("The request is filed; the bureau decides it."))
            return redirect("unit-relocation", unit_pk=unit.pk)
        except ValidationError as error:
            errors = error.messages
        except PermissionDenied:
            raise
    return render(
        request,
        "pilots/unit_relocation.html",
        {
            "unit": unit,
            "relocations": unit.relocations.select_related("organization", "from_organization"),
            "is_unit_admin": is_unit_admin,
            "is_staff": is_staff,
            "errors": errors,
            "form_values": request.POST if errors else {},
        },
    )
