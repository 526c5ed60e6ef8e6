"""What a finalised selection creates, by kind of call (DESIGN.md §4): a leading unit with its
1+1+N alliance (000), a benchmark title (001), an approved pilot programme (002, 003). The rows
belong to pilots, so pilots creates them; evaluation calls :func:`outcome_create`."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from applications.models import Application, Call
from applications.selectors import answers_of, book_for
from portal import audit
from portal.models import Organization

from ..models import (
    Alliance,
    AllianceMember,
    BenchmarkTitle,
    LeadingUnit,
    PilotProgramme,
    ProgrammeTarget,
)

ALLIANCE_ROLES = {
    "数字化集成服务企业": AllianceMember.Role.INTEGRATOR,
    "产业生态企业": AllianceMember.Role.ECOSYSTEM,
}
UNIT_KINDS = {
    "产业链牵引企业": LeadingUnit.Kind.INDUSTRY_CHAIN,
    "供应链龙头企业": LeadingUnit.Kind.SUPPLY_CHAIN,
}


Metric = ProgrammeTarget.Metric
# 003 附件 附2 (实施方案绩效目标表): the city's targets at the end of 2024 and of 2025. Of its
# rows the portal counts only the enterprises transformed (改造中小企业数量); the others stay in
# the approved plan. (section, field, year, indicator)
CITY_PLAN_TARGETS = (
    ("targets", "smes_2024", 2024, Metric.TRANSFORMED),
    ("targets", "smes_2025", 2025, Metric.TRANSFORMED),
)
# 002 附1 附：实施方案主要数据表, 目标数据: the county's targets for its implementation year:
# 合计 B (computed, never typed), 规上, 规下 and 专精特新 C. (section, field, indicator)
COUNTY_PLAN_TARGETS = (
    ("main_data", "b_total", Metric.TRANSFORMED),
    ("main_data", "above_scale_planned", Metric.ABOVE_SCALE),
    ("main_data", "below_scale_planned", Metric.BELOW_SCALE),
    ("main_data", "c_specialized", Metric.SPECIALISED),
)


def county_year_end(start: date) -> date:
    """The end of the county pilot's implementation year that holds ``start``: a year runs from
    September to October of the next year (002 §七.1: 每年度9月至下一年度10月)."""
    return date(start.year + 1 if start.month >= 9 else start.year, 10, 31)


def two_years_on(start: Any) -> Any:
    """The last day of a two-year period from ``start`` (003 §四.2: a city pilot runs two years)."""
    try:
        anniversary = start.replace(year=start.year + 2)
    except ValueError:  # 29 February
        anniversary = start.replace(year=start.year + 2, month=3, day=1)
    return anniversary - timedelta(days=1)


def outcome_create(*, application: Application, selected_at: datetime) -> Any:
    """The domain record a selection creates, by kind of call (DESIGN.md §4); called by
    evaluation when it finalises a selection, inside its transaction."""
    now = selected_at
    call, organization = application.call, application.organization
    answers = answers_of(application)
    if call.kind == Call.Kind.LEADING_UNIT:
        serving = (
            LeadingUnit.objects.filter(organization=organization, bureau=call.bureau)
            .exclude(status=LeadingUnit.Status.REMOVED)
            .first()
        )
        if serving is not None:
            # One unit per organization and bureau: a second selection adds its sub-industries
            # to the unit already serving, instead of a second identical row.
            serving.sub_industries = list(
                dict.fromkeys([*serving.sub_industries, *application.sub_industries])
            )
            serving.save(update_fields=["sub_industries"])
            audit.record_for(
                serving,
                action="leading_unit_extended",
                actor=None,
                bureau=call.bureau,
                organization=organization,
                detail={"application": application.pk},
            )
            return serving
        basic: dict[str, Any] = answers.get("basic_info") or {}
        unit = LeadingUnit(
            organization=organization,
            bureau=call.bureau,
            kind=UNIT_KINDS.get(basic.get("unit_kind", ""), LeadingUnit.Kind.INDUSTRY_CHAIN),
            sub_industries=application.sub_industries,
            source_application=application,
            selected_at=now,
        )
        unit.save()
        alliance = Alliance(leading_unit=unit, bureau=call.bureau)
        alliance.save()
        members = [
            AllianceMember(
                alliance=alliance,
                role=AllianceMember.Role.LEADER,
                name=organization.name,
                uscc=organization.uscc,
                organization=organization,
                duties=_("Leads the alliance"),
            )
        ]
        rows = (answers.get("alliance") or {}).get("rows", [])
        registered = dict(
            # Which alliance partners are registered organizations, across tenants, to link them.
            Organization._base_manager.filter(uscc__in=[r.get("uscc") for r in rows]).values_list(
                "uscc", "pk"
            )
        )
        for row in rows:
            uscc = str(row.get("uscc", "")).strip().upper()
            members.append(
                AllianceMember(
                    alliance=alliance,
                    role=ALLIANCE_ROLES.get(row.get("role"), AllianceMember.Role.ECOSYSTEM),
                    name=str(row.get("org_name", ""))[:200],
                    uscc=uscc[:18],
                    organization_id=registered.get(uscc),
                    duties=str(row.get("duties", ""))[:300],
                )
            )
        AllianceMember.objects.bulk_create(members, ignore_conflicts=True)
        return unit
    if call.kind == Call.Kind.BENCHMARK:
        # The title is a legal name (001 §一): stored in the portal's official language, whatever
        # language the finalising official reads the portal in.
        with translation.override(settings.LANGUAGE_CODE):
            title = _benchmark_title(application, answers)
        record = BenchmarkTitle(
            organization=organization,
            bureau=call.bureau,
            title=str(title),
            source_application=application,
            awarded_at=now,
        )
        record.save()
        return record
    return _programme_create(application, answers, now)


def _programme_create(
    application: Application, answers: dict[str, Any], now: datetime
) -> PilotProgramme:
    """The approved pilot programme of a city plan (003) or a county plan (002 附1), with the
    targets of the plan's own tables as the programme's targets (DESIGN.md §7)."""
    call, organization = application.call, application.organization
    book = book_for(application)
    starts_on = timezone.localdate(now)
    targets: list[tuple[int, str, Decimal | int | None]] = []
    if call.kind == Call.Kind.COUNTY_PLAN:
        ends_on = county_year_end(starts_on)
        main = _typed(book, "main_data", answers)
        sub_industries = [str(main.get("sub_industry") or "").strip()]
        targets = [(ends_on.year, metric, main.get(key)) for _s, key, metric in COUNTY_PLAN_TARGETS]
    else:
        ends_on = two_years_on(starts_on)  # a city pilot runs two years (003 §四.2)
        table = _typed(book, "sub_industry_table", answers)
        # The sub-industries are the rows of 附1 (003 附件 附1; at most five, 003 §三(一)).
        sub_industries = [str(row.get("name") or "").strip() for row in table.get("rows", [])]
        typed = {key: _typed(book, key, answers) for key in {s for s, *_r in CITY_PLAN_TARGETS}}
        targets = [(year, metric, typed[s].get(key)) for s, key, year, metric in CITY_PLAN_TARGETS]
    programme = PilotProgramme(
        name=f"{organization.name} · {call.title}"[:200],
        bureau=organization.home_bureau,
        approving_bureau=call.bureau,
        source_application=application,
        approved_at=now,
        sub_industries=list(dict.fromkeys(n for n in sub_industries if n))
        or list(application.sub_industries),
        starts_on=starts_on,
        ends_on=ends_on,
    )
    programme.save()
    rows = ProgrammeTarget.objects.bulk_create(
        ProgrammeTarget(programme=programme, year=year, metric=metric, value=int(value))
        for year, metric, value in targets
        if value is not None and value >= 0
    )
    audit.record_for(
        programme,
        action="programme_approved",
        actor=None,
        bureau=programme.bureau,
        organization=organization,
        detail={"application": application.pk, "targets": len(rows)},
    )
    return programme


def _typed(book: Any, key: str, answers: dict[str, Any]) -> dict[str, Any]:
    """A section's typed values (computed fields included), or nothing if the template has none."""
    if not book.has_section(key):
        return {}
    values, _issues = book.evaluate(key, answers.get(key))
    return values


def _benchmark_title(application: Application, answers: dict[str, Any]) -> str:
    """示范企业 or 示范车间 of the issuing city (001 §一): the chosen direction is the position of
    the answer among the template's choices, never a word searched for in the label."""
    book = book_for(application)
    choices: list[str] = []
    section = book.section("direction") if book.has_section("direction") else {}
    for spec in section.get("fields", []):
        if spec["key"] == "direction":
            choices = spec.get("choices", [])
    chosen = (answers.get("direction") or {}).get("direction", "")
    region = application.call.bureau.region_name
    if chosen in choices and choices.index(chosen) == 1:
        return _("%(region)s manufacturing digital-transformation benchmark workshop") % {
            "region": region
        }
    return _("%(region)s manufacturing digital-transformation benchmark enterprise") % {
        "region": region
    }
