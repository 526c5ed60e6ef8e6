"""Who sees pilot execution records (DESIGN.md §3), registered with the core's rules."""

from collections.abc import Callable
from typing import Any

from django.db.models import Q

from portal.visibility import Visibility, any_of, follows, register

from .models import (
    Alliance,
    AllianceChange,
    AllianceMember,
    Assessment,
    BenchmarkTitle,
    Contract,
    ContractItem,
    DemandList,
    DemandRow,
    EnrolmentRequest,
    EnterpriseFileRevision,
    EnterpriseFileSection,
    EnterpriseSubsidy,
    FundTranche,
    FundUse,
    LeadingUnit,
    PilotEnterprise,
    PilotProgramme,
    Product,
    ProgrammeChange,
    ProgrammeEvaluation,
    ProgrammeFund,
    ProgrammeTarget,
    ServiceProvider,
    TaskBook,
    TaskBookSignature,
    UnitRelocation,
)


def pilot_enterprise_q(v: Visibility, prefix: str = "") -> Q:
    """A pilot enterprise's record: its own members, the leading unit serving it (and no other:
    004 §2.2.13, no leaking of enterprise secrets), and bureau staff over its county."""
    p = prefix
    # Only the branches the user has roles for: an empty branch would still join the leading
    # unit into every count of a staff list.
    return any_of(
        Q(**{f"{p}organization_id__in": v.organization_ids}),
        Q(**{f"{p}leading_unit__organization_id__in": v.organization_ids}),
        Q(**{f"{p}bureau_id__in": v.staff_bureau_ids}),
    )


def programme_q(v: Visibility, prefix: str = "") -> Q:
    """A pilot programme: staff of the bureau running it and of the bureau that approved it, and
    the bureaus above them."""
    p = prefix
    return Q(**{f"{p}bureau_id__in": v.staff_bureau_ids}) | Q(
        **{f"{p}approving_bureau_id__in": v.staff_bureau_ids}
    )


def _counties_of_pilot_parties(v: Visibility) -> Any:
    """Counties where the viewer's organisation is a pilot enterprise or serves one: the county's
    provider reference list (002 §三.2) and demand lists (002 附4) are published to them, and to
    nobody else."""
    # Rules are evaluated inside scopes, so the subqueries they use read the base managers.
    return PilotEnterprise._base_manager.filter(
        Q(organization_id__in=v.organization_ids)
        | Q(leading_unit__organization_id__in=v.organization_ids)
    ).values("bureau_id")


def _county_reference(prefix: str) -> Callable[[Visibility], Q]:
    """A county's reference rows (reached through ``prefix``): its staff, and its pilot parties."""
    field = f"{prefix}bureau_id__in"
    return lambda v: Q(**{field: v.staff_bureau_ids}) | Q(**{field: _counties_of_pilot_parties(v)})


def register_rules() -> None:
    register(
        LeadingUnit,
        lambda v: (
            Q(bureau_id__in=v.staff_bureau_ids)
            | Q(organization_id__in=v.organization_ids)
            # Selected leading units are published (004 §2.1); an enterprise of the area may
            # choose one.
            | Q(status="active", bureau_id__in=v.home_bureau_line_ids)
        ),
    )
    # A relocation request: the unit (old and new entity) and the selecting bureau's staff.
    register(
        UnitRelocation,
        lambda v: (
            Q(leading_unit__bureau_id__in=v.staff_bureau_ids)
            | Q(leading_unit__organization_id__in=v.organization_ids)
            | Q(from_organization_id__in=v.organization_ids)
        ),
    )
    register(
        EnrolmentRequest,
        lambda v: (
            Q(organization_id__in=v.organization_ids)
            | Q(leading_unit__organization_id__in=v.organization_ids)
            | Q(organization__home_bureau_id__in=v.staff_bureau_ids)
        ),
    )
    register(
        Alliance,
        lambda v: (
            Q(bureau_id__in=v.staff_bureau_ids)
            | Q(leading_unit__organization_id__in=v.organization_ids)
        ),
    )
    # Changes in their public notice are public (004 §4.6.3); otherwise as the alliance.
    register(
        AllianceChange,
        lambda v: (
            Q(status__in=("in_publicity", "published"))
            | Q(alliance__bureau_id__in=v.staff_bureau_ids)
            | Q(alliance__leading_unit__organization_id__in=v.organization_ids)
        ),
    )
    # The provider pool, products and demand lists are references for the county's enterprises
    # and the leading units serving them: bureau staff manage them, the county's parties read.
    register(ServiceProvider, _county_reference(""))
    register(Product, _county_reference("provider__"))
    register(DemandList, _county_reference(""))
    register(DemandRow, _county_reference("demand_list__"))
    register(
        AllianceMember,
        lambda v: (
            Q(alliance__bureau_id__in=v.staff_bureau_ids)
            | Q(alliance__leading_unit__organization_id__in=v.organization_ids)
            | Q(organization_id__in=v.organization_ids)
        ),
    )
    register(
        BenchmarkTitle,
        lambda v: Q(bureau_id__in=v.staff_bureau_ids) | Q(organization_id__in=v.organization_ids),
    )
    register(PilotEnterprise, pilot_enterprise_q, prefixed=True)
    for model in (EnterpriseFileSection, EnterpriseFileRevision, TaskBook, Contract, Assessment):
        register(model, follows(PilotEnterprise, "enterprise__"))
    register(ContractItem, follows(PilotEnterprise, "contract__enterprise__"))
    register(TaskBookSignature, follows(PilotEnterprise, "task_book__enterprise__"))
    register(PilotProgramme, programme_q, prefixed=True)
    # Targets, evaluations, plan changes and funds follow their programme: the running bureau,
    # the bureaus above it and the approving bureau (issue 11).
    for model in (
        ProgrammeTarget,
        ProgrammeEvaluation,
        ProgrammeChange,
        ProgrammeFund,
        FundTranche,
        FundUse,
        EnterpriseSubsidy,
    ):
        register(model, follows(PilotProgramme, "programme__"))
