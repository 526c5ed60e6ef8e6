"""A leading unit from outside the city becomes its local legal entity (000 §四(八)): the unit asks
with the local entity's code, the selecting bureau approves or rejects; on approval the unit and its
alliance's leader row point at the local entity, and the unit's history stays with it."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import audit, workflow
from portal.models import Organization, User
from portal.services import organization_record
from portal.visibility import Visibility

from ..models import AllianceMember, LeadingUnit, UnitRelocation


@transaction.atomic
def relocation_request(
    *,
    visibility: Visibility,
    unit: LeadingUnit,
    uscc_code: str,
    name: str,
    reason: str,
    actor: User,
) -> UnitRelocation:
    if not (visibility.is_operator or unit.organization_id in visibility.admin_organization_ids):
        raise PermissionDenied
    if unit.status == LeadingUnit.Status.REMOVED:
        raise ValidationError(_("This leading unit has been removed."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason.")})
    if not name.strip():
        raise ValidationError({"name": _("Enter the local legal entity's name.")})
    try:
        local = organization_record(uscc_code=uscc_code, name=name.strip())
    except ValidationError as error:
        raise ValidationError({"uscc": error.messages}) from error
    if local.pk == unit.organization_id:
        raise ValidationError({"uscc": _("This is already the leading unit's legal entity.")})
    if not _registered_under(local, unit):
        raise ValidationError(
            {
                "uscc": _("The local legal entity must be registered in %(region)s (000 §4(8)).")
                % {"region": unit.bureau.region_name}
            }
        )
    if unit.relocations.filter(status=UnitRelocation.Status.REQUESTED).exists():
        raise ValidationError(_("A request is already waiting for the bureau's decision."))
    relocation = UnitRelocation(
        leading_unit=unit,
        from_organization_id=unit.organization_id,
        organization=local,
        reason=reason.strip()[:2000],
        requested_by=actor,
    )
    relocation.full_clean()
    relocation.save()
    audit.record_for(
        relocation,
        action="leading_unit_relocation_requested",
        actor=actor,
        bureau=unit.bureau,
        organization=unit.organization,
    )
    return relocation


def _registered_under(organization: Organization, unit: LeadingUnit) -> bool:
    """Registered with the selecting bureau or a bureau below it (its home bureau's path)."""
    home = organization.home_bureau
    return home.path.startswith(unit.bureau.path)


@transaction.atomic
def relocation_decide(
    *,
    visibility: Visibility,
    relocation: UnitRelocation,
    approve: bool,
    note: str,
    actor: User,
) -> UnitRelocation:
    if not visibility.works_for(relocation.leading_unit.bureau_id):
        raise PermissionDenied
    unit = LeadingUnit.objects.select_for_update().get(pk=relocation.leading_unit_id)
    relocation = UnitRelocation.objects.select_for_update().get(pk=relocation.pk)
    if relocation.status != UnitRelocation.Status.REQUESTED:
        raise ValidationError(_("This request has already been decided."))
    if not note.strip():
        raise ValidationError({"note": _("Record the reasons of the decision.")})
    relocation.decided_at, relocation.decision_note = timezone.now(), note.strip()[:500]
    workflow.transition(
        relocation,
        UnitRelocation.Status.APPROVED if approve else UnitRelocation.Status.REJECTED,
        actor=actor,
        action="leading_unit_relocation_decided",
        bureau=unit.bureau,
        organization=unit.organization,
        note=relocation.decision_note,
        fields=["decided_at", "decision_note"],
    )
    if approve:
        local = relocation.organization
        unit.organization = local
        unit.save(update_fields=["organization"])
        AllianceMember.objects.filter(
            alliance__leading_unit=unit, role=AllianceMember.Role.LEADER
        ).update(organization=local, name=local.name[:200], uscc=local.uscc)
    return relocation
