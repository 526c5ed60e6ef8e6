"""List exporters of pilot execution, over the same filters as their pages (the pattern of
``portal.list_exports``: the page and the exporter share one filter parser and one selector).

The enterprise list's filters (county bureau, sub-industry, status, leading unit, name) also
choose the rows of the tables that have no page of their own: the one-enterprise-one-file
records, assessments, contracts and task books of those enterprises. The leading-units page
carries the alliance members."""

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import exporters
from portal.list_exports import QuerysetListExporter, choice_labels, iso_date, local_time
from portal.params import int_param, text_param

from .assessment import TARGET_LEVEL
from .models import (
    AllianceMember,
    Assessment,
    Contract,
    EnterpriseFileSection,
    FundUse,
    LeadingUnit,
    PilotEnterprise,
    TaskBook,
)
from .selectors import enterprise_list, fund_use_list, leading_unit_list
from .services.records import file_definition

ENTERPRISE_COLUMNS = (40, 22, 16, 30, 24)


# --- the enterprise list's filters ------------------------------------------------------------------
def enterprise_filters(params: Mapping[str, str]) -> dict[str, Any]:
    """The pilot enterprise list's filters; an unknown status is dropped, not an error."""
    filters: dict[str, Any] = {
        "search": text_param(params, "q"),
        "bureau_id": int_param(params, "county"),
        "sub_industry": text_param(params, "sub_industry"),
        "status": text_param(params, "status", 24),
        "leading_unit_id": int_param(params, "leading_unit"),
        # The progress page's drill-down: the enterprises of a bureau's whole subtree.
        "within_bureau_id": int_param(params, "bureau"),
    }
    if filters["status"] not in PilotEnterprise.Status.values:
        filters["status"] = ""
    return filters


def _of_enterprises(params: Mapping[str, str]) -> QuerySet[PilotEnterprise]:
    """The enterprises the page lists, as a subquery for the tables hanging off them."""
    return enterprise_list(**enterprise_filters(params)).values("pk")


def _enterprise_cells(enterprise: PilotEnterprise) -> list[Any]:
    return [
        enterprise.organization.name,
        enterprise.organization.uscc,
        enterprise.bureau.region_name,
        enterprise.leading_unit.organization.name,
        enterprise.sub_industry,
    ]


def _enterprise_headers() -> list[Any]:
    return [
        _("Enterprise"),
        _("Unified social credit code"),
        _("County"),
        _("Leading unit"),
        _("Sub-industry"),
    ]


ENTERPRISE_RELATED = ("organization", "bureau", "leading_unit__organization")


@exporters.register
class PilotEnterpriseExporter(QuerysetListExporter):
    identifier = "pilot_enterprises"
    verbose_name = gettext_lazy("Pilot enterprises")
    column_widths = (*ENTERPRISE_COLUMNS, 10, 10, 22, 14, 14, 20, 16, 14)

    @classmethod
    def from_params(cls, *, visibility: Any, params: Mapping[str, str]) -> exporters.Exporter:
        return cls(rows=enterprise_list(**enterprise_filters(params)))

    def headers(self) -> Sequence[Any]:
        return [
            *_enterprise_headers(),
            _("Size"),
            _("Above designated size"),
            _("Tier"),
            _("Last year's revenue (10k yuan)"),
            _("Last year's profit (10k yuan)"),
            _("Status"),
            _("Enrolled at"),
            _("Transformation completed on"),
        ]

    def iterate_list(self) -> Iterable[Sequence[Any]]:
        # Labels once per export: a hundred thousand rows would otherwise translate each cell.
        self.scales = choice_labels(PilotEnterprise, "scale")
        self.tiers = choice_labels(PilotEnterprise, "tier")
        self.statuses = choice_labels(PilotEnterprise, "status")
        self.yes_no = {True: _("yes"), False: _("no")}
        return super().iterate_list()

    def row(self, item: PilotEnterprise) -> Sequence[Any]:
        return [
            *_enterprise_cells(item),
            self.scales.get(item.scale, item.scale),
            self.yes_no[item.above_scale],
            self.tiers.get(item.tier, item.tier),
            item.revenue,
            item.profit,
            self.statuses.get(item.status, item.status),
            local_time(item.enrolled_at),
            iso_date(item.completed_on),
        ]


# --- one enterprise, one file (002 附2) ----------------------------------------------------------------
def _file_columns() -> list[tuple[str, str, dict[str, Any]]]:
    """(section key, field key or "", definition) for every field of the record, in order; a
    table section is one column."""
    columns = []
    for section in file_definition()["sections"]:
        if section.get("type") == "table":
            columns.append((section["key"], "", section))
        for field in section.get("fields", []):
            columns.append((section["key"], field["key"], field))
    return columns


def _table_text(section: dict[str, Any], data: dict[str, Any]) -> str:
    """A table of the record in one cell: one line per row, its columns joined."""
    lines = []
    for row in data.get("rows") or []:
        values = [str(row.get(c["key"], "") or "") for c in section.get("columns", [])]
        lines.append(" / ".join(v for v in values if v))
    return "\n".join(lines)


@exporters.register
class EnterpriseFileExporter(QuerysetListExporter):
    """The one-enterprise-one-file records (一企一档, 002 附2): one row per enterprise, a column
    per field of the record. The labels are the official form's, so they stay in Chinese."""

    identifier = "enterprise_files"
    verbose_name = gettext_lazy("One-enterprise-one-file records")
    column_widths = (*ENTERPRISE_COLUMNS,)
    wrap_text = True

    @classmethod
    def from_params(cls, *, visibility: Any, params: Mapping[str, str]) -> exporters.Exporter:
        rows = (
            PilotEnterprise.objects.filter(pk__in=_of_enterprises(params))
            .select_related(*ENTERPRISE_RELATED)
            .prefetch_related(
                Prefetch(
                    "file_sections",
                    queryset=EnterpriseFileSection.objects.only("enterprise_id", "key", "data"),
                )
            )
            .order_by("organization__name", "pk")
        )
        return cls(rows=rows)

    def sheet_title(self) -> str:
        return "一企一档"

    def headers(self) -> Sequence[Any]:
        return [
            *_enterprise_headers(),
            *(spec.get("label") or spec.get("title", "") for _s, _f, spec in _file_columns()),
        ]

    def iterate_list(self) -> Iterable[Sequence[Any]]:
        self.columns = _file_columns()
        return super().iterate_list()

    def row(self, item: PilotEnterprise) -> Sequence[Any]:
        data = {section.key: section.data or {} for section in item.file_sections.all()}
        cells = _enterprise_cells(item)
        for section_key, field_key, spec in self.columns:
            section_data = data.get(section_key, {})
            if not field_key:
                cells.append(_table_text(spec, section_data))
            else:
                value = section_data.get(field_key, "")
                cells.append("" if value is None else str(value))
        return cells


# --- assessments (before and after, 000 §四(四); 003 §三) ---------------------------------------------
@exporters.register
class AssessmentExporter(QuerysetListExporter):
    """One row per enterprise: its levels before and after transformation, self-assessed and on
    site, and whether the counting level after reaches level 2 (the on-site one when there is one,
    003 §三)."""

    identifier = "assessments"
    verbose_name = gettext_lazy("Digital-level assessments")
    column_widths = (*ENTERPRISE_COLUMNS, 12, 12, 12, 12, 12, 12)

    SLOTS = (
        (Assessment.Stage.BEFORE, Assessment.Kind.SELF),
        (Assessment.Stage.BEFORE, Assessment.Kind.ONSITE),
        (Assessment.Stage.AFTER, Assessment.Kind.SELF),
        (Assessment.Stage.AFTER, Assessment.Kind.ONSITE),
    )

    @classmethod
    def from_params(cls, *, visibility: Any, params: Mapping[str, str]) -> exporters.Exporter:
        rows = (
            PilotEnterprise.objects.filter(pk__in=_of_enterprises(params))
            .select_related(*ENTERPRISE_RELATED)
            .prefetch_related(
                Prefetch(
                    "assessments",
                    queryset=Assessment.objects.only(
                        "enterprise_id", "stage", "kind", "level", "base_score"
                    ),
                )
            )
            .order_by("organization__name", "pk")
        )
        return cls(rows=rows)

    def headers(self) -> Sequence[Any]:
        return [
            *_enterprise_headers(),
            _("Level before, self-assessed"),
            _("Level before, on site"),
            _("Level after, self-assessed"),
            _("Level after, on site"),
            _("Counting score after"),
            _("Level 2 reached"),
        ]

    def row(self, item: PilotEnterprise) -> Sequence[Any]:
        found = {(a.stage, a.kind): a for a in item.assessments.all()}
        after = found.get((Assessment.Stage.AFTER, Assessment.Kind.ONSITE)) or found.get(
            (Assessment.Stage.AFTER, Assessment.Kind.SELF)
        )
        levels = [found[slot].level if slot in found else None for slot in self.SLOTS]
        reached = "" if after is None else (_("yes") if after.level >= TARGET_LEVEL else _("no"))
        return [
            *_enterprise_cells(item),
            *levels,
            after.base_score if after is not None else None,
            reached,
        ]


# --- contracts and task books ----------------------------------------------------------------------
def _of_listed_enterprises(rows: QuerySet[Any], params: Mapping[str, str], parts: str) -> Any:
    """A table hanging off the listed enterprises (a contract, a task book), with its ``parts``."""
    return (
        rows.filter(enterprise__in=_of_enterprises(params))
        .select_related(*(f"enterprise__{name}" for name in ENTERPRISE_RELATED))
        .prefetch_related(parts)
        .order_by("enterprise__organization__name", "pk")
    )


@exporters.register
class ContractExporter(QuerysetListExporter):
    identifier = "contracts"
    verbose_name = gettext_lazy("Transformation contracts")
    column_widths = (*ENTERPRISE_COLUMNS, 12, 12, 12, 12, 14, 50)
    wrap_text = True

    @classmethod
    def from_params(cls, *, visibility: Any, params: Mapping[str, str]) -> exporters.Exporter:
        return cls(rows=_of_listed_enterprises(Contract.objects.all(), params, "items"))

    def headers(self) -> Sequence[Any]:
        return [
            *_enterprise_headers(),
            _("Status"),
            _("Starts on"),
            _("Ends on"),
            _("Signed on"),
            _("Amount (10k yuan)"),
            _("Products and services"),
        ]

    def row(self, item: Contract) -> Sequence[Any]:
        items = list(item.items.all())
        return [
            *_enterprise_cells(item.enterprise),
            item.get_status_display(),
            iso_date(item.starts_on),
            iso_date(item.ends_on),
            iso_date(item.signed_on),
            sum((i.amount_wan for i in items), Decimal(0)),
            "\n".join(f"{i.product} ({i.provider}) × {i.quantity}" for i in items),
        ]


@exporters.register
class TaskBookExporter(QuerysetListExporter):
    """The tripartite task books (002 附3) and which parties signed them."""

    identifier = "task_books"
    verbose_name = gettext_lazy("Transformation task books")
    column_widths = (*ENTERPRISE_COLUMNS, 16, 12, 12, 14, 40)

    @classmethod
    def from_params(cls, *, visibility: Any, params: Mapping[str, str]) -> exporters.Exporter:
        return cls(rows=_of_listed_enterprises(TaskBook.objects.all(), params, "signatures"))

    def headers(self) -> Sequence[Any]:
        return [
            *_enterprise_headers(),
            _("Status"),
            _("Starts on"),
            _("Ends on"),
            _("Total budget (10k yuan)"),
            _("Signed by"),
        ]

    def row(self, item: TaskBook) -> Sequence[Any]:
        signatures = sorted(item.signatures.all(), key=lambda s: s.party)
        return [
            *_enterprise_cells(item.enterprise),
            item.get_status_display(),
            iso_date(item.starts_on),
            iso_date(item.ends_on),
            item.budget_wan,
            "; ".join(f"{s.get_party_display()} {local_time(s.signed_at)}" for s in signatures),
        ]


# --- leading units and their alliances ----------------------------------------------------------
@exporters.register
class LeadingUnitExporter(QuerysetListExporter):
    identifier = "leading_units"
    verbose_name = gettext_lazy("Leading units and their alliances")
    column_widths = (40, 22, 24, 30, 14, 24, 20, 40, 40)
    wrap_text = True

    @classmethod
    def from_params(cls, *, visibility: Any, params: Mapping[str, str]) -> exporters.Exporter:
        rows = leading_unit_list().prefetch_related(
            Prefetch("alliance__members", queryset=AllianceMember.objects.order_by("role", "name"))
        )
        return cls(rows=rows)

    def headers(self) -> Sequence[Any]:
        return [
            _("Leading unit"),
            _("Unified social credit code"),
            _("Kind"),
            _("Sub-industries"),
            _("Selected at"),
            _("Bureau"),
            _("Status"),
            _("Digital integration service companies"),
            _("Ecosystem enterprises"),
        ]

    def row(self, item: LeadingUnit) -> Sequence[Any]:
        alliance = getattr(item, "alliance", None)
        members = list(alliance.members.all()) if alliance is not None else []

        def named(role: str) -> str:
            return "\n".join(m.name for m in members if m.role == role)

        return [
            item.organization.name,
            item.organization.uscc,
            item.get_kind_display(),
            "、".join(item.sub_industries or []),
            local_time(item.selected_at),
            item.bureau.name,
            item.get_status_display(),
            named(AllianceMember.Role.INTEGRATOR),
            named(AllianceMember.Role.ECOSYSTEM),
        ]


@exporters.register
class AllianceMemberExporter(QuerysetListExporter):
    """Every member of the 1+1+N alliances (000 §二(一)3) of the units the page lists."""

    identifier = "alliance_members"
    verbose_name = gettext_lazy("Alliance members")
    column_widths = (40, 24, 40, 22, 40)

    @classmethod
    def from_params(cls, *, visibility: Any, params: Mapping[str, str]) -> exporters.Exporter:
        rows = (
            AllianceMember.objects.filter(
                alliance__leading_unit__in=leading_unit_list().values("pk")
            )
            .select_related("alliance__leading_unit__organization")
            .order_by("alliance__leading_unit__organization__name", "role", "name", "pk")
        )
        return cls(rows=rows)

    def headers(self) -> Sequence[Any]:
        return [
            _("Leading unit"),
            _("Role"),
            _("Name"),
            _("Unified social credit code"),
            _("Duties"),
        ]

    def row(self, item: AllianceMember) -> Sequence[Any]:
        return [
            item.alliance.leading_unit.organization.name,
            item.get_role_display(),
            item.name,
            item.uscc,
            item.duties,
        ]


# --- fund uses across programmes (003 §四(二)) ------------------------------------------------------
def fund_use_filters(params: Mapping[str, str]) -> dict[str, Any]:
    category = text_param(params, "category", 16)
    return {
        "programme_id": int_param(params, "programme"),
        "category": category if category in FundUse.Category.values else "",
    }


@exporters.register
class FundUseListExporter(QuerysetListExporter):
    """Fund uses of every programme the user sees, amounts in 万元."""

    identifier = "fund_use_list"
    verbose_name = gettext_lazy("Fund uses")
    column_widths = (40, 24, 12, 24, 14, 40, 40)

    @classmethod
    def from_params(cls, *, visibility: Any, params: Mapping[str, str]) -> exporters.Exporter:
        return cls(rows=fund_use_list(**fund_use_filters(params)))

    def headers(self) -> Sequence[Any]:
        return [
            _("Programme"),
            _("Bureau running the pilot"),
            _("Date"),
            _("Category"),
            _("Amount (10k yuan)"),
            _("Description"),
            _("Enterprise"),
        ]

    def row(self, item: FundUse) -> Sequence[Any]:
        subsidy = getattr(item, "subsidy", None)
        return [
            item.programme.name,
            item.programme.bureau.name,
            iso_date(item.spent_on),
            item.get_category_display(),
            item.amount_wan,
            item.description,
            subsidy.enterprise.organization.name if subsidy is not None else "",
        ]
