"""Who may act on a pilot enterprise: the predicates the services and views share."""

from portal.visibility import Visibility

from .models import (
    PilotEnterprise,
    PilotProgramme,
    ProgrammeChange,
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


def can_approve_programme(visibility: Visibility, programme: PilotProgramme) -> bool:
    """The bureau that approved the plan allocates and releases the funds and decides changes to
    the plan (003 §六(三), §六(四))."""
    return visibility.works_for(programme.approving_bureau_id)


def evaluation_kinds_for(visibility: Visibility, programme: PilotProgramme) -> list[str]:
    """The evaluations this user may record: the running bureau evaluates itself; over a county
    the city evaluates on site and the province reviews (002 §七.3); a city pilot is evaluated
    mid-term and finally by the province (003 §五)."""
    from portal.models import Bureau

    from .models import ProgrammeEvaluation

    Kind = ProgrammeEvaluation.Kind
    kinds = []
    if visibility.works_for(programme.bureau_id):
        kinds.append(Kind.SELF.value)
    if programme.bureau.level == Bureau.Level.COUNTY:
        if visibility.works_for(programme.bureau.parent_id):
            kinds.append(Kind.ONSITE.value)
        if visibility.works_for(programme.approving_bureau_id):
            kinds.append(Kind.REVIEW.value)
    elif visibility.works_for(programme.approving_bureau_id):
        kinds += [Kind.MID_TERM.value, Kind.FINAL.value]
    return list(dict.fromkeys(kinds))


def can_decide_change(visibility: Visibility, change: ProgrammeChange) -> bool:
    """The approving bureau decides plan changes (003 §六(三)); the city over a county files
    changes to its list of pilot enterprises (002 §二.1)."""
    programme = change.programme
    if change.kind == ProgrammeChange.Kind.ENTERPRISE_LIST:
        return visibility.works_for(programme.bureau.parent_id)
    return visibility.works_for(programme.approving_bureau_id)
