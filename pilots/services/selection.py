"""What a finalised selection creates, by kind of call (DESIGN.md §4): a leading unit with its
1+1+N alliance (000), a benchmark title (001), an approved pilot programme (002, 003). The rows
belong to pilots, so pilots creates them; evaluation calls :func:`outcome_create`."""

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Application, Call
from applications.selectors import answers_of, book_for
from portal import audit
from portal.models import Organization

from ..models import Alliance, AllianceMember, BenchmarkTitle, LeadingUnit, PilotProgramme

ALLIANCE_ROLES = {
    "数字化集成服务企业": AllianceMember.Role.INTEGRATOR,
    "产业生态企业": AllianceMember.Role.ECOSYSTEM,
}
UNIT_KINDS = {
    "产业链牵引企业": LeadingUnit.Kind.INDUSTRY_CHAIN,
    "供应链龙头企业": LeadingUnit.Kind.SUPPLY_CHAIN,
}


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
    starts_on = timezone.localdate(now)
    programme = PilotProgramme(
        name=f"{organization.name} · {call.title}"[:200],
        bureau=organization.home_bureau,
        approving_bureau=call.bureau,
        source_application=application,
        approved_at=now,
        sub_industries=list(application.sub_industries),
        starts_on=starts_on,
        ends_on=two_years_on(starts_on),
    )
    programme.save()
    return programme


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
