"""Pilot execution records (DESIGN.md §4): what a finalised selection creates and what the pilot's
execution adds, split by family; every model is importable from ``pilots.models``."""

from .catalogue import (
    DemandList,
    DemandRow,
    Product,
    ServiceProvider,
)
from .enterprises import (
    Assessment,
    Contract,
    ContractItem,
    EnrolmentRequest,
    EnterpriseFileRevision,
    EnterpriseFileSection,
    PilotEnterprise,
    TaskBook,
    TaskBookSignature,
)
from .programmes import (
    WAN,
    EnterpriseSubsidy,
    FundTranche,
    FundUse,
    PilotProgramme,
    ProgrammeChange,
    ProgrammeEvaluation,
    ProgrammeFund,
    ProgrammeTarget,
)
from .units import (
    Alliance,
    AllianceChange,
    AllianceMember,
    BenchmarkTitle,
    LeadingUnit,
    UnitRelocation,
    change_material_path,
)

__all__ = [
    "Alliance",
    "AllianceChange",
    "AllianceMember",
    "Assessment",
    "BenchmarkTitle",
    "Contract",
    "ContractItem",
    "DemandList",
    "DemandRow",
    "EnrolmentRequest",
    "EnterpriseFileRevision",
    "EnterpriseFileSection",
    "EnterpriseSubsidy",
    "FundTranche",
    "FundUse",
    "LeadingUnit",
    "PilotEnterprise",
    "PilotProgramme",
    "Product",
    "ProgrammeChange",
    "ProgrammeEvaluation",
    "ProgrammeFund",
    "ProgrammeTarget",
    "ServiceProvider",
    "TaskBook",
    "TaskBookSignature",
    "UnitRelocation",
    "WAN",
    "change_material_path",
]
