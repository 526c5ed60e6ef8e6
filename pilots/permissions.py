"""Who may act on a pilot enterprise: the predicates the services and views share."""

from portal.visibility import Visibility

from .models import (
    PilotEnterprise,
    PilotProgramme,
    TaskBookSignature,
)


# --- who may do what -------------------------------------------------------------------------------
def is_enterprise_side(visibility: Visibility, enterprise: PilotEnterprise) -> bool:
    """The enterprise itself or the leading unit serving it (parts 一–三 of 附2)."""
    return visibility.is_operator or bool(
        {enterprise.organization_id, enterprise.leading_unit.organization_id}
        & set(visibility.organization_ids)
    )


def is_county_side(visibility: Visibility, enterprise: PilotEnterprise) -> bool:
    """Bureau staff over the enterprise's county (part 四 of 附2, on-site assessments, party 甲)."""
    return visibility.is_operator or enterprise.bureau_id in visibility.staff_bureau_ids


def can_set_targets(visibility: Visibility, programme: PilotProgramme) -> bool:
    """The bureau running the pilot keeps its yearly targets (it wrote them in its plan)."""
    return visibility.works_for(programme.bureau_id)


def parties_of(visibility: Visibility, enterprise: PilotEnterprise) -> set[str]:
    """Which parties of the task book this user may sign for."""
    parties = set()
    if visibility.works_for(enterprise.bureau_id):
        parties.add(TaskBookSignature.Party.BUREAU)
    if enterprise.organization_id in visibility.organization_ids:
        parties.add(TaskBookSignature.Party.ENTERPRISE)
    if enterprise.leading_unit.organization_id in visibility.organization_ids:
        parties.add(TaskBookSignature.Party.PROVIDER)
    return parties
