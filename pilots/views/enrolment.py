"""Enrolment pages: the enterprise list, the import with preview, enrolment by form, and an
enterprise choosing its leading unit."""

import base64

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from portal.models import Bureau, Organization
from portal.params import int_param, text_param
from portal.views import paginate
from portal.visibility import visible_or_404

from .. import selectors
from ..forms import ChooseForm, EnrolForm
from ..list_exports import enterprise_filters
from ..models import (
    EnrolmentRequest,
    LeadingUnit,
    PilotEnterprise,
)
from ..services import enrolment as enrolment_services

IMPORT_SESSION_KEY = "pilots.import"


MAX_IMPORT_BYTES = 2 * 1024 * 1024


@login_required
def enterprise_list(request: HttpRequest) -> HttpResponse:
    visibility = request.visibility
    filters = enterprise_filters(request.GET)
    enterprises = selectors.enterprise_list(**filters)
    leading_units = list(selectors.leading_unit_list())
    # The sub-industries offered are those the user's leading units declared, read from the few
    # units rather than from every enterprise on the list (DESIGN.md §9).
    sub_industries = sorted({name for unit in leading_units for name in unit.sub_industries})
    return render(
        request,
        "pilots/enterprise_list.html",
        {
            "page": paginate(request, enterprises, rows=selectors.enterprise_page_rows),
            "filters": filters,
            "search": filters["search"],
            "statuses": PilotEnterprise.Status.choices,
            "counties": visibility.bureaus()
            .filter(level=Bureau.Level.COUNTY, department=Bureau.Department.INDUSTRY)
            .order_by("path"),
            "sub_industries": sub_industries,
            "leading_units": leading_units,
            "can_export": visibility.is_bureau_staff or visibility.is_operator,
            "can_import": LeadingUnit.objects.filter(
                organization_id__in=visibility.organization_ids
            ).exists(),
            "pending_requests": EnrolmentRequest.objects.filter(
                status=EnrolmentRequest.Status.PENDING,
                leading_unit__organization_id__in=visibility.organization_ids,
            ).select_related("organization", "leading_unit__organization"),
            "can_choose": bool(visibility.admin_organization_ids)
            and not LeadingUnit.objects.filter(
                organization_id__in=visibility.organization_ids
            ).exists(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def enterprise_import(request: HttpRequest) -> HttpResponse:
    visibility = request.visibility
    units = list(
        LeadingUnit.objects.filter(organization_id__in=visibility.organization_ids).select_related(
            "organization"
        )
    )
    if not units:
        raise PermissionDenied
    unit = next((u for u in units if u.pk == int_param(request.POST, "leading_unit")), units[0])
    report = None
    if request.method == "POST":
        if request.POST.get("action") == "confirm":
            stored = request.session.get(IMPORT_SESSION_KEY) or {}
            if stored.get("leading_unit") != unit.pk:
                messages.error(request, _("Check the file again before importing it."))
                return redirect("enterprise-import")
            content, filename = base64.b64decode(stored["content"]), stored["filename"]
        else:
            upload = request.FILES.get("file")
            if upload is None or upload.size > MAX_IMPORT_BYTES:
                messages.error(request, _("Choose an XLSX or CSV file of at most 2 MB."))
                return redirect("enterprise-import")
            content, filename = upload.read(), upload.name or "upload.xlsx"
        confirm = request.POST.get("action") == "confirm"
        report = enrolment_services.enterprises_import(
            visibility=visibility.resolve(),
            leading_unit=unit,
            content=content,
            filename=filename,
            confirm=confirm,
            actor=request.user,
        )
        if confirm and report.ok:
            request.session.pop(IMPORT_SESSION_KEY, None)
            messages.success(
                request, _("%(count)d enterprises are enrolled.") % {"count": report.imported}
            )
            return redirect("enterprise-list")
        if report.ok:
            request.session[IMPORT_SESSION_KEY] = {
                "leading_unit": unit.pk,
                "filename": filename[:100],
                "content": base64.b64encode(content).decode(),
            }
    return render(
        request,
        "pilots/enterprise_import.html",
        {"units": units, "unit": unit, "report": report, "columns": enrolment_services.COLUMNS},
    )


@login_required
@require_http_methods(["GET", "POST"])
def enterprise_enrol(request: HttpRequest) -> HttpResponse:
    """One enterprise by form: the same checks as a row of the sheet."""
    units = list(
        LeadingUnit.objects.filter(organization_id__in=request.visibility.organization_ids)
    )
    if not units:
        raise PermissionDenied
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            enterprise = enrolment_services.enterprise_enrol(
                visibility=request.visibility.resolve(),
                leading_unit=units[0],
                data=form.enrolment_data(),
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)  # field errors land on their fields
        else:
            messages.success(
                request, _("%(name)s is enrolled.") % {"name": enterprise.organization.name}
            )
            return redirect("enterprise-list")
    return render(request, "pilots/enterprise_enrol.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def choose_leading_unit(request: HttpRequest) -> HttpResponse:
    """An enterprise chooses a leading unit of its area and asks to be transformed; the unit
    accepts (enrolment with the import's checks) or declines with a reason."""
    visibility = request.visibility.resolve()
    organizations = list(
        Organization.objects.filter(pk__in=visibility.admin_organization_ids).order_by("pk")
    )
    if not organizations:
        raise PermissionDenied
    units = list(selectors.choosable_leading_units(visibility))
    form = ChooseForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        unit = next(u for u in units if u.pk == data.pop("leading_unit"))
        try:
            enrolment_services.enrolment_request_create(
                visibility=visibility,
                organization=organizations[0],
                leading_unit=unit,
                data=data,
                actor=request.user,
            )
            messages.success(request, _("Your request is sent to the leading unit."))
            return redirect("choose-leading-unit")
        except ValidationError as error:
            form.add_error("sub_industry" if error.code == "request_sub_industry" else None, error)
    requests = EnrolmentRequest.objects.filter(
        organization_id__in=visibility.admin_organization_ids
    ).select_related("leading_unit__organization")
    return render(
        request,
        "pilots/choose_leading_unit.html",
        {"form": form, "units": units, "requests": requests, "organization": organizations[0]},
    )


@login_required
@require_POST
def enrolment_request_decide(request: HttpRequest, request_pk: int) -> HttpResponse:
    enrolment = visible_or_404(
        EnrolmentRequest.objects.select_related("organization", "leading_unit"), pk=request_pk
    )
    action = text_param(request.POST, "action", 10)
    try:
        enrolment_services.enrolment_request_decide(
            visibility=request.visibility.resolve(),
            request=enrolment,
            action=action,
            note=text_param(request.POST, "note", 500),
            actor=request.user,
        )
        messages.success(request, _("The request is answered."))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    if action == "withdraw":
        return redirect("choose-leading-unit")
    return redirect("enterprise-list")
