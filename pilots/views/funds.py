"""A programme's funds: allocation, tranches, uses with the live 80/20 split, subsidies, and the
export of the uses (003 §四)."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from portal import exporters
from portal.models import Bureau
from portal.visibility import visible_or_404

from .. import permissions, selectors
from ..exports import FundUseExporter
from ..forms import AllocationForm, FundUseForm, SubsidyForm
from ..models import PilotEnterprise, PilotProgramme
from ..services import funds as services


def _programme(programme_pk: int) -> PilotProgramme:
    return visible_or_404(
        PilotProgramme.objects.select_related("bureau", "approving_bureau"), pk=programme_pk
    )


def _area_enterprises(programme: PilotProgramme) -> object:
    area = Bureau.objects.filter(path__startswith=programme.bureau.path).values("pk")
    return (
        PilotEnterprise.objects.filter(bureau_id__in=area)
        .select_related("organization")
        .order_by("organization__name")
    )


@login_required
@require_http_methods(["GET", "POST"])
def programme_funds(request: HttpRequest, programme_pk: int) -> HttpResponse:
    programme = _programme(programme_pk)
    visibility = request.visibility.resolve()
    running = permissions.can_set_targets(visibility, programme)
    approving = permissions.can_approve_programme(visibility, programme)
    fund = getattr(programme, "fund", None)
    action = request.POST.get("action")
    post = request.POST if request.method == "POST" else None
    allocation_form = AllocationForm(
        post if action == "allocate" else None,
        initial=(
            {
                "amount_wan": fund.amount_wan,
                "tier": fund.tier,
                "subsidy_share": fund.subsidy_share,
                "cap_general_wan": fund.cap_general_wan,
                "cap_benchmark_wan": fund.cap_benchmark_wan,
            }
            if fund
            else None
        ),
    )
    use_form = FundUseForm(post if action == "use" else None)
    subsidy_form = SubsidyForm(
        post if action == "subsidy" else None, enterprises=_area_enterprises(programme)
    )
    allowed = {"allocate": approving, "release": approving, "use": running, "subsidy": running}
    if request.method == "POST" and not allowed.get(action or ""):
        raise PermissionDenied
    forms = {"allocate": allocation_form, "use": use_form, "subsidy": subsidy_form}
    try:
        if action == "allocate" and allocation_form.is_valid():
            services.fund_allocate(
                visibility=visibility,
                programme=programme,
                actor=request.user,
                **allocation_form.cleaned_data,
            )
            messages.success(request, _("The allocation is saved."))
            return redirect("programme-funds", programme_pk=programme.pk)
        if action == "release":
            tranche = services.tranche_release(
                visibility=visibility, programme=programme, actor=request.user
            )
            messages.success(
                request,
                _("Tranche %(number)d of %(amount)s万元 is released.")
                % {"number": tranche.number, "amount": tranche.amount_wan},
            )
            return redirect("programme-funds", programme_pk=programme.pk)
        if action == "use" and use_form.is_valid():
            services.fund_use_record(
                visibility=visibility,
                programme=programme,
                actor=request.user,
                **use_form.cleaned_data,
            )
            messages.success(request, _("The fund use is recorded."))
            return redirect("programme-funds", programme_pk=programme.pk)
        if action == "subsidy" and subsidy_form.is_valid():
            data = subsidy_form.cleaned_data
            subsidy = services.subsidy_grant(
                visibility=visibility,
                programme=programme,
                enterprise=data["enterprise"],
                project_class=data["project_class"],
                verified_cost_wan=data["verified_cost_wan"],
                special_funds=data["special_funds"],
                actor=request.user,
            )
            messages.success(
                request,
                _("A subsidy of %(amount)s万元 is recorded.") % {"amount": subsidy.use.amount_wan},
            )
            return redirect("programme-funds", programme_pk=programme.pk)
    except ValidationError as error:
        if action in forms:
            forms[action].add_error(None, error)
        else:
            messages.error(request, " ".join(error.messages))
            return redirect("programme-funds", programme_pk=programme.pk)
    return render(
        request,
        "pilots/programme_funds.html",
        {
            "programme": programme,
            "fund": fund,
            "split": selectors.fund_split(programme),
            "tranches": programme.tranches.select_related("released_by", "evaluation"),
            "uses": programme.uses.select_related("subsidy__enterprise__organization"),
            "subsidies": programme.subsidies.select_related("enterprise__organization", "use"),
            "allocation_form": allocation_form if approving else None,
            "use_form": use_form if running else None,
            "subsidy_form": subsidy_form if running and fund else None,
            "approving": approving,
            "running": running,
        },
    )


@login_required
@require_GET
def programme_fund_split(request: HttpRequest, programme_pk: int) -> HttpResponse:
    """The split as it would be after the use being typed (htmx, 003 §四(二))."""
    programme = _programme(programme_pk)
    split = selectors.fund_split(programme)
    problems: list[str] = []
    category = request.GET.get("category", "")
    try:
        amount = services.wan(request.GET.get("amount_wan", ""))
    except ValidationError as error:
        amount = Decimal(0)
        if request.GET.get("amount_wan", "").strip():
            problems = error.messages
    if amount:
        problems = services.fund_use_check(programme, category, amount)
        split = split.with_use(category, amount) if not problems else split
    return render(
        request,
        "pilots/fund_split.html",
        {"split": split, "problems": problems, "preview": bool(amount), "programme": programme},
    )


@login_required
@require_GET
def programme_fund_uses_export(request: HttpRequest, programme_pk: int) -> HttpResponse:
    programme = _programme(programme_pk)
    uses = list(programme.uses.select_related("subsidy__enterprise__organization"))
    file_format = request.GET.get("format", "xlsx")
    return FundUseExporter(programme=programme, uses=uses).response(
        file_format if file_format in exporters.FORMATS else "xlsx"
    )
