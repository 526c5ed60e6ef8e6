"""What the dashboard shows after ``make run``: Jiangmen's second sub-industry with a leading unit
whose enterprises stand at every stage of their transformation, assessed after it, one of them
late with its acceptance application (002 附3), and the unit behind on a rectification order
(004 §4.2), so every chart of the Jiangmen and Guangdong dashboards has something in it."""

from datetime import timedelta
from typing import Any

SUB_INDUSTRY = "绿色环保消费品加工制造"  # the demo programme's second sub-industry
# (first 17 characters of the USCC, name, size, above size, tier, revenue, stage, after levels)
ENTERPRISES = [
    (
        "91440705MA5EF0101",
        "江门市新会区绿源环保制品有限公司",
        "中型",
        "规上",
        "专精特新",
        "9600",
        "enrolled",
        {},
    ),
    (
        "91440705MA5EF0102",
        "江门市新会区青禾纸塑包装有限公司",
        "小型",
        "规上",
        "创新型",
        "5200",
        "contracted",
        {},
    ),
    (
        "91440704MA5EF0103",
        "江门市江海区净川日化有限公司",
        "小型",
        "规上",
        "无",
        "4100",
        "in_transformation",
        {},
    ),
    (
        "91440703MA5EF0104",
        "江门市蓬江区竹韵家居用品有限公司",
        "小型",
        "规上",
        "无",
        "3800",
        "completed",
        {"self": 2},
    ),
    (
        "91440705MA5EF0105",
        "江门市新会区陈皮坊食品有限公司",
        "小型",
        "规下",
        "无",
        "1900",
        "acceptance_applied",
        {"self": 1, "onsite": 2},
    ),
    (
        "91440704MA5EF0106",
        "江门市江海区蓝湾环保科技有限公司",
        "中型",
        "规上",
        "小巨人",
        "12800",
        "accepted",
        {"self": 3, "onsite": 3},
    ),
    (
        "91440703MA5EF0107",
        "江门市蓬江区森语木制品有限公司",
        "小型",
        "规上",
        "无",
        "2600",
        "rejected",
        {"self": 1},
    ),
]


def build_demo_dashboard(world: Any) -> None:
    """Runs after ``build_demo_pilot`` (``make run`` only), as the system."""
    import tablib
    from django.utils import timezone

    from evaluation import performance_outcomes
    from pilots.models import (
        Assessment,
        LeadingUnit,
        PilotEnterprise,
        PilotProgramme,
        ProgrammeTarget,
    )
    from pilots.services import enrolment, transformation
    from portal.models import Organization
    from portal.uscc import with_check_digit
    from portal.visibility import Visibility

    today = timezone.localdate()
    programme = PilotProgramme.objects.filter(bureau=world.jm).first()
    if programme is not None and programme.starts_on is not None:
        # 003 附2: above-size enterprises at level 2 or above, by the end of the pilot
        ProgrammeTarget.objects.get_or_create(
            programme=programme,
            year=programme.starts_on.year + 1,
            metric=ProgrammeTarget.Metric.ABOVE_SCALE_LEVEL2,
            defaults={"value": 120},
        )
    organization = Organization.objects.create(
        uscc=with_check_digit("91440700MA5EF0100"),
        name="江门市绿智环保科技有限公司",
        kind="enterprise",
        home_bureau=world.jm,
        address="江门市示范路2号",
        legal_representative="（演示）",
        contact_name="（演示联系人）",
        contact_phone="13800000001",
    )
    unit = LeadingUnit.objects.create(
        organization=organization,
        bureau=world.jm,
        kind=LeadingUnit.Kind.SUPPLY_CHAIN,
        sub_industries=[SUB_INDUSTRY],
        selected_at=timezone.now() - timedelta(days=200),
    )
    # The unit has no demo login: the portal operator loads its list, as an import would.
    operator = world.users["operator"]
    provider_side = Visibility.for_user(operator)
    sheet = tablib.Dataset(headers=enrolment.COLUMNS)
    for first17, name, size, above, tier, revenue, _stage, _levels in ENTERPRISES:
        sheet.append(
            [name, with_check_digit(first17), SUB_INDUSTRY, size, above, tier, revenue, ""]
        )
    report = enrolment.enterprises_import(
        visibility=provider_side,
        leading_unit=unit,
        content=sheet.export("csv").encode(),
        filename="演示名单-绿色环保.csv",
        confirm=True,
        actor=operator,
    )
    if not report.ok:  # the demo sheet is fixed; a failure here is a bug in the import
        raise RuntimeError(report.file_errors or report.rows)
    now = timezone.now()
    for first17, _name, *_rest, stage, levels in ENTERPRISES:
        enterprise = PilotEnterprise.objects.get(
            organization__uscc=with_check_digit(first17), leading_unit=unit
        )
        if stage == "completed":
            # Reported complete ten days ago: the week to apply for acceptance has passed.
            PilotEnterprise.objects.filter(pk=enterprise.pk).update(status="in_transformation")
            enterprise.refresh_from_db()
            transformation.transformation_complete(
                visibility=provider_side,
                enterprise=enterprise,
                completed_on=today - timedelta(days=10),
                actor=operator,
            )
        elif stage != "enrolled":
            # The history before the demo starts: where each enterprise's workflow has reached.
            PilotEnterprise.objects.filter(pk=enterprise.pk).update(
                status=stage,
                completed_on=today - timedelta(days=40) if stage in _FINISHED else None,
                acceptance_applied_at=now - timedelta(days=35) if stage in _APPLIED else None,
                acceptance_decided_at=now - timedelta(days=20) if stage in _DECIDED else None,
            )
        for kind, level in levels.items():
            Assessment.objects.create(
                enterprise=enterprise,
                stage=Assessment.Stage.AFTER,
                kind=kind,
                level=level,
                assessed_by=world.jm_manager if kind == "onsite" else operator,
            )
    # Ordered twenty days ago to rectify within a fortnight; the date has passed (004 §4.2.3).
    performance_outcomes.criticism_order(
        visibility=Visibility.for_user(world.jm_manager),
        unit=unit,
        grounds="4.2.3",
        reason="季度改造进度滞后于绩效任务书计划（演示数据）",
        rectify_by=today - timedelta(days=6),
        actor=world.jm_manager,
        today=today - timedelta(days=20),
    )


_FINISHED = ("acceptance_applied", "accepted", "rejected")
_APPLIED = ("acceptance_applied", "accepted", "rejected")
_DECIDED = ("accepted", "rejected")
