"""Write use cases of review: formal check, rounds, assignments, conflicts, scores, selection,
publicity and finalisation. Each checks permission, validates, saves, records events and audit."""

from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Application, Call
from applications.selectors import answers_of
from applications.services import lock_application, transition
from pilots.models import LeadingUnit
from pilots.services import selection
from portal import audit, deadlines
from portal.models import BUREAU_ROLES, AuditEvent, Role, User
from portal.scoping import visibility_scope
from portal.selectors import expert_pool_ids, is_member
from portal.visibility import Visibility

from .models import (
    ExpertAssignment,
    ExpertProfile,
    Objection,
    Publicity,
    PublicityEntry,
    ReviewRound,
    Rubric,
    ScoreSheet,
)
from .scoring import parse_score

S = Application.Status
A = ExpertAssignment.Status
MANAGERS = (Role.BUREAU_MANAGER, Role.BUREAU_ADMIN)
MAX_LEADING_UNITS_PER_SUB_INDUSTRY = 3  # ≤3 leading units per sub-industry (003 §三)
FORMAL_QUEUE = (S.SUBMITTED, S.RESUBMITTED, S.RECOMMENDED)


def _require_call_staff(
    visibility: Visibility, call: Call, roles: tuple[str, ...] = tuple(BUREAU_ROLES)
) -> None:
    if not (visibility.is_operator or call.bureau_id in visibility.bureau_ids_with(roles)):
        raise PermissionDenied


def _audit(action: str, actor: User, call: Call, obj: Any, **detail: Any) -> None:
    audit.record(
        action=action,
        outcome=AuditEvent.Outcome.SUCCESS,
        actor_id=actor.pk,
        bureau=call.bureau,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        detail=detail,
    )


# --- formal check --------------------------------------------------------------------------------------
def formal_check_pass(
    *, visibility: Visibility, application: Application, actor: User
) -> Application:
    _require_call_staff(visibility, application.call)
    with transaction.atomic():
        application = lock_application(application)
        if application.status not in FORMAL_QUEUE:
            raise ValidationError(_("Only a submitted application waits for the formal check."))
        if application.call.requires_recommendation and application.status == S.SUBMITTED:
            raise ValidationError(_("This call needs the county's recommendation first."))
        transition(application, S.FORMAL_PASSED, actor=actor)
    return application


# --- rounds and assignments ------------------------------------------------------------------------------
def round_create(
    *,
    visibility: Visibility,
    call: Call,
    rubric: Rubric,
    name: str,
    experts_per_application: int,
    trimmed_mean: bool,
    actor: User,
) -> ReviewRound:
    _require_call_staff(visibility, call, MANAGERS)
    if not 1 <= experts_per_application <= 15:
        raise ValidationError(
            {"experts_per_application": _("Between 1 and 15 experts per application.")}
        )
    review_round = ReviewRound(
        call=call,
        rubric=rubric,
        name=name.strip()[:200] or rubric.name,
        criteria=rubric.definition["criteria"],
        experts_per_application=experts_per_application,
        trimmed_mean=trimmed_mean,
        created_by=actor,
    )
    review_round.save()
    _audit("review_round_created", actor, call, review_round)
    return review_round


def expert_pool(call: Call) -> list[User]:
    """The experts of the issuing bureau's pool, active accounts only."""
    ids = expert_pool_ids(call.bureau_id)
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def conflict_reason(expert: User, application: Application) -> str:
    """Why an expert may not score a book, or "": they belong to the applicant, or work for it or
    for one of its alliance partners (DESIGN.md §4; 004 §2.2.13 on secrets)."""
    if is_member(expert.pk, application.organization_id):
        return _("The expert belongs to the applicant.")
    # The conflict check reads the expert's employer as the portal, whoever assigns.
    profile = ExpertProfile._base_manager.filter(user=expert).first()
    if profile and profile.employer_uscc:
        if profile.employer_uscc == application.organization.uscc:
            return _("The expert works for the applicant.")
        partners = {
            str(row.get("uscc", "")).strip().upper()
            for row in (answers_of(application).get("alliance") or {}).get("rows", [])
        }
        if profile.employer_uscc in partners:
            return _("The expert works for an alliance partner of the applicant.")
    return ""


def assignments_fill(*, visibility: Visibility, review_round: ReviewRound, actor: User) -> int:
    """Give every application that passed the formal check enough experts, balancing the load and
    excluding conflicts automatically. Returns how many assignments were made."""
    _require_call_staff(visibility, review_round.call, MANAGERS)
    if review_round.status != ReviewRound.Status.OPEN:
        raise ValidationError(_("The round is closed."))
    pool = expert_pool(review_round.call)
    load = Counter(
        dict(
            ExpertAssignment.objects.filter(round=review_round, status__in=ExpertAssignment.ACTIVE)
            .values_list("expert_id")
            .annotate(n=Count("pk"))
            .values_list("expert_id", "n")
        )
    )
    applications = Application.objects.filter(
        call=review_round.call, status__in=[S.FORMAL_PASSED, S.UNDER_REVIEW, S.SCORED]
    ).select_related("organization", "call")
    made = 0
    with transaction.atomic():
        for application in applications:
            existing = {
                a.expert_id: a
                for a in ExpertAssignment.objects.filter(
                    round=review_round, application=application
                )
            }
            active = sum(1 for a in existing.values() if a.status in ExpertAssignment.ACTIVE)
            for expert in sorted(pool, key=lambda e: (load[e.pk], e.pk)):
                if active >= review_round.experts_per_application:
                    break
                if expert.pk in existing:
                    continue
                reason = conflict_reason(expert, application)
                assignment = ExpertAssignment(
                    round=review_round,
                    application=application,
                    expert=expert,
                    assigned_by=actor,
                    status=A.EXCLUDED if reason else A.ASSIGNED,
                    conflict_reason=reason,
                )
                assignment.save()
                existing[expert.pk] = assignment
                if not reason:
                    active += 1
                    load[expert.pk] += 1
                    made += 1
            if active < review_round.experts_per_application:
                raise ValidationError(
                    _(
                        "The expert pool is too small: “%(name)s” has %(count)d of %(wanted)d experts without a conflict."
                    )
                    % {
                        "name": application.organization.name,
                        "count": active,
                        "wanted": review_round.experts_per_application,
                    }
                )
            if application.status == S.FORMAL_PASSED:
                transition(lock_application(application), S.UNDER_REVIEW, actor=actor)
    _audit("experts_assigned", actor, review_round.call, review_round, count=made)
    return made


def assignment_add(
    *,
    visibility: Visibility,
    review_round: ReviewRound,
    application: Application,
    expert: User,
    actor: User,
) -> ExpertAssignment:
    """Assign one expert by hand; a conflict is refused with its reason."""
    _require_call_staff(visibility, review_round.call, MANAGERS)
    if expert.pk not in {e.pk for e in expert_pool(review_round.call)}:
        raise ValidationError(_("This person is not in the bureau's expert pool."))
    if application.call_id != review_round.call_id or application.status not in (
        S.FORMAL_PASSED,
        S.UNDER_REVIEW,
        S.SCORED,
    ):
        raise ValidationError(
            _("Only applications of this call that passed the formal check can be assigned.")
        )
    reason = conflict_reason(expert, application)
    if reason:
        raise ValidationError(reason)
    assignment, created = ExpertAssignment.objects.get_or_create(
        round=review_round, application=application, expert=expert, defaults={"assigned_by": actor}
    )
    if not created:
        raise ValidationError(_("This expert is already assigned to this application."))
    if application.status == S.FORMAL_PASSED:
        transition(lock_application(application), S.UNDER_REVIEW, actor=actor)
    _audit("expert_assigned", actor, review_round.call, assignment, expert=expert.username)
    return assignment


def conflict_declare(
    *,
    visibility: Visibility,
    assignment: ExpertAssignment,
    has_conflict: bool,
    reason: str,
    actor: User,
) -> ExpertAssignment:
    """Before scoring, the expert declares whether they have a conflict of interest."""
    if assignment.expert_id != actor.pk:
        raise PermissionDenied
    if assignment.status != A.ASSIGNED:
        raise ValidationError(_("The declaration has already been made."))
    if has_conflict and not reason.strip():
        raise ValidationError({"reason": _("Describe the conflict of interest.")})
    assignment.status = A.CONFLICT if has_conflict else A.ACCEPTED
    assignment.conflict_reason = reason.strip()[:2000]
    assignment.declared_at = timezone.now()
    assignment.save(update_fields=["status", "conflict_reason", "declared_at"])
    if not has_conflict:
        ScoreSheet.objects.get_or_create(assignment=assignment)
    _audit("conflict_declared", actor, assignment.round.call, assignment, conflict=has_conflict)
    return assignment


# --- score sheets -----------------------------------------------------------------------------------------
def sheet_save(
    *,
    visibility: Visibility,
    sheet: ScoreSheet,
    scores: dict[str, str],
    comments: dict[str, str],
    overall_comment: str,
    submit: bool,
    actor: User,
) -> ScoreSheet:
    assignment = sheet.assignment
    if assignment.expert_id != actor.pk:
        raise PermissionDenied
    if assignment.round.status != ReviewRound.Status.OPEN:
        raise ValidationError(_("The round is closed."))
    if sheet.status == ScoreSheet.Status.SUBMITTED:
        raise ValidationError(
            _("The sheet is submitted; ask the bureau to reopen it to change it.")
        )
    errors = {}
    criteria = assignment.round.criteria
    for criterion in criteria:
        raw = str(scores.get(criterion["key"], "")).strip()
        if raw and parse_score(raw, Decimal(str(criterion["max"]))) is None:
            errors[criterion["key"]] = _(
                "Enter a score from 0 to %(max)s with at most one decimal."
            ) % {"max": criterion["max"]}
        elif not raw and submit:
            errors[criterion["key"]] = _("Score every criterion before submitting.")
    if errors:
        raise ValidationError(errors)
    before = dict(sheet.scores)
    sheet.scores = {c["key"]: str(scores.get(c["key"], "")).strip() for c in criteria}
    sheet.comments = {c["key"]: str(comments.get(c["key"], "")).strip()[:2000] for c in criteria}
    sheet.overall_comment = overall_comment.strip()[:5000]
    if submit:
        sheet.status, sheet.submitted_at = ScoreSheet.Status.SUBMITTED, timezone.now()
    with transaction.atomic():
        sheet.save()
        if submit:
            assignment.status = A.SUBMITTED
            assignment.save(update_fields=["status"])
            _maybe_scored(assignment.application, assignment.round, actor)
    audit.record_for(
        sheet,
        action="scores_submitted" if submit else "scores_saved",
        actor=actor,
        bureau=assignment.round.call.bureau,
        detail={"before": before, "after": sheet.scores},
    )
    return sheet


def _maybe_scored(application: Application, review_round: ReviewRound, actor: User) -> None:
    # The expert saving may not see the other experts' assignments (blind scoring); whether all
    # sheets are in is the portal's decision, taken with the system's visibility.
    with visibility_scope(Visibility.system()):
        _mark_scored_when_complete(application, review_round, actor)


def _mark_scored_when_complete(
    application: Application, review_round: ReviewRound, actor: User
) -> None:
    active = ExpertAssignment.objects.filter(
        round=review_round, application=application, status__in=ExpertAssignment.ACTIVE
    )
    if (
        active.count() >= review_round.experts_per_application
        and not active.exclude(status=A.SUBMITTED).exists()
    ):
        locked = lock_application(application)
        if locked.status == S.UNDER_REVIEW:
            transition(locked, S.SCORED, actor=actor)


def sheet_reopen(
    *, visibility: Visibility, sheet: ScoreSheet, reason: str, actor: User
) -> ScoreSheet:
    call = sheet.assignment.round.call
    _require_call_staff(visibility, call, MANAGERS)
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for reopening the sheet.")})
    if (
        sheet.status != ScoreSheet.Status.SUBMITTED
        or sheet.assignment.round.status != ReviewRound.Status.OPEN
    ):
        raise ValidationError(_("Only a submitted sheet of an open round can be reopened."))
    sheet.status, sheet.reopen_reason = ScoreSheet.Status.DRAFT, reason.strip()[:2000]
    sheet.save(update_fields=["status", "reopen_reason", "updated_at"])
    assignment = sheet.assignment
    assignment.status = A.ACCEPTED
    assignment.save(update_fields=["status"])
    application = lock_application(assignment.application)
    if application.status == S.SCORED:
        transition(application, S.UNDER_REVIEW, actor=actor, note=reason.strip())
    _audit("sheet_reopened", actor, call, sheet, reason=reason.strip())
    return sheet


def round_close(*, visibility: Visibility, review_round: ReviewRound, actor: User) -> ReviewRound:
    _require_call_staff(visibility, review_round.call, MANAGERS)
    return _close(review_round, actor, timezone.now())


def _close(review_round: ReviewRound, actor: User, now: datetime) -> ReviewRound:
    review_round.status, review_round.closed_at = ReviewRound.Status.CLOSED, now
    review_round.save(update_fields=["status", "closed_at"])
    _audit("review_round_closed", actor, review_round.call, review_round)
    return review_round


# --- selection, publicity, finalisation --------------------------------------------------------------------
def cap_warnings(applications: list[Application], call: Call) -> list[str]:
    """More leading units in a sub-industry than the cap (003 §三(三)): a warning to acknowledge.

    Counts the city's whole picture, not only this proposal: units already serving (active or
    under rectification), and books already proposed or on public notice in any of the bureau's
    leading-unit calls."""
    if call.kind != Call.Kind.LEADING_UNIT:
        return []
    chosen = {a.pk for a in applications}
    pending = (
        Application.objects.filter(
            call__bureau_id=call.bureau_id,
            call__kind=Call.Kind.LEADING_UNIT,
            status__in=[S.PROPOSED, S.IN_PUBLICITY],
        )
        .exclude(pk__in=chosen)
        .only("sub_industries_index")
    )
    serving = LeadingUnit.objects.filter(bureau_id=call.bureau_id).exclude(
        status=LeadingUnit.Status.REMOVED
    )
    counts = Counter(industry for a in [*applications, *pending] for industry in a.sub_industries)
    counts.update(industry for unit in serving for industry in unit.sub_industries)
    return [
        _(
            "Sub-industry “%(name)s” would have %(count)d leading units; at most %(max)d per sub-industry (003 §3)."
        )
        % {"name": name, "count": count, "max": MAX_LEADING_UNITS_PER_SUB_INDUSTRY}
        for name, count in sorted(counts.items())
        if count > MAX_LEADING_UNITS_PER_SUB_INDUSTRY
        and name in {i for a in applications for i in a.sub_industries}
    ]


def selection_propose(
    *,
    visibility: Visibility,
    review_round: ReviewRound,
    application_ids: list[int],
    acknowledged: bool,
    actor: User,
) -> list[str]:
    """Mark the proposed selection (拟入选). Cap warnings must be acknowledged; returns them."""
    call = review_round.call
    _require_call_staff(visibility, call, MANAGERS)
    chosen = list(Application.objects.filter(call=call, pk__in=application_ids, status=S.SCORED))
    if not chosen or len(chosen) != len(set(application_ids)):
        raise ValidationError(_("Choose scored applications of this call."))
    warnings = cap_warnings(chosen, call)
    if warnings and not acknowledged:
        raise ValidationError(
            warnings + [_("Tick the acknowledgement to propose them anyway.")], code="caps"
        )
    with transaction.atomic():
        for application in chosen:
            transition(
                lock_application(application), S.PROPOSED, actor=actor, note="; ".join(warnings)
            )
    _audit(
        "selection_proposed",
        actor,
        call,
        review_round,
        applications=[a.pk for a in chosen],
        warnings=warnings,
    )
    return warnings


DEFAULT_PUBLICITY_DAYS = 5


def publicity_rule(call: Call) -> tuple[int, str]:
    """The notice period a call's own document sets, and where it says so; the portal's default
    with a note when the document names publicity without a period."""
    if call.kind == Call.Kind.BENCHMARK:
        return 5, _("The benchmark call sets a 5-day notice (001 §3(4)).")
    if call.kind == Call.Kind.LEADING_UNIT:
        return DEFAULT_PUBLICITY_DAYS, _(
            "The leading units are publicised before they are named (004 §1.2); the call (000) sets "
            "no period, so 5 days are proposed."
        )
    if call.kind == Call.Kind.CITY_PLAN:
        return DEFAULT_PUBLICITY_DAYS, _(
            "The shortlisted cities are publicised on the department's website (003 §2(3)); the "
            "call sets no period, so 5 days are proposed."
        )
    return DEFAULT_PUBLICITY_DAYS, _("The call sets no notice period; 5 days are proposed.")


def publicity_create(
    *,
    visibility: Visibility,
    call: Call,
    title: str,
    body: str,
    days: int,
    contact: str,
    actor: User,
) -> Publicity:
    _require_call_staff(visibility, call, MANAGERS)
    proposed = list(
        Application.objects.filter(call=call, status=S.PROPOSED).select_related("organization")
    )
    if not proposed:
        raise ValidationError(_("No application of this call is proposed for selection."))
    if not 1 <= days <= 30:
        raise ValidationError({"days": _("Between 1 and 30 days.")})
    publicity = Publicity(
        call=call,
        title=title.strip()[:200],
        body=body.strip(),
        days=days,
        contact=contact.strip()[:200],
        created_by=actor,
    )
    publicity.save()
    PublicityEntry.objects.bulk_create(
        PublicityEntry(
            publicity=publicity,
            application=a,
            organization_name=a.organization.name,
            sub_industries=" / ".join(a.sub_industries),
            position=n,
        )
        for n, a in enumerate(sorted(proposed, key=lambda a: a.organization.name), 1)
    )
    _audit("publicity_created", actor, call, publicity)
    return publicity


def publicity_publish(
    *, visibility: Visibility, publicity: Publicity, actor: User, now: datetime | None = None
) -> Publicity:
    """Publish the notice for its days (5 in 001 §三(四)); the end is a deadline with reminders."""
    call = publicity.call
    _require_call_staff(visibility, call, MANAGERS)
    if publicity.status != Publicity.Status.DRAFT:
        raise ValidationError(_("Only a draft notice can be published."))
    now = now or timezone.now()
    publicity.starts_at, publicity.ends_at = now, now + timedelta(days=publicity.days)
    publicity.status = Publicity.Status.PUBLISHED
    publicity.save(update_fields=["starts_at", "ends_at", "status"])
    with transaction.atomic():
        for entry in publicity.entries.select_related("application"):
            transition(lock_application(entry.application), S.IN_PUBLICITY, actor=actor)
    deadlines.deadline_set(
        kind="publicity_end",
        subject=publicity,
        due_at=publicity.ends_at,
        title=publicity.title,
        link=f"/publicity/{publicity.pk}/",
        bureau=call.bureau,
    )
    _audit("publicity_published", actor, call, publicity)
    return publicity


def _objection_words(text: str) -> str:
    return "".join(text.casefold().split())


def objection_submit(
    *, publicity: Publicity, entry: PublicityEntry | None, name: str, contact: str, text: str
) -> Objection:
    """Anyone may object while the notice runs; the objection goes to the issuing bureau."""
    if publicity.status != Publicity.Status.PUBLISHED or (
        publicity.ends_at and timezone.now() > publicity.ends_at
    ):
        raise ValidationError(_("The publicity period is over; objections are no longer accepted."))
    objection = Objection(
        publicity=publicity,
        entry=entry,
        name=name.strip()[:100],
        contact=contact.strip()[:100],
        text=text.strip(),
    )
    objection.full_clean()
    # The same words twice on one notice are one objection (an anonymous form must not be a
    # way to flood the bureau's desk): compared without case and whitespace.
    said = _objection_words(objection.text)
    # The objector (often anonymous) may not read objections; the comparison answers only
    # whether these very words are already on file, never shows another objection.
    earlier = Objection._base_manager.filter(publicity=publicity).values_list("text", flat=True)
    if any(_objection_words(text) == said for text in earlier.iterator()):
        raise ValidationError(
            {"text": _("The same objection has already been received for this notice.")}
        )
    objection.save()
    audit.record(
        action="objection_submitted",
        outcome=AuditEvent.Outcome.SUCCESS,
        bureau=publicity.call.bureau,
        object_type="evaluation.objection",
        object_id=str(objection.pk),
    )
    return objection


def objection_handle(
    *, visibility: Visibility, objection: Objection, uphold: bool, note: str, actor: User
) -> Objection:
    call = objection.publicity.call
    _require_call_staff(visibility, call, MANAGERS)
    if objection.status != Objection.Status.OPEN:
        raise ValidationError(_("This objection has been handled."))
    if not note.strip():
        raise ValidationError({"note": _("Record how the objection was handled.")})
    objection.status = Objection.Status.UPHELD if uphold else Objection.Status.DISMISSED
    objection.handling_note, objection.handled_by, objection.handled_at = (
        note.strip(),
        actor,
        timezone.now(),
    )
    objection.save(update_fields=["status", "handling_note", "handled_by", "handled_at"])
    if uphold and objection.entry_id:
        PublicityEntry.objects.filter(pk=objection.entry_id).update(withdrawn=True)
    _audit("objection_handled", actor, call, objection, upheld=uphold)
    return objection


def publicity_finalise(
    *, visibility: Visibility, publicity: Publicity, actor: User, now: datetime | None = None
) -> list[Any]:
    """After the publicity: the remaining entries are selected and their domain records created
    (DESIGN.md §4); everything else scored in the call is not selected."""
    call = publicity.call
    _require_call_staff(visibility, call, MANAGERS)
    now = now or timezone.now()
    if (
        publicity.status == Publicity.Status.PUBLISHED
        and publicity.ends_at
        and now >= publicity.ends_at
    ):
        publicity.status = Publicity.Status.ENDED
    if publicity.status != Publicity.Status.ENDED:
        raise ValidationError(
            _("The notice can be finalised only after its publicity period has ended.")
        )
    if publicity.objections.filter(status=Objection.Status.OPEN).exists():
        raise ValidationError(_("Handle every objection before finalising."))
    created: list[Any] = []
    with transaction.atomic():
        selected_ids = set()
        for entry in publicity.entries.select_related(
            "application", "application__organization", "application__call"
        ):
            application = lock_application(entry.application)
            if entry.withdrawn:
                transition(
                    application, S.NOT_SELECTED, actor=actor, note=_("An objection was upheld.")
                )
                continue
            transition(application, S.SELECTED, actor=actor)
            selected_ids.add(application.pk)
            created.append(selection.outcome_create(application=application, selected_at=now))
        for application in Application.objects.filter(
            call=call, status__in=[S.SCORED, S.PROPOSED, S.IN_PUBLICITY]
        ).exclude(pk__in=selected_ids):
            transition(lock_application(application), S.NOT_SELECTED, actor=actor)
        publicity.status, publicity.finalised_at = Publicity.Status.FINALISED, now
        publicity.save(update_fields=["status", "finalised_at"])
        # The selection is final: the call's rounds are over, whoever forgot to close them.
        for review_round in ReviewRound.objects.filter(call=call).exclude(
            status=ReviewRound.Status.CLOSED
        ):
            _close(review_round, actor, now)
    deadlines.deadline_close(kind="publicity_end", subject=publicity)
    _audit("selection_finalised", actor, call, publicity, selected=sorted(selected_ids))
    return created
