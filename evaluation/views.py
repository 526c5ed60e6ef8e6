"""Pages of review: the bureau's review desk, the expert's sheets, and the public notices."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from applications.models import Application, Call
from portal import personal_data, ratelimit
from portal.models import BUREAU_ROLES, Role
from portal.params import int_param, text_param
from portal.views import paginate
from portal.visibility import visible_or_404

from . import documents, exports, selectors, services
from .models import (
    ExpertAssignment,
    Objection,
    Publicity,
    PublicityEntry,
    ReviewRound,
    Rubric,
    ScoreSheet,
)
from .scoring import sheet_total

MANAGERS = (Role.BUREAU_MANAGER, Role.BUREAU_ADMIN)


def _is_call_staff(request: HttpRequest, call: Call, roles: Any = BUREAU_ROLES) -> bool:
    return request.visibility.is_operator or call.bureau_id in request.visibility.bureau_ids_with(
        roles
    )


def _flash(request: HttpRequest, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


def _call_for_staff(request: HttpRequest, call_pk: int) -> Call:
    call = visible_or_404(Call.objects.select_related("bureau"), pk=call_pk)
    if not _is_call_staff(request, call):
        raise PermissionDenied
    return call


@login_required
def review_desk(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = _call_for_staff(request, call_pk)
    queue = Application.objects.filter(call=call, status__in=services.FORMAL_QUEUE).select_related(
        "organization"
    )
    return render(
        request,
        "evaluation/review_desk.html",
        {
            "call": call,
            "queue": queue,
            "counts": {
                label: Application.objects.filter(call=call, status=code).count()
                for code, label in Application.Status.choices
                if code not in ("draft", "withdrawn")
            },
            "rounds": ReviewRound.objects.filter(call=call).select_related("rubric"),
            "rubrics": Rubric.objects.all(),
            "publicities": Publicity.objects.filter(call=call),
            "proposed": Application.objects.filter(
                call=call, status=Application.Status.PROPOSED
            ).count(),
            "is_manager": _is_call_staff(request, call, MANAGERS),
            "publicity_rule": services.publicity_rule(call),
        },
    )


@login_required
@require_POST
def formal_pass(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = _call_for_staff(request, call_pk)
    application = visible_or_404(
        Application.objects.filter(call=call).select_related("call"),
        pk=int_param(request.POST, "application"),
    )
    try:
        services.formal_check_pass(
            visibility=request.visibility.resolve(), application=application, actor=request.user
        )
    except ValidationError as error:
        _flash(request, error)
    else:
        messages.success(
            request, _("“%(name)s” passed the formal check.") % {"name": application.organization}
        )
    return redirect("review-desk", call_pk=call.pk)


@login_required
@require_POST
def round_create(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = _call_for_staff(request, call_pk)
    rubric = visible_or_404(Rubric.objects.all(), pk=int_param(request.POST, "rubric"))
    try:
        review_round = services.round_create(
            visibility=request.visibility.resolve(),
            call=call,
            rubric=rubric,
            name=text_param(request.POST, "name", 200),
            experts_per_application=int_param(request.POST, "experts_per_application") or 0,
            trimmed_mean=request.POST.get("trimmed_mean") == "on",
            actor=request.user,
        )
    except ValidationError as error:
        _flash(request, error)
        return redirect("review-desk", call_pk=call.pk)
    return redirect("round-detail", round_pk=review_round.pk)


def _round_for_staff(request: HttpRequest, round_pk: int) -> ReviewRound:
    review_round = visible_or_404(
        ReviewRound.objects.select_related("call", "call__bureau", "rubric"), pk=round_pk
    )
    if not _is_call_staff(request, review_round.call):
        raise PermissionDenied
    return review_round


@login_required
def round_detail(request: HttpRequest, round_pk: int) -> HttpResponse:
    review_round = _round_for_staff(request, round_pk)
    assignments = (
        ExpertAssignment.objects.filter(round=review_round)
        .select_related("application__organization", "expert")
        .order_by("application__organization__name", "pk")
    )
    by_application: dict[int, dict[str, Any]] = {}
    for assignment in assignments:
        entry = by_application.setdefault(
            assignment.application_id, {"application": assignment.application, "assignments": []}
        )
        entry["assignments"].append(assignment)
    return render(
        request,
        "evaluation/round_detail.html",
        {
            "round": review_round,
            "rows": list(by_application.values()),
            "pool": services.expert_pool(review_round.call),
            "candidates": Application.objects.filter(
                call=review_round.call, status__in=["formal_passed", "under_review", "scored"]
            ).select_related("organization"),
            "is_manager": _is_call_staff(request, review_round.call, MANAGERS),
        },
    )


@login_required
@require_POST
def round_action(request: HttpRequest, round_pk: int, action: str) -> HttpResponse:
    review_round = _round_for_staff(request, round_pk)
    visibility = request.visibility.resolve()
    try:
        if action == "fill":
            made = services.assignments_fill(
                visibility=visibility, review_round=review_round, actor=request.user
            )
            messages.success(request, _("%(count)d assignments made.") % {"count": made})
        elif action == "assign":
            application = visible_or_404(
                Application.objects.filter(call=review_round.call),
                pk=int_param(request.POST, "application"),
            )
            expert = next(
                (
                    e
                    for e in services.expert_pool(review_round.call)
                    if e.pk == int_param(request.POST, "expert")
                ),
                None,
            )
            if expert is None:
                raise ValidationError(_("Choose an expert of the pool."))
            services.assignment_add(
                visibility=visibility,
                review_round=review_round,
                application=application,
                expert=expert,
                actor=request.user,
            )
            messages.success(request, _("The expert is assigned."))
        elif action == "close":
            services.round_close(
                visibility=visibility, review_round=review_round, actor=request.user
            )
            messages.success(request, _("The round is closed."))
        elif action == "propose":
            ids = [int(v) for v in request.POST.getlist("application") if v.isdigit()]
            warnings = services.selection_propose(
                visibility=visibility,
                review_round=review_round,
                application_ids=ids,
                acknowledged=request.POST.get("acknowledge") == "on",
                actor=request.user,
            )
            messages.success(request, _("The proposed selection is recorded."))
            for warning in warnings:
                messages.warning(request, warning)
            return redirect("review-desk", call_pk=review_round.call_id)
    except ValidationError as error:
        _flash(request, error)
    return redirect(
        "round-ranking" if action == "propose" else "round-detail", round_pk=review_round.pk
    )


@login_required
def round_ranking(request: HttpRequest, round_pk: int) -> HttpResponse:
    review_round = _round_for_staff(request, round_pk)
    return render(
        request,
        "evaluation/ranking.html",
        {
            "bundle": review_round.bundles.filter(kind=documents.RANKING).first(),
            "round": review_round,
            "groups": selectors.ranking(review_round),
            "is_manager": _is_call_staff(request, review_round.call, MANAGERS),
            # The export menu's table is the round's sheets (the round is in this page's path).
            "export_params": f"round={review_round.pk}",
        },
    )


@login_required
def round_ranking_export(request: HttpRequest, round_pk: int) -> HttpResponse:
    exporter = exports.RankingExporter(review_round=_round_for_staff(request, round_pk))
    return exporter.response(request.GET.get("format", "xlsx"))


@login_required
@require_http_methods(["GET", "POST"])
def sheet_detail(request: HttpRequest, round_pk: int, sheet_pk: int) -> HttpResponse:
    # The sheet first: while the round is open another expert's sheet is invisible (404).
    sheet = visible_or_404(
        ScoreSheet.objects.filter(assignment__round_id=round_pk).select_related(
            "assignment__expert", "assignment__application__organization"
        ),
        pk=sheet_pk,
    )
    review_round = _round_for_staff(request, round_pk)
    if request.method == "POST":
        try:
            services.sheet_reopen(
                visibility=request.visibility.resolve(),
                sheet=sheet,
                reason=text_param(request.POST, "reason", 2000),
                actor=request.user,
            )
        except ValidationError as error:
            _flash(request, error)
        else:
            messages.success(request, _("The sheet is reopened for the expert."))
        return redirect("sheet-detail", round_pk=review_round.pk, sheet_pk=sheet.pk)
    return render(
        request,
        "evaluation/sheet_detail.html",
        {
            "round": review_round,
            "sheet": sheet,
            "rows": _sheet_rows(review_round, sheet),
            "total": sheet_total(review_round.criteria, sheet.scores),
        },
    )


def _sheet_rows(
    review_round: ReviewRound,
    sheet: ScoreSheet | None,
    errors: dict[str, Any] | None = None,
    posted: Any = None,
) -> list[dict[str, Any]]:
    from portal.book import localized

    rows = []
    for criterion in review_round.criteria:
        key = criterion["key"]
        rows.append(
            {
                "key": key,
                "label": localized(criterion),
                "max": criterion["max"],
                "weight": criterion.get("weight", 1),
                "guidance": localized(criterion, "guidance"),
                "score": posted.get(f"score-{key}", "")
                if posted is not None
                else (sheet.scores.get(key, "") if sheet else ""),
                "comment": posted.get(f"comment-{key}", "")
                if posted is not None
                else (sheet.comments.get(key, "") if sheet else ""),
                "error": " ".join((errors or {}).get(key, [])),
            }
        )
    return rows


# --- the expert's side ---------------------------------------------------------------------------------
@login_required
def my_reviews(request: HttpRequest) -> HttpResponse:
    if not request.visibility.is_expert:
        raise PermissionDenied
    assignments = (
        ExpertAssignment.objects.filter(expert=request.user)
        .exclude(status=ExpertAssignment.Status.EXCLUDED)
        .select_related("round", "round__call", "application__organization")
        .order_by("-round__created_at", "pk")
    )
    return render(request, "evaluation/my_reviews.html", {"page": paginate(request, assignments)})


@login_required
@require_http_methods(["GET", "POST"])
def review_sheet(request: HttpRequest, assignment_pk: int) -> HttpResponse:
    assignment = visible_or_404(
        ExpertAssignment.objects.filter(expert=request.user).select_related(
            "round", "round__call", "application__organization"
        ),
        pk=assignment_pk,
    )
    visibility = request.visibility.resolve()
    sheet = ScoreSheet.objects.filter(assignment=assignment).first()
    errors, posted = None, None
    if request.method == "POST":
        try:
            if assignment.status == ExpertAssignment.Status.ASSIGNED:
                has_conflict = request.POST.get("conflict") == "yes"
                services.conflict_declare(
                    visibility=visibility,
                    assignment=assignment,
                    has_conflict=has_conflict,
                    reason=text_param(request.POST, "reason", 2000),
                    actor=request.user,
                )
                messages.success(
                    request,
                    _("Your declaration is recorded.")
                    if has_conflict
                    else _("Thank you. You can score now."),
                )
                return redirect("review-sheet", assignment_pk=assignment.pk)
            if sheet is None:
                raise PermissionDenied
            submit = request.POST.get("action") == "submit"
            keys = [c["key"] for c in assignment.round.criteria]
            services.sheet_save(
                visibility=visibility,
                sheet=sheet,
                actor=request.user,
                submit=submit,
                scores={k: text_param(request.POST, f"score-{k}", 10) for k in keys},
                comments={k: text_param(request.POST, f"comment-{k}", 2000) for k in keys},
                overall_comment=text_param(request.POST, "overall_comment", 5000),
            )
            messages.success(
                request, _("Your scores are submitted.") if submit else _("Saved as a draft.")
            )
            return redirect("review-sheet", assignment_pk=assignment.pk)
        except ValidationError as error:
            errors = error.message_dict if hasattr(error, "error_dict") else {}
            if not errors:
                _flash(request, error)
            posted = request.POST
    total = sheet_total(assignment.round.criteria, sheet.scores) if sheet else None
    return render(
        request,
        "evaluation/review_sheet.html",
        {
            "assignment": assignment,
            "sheet": sheet,
            "rows": _sheet_rows(assignment.round, sheet, errors, posted),
            "total": total,
            "editable": sheet is not None
            and sheet.status == ScoreSheet.Status.DRAFT
            and assignment.round.status == ReviewRound.Status.OPEN,
            "errors": errors,
            "overall_comment": posted.get("overall_comment", "")
            if posted is not None
            else (sheet.overall_comment if sheet else ""),
        },
    )


# --- publicity -------------------------------------------------------------------------------------------
@login_required
@require_POST
def publicity_create(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = _call_for_staff(request, call_pk)
    try:
        publicity = services.publicity_create(
            visibility=request.visibility.resolve(),
            call=call,
            title=text_param(request.POST, "title", 200) or _("Proposed selection"),
            body=text_param(request.POST, "body", 20000),
            days=int_param(request.POST, "days") or 0,
            contact=text_param(request.POST, "contact", 200),
            actor=request.user,
        )
    except ValidationError as error:
        _flash(request, error)
        return redirect("review-desk", call_pk=call.pk)
    return redirect("publicity-detail", publicity_pk=publicity.pk)


def publicity_list(request: HttpRequest) -> HttpResponse:
    notices = Publicity.objects.filter(status__in=Publicity.PUBLIC).select_related(
        "call", "call__bureau"
    )
    from pilots.models import AllianceChange

    changes = AllianceChange.objects.filter(
        status=AllianceChange.Status.IN_PUBLICITY
    ).select_related("alliance__leading_unit__organization")
    return render(
        request,
        "evaluation/publicity_list.html",
        {"page": paginate(request, notices), "alliance_changes": changes[:50]},
    )


@require_http_methods(["GET", "POST"])
# An anonymous objection cannot flood a notice: per address, per address and notice, per notice.
@ratelimit.limited(
    ratelimit.Rule("objection_ip", ratelimit.client_address),
    ratelimit.Rule("objection_ip_notice", ratelimit.address_and("publicity_pk")),
    ratelimit.Rule("objection_notice", ratelimit.url_object("publicity_pk")),
)
def publicity_detail(request: HttpRequest, publicity_pk: int) -> HttpResponse:
    publicity = visible_or_404(
        Publicity.objects.select_related("call", "call__bureau"), pk=publicity_pk
    )
    staff = request.user.is_authenticated and _is_call_staff(request, publicity.call)
    running = (
        publicity.status == Publicity.Status.PUBLISHED
        and publicity.ends_at
        and timezone.now() <= publicity.ends_at
    )
    form_errors: dict[str, str] = {}
    if request.method == "POST":
        if not running:
            messages.error(
                request, _("The publicity period is over; objections are no longer accepted.")
            )
            return redirect("publicity-detail", publicity_pk=publicity.pk)
        entry = PublicityEntry.objects.filter(
            publicity=publicity, pk=int_param(request.POST, "entry")
        ).first()
        try:
            services.objection_submit(
                publicity=publicity,
                entry=entry,
                name=text_param(request.POST, "name", 100),
                contact=text_param(request.POST, "contact", 100),
                text=text_param(request.POST, "text", 5000),
            )
        except ValidationError as error:
            form_errors = (
                {k: " ".join(v) for k, v in error.message_dict.items()}
                if hasattr(error, "error_dict")
                else {"text": " ".join(error.messages)}
            )
        else:
            messages.success(
                request, _("Your objection is received. The bureau will look into it.")
            )
            return redirect("publicity-detail", publicity_pk=publicity.pk)
    objections = list(publicity.objections.select_related("entry")) if staff else []
    # Objectors' contacts: shown to the call's bureau managers, masked for reviewers (and audited).
    reveal = personal_data.may_reveal(request.visibility, bureau_id=publicity.call.bureau_id)
    if reveal and objections:
        personal_data.audit_reveal(where="objections", subject=publicity, count=len(objections))
    return render(
        request,
        "evaluation/publicity_detail.html",
        {
            "publicity": publicity,
            "entries": publicity.entries.all(),
            "running": running,
            "staff": staff,
            "objections": objections,
            "reveal": reveal,
            "form_errors": form_errors,
            "posted": request.POST if form_errors else {},
            "is_manager": request.user.is_authenticated
            and _is_call_staff(request, publicity.call, MANAGERS),
            "bundle": publicity.bundles.filter(kind=documents.PUBLICITY).first() if staff else None,
        },
    )


@login_required
@require_POST
def publicity_action(request: HttpRequest, publicity_pk: int, action: str) -> HttpResponse:
    publicity = visible_or_404(
        Publicity.objects.select_related("call", "call__bureau"), pk=publicity_pk
    )
    if not _is_call_staff(request, publicity.call):
        raise PermissionDenied
    visibility = request.visibility.resolve()
    try:
        if action == "publish":
            services.publicity_publish(
                visibility=visibility, publicity=publicity, actor=request.user
            )
            messages.success(
                request,
                _("The notice is public until %(end)s.")
                % {"end": timezone.localtime(publicity.ends_at).strftime("%Y-%m-%d %H:%M")},
            )
        elif action == "finalise":
            created = services.publicity_finalise(
                visibility=visibility, publicity=publicity, actor=request.user
            )
            messages.success(
                request,
                _("The selection is final: %(count)d records created.") % {"count": len(created)},
            )
        elif action == "objection":
            objection = visible_or_404(
                Objection.objects.filter(publicity=publicity),
                pk=int_param(request.POST, "objection"),
            )
            services.objection_handle(
                visibility=visibility,
                objection=objection,
                uphold=request.POST.get("uphold") == "yes",
                note=text_param(request.POST, "note", 5000),
                actor=request.user,
            )
            messages.success(request, _("The handling is recorded."))
    except ValidationError as error:
        _flash(request, error)
    return redirect("publicity-detail", publicity_pk=publicity.pk)


@login_required
@require_POST
def round_ranking_pdf(request: HttpRequest, round_pk: int) -> HttpResponse:
    review_round = _round_for_staff(request, round_pk)
    documents.request_ranking(review_round)
    messages.success(request, _("The PDF is being generated."))
    return redirect("round-ranking", round_pk=review_round.pk)


@login_required
@require_POST
def publicity_pdf(request: HttpRequest, publicity_pk: int) -> HttpResponse:
    publicity = visible_or_404(
        Publicity.objects.select_related("call", "call__bureau"), pk=publicity_pk
    )
    if not _is_call_staff(request, publicity.call):
        raise PermissionDenied
    documents.request_publicity(publicity)
    messages.success(request, _("The PDF is being generated."))
    return redirect("publicity-detail", publicity_pk=publicity.pk)
