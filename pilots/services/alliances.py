"""Alliance changes: filed, reviewed, publicly noticed and published (004 §4.6, §4.8)."""

from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import audit, uscc, workflow
from portal.models import Organization, User
from portal.uploads import check_upload
from portal.visibility import Visibility
from portal.workdays import add_working_days, working_days_between

from ..models import AllianceChange, AllianceMember

# --- alliance changes (004 §4.6, §4.8) -------------------------------------------------------------------
CHANGE_MATERIALS = ("licence", "legal_rep_id", "accounts", "credit_report")  # 004 §4.6.1
CHANGE_PUBLICITY_DAYS = 5
RENAME_NOTICE_WORKING_DAYS = 10  # reported 10 working days before the formalities (004 §4.8)


def _check_member(
    alliance: Any,
    kind: str,
    member_name: str,
    member_uscc: str,
    role: str,
    materials: dict[str, Any],
    errors: dict[str, Any],
) -> str:
    """The member's identity, role and materials; returns its checked code ("" when invalid)."""
    try:
        code = uscc.validate(member_uscc)
    except ValidationError as error:
        errors["member_uscc"] = error.messages
        code = ""
    if not member_name.strip():
        errors["member_name"] = [_("Enter the member's name.")]
    existing = set(alliance.members.values_list("uscc", flat=True))
    if kind != AllianceChange.Kind.ADD:
        if code and code not in existing:
            errors["member_uscc"] = [_("This organization is not in the alliance.")]
        return code
    if role not in (AllianceMember.Role.INTEGRATOR, AllianceMember.Role.ECOSYSTEM):
        errors["role"] = [_("Choose the new member's role.")]
    if code and code in existing:
        errors["member_uscc"] = [_("This organization is already in the alliance.")]
    for name in CHANGE_MATERIALS:  # 004 §4.6.1
        if not materials.get(name):
            errors[name] = [_("Upload this material as a PDF (004 §4.6.1).")]
    return code


def _check_rename_notice(planned_on: Any, today: Any, errors: dict[str, Any]) -> None:
    """Renames and reorganisations are reported 10 working days ahead (004 §4.8)."""
    earliest = add_working_days(today, RENAME_NOTICE_WORKING_DAYS)
    if planned_on is None:
        errors["planned_on"] = [_("Enter the date of the formalities.")]
    elif planned_on < earliest:
        errors["planned_on"] = [
            _(
                "Renames and reorganisations are reported 10 working days before the formalities (004 §4.8): "
                "%(days)d working days remain before %(date)s; the earliest date is %(earliest)s."
            )
            % {
                "days": working_days_between(today, planned_on),
                "date": planned_on.isoformat(),
                "earliest": earliest.isoformat(),
            }
        ]


def alliance_change_file(
    *,
    visibility: Visibility,
    alliance: Any,
    kind: str,
    member_name: str,
    member_uscc: str,
    role: str,
    reason: str,
    planned_on: Any,
    materials: dict[str, Any],
    actor: User,
    today: Any = None,
) -> Any:
    """The leading unit files a change of its alliance."""
    if not (
        visibility.is_operator
        or alliance.leading_unit.organization_id in visibility.organization_ids
    ):
        raise PermissionDenied
    if kind not in AllianceChange.Kind.values:
        raise ValidationError(_("Unknown kind of change."))
    errors: dict[str, Any] = {}
    code = _check_member(alliance, kind, member_name, member_uscc, role, materials, errors)
    if not reason.strip():
        errors["reason"] = [_("Give the reason for the change.")]
    if kind == AllianceChange.Kind.RENAME:
        _check_rename_notice(planned_on, today or timezone.localdate(), errors)
    for name, upload in materials.items():
        if upload is not None and name not in errors:
            try:
                check_upload(upload, allowed=["pdf"], max_mb=30)
            except ValidationError as error:
                errors[name] = error.messages
    if errors:
        raise ValidationError(errors)
    change = AllianceChange(
        alliance=alliance,
        kind=kind,
        member_name=member_name.strip()[:200],
        member_uscc=code,
        role=role or "",
        reason=reason.strip(),
        planned_on=planned_on,
        filed_by=actor,
        status=AllianceChange.Status.REPORTED
        if kind == AllianceChange.Kind.RENAME
        else AllianceChange.Status.FILED,
    )
    for name, upload in materials.items():
        if upload is not None:
            getattr(change, name).save("material.pdf", upload, save=False)
    change.save()
    audit.record_for(
        change,
        action="alliance_change_filed",
        actor=actor,
        bureau=alliance.bureau,
        organization=alliance.leading_unit.organization,
    )
    return change


def alliance_change_review(
    *, visibility: Visibility, change: Any, approve: bool, note: str, actor: User
) -> Any:
    """The bureau reviews a filed change; an approved one goes on public notice (004 §4.6.2–3)."""
    if not visibility.works_for(change.alliance.bureau_id):
        raise PermissionDenied
    if change.status != AllianceChange.Status.FILED:
        raise ValidationError(_("This change is not waiting for review."))
    if not note.strip():
        raise ValidationError({"note": _("Record the result of the review.")})
    change.review_note = note.strip()
    if approve:
        change.publicity_ends_at = timezone.now() + timedelta(days=CHANGE_PUBLICITY_DAYS)
    workflow.transition(
        change,
        AllianceChange.Status.IN_PUBLICITY if approve else AllianceChange.Status.REJECTED,
        actor=actor,
        action="alliance_change_reviewed",
        bureau=change.alliance.bureau,
        note=change.review_note,
        detail={"approved": approve},
        fields=["review_note", "publicity_ends_at"],
    )
    return change


def alliance_change_publish(
    *, visibility: Visibility, change: Any, actor: User, now: Any = None
) -> Any:
    """After an uncontested notice the bureau publishes the changed member list (004 §4.6.3)."""
    if not visibility.works_for(change.alliance.bureau_id):
        raise PermissionDenied
    if change.status != AllianceChange.Status.IN_PUBLICITY:
        raise ValidationError(_("This change is not in public notice."))
    if (now or timezone.now()) < change.publicity_ends_at:
        raise ValidationError(
            _("The public notice runs until %(end)s.")
            % {"end": timezone.localtime(change.publicity_ends_at).strftime("%Y-%m-%d %H:%M")}
        )
    with transaction.atomic():
        if change.kind == AllianceChange.Kind.ADD:
            # Link the new member to its registered organization, if any, across tenants.
            registered = (
                Organization._base_manager.filter(uscc=change.member_uscc)
                .values_list("pk", flat=True)
                .first()
            )
            AllianceMember(
                alliance=change.alliance,
                role=change.role,
                name=change.member_name,
                uscc=change.member_uscc,
                organization_id=registered,
            ).save()
        elif change.kind == AllianceChange.Kind.REMOVE:
            change.alliance.members.filter(uscc=change.member_uscc).exclude(
                role=AllianceMember.Role.LEADER
            ).delete()
        workflow.transition(
            change,
            AllianceChange.Status.PUBLISHED,
            actor=actor,
            action="alliance_change_published",
            bureau=change.alliance.bureau,
        )
    return change
