"""Pages of leading units' performance: the bureau's evaluation desk and the unit's task book,
reports and timeline (004 §3, §4), and the enterprises' satisfaction ratings (002 §三.3)."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from pilots.models import LeadingUnit, PilotEnterprise, ServiceProvider
from portal.downloads import private_download
from portal.params import int_param, text_param
from portal.visibility import visible_or_404

from . import performance, performance_outcomes
from .models import QuarterlyEvaluation, QuarterlyReport, Sanction, SatisfactionRating
from .performance_forms import (
    CriticismForm,
    DecisionForm,
    EvaluationForm,
    RatingForm,
    RemovalForm,
    ReportForm,
    TaskBookForm,
)


def _errors(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [m for messages_ in error.message_dict.values() for m in messages_]
    return list(error.messages)


def _form_errors(form: Any) -> list[str]:
    return [m for messages_ in form.errors.values() for m in messages_]


def _unit(request: HttpRequest, unit_pk: int) -> LeadingUnit:
    """A unit's performance is for its bureau's staff (and those above) and its own members:
    an enterprise that may choose the unit still gets a 404 here."""
    unit = visible_or_404(LeadingUnit.objects.select_related("organization", "bureau"), pk=unit_pk)
    visibility = request.visibility
    if not (
        visibility.is_operator
        or unit.bureau_id in visibility.staff_bureau_ids
        or performance.is_unit_member(visibility, unit)
    ):
        raise Http404
    return unit


@login_required
def performance_units(request: HttpRequest) -> HttpResponse:
    visibility = request.visibility
    units = [
        unit
        for unit in LeadingUnit.objects.select_related("organization", "bureau").order_by(
            "organization__name"
        )
        if visibility.is_operator
        or unit.bureau_id in visibility.staff_bureau_ids
        or performance.is_unit_member(visibility, unit)
    ]
    rates = PilotEnterprise.objects.filter(organization_id__in=visibility.organization_ids)
    return render(
        request,
        "evaluation/performance_units.html",
        {
            "units": units,
            "can_rate": rates.exists(),
            "can_export": visibility.is_bureau_staff or visibility.is_operator,
        },
    )


def _timeline(unit: LeadingUnit) -> list[tuple[Any, str, str]]:
    """What happened to the unit, newest first: reports, evaluations, sanctions and decisions."""
    items: list[tuple[Any, str, str]] = []
    for report in QuarterlyReport.objects.filter(leading_unit=unit):
        label = performance.quarter_label(report.year, report.quarter)
        items.append((report.submitted_at, _("Report %(quarter)s") % {"quarter": label}, ""))
    for evaluation in QuarterlyEvaluation.objects.filter(leading_unit=unit):
        label = performance.quarter_label(evaluation.year, evaluation.quarter)
        title = _("Evaluation %(quarter)s: %(outcome)s") % {
            "quarter": label,
            "outcome": evaluation.get_outcome_display(),
        }
        items.append((evaluation.evaluated_at, title, evaluation.reason))
    for sanction in Sanction.objects.filter(leading_unit=unit):
        title = f"{sanction.get_kind_display()} · {sanction.get_grounds_display()}"
        items.append((sanction.created_at, title, sanction.reason))
        if sanction.decided_at:
            items.append(
                (sanction.decided_at, sanction.get_status_display(), sanction.decision_note)
            )
    return sorted(items, key=lambda item: item[0], reverse=True)


def _post_task_book(request: HttpRequest, unit: LeadingUnit) -> str:
    form = TaskBookForm(request.POST)
    form.is_valid()
    performance.task_book_set(
        visibility=request.visibility.resolve(),
        unit=unit,
        targets=form.targets(),
        duties=form.cleaned_data.get("duties", ""),
        actor=request.user,
    )
    return _("The task book is saved.")


def _post_report(request: HttpRequest, unit: LeadingUnit) -> str:
    form = ReportForm(request.POST, request.FILES)
    if not form.is_valid():
        raise ValidationError(_form_errors(form))
    data = form.cleaned_data
    performance.report_submit(
        visibility=request.visibility.resolve(),
        unit=unit,
        year=data["year"],
        quarter=data["quarter"],
        figures={**performance.unit_figures(unit), **data},
        duties_done=data["duties_done"],
        evidence=data["evidence"],
        actor=request.user,
    )
    return _("The report is submitted.")


def _post_criticise(request: HttpRequest, unit: LeadingUnit) -> str:
    form = CriticismForm(request.POST, request.FILES)
    if not form.is_valid():
        raise ValidationError(_form_errors(form))
    performance_outcomes.criticism_order(
        visibility=request.visibility.resolve(),
        unit=unit,
        grounds=form.cleaned_data["grounds"],
        reason=form.cleaned_data["reason"],
        rectify_by=form.cleaned_data["rectify_by"],
        evidence=form.cleaned_data.get("evidence"),
        actor=request.user,
    )
    return _("The criticism and rectification order are recorded.")


def _post_propose_removal(request: HttpRequest, unit: LeadingUnit) -> str:
    form = RemovalForm(request.POST, request.FILES)
    if not form.is_valid():
        raise ValidationError(_form_errors(form))
    performance_outcomes.removal_propose(
        visibility=request.visibility.resolve(),
        unit=unit,
        grounds=form.cleaned_data["grounds"],
        reason=form.cleaned_data["reason"],
        evidence=form.cleaned_data["evidence"],
        actor=request.user,
    )
    return _("Removal is proposed; a manager decides.")


def _decision(request: HttpRequest, unit: LeadingUnit) -> tuple[Sanction, dict[str, Any]]:
    form = DecisionForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_form_errors(form))
    sanction = visible_or_404(
        Sanction.objects.filter(leading_unit=unit), pk=form.cleaned_data["sanction"]
    )
    return sanction, form.cleaned_data


def _post_decide_removal(request: HttpRequest, unit: LeadingUnit) -> str:
    sanction, data = _decision(request, unit)
    confirm = request.POST.get("decision") == "confirm"
    performance_outcomes.removal_decide(
        visibility=request.visibility.resolve(),
        sanction=sanction,
        confirm=confirm,
        note=data["note"],
        actor=request.user,
    )
    return _("The unit is removed.") if confirm else _("The removal is withdrawn.")


def _post_decide_rectification(request: HttpRequest, unit: LeadingUnit) -> str:
    sanction, data = _decision(request, unit)
    performance_outcomes.rectification_decide(
        visibility=request.visibility.resolve(),
        sanction=sanction,
        action=request.POST.get("decision", ""),
        note=data["note"],
        rectify_by=data.get("rectify_by"),
        actor=request.user,
    )
    return _("Saved.")


def _post_request_exit(request: HttpRequest, unit: LeadingUnit) -> str:
    performance_outcomes.exit_request(
        visibility=request.visibility.resolve(),
        unit=unit,
        reason=text_param(request.POST, "reason", max_length=2000),
        actor=request.user,
    )
    return _("Your request to leave is filed; the bureau's managers decide it.")


ACTIONS: dict[str, Callable[[HttpRequest, LeadingUnit], str]] = {
    "request_exit": _post_request_exit,
    "task_book": _post_task_book,
    "report": _post_report,
    "criticise": _post_criticise,
    "propose_removal": _post_propose_removal,
    "decide_removal": _post_decide_removal,
    "decide_rectification": _post_decide_rectification,
}


@login_required
@require_http_methods(["GET", "POST"])
def performance_unit(request: HttpRequest, unit_pk: int) -> HttpResponse:
    unit = _unit(request, unit_pk)
    visibility = request.visibility
    errors: list[str] = []
    if request.method == "POST":
        handler = ACTIONS.get(request.POST.get("action", ""))
        if handler is None:
            errors = [_("Choose an action.")]
        else:
            try:
                messages.success(request, handler(request, unit))
                return redirect("performance-unit", unit_pk=unit.pk)
            except ValidationError as error:
                errors = _errors(error)
    today = timezone.localdate()
    year, quarter = performance.quarter_of(today)
    last_year, last_quarter = performance.previous_quarter(year, quarter)
    # The quarter still open for a report: the last one until its deadline, then the current.
    if today <= performance.report_due_on(last_year, last_quarter):
        year, quarter = last_year, last_quarter
    evaluations = {
        (e.year, e.quarter): e for e in QuarterlyEvaluation.objects.filter(leading_unit=unit)
    }
    reports = {(r.year, r.quarter): r for r in QuarterlyReport.objects.filter(leading_unit=unit)}
    quarters = [
        {
            "year": y,
            "quarter": q,
            "label": performance.quarter_label(y, q),
            "due": performance.report_due_on(y, q),
            "report": reports.get((y, q)),
            "evaluation": evaluations.get((y, q)),
        }
        for y, q in performance.quarters_due(unit, today)
    ]
    figures = performance.unit_figures(unit)
    return render(
        request,
        "evaluation/performance_unit.html",
        {
            "unit": unit,
            "task_book": performance.task_book_of(unit),
            "quarters": quarters,
            "reports": reports.values(),
            "sanctions": Sanction.objects.filter(leading_unit=unit),
            "timeline": _timeline(unit),
            "is_staff": performance.is_unit_staff(visibility, unit),
            "is_manager": performance.is_unit_manager(visibility, unit),
            "is_member": performance.is_unit_member(visibility, unit),
            "is_member_admin": unit.organization_id in visibility.admin_organization_ids,
            "report_quarter": {
                "year": year,
                "quarter": quarter,
                "label": performance.quarter_label(year, quarter),
                "due": performance.report_due_on(year, quarter),
                "done": (year, quarter) in reports,
            },
            "report_form": ReportForm(
                initial={"year": year, "quarter": quarter, "solutions": 0, **figures}
            ),
            "criticism_form": CriticismForm(
                initial={
                    "rectify_by": today + timedelta(days=performance_outcomes.RECTIFICATION_DAYS)
                }
            ),
            "removal_form": RemovalForm(),
            "figures": figures,
            "satisfaction": performance.unit_satisfaction(unit),
            "errors": errors,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def performance_evaluate(request: HttpRequest, unit_pk: int) -> HttpResponse:
    """Score a quarter with the indicator set, pre-filled from the portal's figures (004 §3.2)."""
    unit = _unit(request, unit_pk)
    if not performance.is_unit_staff(request.visibility, unit):
        raise Http404
    source = request.POST if request.method == "POST" else request.GET
    default_year, default_quarter = performance.previous_quarter(
        *performance.quarter_of(timezone.localdate())
    )
    year = int_param(source, "year") or default_year
    quarter = int_param(source, "quarter") or default_quarter
    if not performance.is_quarter(year, quarter):
        raise Http404
    indicators = performance.indicator_set()
    suggested = performance.suggested_scores(unit, year, quarter, indicators.definition)
    form = EvaluationForm(
        request.POST or None,
        indicators=indicators.definition["indicators"],
        suggested=suggested,
    )
    errors: list[str] = []
    if request.method == "POST":
        try:
            if not form.is_valid():
                raise ValidationError(_form_errors(form))
            evaluation = performance_outcomes.evaluation_record(
                visibility=request.visibility.resolve(),
                unit=unit,
                year=year,
                quarter=quarter,
                scores=form.scores(),
                absent=form.cleaned_data["absent"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
            messages.success(
                request,
                _("Evaluation recorded: %(outcome)s.")
                % {"outcome": evaluation.get_outcome_display()},
            )
            return redirect("performance-unit", unit_pk=unit.pk)
        except ValidationError as error:
            errors = _errors(error)
    return render(
        request,
        "evaluation/performance_evaluate.html",
        {
            "unit": unit,
            "year": year,
            "quarter": quarter,
            "label": performance.quarter_label(year, quarter),
            "indicators": indicators,
            "form": form,
            "figures": performance.unit_figures(unit),
            "satisfaction": performance.unit_satisfaction(unit),
            "report": QuarterlyReport.objects.filter(
                leading_unit=unit, year=year, quarter=quarter
            ).first(),
            "task_book": performance.task_book_of(unit),
            "errors": errors,
        },
    )


def _private_pdf(field: Any) -> FileResponse:
    return private_download(field, filename="evidence.pdf", content_type="application/pdf")


@login_required
def report_evidence(request: HttpRequest, report_pk: int) -> FileResponse:
    report = visible_or_404(QuarterlyReport.objects.all(), pk=report_pk)
    return _private_pdf(report.evidence)


@login_required
def sanction_evidence(request: HttpRequest, sanction_pk: int) -> FileResponse:
    sanction = visible_or_404(Sanction.objects.all(), pk=sanction_pk)
    return _private_pdf(sanction.evidence)


@login_required
@require_http_methods(["GET", "POST"])
def satisfaction(request: HttpRequest) -> HttpResponse:
    """An enterprise rates its leading unit and the providers of its county's list (002 §三.3)."""
    visibility = request.visibility
    enterprises = list(
        PilotEnterprise.objects.filter(
            organization_id__in=visibility.organization_ids
        ).select_related("leading_unit__organization", "bureau")
    )
    if not enterprises:
        raise Http404
    errors: list[str] = []
    if request.method == "POST":
        form = RatingForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(_form_errors(form))
            enterprise = next(
                (e for e in enterprises if e.pk == form.cleaned_data["enterprise"]), None
            )
            if enterprise is None:
                raise Http404
            provider_pk = form.cleaned_data.get("provider")
            provider = (
                visible_or_404(ServiceProvider.objects.all(), pk=provider_pk)
                if provider_pk
                else None
            )
            performance.satisfaction_rate(
                visibility=visibility.resolve(),
                enterprise=enterprise,
                provider=provider,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
                actor=request.user,
            )
            messages.success(request, _("Thank you: your rating is saved."))
            return redirect("performance-satisfaction")
        except ValidationError as error:
            errors = _errors(error)
    given = {
        (r.enterprise_id, r.provider_id): r
        for r in SatisfactionRating.objects.filter(enterprise__in=enterprises)
    }
    rows = []
    for enterprise in enterprises:
        providers = ServiceProvider.objects.filter(bureau_id=enterprise.bureau_id)
        rows.append(
            {
                "enterprise": enterprise,
                "unit_rating": given.get((enterprise.pk, None)),
                "providers": [(p, given.get((enterprise.pk, p.pk))) for p in providers],
                "aggregates": performance.provider_satisfaction(providers),
            }
        )
    return render(
        request,
        "evaluation/performance_satisfaction.html",
        {"rows": rows, "errors": errors, "scores": range(5, 0, -1)},
    )
