"""What follows from the quarterly evaluation (004 §3.2, §4): recording the result, the removal
rule, criticism with rectification orders, removal proposed and confirmed, and the bar on applying
again. The task book, reports, ratings and the figures they use are in evaluation.performance.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from applications.models import Call
from pilots.models import LeadingUnit
from portal import audit, deadlines, workflow
from portal.models import Organization, User
from portal.uploads import check_upload
from portal.visibility import Visibility

from .models import PerformanceTaskBook, QuarterlyEvaluation, QuarterlyReport, Sanction
from .performance import (
    RECTIFICATION_DUE_KIND,
    REPORT_DUE_KIND,
    end_of_day,
    in_portal_language,
    indicator_set,
    is_quarter,
    is_unit_manager,
    is_unit_staff,
    notify_unit,
    quarter_end,
    quarter_label,
    require_open,
    score_indicators,
    unit_figures,
    weighted_total,
)

# 004 §4.2 orders rectification "within a set time" and leaves the period to the bureau; the
# form offers 30 calendar days.
RECTIFICATION_DAYS = 30


# --- the quarterly evaluation (004 §3.2) -----------------------------------------------------------
def evaluation_record(
    *,
    visibility: Visibility,
    unit: LeadingUnit,
    year: int,
    quarter: int,
    scores: dict[str, Any],
    absent: bool,
    reason: str,
    actor: User,
    today: date | None = None,
) -> QuarterlyEvaluation:
    """The working group records a quarter's evaluation: scored against the indicator set and
    passed at its pass mark, or recorded as not taken part (004 §3.2, §4.4.2). Applies the
    removal rule afterwards (004 §4.4.2–3)."""
    if not is_unit_staff(visibility, unit):
        raise PermissionDenied
    require_open(unit)
    today = today or timezone.localdate()
    if not is_quarter(year, quarter) or quarter_end(year, quarter) >= today:
        raise ValidationError(_("A quarter is evaluated once it has ended."))
    label = quarter_label(year, quarter)
    duplicate = _("%(quarter)s has already been evaluated for this leading unit.") % {
        "quarter": label
    }
    if QuarterlyEvaluation.objects.filter(leading_unit=unit, year=year, quarter=quarter).exists():
        raise ValidationError(duplicate)
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the result.")})
    indicators = indicator_set()
    evaluation = QuarterlyEvaluation(
        leading_unit=unit,
        year=year,
        quarter=quarter,
        indicator_set=indicators,
        report=QuarterlyReport.objects.filter(
            leading_unit=unit, year=year, quarter=quarter
        ).first(),
        figures=unit_figures(unit),
        reason=reason.strip(),
        evaluated_by=actor,
    )
    if absent:
        evaluation.outcome = QuarterlyEvaluation.Outcome.ABSENT
    else:
        evaluation.scores = score_indicators(indicators.definition, scores)
        evaluation.total = weighted_total(indicators.definition, evaluation.scores)
        passed = evaluation.total >= Decimal(str(indicators.definition["pass_mark"]))
        evaluation.outcome = (
            QuarterlyEvaluation.Outcome.PASSED if passed else QuarterlyEvaluation.Outcome.FAILED
        )
    evaluation.full_clean()
    try:
        with transaction.atomic():
            # One evaluation of a unit at a time, so the removal rule counts every failure.
            LeadingUnit.objects.select_for_update().filter(pk=unit.pk).first()
            evaluation.save()
            audit.record_for(
                evaluation,
                action="quarterly_evaluation_recorded",
                actor=actor,
                bureau=unit.bureau,
                organization=unit.organization,
                detail={"outcome": evaluation.outcome, "total": str(evaluation.total)},
            )
            notify_unit(
                unit,
                in_portal_language(
                    gettext_noop(
                        "Quarterly evaluation %(quarter)s: %(outcome)s. Reason: %(reason)s"
                    ),
                    {
                        "quarter": label,
                        "outcome": QuarterlyEvaluation.Outcome(evaluation.outcome).label,
                        "reason": evaluation.reason,
                    },
                ),
            )
            removal_rule_apply(unit=unit, evaluation=evaluation)
    except IntegrityError:
        raise ValidationError(duplicate) from None
    return evaluation


def removal_rule_apply(*, unit: LeadingUnit, evaluation: QuarterlyEvaluation) -> Sanction | None:
    """Removal is proposed by the rules when the unit did not take part in an evaluation
    (004 §4.4.2) or has failed two evaluations in total (004 §4.4.3); a manager confirms it."""
    if evaluation.outcome == QuarterlyEvaluation.Outcome.ABSENT:
        grounds = Sanction.Grounds.SKIPPED_EVALUATION
    elif (
        evaluation.outcome == QuarterlyEvaluation.Outcome.FAILED
        and unit.quarterly_evaluations.filter(outcome=QuarterlyEvaluation.Outcome.FAILED).count()
        >= 2
    ):
        grounds = Sanction.Grounds.TWO_FAILURES
    else:
        return None
    return _removal_propose(
        unit,
        grounds=grounds,
        reason=in_portal_language(
            gettext_noop("%(grounds)s — evaluation %(quarter)s: %(reason)s"),
            {
                "grounds": Sanction.Grounds(grounds).label,
                "quarter": quarter_label(evaluation.year, evaluation.quarter),
                "reason": evaluation.reason,
            },
        ),
        evaluation=evaluation,
        actor=None,
    )


# --- sanctions (004 §4.2–§4.4) --------------------------------------------------------------------
def _removal_propose(
    unit: LeadingUnit,
    *,
    grounds: str,
    reason: str,
    actor: User | None,
    evaluation: QuarterlyEvaluation | None = None,
    evidence: Any = None,
) -> Sanction:
    existing = unit.sanctions.filter(
        kind=Sanction.Kind.REMOVAL, status=Sanction.Status.PROPOSED
    ).first()
    if existing is not None:
        return existing  # one open proposal; the manager decides it with every ground in view
    sanction = Sanction(
        leading_unit=unit,
        kind=Sanction.Kind.REMOVAL,
        grounds=grounds,
        reason=reason,
        evaluation=evaluation,
        status=Sanction.Status.PROPOSED,
        automatic=actor is None,
        created_by=actor,
    )
    if evidence is not None:
        sanction.evidence.save("evidence.pdf", evidence, save=False)
    sanction.full_clean()
    sanction.save()
    audit.record_for(
        sanction,
        action="leading_unit_removal_proposed",
        actor=actor,
        bureau=unit.bureau,
        organization=unit.organization,
        detail={"grounds": grounds, "automatic": actor is None},
    )
    notify_unit(
        unit,
        in_portal_language(
            gettext_noop(
                "Removal proposed (%(grounds)s). Reason: %(reason)s. A bureau manager decides."
            ),
            {"grounds": Sanction.Grounds(sanction.grounds).label, "reason": reason},
        ),
        staff_too=True,
    )
    return sanction


def _require_evidence(evidence: Any) -> None:
    if evidence is None:
        raise ValidationError({"evidence": _("Upload the evidence as a PDF.")})
    check_upload(evidence, allowed=["pdf"], max_mb=30)


def removal_propose(
    *,
    visibility: Visibility,
    unit: LeadingUnit,
    grounds: str,
    reason: str,
    evidence: Any,
    actor: User,
) -> Sanction:
    """Staff propose removal on grounds with evidence: forged materials, leaked secrets, improper
    fees, voluntary exit and the others of 004 §4.4 (and §4.3, rectification not done)."""
    if not is_unit_staff(visibility, unit):
        raise PermissionDenied
    require_open(unit)
    if grounds not in Sanction.MANUAL_REMOVAL_GROUNDS:
        raise ValidationError({"grounds": _("Choose the grounds for removal (004 §4.4).")})
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason.")})
    _require_evidence(evidence)
    if unit.sanctions.filter(kind=Sanction.Kind.REMOVAL, status=Sanction.Status.PROPOSED).exists():
        raise ValidationError(_("A removal is already proposed; a manager decides it first."))
    return _removal_propose(
        unit, grounds=grounds, reason=reason.strip(), actor=actor, evidence=evidence
    )


def exit_request(
    *, visibility: Visibility, unit: LeadingUnit, reason: str, actor: User
) -> Sanction:
    """The unit asks to leave (004 §4.4.1): a removal proposal on that ground, which the bureau's
    managers confirm like any other (004 §4.4, final; the unit may not apply again)."""
    if not (visibility.is_operator or unit.organization_id in visibility.admin_organization_ids):
        raise PermissionDenied
    require_open(unit)
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason.")})
    if unit.sanctions.filter(kind=Sanction.Kind.REMOVAL, status=Sanction.Status.PROPOSED).exists():
        raise ValidationError(_("A removal is already proposed; a manager decides it first."))
    return _removal_propose(
        unit, grounds=Sanction.Grounds.VOLUNTARY_EXIT, reason=reason.strip()[:2000], actor=actor
    )


def removal_decide(
    *, visibility: Visibility, sanction: Sanction, confirm: bool, note: str, actor: User
) -> Sanction:
    """A manager confirms the proposed removal (final: the unit is removed and may not apply
    again, 004 §4.4) or withdraws it."""
    unit = sanction.leading_unit
    if not is_unit_manager(visibility, unit):
        raise PermissionDenied
    if sanction.kind != Sanction.Kind.REMOVAL or sanction.status != Sanction.Status.PROPOSED:
        raise ValidationError(_("This removal is not waiting for a decision."))
    if not note.strip():
        raise ValidationError({"note": _("Record the decision.")})
    with transaction.atomic():
        # Two managers deciding at once: the second finds it decided.
        locked = Sanction.objects.select_for_update().filter(pk=sanction.pk).first()
        if locked is None or locked.status != Sanction.Status.PROPOSED:
            raise ValidationError(_("This removal is not waiting for a decision."))
        sanction.decision_note, sanction.decided_by = note.strip(), actor
        sanction.decided_at = timezone.now()
        workflow.transition(
            sanction,
            Sanction.Status.CONFIRMED if confirm else Sanction.Status.WITHDRAWN,
            actor=actor,
            action="leading_unit_removal_decided",
            bureau=unit.bureau,
            organization=unit.organization,
            note=sanction.decision_note,
            fields=["decision_note", "decided_by", "decided_at"],
        )
        if confirm:
            workflow.transition(
                unit,
                LeadingUnit.Status.REMOVED,
                actor=actor,
                action="leading_unit_removed",
                bureau=unit.bureau,
                organization=unit.organization,
                note=f"{Sanction.Grounds(sanction.grounds).label}: {sanction.reason}",
            )
            for open_order in unit.sanctions.filter(kind=Sanction.Kind.CRITICISM):
                deadlines.deadline_close(kind=RECTIFICATION_DUE_KIND, subject=open_order)
            book = PerformanceTaskBook.objects.filter(leading_unit=unit).first()
            if book is not None:
                deadlines.deadline_close(kind=REPORT_DUE_KIND, subject=book)
        message = (
            gettext_noop("Removal confirmed (%(grounds)s): %(note)s. Reason: %(reason)s")
            if confirm
            else gettext_noop("Removal withdrawn (%(grounds)s): %(note)s")
        )
        notify_unit(
            unit,
            in_portal_language(
                message,
                {
                    "grounds": Sanction.Grounds(sanction.grounds).label,
                    "note": sanction.decision_note,
                    "reason": sanction.reason,
                },
            ),
            staff_too=True,
        )
    return sanction


def criticism_order(
    *,
    visibility: Visibility,
    unit: LeadingUnit,
    grounds: str,
    reason: str,
    rectify_by: date | None,
    actor: User,
    evidence: Any = None,
    today: date | None = None,
) -> Sanction:
    """Public criticism with an order to rectify by a date (004 §4.2): a registered deadline
    with reminders to the unit's members; the unit is criticised until it has rectified."""
    if not is_unit_staff(visibility, unit):
        raise PermissionDenied
    require_open(unit)
    if grounds not in Sanction.CRITICISM_GROUNDS:
        raise ValidationError({"grounds": _("Choose the grounds for criticism (004 §4.2).")})
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason.")})
    if rectify_by is None or rectify_by <= (today or timezone.localdate()):
        raise ValidationError({"rectify_by": _("Set a rectification date after today.")})
    if evidence is not None:
        check_upload(evidence, allowed=["pdf"], max_mb=30)
    sanction = Sanction(
        leading_unit=unit,
        kind=Sanction.Kind.CRITICISM,
        grounds=grounds,
        reason=reason.strip(),
        rectify_by=rectify_by,
        status=Sanction.Status.ORDERED,
        created_by=actor,
    )
    if evidence is not None:
        sanction.evidence.save("evidence.pdf", evidence, save=False)
    sanction.full_clean()
    with transaction.atomic():
        sanction.save()
        audit.record_for(
            sanction,
            action="leading_unit_criticised",
            actor=actor,
            bureau=unit.bureau,
            organization=unit.organization,
            detail={"grounds": grounds, "rectify_by": rectify_by.isoformat()},
        )
        if unit.status == LeadingUnit.Status.ACTIVE:
            workflow.transition(
                unit,
                LeadingUnit.Status.CRITICISED,
                actor=actor,
                action="leading_unit_criticised",
                bureau=unit.bureau,
                organization=unit.organization,
                note=sanction.reason,
            )
        _rectification_deadline_set(sanction)
        notify_unit(
            unit,
            in_portal_language(
                gettext_noop("Criticism (%(grounds)s): %(reason)s. Rectify by %(date)s."),
                {
                    "grounds": Sanction.Grounds(sanction.grounds).label,
                    "reason": sanction.reason,
                    "date": rectify_by.isoformat(),
                },
            ),
        )
    return sanction


def _rectification_deadline_set(sanction: Sanction) -> None:
    unit = sanction.leading_unit
    assert sanction.rectify_by is not None
    deadlines.deadline_set(
        kind=RECTIFICATION_DUE_KIND,
        subject=sanction,
        due_at=end_of_day(sanction.rectify_by),
        title=in_portal_language(
            gettext_noop("Rectification: %(reason)s"), {"reason": sanction.reason[:80]}
        ),
        link=reverse("performance-unit", kwargs={"unit_pk": unit.pk}),
        bureau=unit.bureau,
        organization=unit.organization,
    )


def rectification_decide(
    *,
    visibility: Visibility,
    sanction: Sanction,
    action: str,
    note: str,
    actor: User,
    rectify_by: date | None = None,
    today: date | None = None,
) -> Sanction:
    """The bureau closes a rectification order: rectified (the unit is active again), or, when
    it was not done in time, continued with a new date or disqualification proposed (004 §4.3)."""
    unit = sanction.leading_unit
    if not is_unit_staff(visibility, unit):
        raise PermissionDenied
    if sanction.kind != Sanction.Kind.CRITICISM or sanction.status not in (
        Sanction.Status.ORDERED,
        Sanction.Status.OVERDUE,
    ):
        raise ValidationError(_("This rectification order is closed."))
    if not note.strip():
        raise ValidationError({"note": _("Record the decision.")})
    if action not in ("rectified", "continue", "disqualify"):
        raise ValidationError(_("Choose a decision."))
    sanction.decision_note, sanction.decided_by = note.strip(), actor
    sanction.decided_at = timezone.now()
    with transaction.atomic():
        if action == "continue":
            if rectify_by is None or rectify_by <= (today or timezone.localdate()):
                raise ValidationError({"rectify_by": _("Set a rectification date after today.")})
            sanction.rectify_by = rectify_by
            workflow.transition(
                sanction,
                Sanction.Status.ORDERED,
                actor=actor,
                action="rectification_continued",
                bureau=unit.bureau,
                organization=unit.organization,
                note=sanction.decision_note,
                fields=["rectify_by", "decision_note", "decided_by", "decided_at"],
            )
            _rectification_deadline_set(sanction)
            text = gettext_noop("Rectification continues until %(date)s: %(note)s")
        else:
            workflow.transition(
                sanction,
                Sanction.Status.RECTIFIED if action == "rectified" else Sanction.Status.OVERDUE,
                actor=actor,
                action=f"rectification_{action}",
                bureau=unit.bureau,
                organization=unit.organization,
                note=sanction.decision_note,
                fields=["decision_note", "decided_by", "decided_at"],
            )
            deadlines.deadline_close(kind=RECTIFICATION_DUE_KIND, subject=sanction)
            text = gettext_noop("Rectification accepted: %(note)s")
            if action == "disqualify":
                _removal_propose(
                    unit,
                    grounds=Sanction.Grounds.RECTIFICATION_MISSED,
                    reason=sanction.decision_note,
                    actor=actor,
                )
                text = gettext_noop(
                    "Rectification not completed in time; removal proposed: %(note)s"
                )
            elif not unit.sanctions.filter(
                kind=Sanction.Kind.CRITICISM, status__in=Sanction.OPEN
            ).exists():
                workflow.transition(
                    unit,
                    LeadingUnit.Status.ACTIVE,
                    actor=actor,
                    action="leading_unit_rectified",
                    bureau=unit.bureau,
                    organization=unit.organization,
                    note=sanction.decision_note,
                )
        notify_unit(
            unit,
            in_portal_language(
                text,
                {
                    "note": sanction.decision_note,
                    "date": sanction.rectify_by.isoformat() if sanction.rectify_by else "",
                },
            ),
        )
    return sanction


def rectification_overdue(sanction_id: int) -> None:
    """The rectification date passed without a decision: the order is overdue and the bureau
    decides to continue or disqualify (004 §4.3). Run by the deadline's due action."""
    sanction = Sanction.objects.filter(pk=sanction_id, status=Sanction.Status.ORDERED).first()
    if sanction is None:
        return
    unit = sanction.leading_unit
    workflow.transition(
        sanction,
        Sanction.Status.OVERDUE,
        actor=None,
        action="rectification_overdue",
        bureau=unit.bureau,
        organization=unit.organization,
    )
    notify_unit(
        unit,
        in_portal_language(
            gettext_noop("Rectification was due on %(date)s and is overdue (004 §4.3): %(reason)s"),
            {"date": sanction.rectify_by, "reason": sanction.reason},
        ),
        staff_too=True,
    )


# --- a removed unit may not apply again (004 §4.4) -------------------------------------------------
def removed_unit_refusal(call: Call, organization: Organization) -> str:
    """Registered with applications.services: a removed unit's organization may not apply again
    to that bureau's leading-unit calls (004 §4.4 “不得重新申请纳入”)."""
    if call.kind != Call.Kind.LEADING_UNIT:
        return ""
    removed = LeadingUnit.objects.filter(
        organization=organization, bureau_id=call.bureau_id, status=LeadingUnit.Status.REMOVED
    ).exists()
    if not removed:
        return ""
    return _(
        "Your organization was removed as a leading unit by this bureau and may not apply again "
        "(004 §4.4)."
    )
