"""An organization's admin manages its members from the organization's page (POST only)."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import members
from .forms import MemberAddForm
from .models import Membership, Organization
from .visibility import visible_or_404


def _organization(request: HttpRequest, organization_pk: int) -> Organization:
    return visible_or_404(Organization.objects.select_related("home_bureau"), pk=organization_pk)


def _membership(organization: Organization, membership_pk: int) -> Membership:
    return visible_or_404(
        Membership.objects.filter(organization=organization).select_related("user"),
        pk=membership_pk,
    )


def error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


@login_required
@require_POST
def member_add(request: HttpRequest, organization_pk: int) -> HttpResponse:
    organization = _organization(request, organization_pk)
    form = MemberAddForm(request.POST)
    back = redirect("organization-detail", organization_pk=organization.pk)
    if not form.is_valid():
        members.require_organization_admin(request.visibility.resolve(), organization)
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return back
    return person_added(
        request,
        lambda: members.member_add(
            visibility=request.visibility.resolve(),
            organization=organization,
            actor=request.user,
            **form.cleaned_data,
        ),
        back=back,
        done=_("%(user)s is now a member of the organization."),
    )


def person_added(
    request: HttpRequest,
    add: Callable[[], tuple[Membership, str]],
    *,
    back: HttpResponseRedirect,
    done: str,
) -> HttpResponse:
    """Run an add-a-person service (a member, an expert): a refusal goes back with its message; a
    new account's one-time password is shown on this response only; else back with ``done``."""
    try:
        membership, password = add()
    except ValidationError as error:
        messages.error(request, error_text(error))
        return back
    if password:
        # Shown on this response only; never stored or sent anywhere.
        return render(
            request,
            "portal/account_created.html",
            {"user": membership.user, "password": password, "back": back["Location"]},
        )
    messages.success(request, done % {"user": membership.user})
    return back


@login_required
@require_POST
def member_role(request: HttpRequest, organization_pk: int, membership_pk: int) -> HttpResponse:
    organization = _organization(request, organization_pk)
    membership = _membership(organization, membership_pk)
    try:
        members.member_role_set(
            visibility=request.visibility.resolve(),
            membership=membership,
            role=request.POST.get("role", ""),
            actor=request.user,
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request,
            _("%(user)s is now %(role)s.")
            % {"user": membership.user, "role": membership.get_role_display()},
        )
    return redirect("organization-detail", organization_pk=organization.pk)


@login_required
@require_POST
def member_remove(request: HttpRequest, organization_pk: int, membership_pk: int) -> HttpResponse:
    organization = _organization(request, organization_pk)
    membership = _membership(organization, membership_pk)
    try:
        members.member_remove(
            visibility=request.visibility.resolve(), membership=membership, actor=request.user
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request,
            _("%(user)s is no longer a member of the organization.") % {"user": membership.user},
        )
    return redirect("organization-detail", organization_pk=organization.pk)


@login_required
@require_POST
def member_password(request: HttpRequest, organization_pk: int, membership_pk: int) -> HttpResponse:
    organization = _organization(request, organization_pk)
    membership = _membership(organization, membership_pk)
    back = redirect("organization-detail", organization_pk=organization.pk)
    try:
        user, password = members.member_password_reset(
            visibility=request.visibility.resolve(), membership=membership, actor=request.user
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
        return back
    # Shown on this response only; never stored or sent anywhere.
    return render(
        request,
        "portal/account_created.html",
        {"user": user, "password": password, "back": back["Location"], "reset": True},
    )
