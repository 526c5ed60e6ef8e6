"""A programme's evaluations and changes to its approved plan (002 §七.3; 003 §五, §六(三))."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from portal.models import Bureau
from portal.visibility import visible_or_404

from .. import permissions, selectors
from ..forms import ChangeDecisionForm, ChangeRequestForm, EvaluationForm, RectificationForm
from ..models import PilotProgramme, ProgrammeChange, ProgrammeEvaluation
from ..services import programme_evaluations as services


@login_required
@require_http_methods(["GET", "POST"])
def programme_evaluations(request: HttpRequest, programme_pk: int) -> HttpResponse:
    programme = visible_or_404(
        PilotProgramme.objects.select_related("bureau", "approving_bureau"), pk=programme_pk
    )
    visibility = request.visibility.resolve()
    kinds = permissions.evaluation_kinds_for(visibility, programme)
    running = permissions.can_set_targets(visibility, programme)
    approving = permissions.can_approve_programme(visibility, programme)
    action = request.POST.get("action")
    post = request.POST if request.method == "POST" else None
    form = EvaluationForm(post if action == "evaluate" else None, kinds=kinds)
    rectification_form = RectificationForm(post if action == "rectify" else None)
    county = programme.bureau.level == Bureau.Level.COUNTY
    change_form = ChangeRequestForm(post if action == "change" else None, county=county)
    decision_form = ChangeDecisionForm(post if action == "decide" else None)
    changes = list(programme.changes.select_related("requested_by", "programme__bureau"))
    for change in changes:
        change.can_decide = permissions.can_decide_change(visibility, change)  # type: ignore[attr-defined]
    deciding = approving or (county and visibility.works_for(programme.bureau.parent_id))
    allowed = {"evaluate": bool(kinds), "rectify": running, "change": running, "decide": deciding}
    if request.method == "POST" and not allowed.get(action or ""):
        raise PermissionDenied
    try:
        if action == "evaluate" and form.is_valid():
            services.programme_evaluation_record(
                visibility=visibility, programme=programme, actor=request.user, **form.cleaned_data
            )
            messages.success(request, _("The evaluation is recorded."))
            return redirect("programme-evaluations", programme_pk=programme.pk)
        if action == "rectify" and rectification_form.is_valid():
            data = rectification_form.cleaned_data
            evaluation = visible_or_404(
                ProgrammeEvaluation.objects.filter(programme=programme), pk=data["evaluation"]
            )
            services.programme_rectification_report(
                visibility=visibility,
                evaluation=evaluation,
                report=data["report"],
                actor=request.user,
            )
            messages.success(request, _("The rectification is reported."))
            return redirect("programme-evaluations", programme_pk=programme.pk)
        if action == "change" and change_form.is_valid():
            services.programme_change_request(
                visibility=visibility,
                programme=programme,
                actor=request.user,
                **change_form.cleaned_data,
            )
            messages.success(request, _("The change is sent for approval."))
            return redirect("programme-evaluations", programme_pk=programme.pk)
        if action == "decide" and decision_form.is_valid():
            data = decision_form.cleaned_data
            change = visible_or_404(
                ProgrammeChange.objects.filter(programme=programme), pk=data["change"]
            )
            services.programme_change_decide(
                visibility=visibility,
                change=change,
                approve=data["decision"] == "approve",
                note=data["note"],
                actor=request.user,
            )
            messages.success(request, _("The decision is recorded."))
            return redirect("programme-evaluations", programme_pk=programme.pk)
    except ValidationError as error:
        target = {"evaluate": form, "rectify": rectification_form, "change": change_form}
        target.get(action or "", decision_form).add_error(None, error)
    # The row forms (rectify one evaluation, decide one change) say what is wrong up top.
    row_form = {"rectify": rectification_form, "decide": decision_form}.get(action or "")
    if row_form is not None and row_form.errors:
        messages.error(request, " ".join(m for errors in row_form.errors.values() for m in errors))
    return render(
        request,
        "pilots/programme_evaluations.html",
        {
            "programme": programme,
            "evaluations": programme.evaluations.select_related("evaluated_by"),
            "changes": changes,
            "rows": selectors.programme_table(programme),
            "form": form if kinds else None,
            "rectification_form": rectification_form,
            "change_form": change_form if running else None,
            "running": running,
            "approving": approving,
        },
    )
