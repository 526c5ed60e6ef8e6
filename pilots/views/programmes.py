"""Progress and pilot programmes with their yearly targets."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from portal import bureau_scope
from portal.views import paginate
from portal.visibility import visible_or_404

from .. import permissions, selectors
from ..forms import ProgrammeForm, TargetForm
from ..models import (
    PilotProgramme,
    ProgrammeTarget,
)
from ..services import programmes as programmes_services


@login_required
def progress(request: HttpRequest) -> HttpResponse:
    """Drill-down province → city → county → leading unit → enterprise: the chosen bureau's
    figures by child bureau (each row narrows to that child) and by leading unit (each row opens
    the unit's enterprises). ``?bureau=`` names a bureau the user sees; any other is ignored."""
    if not (request.visibility.is_bureau_staff or request.visibility.is_operator):
        raise PermissionDenied
    visibility = request.visibility.resolve()
    bureau = bureau_scope.report_bureau(visibility, request.GET)
    rows = selectors.progress_by_leading_unit(bureau)
    children = selectors.progress_by_bureau(bureau_scope.children(visibility, bureau))
    totals = {k: sum(r[k] for r in rows) for k in selectors.PROGRESS_FIGURES}
    totals["share"] = (
        round(100 * totals["reached"] / totals["enrolled"], 1) if totals["enrolled"] else 0
    )
    return render(
        request,
        "pilots/progress.html",
        {
            "rows": rows,
            "totals": totals,
            "bureau": bureau,
            "children": children,
            "line": bureau_scope.line(visibility, bureau),
        },
    )


@login_required
def programme_list(request: HttpRequest) -> HttpResponse:
    programmes = PilotProgramme.objects.select_related("bureau", "approving_bureau").order_by(
        "-approved_at", "pk"
    )
    return render(request, "pilots/programme_list.html", {"page": paginate(request, programmes)})


@login_required
@require_http_methods(["GET", "POST"])
def programme_detail(request: HttpRequest, programme_pk: int) -> HttpResponse:
    """The programme's yearly targets against live counts (002 附1 §二; 003 附件 §二)."""
    programme = visible_or_404(
        PilotProgramme.objects.select_related("bureau", "approving_bureau"), pk=programme_pk
    )
    visibility = request.visibility.resolve()
    editable = permissions.can_set_targets(visibility, programme)
    action = request.POST.get("action")
    form = TargetForm(request.POST if action == "target" else None)
    period_form = ProgrammeForm(
        request.POST if action == "period" else None,
        initial={
            "starts_on": programme.starts_on,
            "ends_on": programme.ends_on,
            "sub_industries": "\n".join(programme.sub_industries),
        },
    )
    if request.method == "POST" and not editable:
        raise PermissionDenied
    if action == "period" and period_form.is_valid():
        data = period_form.cleaned_data
        try:
            programmes_services.programme_update(
                visibility=visibility,
                programme=programme,
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                sub_industries=data["sub_industries"].splitlines(),
                actor=request.user,
            )
            messages.success(request, _("Saved."))
            return redirect("programme-detail", programme_pk=programme.pk)
        except ValidationError as error:
            period_form.add_error(None, error)  # field errors land on their fields
    if action == "target":
        if form.is_valid():
            try:
                programmes_services.programme_target_set(
                    visibility=visibility,
                    programme=programme,
                    actor=request.user,
                    **form.cleaned_data,
                )
                messages.success(request, _("The target is saved."))
                return redirect("programme-detail", programme_pk=programme.pk)
            except ValidationError as error:
                form.add_error("year" if error.code == "target_year" else None, error)
    return render(
        request,
        "pilots/programme_detail.html",
        {
            "programme": programme,
            "rows": selectors.programme_table(programme),
            "actuals": selectors.programme_actuals(programme),
            "metrics": ProgrammeTarget.Metric.choices,
            "form": form if editable else None,
            "period_form": period_form if editable else None,
        },
    )
