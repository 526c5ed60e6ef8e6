"""A bureau's expert pool, kept by its managers and admins: list, add, remove (POST only)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal import members, personal_data
from portal.member_views import person_added
from portal.models import BUREAU_ROLES, Bureau, Membership, Role
from portal.params import int_param
from portal.views import paginate
from portal.visibility import visible_or_404

from . import experts
from .forms import ExpertAddForm

KEEPERS = frozenset({Role.BUREAU_MANAGER, Role.BUREAU_ADMIN})


def _staff_bureaus(request: HttpRequest) -> list[Bureau]:
    """The bureaus whose pool the user works with: those they are staff of (every bureau for the
    operator). Not staff: forbidden."""
    visibility = request.visibility
    if visibility.is_operator:
        return list(Bureau.objects.order_by("path"))
    if not visibility.is_bureau_staff:
        raise PermissionDenied
    return list(
        Bureau.objects.filter(pk__in=visibility.bureau_ids_with(BUREAU_ROLES)).order_by("path")
    )


def _pool_url(bureau: Bureau) -> str:
    return f"{reverse('expert-pool')}?bureau={bureau.pk}"


@login_required
def expert_pool(request: HttpRequest) -> HttpResponse:
    bureaus = _staff_bureaus(request)
    if not bureaus:
        raise PermissionDenied
    chosen = int_param(request.GET, "bureau")
    bureau = next((b for b in bureaus if b.pk == chosen), bureaus[0])
    visibility = request.visibility
    page = paginate(request, experts.pool(bureau))
    # Experts' phones and emails: the pool's bureau managers reach them; others see them masked.
    reveal = personal_data.may_reveal(visibility, bureau_id=bureau.pk)
    if reveal and len(page.object_list):
        personal_data.audit_reveal(where="expert_pool", subject=bureau, count=len(page.object_list))
    return render(
        request,
        "evaluation/expert_pool.html",
        {
            "bureaus": bureaus,
            "bureau": bureau,
            "page": page,
            "reveal": reveal,
            "can_keep": visibility.is_operator or bureau.pk in visibility.bureau_ids_with(KEEPERS),
            "form": ExpertAddForm(),
        },
    )


@login_required
@require_POST
def expert_add(request: HttpRequest) -> HttpResponse:
    bureaus = _staff_bureaus(request)
    bureau = next((b for b in bureaus if b.pk == int_param(request.POST, "bureau")), None)
    if bureau is None:
        bureau = visible_or_404(request.visibility.bureaus(), pk=int_param(request.POST, "bureau"))
    form = ExpertAddForm(request.POST)
    back = redirect(_pool_url(bureau))
    if not form.is_valid():
        members.require_pool_keeper(request.visibility.resolve(), bureau)
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return back
    return person_added(
        request,
        lambda: experts.expert_add(
            visibility=request.visibility.resolve(),
            bureau=bureau,
            actor=request.user,
            **form.cleaned_data,
        ),
        back=back,
        done=_("%(user)s is now in the expert pool."),
    )


@login_required
@require_POST
def expert_remove(request: HttpRequest, expert_pk: int) -> HttpResponse:
    membership = visible_or_404(
        Membership.objects.filter(role=Role.EXPERT).select_related("user", "bureau"), pk=expert_pk
    )
    bureau = membership.bureau
    members.expert_pool_remove(
        visibility=request.visibility.resolve(), membership=membership, actor=request.user
    )
    messages.success(
        request, _("%(user)s is no longer in the expert pool.") % {"user": membership.user}
    )
    return redirect(_pool_url(bureau))
