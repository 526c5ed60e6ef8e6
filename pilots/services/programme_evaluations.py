"""Programme evaluations and changes to an approved plan.

County pilots: self-evaluation, the city's on-site evaluation, rectification within two months and
the province's review (002 §七.3). City pilots: mid-term after the first year and final after the
second, against the 绩效目标表 targets, with outcomes pass, rectify, suspend or claw back (003 §五).
A change to an approved plan needs the approving bureau's consent (003 §六(三)).
"""

import calendar
from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import audit, deadlines, workflow
from portal.models import Bureau, User
from portal.visibility import Visibility

from ..models import PilotProgramme, ProgrammeChange, ProgrammeEvaluation
from ..permissions import can_decide_change, can_set_targets, evaluation_kinds_for
from ..selectors import programme_table

RECTIFICATION_MONTHS = 2  # 整改期限二个月 (002 §七.3), calendar months
Kind = ProgrammeEvaluation.Kind
Outcome = ProgrammeEvaluation.Outcome

# What must come before each kind (002 §七.3: self, then on site, then review; 003 §五).
PRECEDING = {Kind.ONSITE: Kind.SELF, Kind.REVIEW: Kind.ONSITE, Kind.FINAL: Kind.MID_TERM}
# Years of the period that must have passed (003 §五: 第一年结束后中期, 第二年结束后实施期后评价).
YEARS_BEFORE = {Kind.MID_TERM: 1, Kind.FINAL: 2}


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later, or the month's last day when it has no
    such day (31 December + 2 months is 29 February in a leap year)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def rectification_due(evaluated_on: datetime) -> datetime:
    """Two calendar months after the evaluation, at the end of that day (002 §七.3)."""
    day = add_months(timezone.localdate(evaluated_on), RECTIFICATION_MONTHS)
    return timezone.make_aware(datetime.combine(day, time(23, 59)))


def _check_order(programme: PilotProgramme, kind: str, now: datetime) -> None:
    earlier = {e.kind: e for e in programme.evaluations.all()}
    if kind != Kind.SELF and kind in earlier:
        raise ValidationError(
            _("This programme already has its %(kind)s.") % {"kind": Kind(kind).label},
            code="evaluation_repeated",
        )
    before = PRECEDING.get(Kind(kind))
    if before is not None and before not in earlier:
        raise ValidationError(
            _("Record the %(before)s first.") % {"before": Kind(before).label},
            code="evaluation_order",
        )
    if kind == Kind.REVIEW and earlier[Kind.ONSITE].status == ProgrammeEvaluation.Status.RECTIFYING:
        raise ValidationError(
            _("The county reports its rectification before the province reviews it (002 §七.3)."),
            code="evaluation_rectifying",
        )
    years = YEARS_BEFORE.get(Kind(kind))
    start = programme.starts_on or timezone.localdate(programme.approved_at)
    if years is not None and timezone.localdate(now) < add_months(start, 12 * years):
        raise ValidationError(
            _("The %(kind)s comes after year %(years)d of the period, from %(date)s (003 §五).")
            % {
                "kind": Kind(kind).label,
                "years": years,
                "date": add_months(start, 12 * years),
            },
            code="evaluation_early",
        )


@transaction.atomic
def programme_evaluation_record(
    *,
    visibility: Visibility,
    programme: PilotProgramme,
    kind: str,
    outcome: str,
    findings: str,
    actor: User,
) -> ProgrammeEvaluation:
    """Record one evaluation with its outcome; the targets are kept as they stood."""
    programme = PilotProgramme.objects.select_for_update().get(pk=programme.pk)
    if kind not in evaluation_kinds_for(visibility, programme):
        raise PermissionDenied
    if outcome not in Outcome.values:
        raise ValidationError(_("Choose an outcome from the list."), code="evaluation_outcome")
    now = timezone.now()
    _check_order(programme, kind, now)
    evaluation = ProgrammeEvaluation(
        programme=programme,
        kind=kind,
        outcome=outcome,
        findings=findings.strip(),
        evaluated_by=actor,
        evaluated_at=now,
        targets=[
            {
                "year": row["target"].year,
                "metric": row["target"].metric,
                "target": row["target"].value,
                "actual": row["actual"],
                "met": row["met"],
            }
            for row in programme_table(programme)
        ],
    )
    if outcome == Outcome.RECTIFY:
        evaluation.status = ProgrammeEvaluation.Status.RECTIFYING
        due = rectification_due(now)
        evaluation.rectification_due = timezone.localdate(due)
    evaluation.full_clean()
    evaluation.save()
    audit.record_for(
        evaluation,
        action="programme_evaluated",
        actor=actor,
        bureau=programme.bureau,
        detail={"kind": kind, "outcome": outcome},
    )
    if outcome == Outcome.RECTIFY:
        deadlines.deadline_set(
            kind="programme_rectification_due",
            subject=evaluation,
            due_at=due,
            title=programme.name,
            link=f"/pilots/programmes/{programme.pk}/evaluations/",
            bureau=programme.bureau,
        )
    penalty = {
        Outcome.SUSPEND: PilotProgramme.Status.SUSPENDED,
        Outcome.CLAW_BACK: PilotProgramme.Status.CLAWED_BACK,
    }.get(Outcome(outcome))
    if penalty is not None and programme.status != penalty:
        workflow.transition(
            programme,
            penalty,
            actor=actor,
            action="programme_penalised",
            bureau=programme.bureau,
            note=evaluation.findings,
            detail={"evaluation": evaluation.pk},
        )
    return evaluation


@transaction.atomic
def programme_rectification_report(
    *,
    visibility: Visibility,
    evaluation: ProgrammeEvaluation,
    report: str,
    actor: User,
) -> ProgrammeEvaluation:
    """The running bureau reports what it rectified; the deadline closes."""
    evaluation = (
        ProgrammeEvaluation.objects.select_for_update()
        .select_related("programme__bureau")
        .get(pk=evaluation.pk)
    )
    if not can_set_targets(visibility, evaluation.programme):
        raise PermissionDenied
    if evaluation.status != ProgrammeEvaluation.Status.RECTIFYING:
        raise ValidationError(
            _("This evaluation asks for no rectification."), code="not_rectifying"
        )
    if not report.strip():
        raise ValidationError({"report": _("Describe what was rectified.")})
    evaluation.rectification_report = report.strip()
    workflow.transition(
        evaluation,
        ProgrammeEvaluation.Status.RECTIFIED,
        actor=actor,
        action="programme_rectification_reported",
        bureau=evaluation.programme.bureau,
        fields=["rectification_report"],
    )
    deadlines.deadline_close(kind="programme_rectification_due", subject=evaluation)
    return evaluation


def programme_change_request(
    *,
    visibility: Visibility,
    programme: PilotProgramme,
    summary: str,
    actor: User,
    kind: str = ProgrammeChange.Kind.PLAN,
) -> ProgrammeChange:
    """The running bureau asks to change its approved plan (003 §六(三)) or, for a county pilot,
    its list of pilot enterprises (002 §二.1)."""
    if not can_set_targets(visibility, programme):
        raise PermissionDenied
    if (
        kind == ProgrammeChange.Kind.ENTERPRISE_LIST
        and programme.bureau.level != Bureau.Level.COUNTY
    ):
        raise ValidationError(
            {"kind": _("Only a county pilot files changes to its enterprise list with the city.")}
        )
    change = ProgrammeChange(
        programme=programme, kind=kind, summary=summary.strip(), requested_by=actor
    )
    change.full_clean()
    change.save()
    audit.record_for(
        change, action="programme_change_requested", actor=actor, bureau=programme.bureau
    )
    return change


@transaction.atomic
def programme_change_decide(
    *,
    visibility: Visibility,
    change: ProgrammeChange,
    approve: bool,
    note: str,
    actor: User,
) -> ProgrammeChange:
    """The approving bureau approves or rejects a plan change (003 §六(三)); the city files or
    refuses a county's enterprise-list change (002 §二.1)."""
    change = (
        ProgrammeChange.objects.select_for_update()
        .select_related("programme__bureau")
        .get(pk=change.pk)
    )
    if not can_decide_change(visibility, change):
        raise PermissionDenied
    if change.status != ProgrammeChange.Status.REQUESTED:
        raise ValidationError(_("This change has already been decided."), code="decided")
    if not approve and not note.strip():
        raise ValidationError({"note": _("Give the reason for the rejection.")})
    change.decision_note = note.strip()
    workflow.transition(
        change,
        ProgrammeChange.Status.APPROVED if approve else ProgrammeChange.Status.REJECTED,
        actor=actor,
        action="programme_change_decided",
        bureau=change.programme.bureau,
        note=change.decision_note,
        fields=["decision_note"],
    )
    return change
