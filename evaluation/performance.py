"""Leading units' performance: the task book, quarterly reports, the quarterly evaluation,
satisfaction ratings and sanctions (004 §2.2.11, §3, §4; 002 §三.3; 000 §四(一)).

Services are keyword-only, check permission, validate, audit (or transition) and notify the
unit's members; reads at the bottom are used by the views and the evaluation's pre-fill.
"""

from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from applications.models import Call
from applications.selectors import answers_of
from pilots.models import LeadingUnit, PilotEnterprise, ServiceProvider
from pilots.selectors import counting_assessment
from portal import audit, deadlines, workflow
from portal.models import Organization, Role, User
from portal.selectors import bureau_user_ids, organization_member_ids
from portal.uploads import check_upload
from portal.visibility import Visibility
from portal.workdays import add_working_days

from .models import (
    IndicatorSet,
    PerformanceTaskBook,
    QuarterlyEvaluation,
    QuarterlyReport,
    Sanction,
    SatisfactionRating,
)
from .scoring import parse_score

# 004 §3.3.1 asks for a report every quarter but sets no date: the portal's default is the 10th
# working day after the quarter ends (working days on the statutory calendar, portal/workdays.py).
REPORT_WORKING_DAYS = 10
# 004 §4.2 orders rectification "within a set time" and leaves the period to the bureau; the
# form offers 30 calendar days.
RECTIFICATION_DAYS = 30
INDICATOR_SET = "leading-unit-quarterly-2025"
FIGURES = ("enrolled", "contracts_signed", "in_transformation", "completed", "level_two")
MANAGERS = (Role.BUREAU_MANAGER, Role.BUREAU_ADMIN)
IN_TRANSFORMATION = (PilotEnterprise.Status.CONTRACTED, PilotEnterprise.Status.IN_TRANSFORMATION)
COMPLETED = (
    PilotEnterprise.Status.COMPLETED,
    PilotEnterprise.Status.ACCEPTANCE_APPLIED,
    PilotEnterprise.Status.ACCEPTED,
)
NOTICE_KIND = "leading_unit_performance"
REPORT_DUE_KIND = "quarterly_report_due"
RECTIFICATION_DUE_KIND = "rectification_due"


# --- quarters -------------------------------------------------------------------------------------
def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_start(year: int, quarter: int) -> date:
    return date(year, 3 * quarter - 2, 1)


def quarter_end(year: int, quarter: int) -> date:
    if quarter == 4:
        return date(year, 12, 31)
    return date(year, 3 * quarter + 1, 1) - timedelta(days=1)


def previous_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


def report_due_on(year: int, quarter: int) -> date:
    """The quarter's report is due on the 10th working day after it ends (see above)."""
    return add_working_days(quarter_end(year, quarter), REPORT_WORKING_DAYS)


def end_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))


def quarter_label(year: int, quarter: int) -> str:
    return _("%(year)d Q%(quarter)d") % {"year": year, "quarter": quarter}


# --- who may do what ------------------------------------------------------------------------------
def is_unit_staff(visibility: Visibility, unit: LeadingUnit) -> bool:
    """The working group sits at the bureau that selected the unit (004 §2.1)."""
    return visibility.works_for(unit.bureau_id)


def is_unit_manager(visibility: Visibility, unit: LeadingUnit) -> bool:
    return visibility.is_operator or unit.bureau_id in visibility.bureau_ids_with(MANAGERS)


def is_unit_member(visibility: Visibility, unit: LeadingUnit) -> bool:
    return unit.organization_id in visibility.organization_ids


def _require_open(unit: LeadingUnit) -> None:
    if unit.status == LeadingUnit.Status.REMOVED:
        raise ValidationError(_("This leading unit has been removed."))


# --- notifications --------------------------------------------------------------------------------
def _notify(user_ids: list[int], text: str, link: str) -> None:
    for user in User.objects.filter(pk__in=set(user_ids)):
        deadlines.notify(user=user, kind=NOTICE_KIND, params={"text": text}, link=link)


def _notify_unit(unit: LeadingUnit, text: str, *, staff_too: bool = False) -> None:
    """Every step reaches the unit's members (004 §4); removal steps also the bureau's managers."""
    recipients = organization_member_ids([unit.organization_id])
    if staff_too:
        recipients += bureau_user_ids(unit.bureau_id, MANAGERS)
    _notify(recipients, text, reverse("performance-unit", kwargs={"unit_pk": unit.pk}))


def _in_portal_language(message: str, values: dict[str, Any]) -> str:
    """Inbox texts are stored in the portal's language (Chinese), like the emails."""
    with translation.override(settings.LANGUAGE_CODE):
        return _(message) % values


# --- the task book (004 §3.1; 000 §四(一)) ---------------------------------------------------------
def committed_targets(unit: LeadingUnit) -> list[dict[str, Any]]:
    """The committed-targets table of the unit's application book (000 §四(一)), if it has one."""
    application = unit.source_application
    if application is None:
        return []
    rows = (answers_of(application).get("targets") or {}).get("rows") or []
    keys = ("sub_industry", "enterprises", "above_scale", "level_two")
    return [{key: row.get(key, "") for key in keys} for row in rows if row.get("sub_industry")]


def task_book_of(unit: LeadingUnit) -> PerformanceTaskBook:
    """The unit's task book, or an unsaved one pre-filled from its committed targets."""
    book = PerformanceTaskBook.objects.filter(leading_unit=unit).first()
    if book is None:
        book = PerformanceTaskBook(leading_unit=unit, targets=committed_targets(unit))
    return book


def _clean_targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cleaned = []
    for row in rows:
        name = str(row.get("sub_industry", "")).strip()[:100]
        if not name:
            continue
        item: dict[str, Any] = {"sub_industry": name}
        for key in ("enterprises", "above_scale", "level_two"):
            try:
                value = int(str(row.get(key) or 0))
            except ValueError:
                value = -1
            if value < 0:
                raise ValidationError(
                    _("Targets are whole numbers of enterprises, zero or more (%(row)s).")
                    % {"row": name}
                )
            item[key] = value
        cleaned.append(item)
    if not cleaned:
        raise ValidationError(_("Enter at least one sub-industry with its targets."))
    return cleaned


def task_book_set(
    *,
    visibility: Visibility,
    unit: LeadingUnit,
    targets: list[dict[str, Any]],
    duties: str,
    actor: User,
    today: date | None = None,
) -> PerformanceTaskBook:
    """The bureau sets (or adjusts) the unit's performance task book (004 §3.1)."""
    if not is_unit_staff(visibility, unit):
        raise PermissionDenied
    _require_open(unit)
    book = task_book_of(unit)
    created = book.pk is None
    book.targets, book.duties, book.updated_by = _clean_targets(targets), duties.strip(), actor
    book.full_clean()
    book.save()
    audit.record_for(
        book,
        action="performance_task_book_set",
        actor=actor,
        bureau=unit.bureau,
        organization=unit.organization,
        detail={"targets": book.targets},
    )
    if created:
        _report_deadline_set(book, *quarter_of(today or timezone.localdate()))
        _notify_unit(
            unit,
            _in_portal_language(
                gettext_noop(
                    "The bureau has issued your performance task book; report progress every "
                    "quarter (004 §3.1, §3.3.1)."
                ),
                {},
            ),
        )
    return book


def _report_deadline_set(book: PerformanceTaskBook, year: int, quarter: int) -> None:
    unit = book.leading_unit
    deadlines.deadline_set(
        kind=REPORT_DUE_KIND,
        subject=book,
        due_at=end_of_day(report_due_on(year, quarter)),
        title=_in_portal_language(
            gettext_noop("Quarterly report %(quarter)s"), {"quarter": quarter_label(year, quarter)}
        ),
        link=reverse("performance-unit", kwargs={"unit_pk": unit.pk}),
        bureau=unit.bureau,
        organization=unit.organization,
    )


# --- quarterly reports (004 §2.2.11, §3.3.1) -------------------------------------------------------
def _clean_figures(figures: dict[str, Any]) -> dict[str, int]:
    cleaned = {}
    for key in (*FIGURES, "solutions"):
        try:
            value = int(str(figures.get(key) or 0))
        except ValueError:
            value = -1
        if value < 0:
            raise ValidationError({key: _("Enter a whole number, zero or more.")})
        cleaned[key] = value
    return cleaned


def report_submit(
    *,
    visibility: Visibility,
    unit: LeadingUnit,
    year: int,
    quarter: int,
    figures: dict[str, Any],
    duties_done: str,
    evidence: Any,
    actor: User,
    today: date | None = None,
) -> QuarterlyReport:
    """The unit reports a quarter's progress with evidence, by the quarter's deadline."""
    if not (visibility.is_operator or is_unit_member(visibility, unit)):
        raise PermissionDenied
    _require_open(unit)
    today = today or timezone.localdate()
    if quarter not in (1, 2, 3, 4) or quarter_start(year, quarter) > today:
        raise ValidationError(_("This quarter has not started yet."))
    due = report_due_on(year, quarter)
    if today > due:
        raise ValidationError(
            _(
                "The report for %(quarter)s was due on %(due)s; it can no longer be submitted. "
                "Contact the bureau's working group."
            )
            % {"quarter": quarter_label(year, quarter), "due": due.isoformat()}
        )
    if QuarterlyReport.objects.filter(leading_unit=unit, year=year, quarter=quarter).exists():
        raise ValidationError(
            _("The report for %(quarter)s has already been submitted.")
            % {"quarter": quarter_label(year, quarter)}
        )
    if not duties_done.strip():
        raise ValidationError({"duties_done": _("Describe the duties done this quarter.")})
    if evidence is None:
        raise ValidationError({"evidence": _("Upload the evidence as a PDF.")})
    check_upload(evidence, allowed=["pdf"], max_mb=30)
    report = QuarterlyReport(
        leading_unit=unit,
        year=year,
        quarter=quarter,
        figures=_clean_figures(figures),
        duties_done=duties_done.strip(),
        submitted_by=actor,
    )
    report.evidence.save("evidence.pdf", evidence, save=False)
    report.full_clean()
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:
        raise ValidationError(
            _("The report for %(quarter)s has already been submitted.")
            % {"quarter": quarter_label(year, quarter)}
        ) from None
    audit.record_for(
        report,
        action="quarterly_report_submitted",
        actor=actor,
        bureau=unit.bureau,
        organization=unit.organization,
    )
    book = PerformanceTaskBook.objects.filter(leading_unit=unit).first()
    if book is not None:  # the next quarter's report is due next
        next_year, next_quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
        _report_deadline_set(book, next_year, next_quarter)
    return report


# --- the quarterly evaluation (004 §3.2) -----------------------------------------------------------
def indicator_set() -> IndicatorSet:
    found = IndicatorSet.objects.filter(code=INDICATOR_SET).order_by("-version").first()
    if found is None:
        raise LookupError(f"indicator set {INDICATOR_SET} is not installed")
    return found


def _score_indicators(definition: dict[str, Any], scores: dict[str, Any]) -> dict[str, str]:
    parsed, errors = {}, {}
    for indicator in definition["indicators"]:
        maximum = Decimal(str(indicator["max"]))
        value = parse_score(scores.get(indicator["key"], ""), maximum)
        if value is None:
            errors[f"score_{indicator['key']}"] = _(
                "Score %(label)s from 0 to %(max)s, at most one decimal place."
            ) % {"label": indicator["label"], "max": maximum}
        else:
            parsed[indicator["key"]] = str(value)
    if errors:
        raise ValidationError(errors)
    return parsed


def _total(definition: dict[str, Any], scores: dict[str, str]) -> Decimal:
    possible = sum(Decimal(str(i["max"])) for i in definition["indicators"])
    earned = sum((Decimal(v) for v in scores.values()), Decimal(0))
    return (earned * 100 / possible).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


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
    _require_open(unit)
    today = today or timezone.localdate()
    if quarter not in (1, 2, 3, 4) or quarter_end(year, quarter) >= today:
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
        evaluation.scores = _score_indicators(indicators.definition, scores)
        evaluation.total = _total(indicators.definition, evaluation.scores)
        passed = evaluation.total >= Decimal(str(indicators.definition["pass_mark"]))
        evaluation.outcome = (
            QuarterlyEvaluation.Outcome.PASSED if passed else QuarterlyEvaluation.Outcome.FAILED
        )
    evaluation.full_clean()
    try:
        with transaction.atomic():
            evaluation.save()
            audit.record_for(
                evaluation,
                action="quarterly_evaluation_recorded",
                actor=actor,
                bureau=unit.bureau,
                organization=unit.organization,
                detail={"outcome": evaluation.outcome, "total": str(evaluation.total)},
            )
            _notify_unit(
                unit,
                _in_portal_language(
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
        reason=_in_portal_language(
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
    _notify_unit(
        unit,
        _in_portal_language(
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
    _require_open(unit)
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
    sanction.decision_note, sanction.decided_by = note.strip(), actor
    sanction.decided_at = timezone.now()
    with transaction.atomic():
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
        _notify_unit(
            unit,
            _in_portal_language(
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
    _require_open(unit)
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
        _notify_unit(
            unit,
            _in_portal_language(
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
        title=_in_portal_language(
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
        _notify_unit(
            unit,
            _in_portal_language(
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
    _notify_unit(
        unit,
        _in_portal_language(
            gettext_noop("Rectification was due on %(date)s and is overdue (004 §4.3): %(reason)s"),
            {"date": sanction.rectify_by, "reason": sanction.reason},
        ),
        staff_too=True,
    )


# --- satisfaction (002 §三.3) ----------------------------------------------------------------------
def satisfaction_rate(
    *,
    visibility: Visibility,
    enterprise: PilotEnterprise,
    provider: ServiceProvider | None,
    score: int,
    comment: str,
    actor: User,
) -> SatisfactionRating:
    """A pilot enterprise rates its leading unit (no provider) or a provider of its county's list
    it used (002 §三.3); a second rating replaces the first."""
    if enterprise.organization_id not in visibility.organization_ids:
        raise PermissionDenied
    if provider is not None and provider.bureau_id != enterprise.bureau_id:
        raise ValidationError({"provider": _("Choose a provider from your county's list.")})
    if score not in (1, 2, 3, 4, 5):
        raise ValidationError({"score": _("Rate from 1 to 5.")})
    rating = SatisfactionRating.objects.filter(
        enterprise=enterprise, provider=provider
    ).first() or SatisfactionRating(enterprise=enterprise, provider=provider)
    rating.score, rating.comment, rating.rated_by = score, comment.strip()[:2000], actor
    rating.full_clean(validate_constraints=False)
    rating.save()
    audit.record_for(
        rating,
        action="satisfaction_rated",
        actor=actor,
        bureau=enterprise.bureau,
        organization=enterprise.organization,
        detail={"provider": provider.pk if provider else None, "score": score},
    )
    return rating


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


# --- reads ----------------------------------------------------------------------------------------
def unit_figures(unit: LeadingUnit) -> dict[str, int]:
    """The portal's own figures for a unit's report and evaluation: its pilot enterprises by
    status, contracts signed, and enterprises at digital level 2 or above after transformation."""
    enterprises = list(unit.enterprises.all())
    by_status: dict[str, int] = {}
    for enterprise in enterprises:
        by_status[enterprise.status] = by_status.get(enterprise.status, 0) + 1
    level_two = 0
    for enterprise in enterprises:
        if enterprise.status in COMPLETED:
            after = counting_assessment(enterprise, "after")
            level_two += int(after is not None and after.level >= 2)
    return {
        "enrolled": len(enterprises),
        "contracts_signed": unit.enterprises.filter(contract__status="signed").count(),
        "in_transformation": sum(by_status.get(s, 0) for s in IN_TRANSFORMATION),
        "completed": sum(by_status.get(s, 0) for s in COMPLETED),
        "level_two": level_two,
    }


def unit_satisfaction(unit: LeadingUnit) -> tuple[Decimal | None, int]:
    found = SatisfactionRating.objects.filter(
        enterprise__leading_unit=unit, provider__isnull=True
    ).aggregate(mean=Avg("score"), count=Count("pk"))
    mean = found["mean"]
    return (Decimal(str(mean)).quantize(Decimal("0.01")) if mean is not None else None), found[
        "count"
    ]


def provider_satisfaction(providers: Any) -> dict[int, tuple[Decimal, int]]:
    """Mean rating and count per provider (002 §三.3: the basis of providers' dynamic management)."""
    rows = (
        SatisfactionRating.objects.filter(provider__in=providers)
        .values("provider_id")
        .annotate(mean=Avg("score"), count=Count("pk"))
    )
    return {
        row["provider_id"]: (Decimal(str(row["mean"])).quantize(Decimal("0.01")), row["count"])
        for row in rows
    }


def _ratio_score(done: int, target: int, maximum: Decimal) -> Decimal:
    if target <= 0:
        return maximum if done > 0 else Decimal(0)
    return min(maximum, maximum * done / target).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def suggested_scores(
    unit: LeadingUnit, year: int, quarter: int, definition: dict[str, Any]
) -> dict[str, Decimal]:
    """Scores the portal's figures suggest for indicators with a ``prefill`` (the evaluator
    decides): enterprises completed and at level 2 against the task book's targets, the
    enterprises' mean satisfaction, and whether the quarter's report came in."""
    book = task_book_of(unit)
    figures = unit_figures(unit)
    mean, _count = unit_satisfaction(unit)
    reported = QuarterlyReport.objects.filter(leading_unit=unit, year=year, quarter=quarter)
    suggestions = {}
    for indicator in definition["indicators"]:
        maximum = Decimal(str(indicator["max"]))
        source = indicator.get("prefill")
        if source == "completed_ratio":
            value = _ratio_score(figures["completed"], book.target_total("enterprises"), maximum)
        elif source == "level_two_ratio":
            value = _ratio_score(figures["level_two"], book.target_total("level_two"), maximum)
        elif source == "satisfaction" and mean is not None:
            value = (maximum * mean / 5).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        elif source == "report_on_time":
            value = maximum if reported.exists() else Decimal(0)
        else:
            continue
        suggestions[indicator["key"]] = value
    return suggestions


def quarters_due(unit: LeadingUnit, today: date | None = None) -> list[tuple[int, int]]:
    """Ended quarters since the unit was selected, newest first (at most eight)."""
    today = today or timezone.localdate()
    year, quarter = previous_quarter(*quarter_of(today))
    first = quarter_of(timezone.localtime(unit.selected_at).date())
    found: list[tuple[int, int]] = []
    while (year, quarter) >= first and len(found) < 8:
        found.append((year, quarter))
        year, quarter = previous_quarter(year, quarter)
    return found
