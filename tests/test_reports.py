"""The seeds' official tables as standalone reports (DESIGN.md §9): figures recomputed here with
plain loops over the rows the fixture created, roll-up from county to city to province, no foreign
rows, the official layouts read back from the XLSX, and real PDFs."""

import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from applications.models import Application, ApplicationSection, Call, CallTemplate
from demo.world import build_demo_pilot
from evaluation.models import QuarterlyEvaluation
from evaluation.reports import figures, tables
from pilots.models import (
    Assessment,
    EnterpriseFileSection,
    FundTranche,
    FundUse,
    LeadingUnit,
    PilotEnterprise,
    PilotProgramme,
    Product,
    ProgrammeFund,
    ProgrammeTarget,
    TaskBook,
)
from pilots.selectors import SIGNED
from portal.models import Organization
from portal.scoping import scopes_disabled, visibility_scope
from portal.uscc import with_check_digit
from portal.visibility import Visibility

pytestmark = pytest.mark.django_db

REPORT_IDS = [r.identifier for r in tables.REPORTS]


@dataclass
class Planned:
    """One pilot enterprise the fixture creates: (county, unit, tier, 规上, status, levels)."""

    county: str
    unit: str
    sub_industry: str
    tier: str
    above: bool
    status: str
    before: dict  # kind -> level
    after: dict
    budget: str | None = None
    cloud: str | None = None


PLANNED = [
    Planned(
        "pj",
        "jm",
        "五金制品及零配件",
        "specialised",
        True,
        "contracted",
        {"self": 1},
        {"self": 2},
        "20",
    ),
    Planned(
        "pj",
        "jm",
        "五金制品及零配件",
        "none",
        False,
        "completed",
        {"self": 1},
        {"self": 1, "onsite": 3},
        None,
        "公有云",
    ),
    Planned(
        "xh", "jm", "绿色环保消费品加工制造", "little_giant", True, "enrolled", {"self": 2}, {}
    ),
    Planned(
        "jh",
        "jm",
        "五金制品及零配件",
        "innovative",
        False,
        "accepted",
        {},
        {"onsite": 1},
        "8.5",
        "混合云",
    ),
    Planned(
        "th",
        "gz",
        "工业软件",
        "specialised",
        True,
        "in_transformation",
        {"self": 1},
        {"self": 2},
        "35.5",
    ),
    Planned("py", "gz", "工业软件", "none", False, "contracted", {}, {}, None, "未上云"),
    Planned("wj", "js", "智能装备", "none", True, "completed", {}, {"self": 4}, "12"),
]


def _organization(world, county, number):
    bureau = world.bureaus[county]
    return Organization.objects.create(
        uscc=with_check_digit(f"91{bureau.division_code}MA5T{number:05d}"),
        name=f"{bureau.region_name}报表测试企业{number}",
        kind="enterprise",
        home_bureau=bureau,
        address="测试路1号",
        legal_representative="测试",
        contact_name="测试",
        contact_phone="13800000000",
    )


def _programme(world, key, *, bureau, approving, call, organization, template_key=None, data=None):
    application = Application.objects.create(
        call=call, organization=organization, status="selected", created_by=world.operator
    )
    if template_key:
        ApplicationSection.objects.create(application=application, key=template_key, data=data)
    return PilotProgramme.objects.create(
        name=f"{bureau.region_name}试点（测试 {key}）",
        bureau=bureau,
        approving_bureau=approving,
        source_application=application,
        approved_at=timezone.now() - timedelta(days=30),
        sub_industries=[],
    )


MAIN_DATA = {
    "region": "苏南",
    "cluster": "武进智能装备集群",
    "sub_industry": "智能装备",
    "industry_1650": "高端装备",
    "gross_output": "88.5",
    "sme_total": "900",
    "above_scale_total": "300",
    "a_specialized": "40",
    "above_scale_planned": "60",
    "below_scale_planned": "40",
    "c_specialized": "10",
    "d_cloud": "50",
    "e_level": "70",
    "f_benchmarks": "5",
    "solutions": "6",
    "provider_pool": "8",
    "replicate": "200",
    "centers": "1",
    "chain_mode": "链主带动",
    "practices": "看样学样",
}


@pytest.fixture
def reports_world(world):
    """The demo pilot (Jiangmen's unit, programme, funds and evaluation) plus enterprises in five
    counties of three cities, a Guangzhou and a Jiangsu unit, a Guangzhou programme with funds, a
    Wujin county plan, a Guangzhou evaluation and a Jiangmen benchmark call with recommendations."""
    now = timezone.now()
    with scopes_disabled():
        build_demo_pilot(world)
        units = {
            "jm": LeadingUnit.objects.get(bureau=world.jm),
            "gz": LeadingUnit.objects.create(
                organization=world.gz_maker,
                bureau=world.gz,
                kind="supply_chain",
                sub_industries=["工业软件"],
                selected_at=now - timedelta(days=200),
            ),
            "js": LeadingUnit.objects.create(
                organization=world.wj_maker,
                bureau=world.bureaus["cz"],
                kind="industry_chain",
                sub_industries=["智能装备"],
                selected_at=now - timedelta(days=200),
            ),
        }
        for number, plan in enumerate(PLANNED, 1):
            enterprise = PilotEnterprise.objects.create(
                organization=_organization(world, plan.county, number),
                leading_unit=units[plan.unit],
                bureau=world.bureaus[plan.county],
                sub_industry=plan.sub_industry,
                scale="small",
                above_scale=plan.above,
                tier=plan.tier,
                status=plan.status,
            )
            for stage, levels in (("before", plan.before), ("after", plan.after)):
                for kind, level in levels.items():
                    Assessment.objects.create(
                        enterprise=enterprise,
                        stage=stage,
                        kind=kind,
                        level=level,
                        assessed_by=world.operator,
                    )
            if plan.budget:
                TaskBook.objects.create(
                    enterprise=enterprise,
                    goals="g",
                    performance_goals="p",
                    content="c",
                    starts_on=timezone.localdate() - timedelta(days=10),
                    ends_on=timezone.localdate() + timedelta(days=300),
                    budget_wan=plan.budget,
                    obligations="o",
                    created_by=world.operator,
                    status="signed",
                )
            if plan.status == "enrolled":  # a draft task book drives no investment yet
                TaskBook.objects.create(
                    enterprise=enterprise,
                    goals="g",
                    performance_goals="p",
                    content="c",
                    starts_on=timezone.localdate(),
                    ends_on=timezone.localdate() + timedelta(days=300),
                    budget_wan="99",
                    obligations="o",
                    created_by=world.operator,
                )
            if plan.cloud:
                EnterpriseFileSection.objects.create(
                    enterprise=enterprise, key="transformation", data={"cloud": plan.cloud}
                )
        city_call = Call.objects.get(kind="city_plan")
        gz_programme = _programme(
            world,
            "gz",
            bureau=world.gz,
            approving=world.gd,
            call=city_call,
            organization=world.gz_maker,
        )
        ProgrammeTarget.objects.create(
            programme=gz_programme, year=timezone.localdate().year, metric="transformed", value=90
        )
        ProgrammeFund.objects.create(programme=gz_programme, amount_wan="1000")
        FundTranche.objects.create(
            programme=gz_programme,
            number=1,
            amount_wan="800",
            released_by=world.gd_manager,
            released_at=now,
        )
        for category, amount in (("transformation", "500"), ("platforms", "300")):
            FundUse.objects.create(
                programme=gz_programme,
                category=category,
                amount_wan=amount,
                description="测试",
                spent_on=timezone.localdate() - timedelta(days=5),
                recorded_by=world.gz_manager,
            )
        county_template = CallTemplate.objects.filter(kind="county_plan").order_by("-version")[0]
        county_call = Call.objects.create(
            bureau=world.js,
            document_number="苏工信〔2025〕1号",
            title="江苏省县域试点申报（测试）",
            kind="county_plan",
            template=county_template,
            opens_at=now - timedelta(days=90),
            closes_at=now - timedelta(days=60),
            status="closed",
        )
        _programme(
            world,
            "wj",
            bureau=world.wj,
            approving=world.js,
            call=county_call,
            organization=world.wj_maker,
            template_key="main_data",
            data=MAIN_DATA,
        )
        indicator_set = QuarterlyEvaluation.objects.get().indicator_set
        demo_evaluation = QuarterlyEvaluation.objects.get()
        QuarterlyEvaluation.objects.create(
            leading_unit=units["gz"],
            year=demo_evaluation.year,
            quarter=demo_evaluation.quarter,
            indicator_set=indicator_set,
            scores={"completed": "28", "effect": "20", "satisfaction": "14", "capability": "13"},
            total=Decimal("81.00"),
            outcome="passed",
            reason="测试",
            evaluated_by=world.gz_manager,
        )
        benchmark = CallTemplate.objects.filter(kind="benchmark").order_by("-version")[0]
        benchmark_call = Call.objects.create(
            bureau=world.jm,
            document_number="江工信工业互联网〔2023〕22号",
            title="江门市制造业数字化转型标杆示范申报（测试）",
            kind="benchmark",
            template=benchmark,
            opens_at=now - timedelta(days=20),
            closes_at=now - timedelta(days=1),
            requires_recommendation=True,
            status="closed",
        )
        for organization, status in (
            (world.pj_maker, "recommended"),
            (world.jh_maker, "submitted"),
        ):
            Application.objects.create(
                call=benchmark_call,
                organization=organization,
                status=status,
                created_by=world.operator,
                submitted_at=now - timedelta(days=3),
            )
    return world


# --- plain loops over what the fixture created ------------------------------------------------------
def _in(bureau, row_bureau) -> bool:
    return row_bureau.path.startswith(bureau.path)


def _counting(enterprise, stage) -> int:
    found = {
        a.kind: a.level
        for a in Assessment.objects.all()
        if a.enterprise_id == enterprise.pk and a.stage == stage
    }
    return found.get("onsite", found.get("self", 0))


def _figures(user, function, *args):
    with visibility_scope(Visibility.for_user(user)):
        return function(*args)


def test_it_counts_the_performance_targets_like_a_plain_loop(reports_world):
    world = reports_world
    year_end = date(timezone.localdate().year, 12, 31)
    with scopes_disabled():
        enterprises = list(PilotEnterprise.objects.select_related("bureau"))
        task_books = list(TaskBook.objects.select_related("enterprise__bureau"))
        units = list(LeadingUnit.objects.select_related("bureau"))
        uses = list(FundUse.objects.select_related("programme__bureau"))
        targets = list(ProgrammeTarget.objects.select_related("programme__bureau"))
        products = list(Product.objects.select_related("provider__bureau"))
    for bureau in (world.gd, world.jm, world.pj, world.gz, world.js):
        got = _figures(world.operator, figures.target_figures, bureau)
        year = year_end.year
        assert year in got.years
        signed = [e for e in enterprises if _in(bureau, e.bureau) and e.status in SIGNED]
        assert got.actuals[("smes", year)] == len(signed)
        cities = {(e.bureau.parent_id, e.sub_industry) for e in signed}
        assert got.actuals[("sub_industries", year)] == len(cities)
        assert got.actuals[("investment", year)] == sum(
            (
                t.budget_wan
                for t in task_books
                if _in(bureau, t.enterprise.bureau) and t.status == "signed"
            ),
            Decimal(0),
        )
        mine = [u for u in units if _in(bureau, u.bureau) and u.status != "removed"]
        assert got.models[year] == (
            sum(u.kind == "supply_chain" for u in mine),
            sum(u.kind == "industry_chain" for u in mine),
        )
        assert got.actuals[("platforms", year)] == sum(
            1 for u in uses if _in(bureau, u.programme.bureau) and u.category == "platforms"
        )
        assert got.actuals[("solutions", year)] == sum(
            1 for p in products if _in(bureau, p.provider.bureau)
        )
        expected_target = sum(
            t.value for t in targets if _in(bureau, t.programme.bureau) and t.year == year
        )
        assert got.targets.get(("smes", year), 0) == expected_target
    # A sanity check on the fixture itself: the loops saw rows.
    assert _figures(world.operator, figures.target_figures, world.gd).actuals[("smes", year)] == 5


def test_it_counts_the_level_distribution_like_a_plain_loop(reports_world):
    world = reports_world
    with scopes_disabled():
        enterprises = list(PilotEnterprise.objects.select_related("bureau"))
        for bureau in (world.gd, world.jm, world.pj, world.gz, world.wj):
            got = {
                r.sub_industry: r
                for r in _figures(world.operator, figures.level_distribution, bureau)
            }
            mine = [e for e in enterprises if _in(bureau, e.bureau)]
            assert set(got) == {e.sub_industry for e in mine}
            for name, row in got.items():
                of = [e for e in mine if e.sub_industry == name]
                assert row.enterprises == len(of)
                for level in range(5):
                    assert row.before[level] == sum(_counting(e, "before") == level for e in of)
                    assert row.after[level] == sum(_counting(e, "after") == level for e in of)
    # The on-site assessment counts over the self-assessment: level 3, not 1.
    pj = {r.sub_industry: r for r in _figures(world.operator, figures.level_distribution, world.pj)}
    assert pj["五金制品及零配件"].after[3] == 1


def test_the_main_data_table_computes_its_ratios_from_the_figures(reports_world):
    """002 附1: 占比 = 数值C/数值A, 数值D/数值B, 数值E/数值B, 数值F/数值B × 100%, never typed in."""
    world = reports_world
    data = _figures(world.wj_manager, figures.main_data, world.wj)
    planned = {k: Decimal(v) for k, v in MAIN_DATA.items() if v.replace(".", "").isdigit()}
    b = planned["above_scale_planned"] + planned["below_scale_planned"]
    assert data.planned["b_total"] == b == 100
    assert data.planned["ratio_c_a"] == planned["c_specialized"] * 100 / planned["a_specialized"]
    assert data.planned["ratio_d_b"] == planned["d_cloud"] * 100 / b
    assert data.planned["ratio_e_b"] == planned["e_level"] * 100 / b
    assert data.planned["ratio_f_b"] == planned["f_benchmarks"] * 100 / b
    with scopes_disabled():
        for bureau in (world.gd, world.jm, world.pj, world.wj, world.js):
            mine = [
                e
                for e in PilotEnterprise.objects.select_related("bureau")
                if _in(bureau, e.bureau) and e.status in SIGNED
            ]
            clouds = {
                s.enterprise_id
                for s in EnterpriseFileSection.objects.all()
                if s.key == "transformation"
                and s.data.get("cloud") in ("公有云", "私有云", "混合云")
            }
            got = _figures(world.operator, figures.main_data, bureau).actual
            assert got["above_scale_planned"] == sum(e.above_scale for e in mine)
            assert got["below_scale_planned"] == sum(not e.above_scale for e in mine)
            assert got["b_total"] == len(mine)
            assert got["c_specialized"] == sum(
                e.tier in ("specialised", "little_giant") for e in mine
            )
            assert got["d_cloud"] == sum(e.pk in clouds for e in mine)
            assert got["e_level"] == sum(_counting(e, "after") >= 1 for e in mine)
            if mine:
                assert got["ratio_d_b"] == (Decimal(got["d_cloud"]) * 100 / len(mine)).quantize(
                    Decimal("0.01")
                )
    # Wujin: one enterprise at level 4 of a baseline of 40 specialised SMEs, none of them.
    assert data.actual["ratio_e_b"] == 100 and data.actual["ratio_c_a"] == 0


def test_it_sums_fund_use_by_category_like_a_plain_loop(reports_world):
    world = reports_world
    with scopes_disabled():
        uses = list(FundUse.objects.select_related("programme__bureau"))
        tranches = list(FundTranche.objects.all())
        for bureau in (world.gd, world.jm, world.gz, world.js):
            rows = _figures(world.operator, figures.fund_rows, bureau)
            assert {r.programme.pk for r in rows} == {
                p.pk
                for p in PilotProgramme.objects.select_related("bureau")
                if _in(bureau, p.bureau)
            }
            for row in rows:
                for category in ("transformation", "platforms"):
                    assert getattr(row.split, category) == sum(
                        (
                            u.amount_wan
                            for u in uses
                            if u.programme_id == row.programme.pk and u.category == category
                        ),
                        Decimal(0),
                    )
                assert row.split.released == sum(
                    (t.amount_wan for t in tranches if t.programme_id == row.programme.pk),
                    Decimal(0),
                )
    # Guangzhou spent 300 of 800 on platforms: above the 20% ceiling of its 1000 allocation.
    gz = _figures(world.operator, figures.fund_rows, world.gz)[0]
    assert gz.split.platforms_ceiling == 200 and not gz.split.platforms_ok


def test_the_quarterly_ranking_lists_the_subtrees_units_best_first(reports_world):
    world = reports_world
    evaluation = _figures(world.operator, lambda: QuarterlyEvaluation.objects.first())
    with scopes_disabled():
        every = list(QuarterlyEvaluation.objects.select_related("leading_unit__bureau"))
    for bureau in (world.gd, world.jm, world.gz, world.js):
        ranked = _figures(
            world.operator, figures.unit_ranking, bureau, evaluation.year, evaluation.quarter
        )
        expected = sorted(
            (e for e in every if _in(bureau, e.leading_unit.bureau)),
            key=lambda e: -(e.total or -1),
        )
        assert [e.pk for e in ranked] == [e.pk for e in expected]
    assert (
        len(
            _figures(
                world.operator, figures.unit_ranking, world.gd, evaluation.year, evaluation.quarter
            )
        )
        == 2
    )


# --- roll-up ---------------------------------------------------------------------------------------
def _additive(user, bureau):
    """Every additive figure of every report for ``bureau``'s subtree, as one flat dict."""
    result: dict[str, Decimal] = {}
    targets = _figures(user, figures.target_figures, bureau)
    year = timezone.localdate().year
    for key in ("smes", "investment", "models", "platforms", "solutions", "sub_industries"):
        result[f"targets.{key}"] = targets.actuals[(key, year)]
    result["targets.target"] = targets.targets.get(("smes", year), Decimal(0))
    actual = _figures(user, figures.main_data, bureau).actual
    for key in (
        "above_scale_planned",
        "below_scale_planned",
        "b_total",
        "c_specialized",
        "d_cloud",
        "e_level",
    ):
        result[f"main.{key}"] = actual[key] or 0
    for row in _figures(user, figures.level_distribution, bureau):
        for level in range(5):
            for stage in ("before", "after"):
                key = f"levels.{row.sub_industry}.{stage}{level}"
                result[key] = result.get(key, 0) + getattr(row, stage)[level]
    total = figures.total_split(_figures(user, figures.fund_rows, bureau))
    for key in ("allocation", "released", "transformation", "platforms"):
        result[f"funds.{key}"] = getattr(total, key)
    return result


def _sum(dicts):
    total: dict[str, Decimal] = {}
    for d in dicts:
        for key, value in d.items():
            total[key] = total.get(key, 0) + value
    return total


def _nonzero(d):
    return {k: v for k, v in d.items() if v}


def test_a_province_report_is_the_sum_of_its_cities(reports_world):
    world = reports_world
    province = _additive(world.gd_manager, world.gd)
    cities = _sum(_additive(world.gd_manager, c) for c in (world.jm, world.gz))
    assert _nonzero(province) == _nonzero(cities)
    assert province["targets.smes"] == 5 and province["funds.platforms"] == 676


def test_a_city_report_is_the_sum_of_its_counties_for_the_rows_counties_own(reports_world):
    """Enterprises belong to counties, so every enterprise figure of a city is its counties' sum;
    the city's own rows (its programme, its leading units) are the city's alone, and a
    sub-industry shared by two counties counts once for the city (003 §三: per city pilot)."""
    world = reports_world
    city = _additive(world.jm_manager, world.jm)
    counties = _sum(_additive(world.jm_manager, world.bureaus[c]) for c in ("pj", "jh", "xh"))
    for key, value in city.items():
        if key.startswith(("main.", "levels.")) or key in ("targets.smes", "targets.investment"):
            assert value == counties.get(key, 0), key
    assert city["targets.sub_industries"] == 1 < counties["targets.sub_industries"]


def test_its_queries_do_not_grow_with_the_rows(reports_world):
    world = reports_world

    def count():
        with CaptureQueriesContext(connection) as captured:
            for report in tables.REPORTS:
                with visibility_scope(Visibility.for_user(world.gd_manager)):
                    exporter = report.from_params(
                        visibility=Visibility.for_user(world.gd_manager), params={}
                    )
                    list(exporter.iterate_list())
                    list(exporter.footer_rows())
        return len(captured)

    before = count()
    with scopes_disabled():
        unit = LeadingUnit.objects.get(bureau=world.jm)
        for number in range(40, 52):
            PilotEnterprise.objects.create(
                organization=_organization(world, "jh", number),
                leading_unit=unit,
                bureau=world.jh,
                sub_industry=f"行业{number % 3}",
                scale="small",
                above_scale=number % 2 == 0,
                status="contracted",
            )
    assert count() == before


# --- tenancy ---------------------------------------------------------------------------------------
def _cells(content: bytes) -> list[str]:
    sheet = load_workbook(io.BytesIO(content)).active
    return [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None]


@pytest.mark.parametrize("identifier", REPORT_IDS)
def test_a_foreign_bureaus_rows_never_appear(client, reports_world, identifier):
    """Guangzhou asks for Jiangmen's report: the id is ignored and Guangzhou's own comes back."""
    world = reports_world
    client.force_login(world.gz_manager)
    with scopes_disabled():
        jiangmen_names = {
            o.name
            for o in Organization.objects.all()
            if o.home_bureau.path.startswith(world.jm.path)
        } | {"江门市", "蓬江区", "江海区", "新会区", "五金制品及零配件", "绿色环保消费品加工制造"}
    response = client.get(
        reverse("export"), {"table": identifier, "bureau": world.jm.pk, "format": "xlsx"}
    )
    assert response.status_code == 200
    text = "\n".join(_cells(response.content))
    assert "广州市" in text
    for name in jiangmen_names:
        assert name not in text, (identifier, name)
    pdf = client.get(reverse("report-pdf"), {"table": identifier, "bureau": world.jm.pk})
    assert pdf.status_code == 200
    pdf_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "江门" not in pdf_text


def test_the_reports_page_offers_only_bureaus_the_user_sees(client, reports_world):
    world = reports_world
    client.force_login(world.gz_manager)
    page = client.get(reverse("report-list"), {"bureau": world.jm.pk}).content.decode()
    assert "广州市工业和信息化局" in page and "江门" not in page
    client.force_login(world.gd_manager)
    page = client.get(reverse("report-list"), {"bureau": world.jm.pk}).content.decode()
    assert f"bureau={world.jm.pk}" in page and "蓬江区" in page
    for report in tables.REPORTS:
        assert f"table={report.identifier}" in page
        assert str(report.verbose_name) in page
    assert reverse("demand-list", args=[1]).rsplit("/", 2)[0] in page


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("operator", 200),
        ("gd_manager", 200),
        ("jm_manager", 200),
        ("pj_manager", 200),
        ("wj_manager", 200),
        ("pj_applicant", 403),
        ("jm_leader_admin", 403),
        ("expert_li", 403),
    ],
)
def test_reports_are_for_bureau_staff_and_operators(client, reports_world, persona, status):
    client.force_login(reports_world.users[persona])
    assert client.get(reverse("report-list")).status_code == status
    assert client.get(reverse("report-pdf"), {"table": "report_levels"}).status_code == status
    assert client.get(reverse("report-pdf"), {"table": "nope"}).status_code == 404


def test_the_city_summary_shows_the_rows_its_counties_recommended(client, reports_world):
    """001 §三(二): the county recommends, the city's 推荐汇总表 lists what its counties sent up."""
    world = reports_world
    with scopes_disabled():
        call = Call.objects.get(title="江门市制造业数字化转型标杆示范申报（测试）")
    for persona, expected, absent in (
        ("jm_manager", {world.pj_maker.name}, {world.jh_maker.name}),
        ("pj_manager", {world.pj_maker.name}, {world.jh_maker.name}),
        ("jh_manager", {world.jh_maker.name}, {world.pj_maker.name}),
    ):
        client.force_login(world.users[persona])
        response = client.get(
            reverse("export"),
            {"table": "report_recommendations", "call": call.pk, "format": "xlsx"},
        )
        cells = set(_cells(response.content))
        assert expected <= cells and not (absent & cells), persona


# --- layouts ----------------------------------------------------------------------------------------
def _sheet(client, identifier, **params):
    response = client.get(reverse("export"), {"table": identifier, "format": "xlsx", **params})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    return list(sheet.iter_rows(values_only=True)), {str(r) for r in sheet.merged_cells.ranges}


def test_each_report_keeps_its_official_layout_in_xlsx(client, reports_world):
    world = reports_world
    client.force_login(world.gd_manager)
    year = timezone.localdate().year

    rows, merged = _sheet(client, "report_targets")
    assert rows[0][0] == "实施方案绩效目标表" and rows[2][0] == "绩效指标"
    assert f"指标值（截至{year}年底）" in rows[2] and rows[3][1:3] == ("目标值", "完成值")
    assert {"A3:A4", "B3:C3"} <= merged
    assert [r[0] for r in rows[4:10]] == [label for _k, label in figures.TARGET_INDICATORS]
    smes = rows[5]
    assert smes[-2:] == (350 + 90, 5)  # Jiangmen's and Guangzhou's targets; five signed

    client.force_login(world.js_manager)
    rows, merged = _sheet(client, "report_main_data", bureau=world.js.pk)
    assert rows[2] == ("类别", "指标", "实施方案数值", "平台统计数值")
    assert "A4:A7" in merged and "A8:A22" in merged
    by_label = {r[1]: r for r in rows[3:22]}
    assert by_label["占比 C/A（%）"][2] == 25 and by_label["占比 D/B（%）"][2] == 50
    assert rows[-1][0].startswith("注：占比")
    client.force_login(world.gd_manager)

    rows, merged = _sheet(
        client, "report_sub_industry", bureau=world.jm.pk, sub_industry="五金制品及零配件"
    )
    assert rows[2][:3] == ("试点细分行业", "五金制品及零配件", "拟试点区县（中小企业主要集聚地）")
    assert "蓬江区" in rows[2][3] and "B4:D4" in merged
    assert rows[3] == ("细分行业工业总产值（亿元）", 1260.5, None, None)
    with scopes_disabled():
        hardware = [
            e
            for e in PilotEnterprise.objects.select_related("bureau")
            if _in(world.jm, e.bureau) and e.sub_industry == "五金制品及零配件"
        ]
    assert f"平台试点企业 {len(hardware)} 家" in rows[7][1]
    assert f"专精特新企业 {sum(e.tier == 'specialised' for e in hardware)} 个" in rows[7][1]

    rows, merged = _sheet(client, "report_levels")
    assert rows[2][:3] == ("细分行业", "试点企业数", "改造前") and rows[3][2:7] == (
        "未评测",
        "一级",
        "二级",
        "三级",
        "四级",
    )
    assert {"C3:G3", "H3:L3", "A3:A4", "M3:M4"} <= merged
    assert rows[-1][0] == "合计" and rows[-1][1] == sum(r[1] for r in rows[4:-1]) == 9

    rows, merged = _sheet(client, "report_unit_ranking")
    assert (
        rows[2][:5] == ("排名", "牵引单位", "类型", "主管部门", "评价指标得分")
        and "E3:I3" in merged
    )
    assert [r[1] for r in rows[4:6]] == [world.gz_maker.name, world.jm_leader.name]
    assert rows[-1][0] == "合计：评价 2 家，达标 2 家"

    rows, merged = _sheet(client, "report_funds")
    assert rows[2][4] == "企业数字化改造" and rows[3][4:8] == ("金额", "占比", "金额", "占比")
    assert {"E3:F3", "G3:H3", "A3:A4"} <= merged
    assert rows[-1][0] == "合计" and rows[-1][2] == 3000 + 1000 and rows[-1][6] == 376 + 300
    by_bureau = {r[1]: r for r in rows[4:-1]}
    # Guangzhou's 300 of 1000 breaks the 20% ceiling (003 §四(二)); all together stay within it.
    assert by_bureau[world.gz.name][-1] == "否" and by_bureau[world.jm.name][-1] == "是"
    assert rows[-1][-1] == "是" and rows[-1][9] == (3000 + 1000) * 0.2

    rows, merged = _sheet(client, "report_recommendations", bureau=world.jm.pk)
    assert rows[0][0] == "江门市制造业数字化转型标杆示范推荐汇总表" and "A1:I1" in merged
    assert rows[-1][0] == "合计：1 家，其中推荐 1 家"


@pytest.mark.parametrize("identifier", REPORT_IDS)
def test_each_report_prints_as_a_real_pdf(client, reports_world, identifier):
    client.force_login(reports_world.jm_manager)
    response = client.get(reverse("report-pdf"), {"table": identifier})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) >= 1
    assert "江门市" in reader.pages[0].extract_text()


def test_the_demand_list_prints_as_a_pdf_in_its_layout(client, reports_world):
    from pilots.models import DemandList

    with scopes_disabled():
        demand = DemandList.objects.get()
    client.force_login(reports_world.pj_manager)
    response = client.get(reverse("demand-list", args=[demand.pk]), {"format": "pdf"})
    assert response.content.startswith(b"%PDF")
    page = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    text = "".join(page.split())  # cells wrap their text anywhere
    assert "需求、问题和场景清单" in text and "设备联网数采盒" in text and "单位：万元" in text


# --- drill-down on the progress page ---------------------------------------------------------------
def test_the_progress_page_drills_down_from_province_to_enterprise(client, reports_world):
    world = reports_world
    client.force_login(world.gd_manager)
    page = client.get(reverse("pilot-progress")).content.decode()
    assert f"?bureau={world.jm.pk}" in page and f"?bureau={world.gz.pk}" in page
    page = client.get(reverse("pilot-progress"), {"bureau": world.jm.pk}).content.decode()
    for county in ("pj", "jh", "xh"):
        assert f"?bureau={world.bureaus[county].pk}" in page
    with scopes_disabled():
        jm_unit = LeadingUnit.objects.get(bureau=world.jm)
        in_pj = [
            e.organization.name for e in PilotEnterprise.objects.all() if e.bureau_id == world.pj.pk
        ]
        in_jh = [
            e.organization.name for e in PilotEnterprise.objects.all() if e.bureau_id == world.jh.pk
        ]
    page = client.get(reverse("pilot-progress"), {"bureau": world.pj.pk}).content.decode()
    link = f"?leading_unit={jm_unit.pk}&amp;bureau={world.pj.pk}"
    assert link in page
    listing = client.get(
        reverse("enterprise-list"), {"leading_unit": jm_unit.pk, "bureau": world.pj.pk}
    ).content.decode()
    assert all(name in listing for name in in_pj) and not any(name in listing for name in in_jh)


def test_the_progress_breakdown_adds_up_to_its_parent(client, reports_world):
    from pilots import selectors

    world = reports_world
    with visibility_scope(Visibility.for_user(world.gd_manager)):
        cities = selectors.progress_by_bureau([world.jm, world.gz])
        counties = selectors.progress_by_bureau([world.pj, world.jh, world.xh])
        province = selectors.progress_by_leading_unit(world.gd)
    with scopes_disabled():
        in_jm = sum(
            1 for e in PilotEnterprise.objects.select_related("bureau") if _in(world.jm, e.bureau)
        )
    assert cities[0]["enrolled"] == sum(r["enrolled"] for r in counties) == in_jm
    for key in ("enrolled", "contracted", "completed", "reached"):
        assert sum(r[key] for r in cities) == sum(r[key] for r in province)


def test_a_foreign_bureau_on_the_progress_page_is_ignored(client, reports_world):
    world = reports_world
    client.force_login(world.gz_manager)
    page = client.get(reverse("pilot-progress"), {"bureau": world.jm.pk}).content.decode()
    assert "江门" not in page and "广州市工业和信息化局" in page


def test_a_city_under_a_provincial_call_lists_its_counties_recommended_rows(client, reports_world):
    """The city's copy of the 推荐汇总表 is not empty while its county's has the row: what
    Pengjiang recommended to a provincial call shows at Jiangmen, on the call's own summary and
    on the report; what Jianghai has not recommended shows above Jianghai nowhere."""
    world = reports_world
    with scopes_disabled():
        call = Call.objects.get(title="江门市制造业数字化转型标杆示范申报（测试）")
        call.bureau = world.gd
        call.save(update_fields=["bureau"])
    for persona in ("pj_manager", "jm_manager", "gd_manager"):
        client.force_login(world.users[persona])
        own_copy = set(_cells(client.get(reverse("call-recommendations", args=[call.pk])).content))
        report = set(
            _cells(
                client.get(
                    reverse("export"),
                    {"table": "report_recommendations", "call": call.pk, "format": "xlsx"},
                ).content
            )
        )
        for cells in (own_copy, report):
            assert world.pj_maker.name in cells, persona
            assert world.jh_maker.name not in cells, persona
    client.force_login(world.gz_manager)
    report = client.get(reverse("export"), {"table": "report_recommendations", "call": call.pk})
    assert world.pj_maker.name not in set(_cells(report.content))


def test_every_report_has_something_to_show_in_the_demo(client, settings):
    """After `make run`, Jiangmen's staff find figures in every report, not an empty form."""
    from django.core.management import call_command

    from portal.models import User

    settings.DEBUG = True
    call_command("seed_demo")
    user = User.objects.get(username="jm_manager")
    visibility = Visibility.for_user(user)
    for report in tables.REPORTS:
        with visibility_scope(visibility):
            body = list(report.from_params(visibility=visibility, params={}).iterate_list())
        shown = [v for row in body for v in row[1:] if v not in (None, "", 0)]
        assert shown, report.identifier
    client.force_login(user)
    page = client.get(reverse("report-list")).content.decode()
    assert "五金制品及零配件" in page and "江门市制造业数字化转型标杆示范申报" in page


def test_only_approved_plans_count_for_the_whole_portal(reports_world):
    """The operator's report (no bureau) sums approved plans only, not every answered book."""
    world = reports_world
    with scopes_disabled():
        county_call = Call.objects.get(kind="county_plan")
        draft = Application.objects.create(
            call=county_call, organization=world.jh_maker, created_by=world.operator
        )
        ApplicationSection.objects.create(application=draft, key="main_data", data=MAIN_DATA)
    everywhere = _figures(world.operator, figures.main_data, None)
    assert everywhere.planned["a_specialized"] == Decimal(MAIN_DATA["a_specialized"])
