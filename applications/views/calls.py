"""Pages for calls: list, detail, create, edit, publish or close, and the recommendation export."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from portal.book import localized
from portal.models import Bureau, Organization
from portal.views import paginate
from portal.visibility import visible_or_404

from .. import exports, selectors, services
from ..forms import CallForm
from ..models import (
    Application,
    Call,
)
from .base import CALL_MANAGERS, _errors


# --- calls ----------------------------------------------------------------------------------------
def call_list(request: HttpRequest) -> HttpResponse:
    visibility = request.visibility
    context: dict[str, Any] = {"page": paginate(request, selectors.published_calls())}
    if visibility.is_bureau_staff:
        context["managed"] = selectors.managed_calls(visibility.resolve())[:50]
        context["can_create"] = bool(visibility.bureau_ids_with(CALL_MANAGERS))
    return render(request, "applications/call_list.html", context)


def call_detail(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = visible_or_404(Call.objects.select_related("bureau", "template"), pk=call_pk)
    visibility = request.visibility
    mine = {}
    if request.user.is_authenticated and visibility.organization_ids:
        mine = {
            a.organization_id: a
            for a in Application.objects.filter(
                call=call, organization_id__in=visibility.organization_ids
            )
        }
    organizations = (
        list(Organization.objects.filter(pk__in=visibility.organization_ids))
        if request.user.is_authenticated
        else []
    )
    book = selectors.book_for(call)
    return render(
        request,
        "applications/call_detail.html",
        {
            "call": call,
            "open": call.accepts_submissions(),
            "organizations": [(org, mine.get(org.pk)) for org in organizations],
            "sections": [(s.get("number", ""), localized(s, "title")) for s in book.sections],
            "can_manage": visibility.is_operator
            or call.bureau_id in visibility.bureau_ids_with(CALL_MANAGERS),
        },
    )


def _call_form(request: HttpRequest, instance: Call | None) -> CallForm:
    return CallForm(
        request.POST or None,
        instance=instance,
        templates=selectors.templates_for(request.visibility.resolve()),
    )


@login_required
@require_http_methods(["GET", "POST"])
def call_create(request: HttpRequest) -> HttpResponse:
    visibility = request.visibility
    bureaus = Bureau.objects.filter(pk__in=visibility.bureau_ids_with(CALL_MANAGERS))
    if not bureaus:
        raise PermissionDenied
    form = _call_form(request, None)
    if request.method == "POST" and form.is_valid():
        try:
            call = services.call_create(
                visibility=visibility.resolve(),
                bureau=bureaus[0],
                actor=request.user,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("The call is saved as a draft. Publish it when it is ready.")
            )
            return redirect("call-detail", call_pk=call.pk)
    return render(request, "applications/call_form.html", {"form": form, "bureau": bureaus[0]})


@login_required
@require_http_methods(["GET", "POST"])
def call_edit(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = visible_or_404(Call.objects.select_related("bureau"), pk=call_pk)
    if not (
        request.visibility.is_operator
        or call.bureau_id in request.visibility.bureau_ids_with(CALL_MANAGERS)
    ):
        raise PermissionDenied
    form = _call_form(request, call)
    if request.method == "POST" and form.is_valid():
        fresh = visible_or_404(Call.objects.select_related("bureau"), pk=call_pk)
        try:
            services.call_update(
                visibility=request.visibility.resolve(),
                call=fresh,
                actor=request.user,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("call-detail", call_pk=call.pk)
    return render(
        request, "applications/call_form.html", {"form": form, "call": call, "bureau": call.bureau}
    )


@login_required
@require_POST
def call_transition(request: HttpRequest, call_pk: int, action: str) -> HttpResponse:
    call = visible_or_404(Call.objects.select_related("bureau", "template"), pk=call_pk)
    service = {"publish": services.call_publish, "close": services.call_close}[action]
    try:
        service(visibility=request.visibility.resolve(), call=call, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(_errors(error)))
    else:
        messages.success(
            request,
            _("The call is published.") if action == "publish" else _("The call is closed."),
        )
    return redirect("call-detail", call_pk=call.pk)


@login_required
def call_recommendations_export(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = visible_or_404(Call.objects.select_related("bureau"), pk=call_pk)
    if not request.visibility.is_bureau_staff:
        raise PermissionDenied
    rows = selectors.recommendation_rows(call, request.visibility.resolve())
    return exports.RecommendationSummary(call=call, applications=rows).response(
        request.GET.get("format", "xlsx")
    )
