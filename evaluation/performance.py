"""Leading units' performance: quarters and their deadlines, who may act, the task book,
quarterly reports, satisfaction ratings and the figures the evaluation is pre-filled from
(004 §2.2.11, §3.1, §3.3.1; 002 §三.3; 000 §四(一)). Recording the evaluation and the sanctions
that follow are in evaluation.performance_outcomes.

Services are keyword-only, check permission, validate, audit and notify the unit's members.
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

from applications.selectors import answers_of
from pilots.models import LeadingUnit, PilotEnterprise, ServiceProvider
from pilots.selectors import counting_assessment
from portal import audit, deadlines
from portal.labels import localized
from portal.models import Role, User
from portal.selectors import bureau_user_ids, organization_member_ids
from portal.uploads import check_upload
from portal.visibility import Visibility
from portal.workdays import add_working_days

from .models import (
    IndicatorSet,
    PerformanceTaskBook,
    QuarterlyReport,
    SatisfactionRating,
)
from .scoring import parse_score

# 004 §3.3.1 asks for a report every quarter but sets no date: the portal's default is the 10th
# working day after the quarter ends (working days on the statutory calendar, portal/workdays.py).
REPORT_WORKING_DAYS = 10
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


def is_quarter(year: int, quarter: int) -> bool:
    """A quarter the portal can date (posted years are not trusted to be sane)."""
    return 2000 <= year <= 2100 and quarter in (1, 2, 3, 4)


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


def require_open(unit: LeadingUnit) -> None:
    if unit.status == LeadingUnit.Status.REMOVED:
        raise ValidationError(_("This leading unit has been removed."))


# --- notifications --------------------------------------------------------------------------------
def _notify(user_ids: list[int], text: str, link: str) -> None:
    deadlines.notify_users(user_ids, kind=NOTICE_KIND, text=text, link=link)


def notify_unit(unit: LeadingUnit, text: str, *, staff_too: bool = False) -> None:
    """Every step reaches the unit's members (004 §4); removal steps also the bureau's managers."""
    recipients = organization_member_ids([unit.organization_id])
    if staff_too:
        recipients += bureau_user_ids(unit.bureau_id, MANAGERS)
    _notify(recipients, text, reverse("performance-unit", kwargs={"unit_pk": unit.pk}))


def in_portal_language(message: str, values: dict[str, Any]) -> str:
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
    require_open(unit)
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
        notify_unit(
            unit,
            in_portal_language(
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
        title=in_portal_language(
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
    require_open(unit)
    today = today or timezone.localdate()
    if not is_quarter(year, quarter) or quarter_start(year, quarter) > today:
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


def score_indicators(definition: dict[str, Any], scores: dict[str, Any]) -> dict[str, str]:
    parsed, errors = {}, {}
    for indicator in definition["indicators"]:
        maximum = Decimal(str(indicator["max"]))
        value = parse_score(scores.get(indicator["key"], ""), maximum)
        if value is None:
            errors[f"score_{indicator['key']}"] = _(
                "Score %(label)s from 0 to %(max)s, at most one decimal place."
            ) % {"label": localized(indicator), "max": maximum}
        else:
            parsed[indicator["key"]] = str(value)
    if errors:
        raise ValidationError(errors)
    return parsed


def weighted_total(definition: dict[str, Any], scores: dict[str, str]) -> Decimal:
    possible = sum(Decimal(str(i["max"])) for i in definition["indicators"])
    earned = sum((Decimal(v) for v in scores.values()), Decimal(0))
    return (earned * 100 / possible).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


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
