"""Every list page a bureau uses exports its rows as XLSX and CSV over the page's own filters
(DESIGN.md §7, §9): the exporter and the page share one filter parser and one selector, rows stay
in the user's jurisdiction, and the number of queries does not grow with the rows."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from applications.models import Application
from evaluation.models import ExpertAssignment, ReviewRound, Rubric, Sanction, ScoreSheet
from pilots import selectors as pilot_selectors
from pilots.models import (
    Alliance,
    AllianceMember,
    Assessment,
    Contract,
    ContractItem,
    EnterpriseFileSection,
    LeadingUnit,
    PilotEnterprise,
    TaskBook,
    TaskBookSignature,
)
from portal import exporters
from portal.models import Organization
from portal.scoping import scopes_disabled, visibility_scope
from portal.uscc import with_check_digit
from portal.visibility import Visibility
from tests.test_exports import download, xlsx_rows

MINE = (
    "calls",
    "applications",
    "score_sheets",
    "pilot_enterprises",
    "enterprise_files",
    "assessments",
    "contracts",
    "task_books",
    "leading_units",
    "alliance_members",
    "fund_use_list",
    "quarterly_evaluations",
    "sanctions",
    "deadlines",
)


def exported(client, user, identifier, **params) -> list[tuple]:
    client.force_login(user)
    response = client.get(reverse("export"), {"table": identifier, **params})
    assert response.status_code == 200, (identifier, response.status_code)
    return xlsx_rows(download(response))


def headers_of(identifier: str) -> tuple:
    with translation.override("zh-hans"):
        return tuple(str(h) for h in exporters.EXPORTERS[identifier].headers(None))  # type: ignore[arg-type]


def in_scope(user):
    return visibility_scope(Visibility.for_user(user))


def enrich(enterprise: PilotEnterprise, user, n: int = 0) -> None:
    """The records hanging off one enterprise: its file, assessments, contract and task book."""
    EnterpriseFileSection.objects.update_or_create(
        enterprise=enterprise,
        key="basic",
        defaults={
            "data": {"name": enterprise.organization.name, "sub_industry": enterprise.sub_industry}
        },
    )
    EnterpriseFileSection.objects.update_or_create(
        enterprise=enterprise,
        key="indicators",
        defaults={
            "data": {
                "rows": [
                    {"indicator": "生产设备联网率", "unit": "%", "before": "20", "after": "60"}
                ]
            }
        },
    )
    for stage, kind, level in (("before", "self", 1), ("after", "self", 2), ("after", "onsite", 1)):
        Assessment.objects.create(
            enterprise=enterprise,
            stage=stage,
            kind=kind,
            level=level,
            base_score=Decimal("40") + level,
            assessed_by=user,
        )
    start = date(2025, 3, 1)
    contract = Contract.objects.create(
        enterprise=enterprise,
        duties="d",
        measures="m",
        targets="t",
        starts_on=start,
        ends_on=start + timedelta(days=180),
        status="signed",
        signed_on=start,
        updated_by=user,
    )
    for position in (1, 2):
        ContractItem.objects.create(
            contract=contract,
            position=position,
            product=f"数采盒{n}-{position}",
            provider="智造云",
            quantity=2,
            unit_price_wan=Decimal("1.50"),
        )
    task_book = TaskBook.objects.create(
        enterprise=enterprise,
        goals="g",
        performance_goals="p",
        content="c",
        starts_on=start,
        ends_on=start + timedelta(days=180),
        budget_wan=Decimal("12.5"),
        obligations="o",
        status="signed",
        created_by=user,
    )
    for party in ("bureau", "enterprise", "provider"):
        TaskBookSignature.objects.create(task_book=task_book, party=party, signed_by=user)


@pytest.fixture
def pilot(world):
    """The demo pilot (a Jiangmen leading unit, enterprises in Pengjiang and Jianghai, the city
    programme with fund uses, last quarter's evaluation), with every record on each enterprise
    and a criticism of the unit."""
    from demo.world import build_demo_pilot

    with scopes_disabled():
        build_demo_pilot(world)
        for enterprise in PilotEnterprise.objects.select_related("organization"):
            enrich(enterprise, world.jm_manager)
        unit = LeadingUnit.objects.get(organization=world.jm_leader)
        Sanction.objects.create(
            leading_unit=unit,
            kind="criticism",
            grounds="4.2.2",
            reason="材料报送不及时",
            status="ordered",
            rectify_by=timezone.localdate() + timedelta(days=30),
            created_by=world.jm_manager,
        )
    return unit


def test_every_list_of_a_bureau_has_a_registered_list_exporter():
    for identifier in MINE:
        assert exporters.listable(identifier) is not None, identifier


# --- filters: the page's rows, the page's columns -----------------------------------------------
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"county": "pj"},
        {"status": "enrolled"},
        {"q": "恒信"},
        {"sub_industry": "五金制品及零配件"},
    ],
)
def test_the_enterprise_export_holds_the_rows_the_enterprise_page_lists(
    client, world, pilot, params
):
    params = {k: str(world.pj.pk) if v == "pj" else v for k, v in params.items()}
    rows = exported(client, world.jm_manager, "pilot_enterprises", **params)
    assert rows[0] == headers_of("pilot_enterprises")
    assert rows[0][:2] == ("企业", "统一社会信用代码")
    with in_scope(world.jm_manager):
        from pilots.list_exports import enterprise_filters

        expected = [
            (e.organization.name, e.organization.uscc, e.bureau.region_name)
            for e in pilot_selectors.enterprise_list(**enterprise_filters(params))
        ]
    assert [row[:3] for row in rows[1:]] == expected and expected
    page = client.get(reverse("enterprise-list"), params).content.decode()
    assert "table=pilot_enterprises" in page
    for name, _uscc, _county in expected:
        assert name in page
    if "county" in params:
        assert {row[2] for row in rows[1:]} == {world.pj.region_name}
        assert f"county={world.pj.pk}" in page


def test_the_enterprise_list_filters_by_leading_unit(client, world, pilot):
    with scopes_disabled():
        other = LeadingUnit.objects.create(
            organization=world.gz_maker,
            bureau=world.jm,
            kind="industry_chain",
            sub_industries=["五金制品及零配件"],
            selected_at=timezone.now(),
        )
    rows = exported(client, world.jm_manager, "pilot_enterprises", leading_unit=str(other.pk))
    assert rows[1:] == []
    rows = exported(client, world.jm_manager, "pilot_enterprises", leading_unit=str(pilot.pk))
    assert len(rows) == 1 + 3


@pytest.mark.parametrize(
    "identifier", ["enterprise_files", "assessments", "contracts", "task_books"]
)
def test_the_records_of_enterprises_follow_the_enterprise_pages_filters(
    client, world, pilot, identifier
):
    everything = exported(client, world.jm_manager, identifier)
    county = exported(client, world.jm_manager, identifier, county=str(world.pj.pk))
    assert everything[0] == county[0] == headers_of(identifier)
    with in_scope(world.jm_manager):
        in_pj = {
            e.organization.name for e in pilot_selectors.enterprise_list(bureau_id=world.pj.pk)
        }
        all_names = {e.organization.name for e in pilot_selectors.enterprise_list()}
    assert {row[0] for row in county[1:]} == in_pj and len(county) == 1 + len(in_pj)
    assert {row[0] for row in everything[1:]} == all_names and len(all_names) == 3
    assert {row[2] for row in county[1:]} == {world.pj.region_name}


def test_the_one_enterprise_one_file_export_has_a_column_per_field_of_002_annex_2(
    client, world, pilot
):
    rows = exported(client, world.jm_manager, "enterprise_files", county=str(world.pj.pk))
    header = rows[0]
    for label in ("企业名称", "所属细分行业", "改造成效定量指标", "云应用情况", "绩效评价是否通过"):
        assert label in header
    row = dict(zip(header, rows[1], strict=True))
    assert row["企业名称"] == row["企业"]
    assert row["所属细分行业"] == "五金制品及零配件"
    assert "生产设备联网率" in row["改造成效定量指标"] and "60" in row["改造成效定量指标"]


def test_the_assessment_export_counts_the_on_site_level_after_transformation(client, world, pilot):
    rows = exported(client, world.jm_manager, "assessments")
    for row in rows[1:]:
        # before self 1, before on site none, after self 2, after on site 1: on site counts (003 §三)
        assert row[5:9] == (1, None, 2, 1)
        assert row[9] == 41 and row[10] == "否"


def test_contract_and_task_book_exports_hold_amounts_products_and_signatures(client, world, pilot):
    contracts = exported(client, world.jm_manager, "contracts")
    assert {row[9] for row in contracts[1:]} == {6}  # 2 items × 2 × 1.50 万元
    assert all("数采盒" in row[10] for row in contracts[1:])
    books = exported(client, world.jm_manager, "task_books")
    assert len(books) == 4
    assert all(row[8] == 12.5 and row[9].count(";") == 2 for row in books[1:])


def test_leading_units_export_with_their_alliances_and_members(client, world, pilot):
    with scopes_disabled():
        alliance = Alliance.objects.get(leading_unit=pilot)
        AllianceMember.objects.create(
            alliance=alliance, role="integrator", name="联合体集成商", uscc="91440703MA5CD0009"
        )
    units = exported(client, world.jm_manager, "leading_units")
    assert units[0] == headers_of("leading_units")
    with in_scope(world.jm_manager):
        expected = [u.organization.name for u in pilot_selectors.leading_unit_list()]
    assert [row[0] for row in units[1:]] == expected == [world.jm_leader.name]
    assert units[1][7] == "联合体集成商"
    members = exported(client, world.jm_manager, "alliance_members")
    assert members[0] == headers_of("alliance_members")
    assert {row[2] for row in members[1:]} == {world.jm_leader.name, "联合体集成商"}
    page = client.get(reverse("leading-units")).content.decode()
    assert "table=leading_units" in page and "table=alliance_members" in page
    # Another city's staff sees neither the unit nor its alliance.
    assert exported(client, world.gz_manager, "leading_units")[1:] == []
    assert exported(client, world.gz_manager, "alliance_members")[1:] == []


def test_fund_uses_export_across_the_programmes_the_user_sees(client, world, pilot):
    from pilots.models import FundUse, PilotProgramme

    rows = exported(client, world.jm_manager, "fund_use_list")
    with in_scope(world.jm_manager):
        uses = list(FundUse.objects.order_by("spent_on", "pk"))
        programme = PilotProgramme.objects.get()
    assert len(rows) == 1 + len(uses) and uses
    assert sum(Decimal(str(row[4])) for row in rows[1:]) == sum(u.amount_wan for u in uses)
    assert {row[0] for row in rows[1:]} == {programme.name}
    one = exported(client, world.jm_manager, "fund_use_list", programme=str(programme.pk + 999))
    assert one[1:] == []
    assert exported(client, world.gz_manager, "fund_use_list")[1:] == []
    page = client.get(reverse("programme-list")).content.decode()
    assert "table=fund_use_list" in page


def test_evaluations_and_sanctions_export_from_the_performance_page(client, world, pilot):
    evaluations = exported(client, world.jm_manager, "quarterly_evaluations")
    assert evaluations[0] == headers_of("quarterly_evaluations")
    assert [row[0] for row in evaluations[1:]] == [world.jm_leader.name]
    sanctions = exported(client, world.jm_manager, "sanctions")
    assert [row[4] for row in sanctions[1:]] == ["材料报送不及时"]
    assert exported(client, world.gz_manager, "sanctions")[1:] == []
    assert exported(client, world.gz_manager, "quarterly_evaluations")[1:] == []
    page = client.get(reverse("performance-units")).content.decode()
    assert "table=quarterly_evaluations" in page and "table=sanctions" in page
    client.force_login(world.jm_leader_admin)
    page = client.get(reverse("performance-units")).content.decode()
    assert "table=sanctions" not in page  # the unit itself does not export the bureau's list


def test_calls_and_applications_export_the_jurisdictions_rows(client, world, leading_call):
    from applications.list_exports import application_filters
    from applications.selectors import staff_applications
    from tests.books import make_call

    make_call(world.gz)
    calls = exported(client, world.jm_manager, "calls")
    assert calls[0] == headers_of("calls")
    assert [row[0] for row in calls[1:]] == [leading_call.title]
    with scopes_disabled():
        for n, status in enumerate(("submitted", "recommended", "draft")):
            organization = Organization.objects.create(
                uscc=with_check_digit(f"91440703ME{n:07d}"),
                name=f"申报企业{n}",
                home_bureau=world.pj,
            )
            Application.objects.create(
                call=leading_call,
                organization=organization,
                status=status,
                created_by=world.jm_manager,
                submitted_at=timezone.now(),
                sub_industries_index="|五金制品及零配件|",
            )
    for params in ({}, {"status": "submitted"}, {"county": str(world.pj.pk), "q": "申报企业1"}):
        rows = exported(client, world.jm_manager, "applications", **params)
        assert rows[0] == headers_of("applications")
        with in_scope(world.jm_manager):
            expected = [
                a.organization.name for a in staff_applications(**application_filters(params))
            ]
        assert [row[0] for row in rows[1:]] == expected and expected
    client.force_login(world.jm_manager)
    page = client.get(reverse("staff-applications"), {"status": "submitted"}).content.decode()
    assert "table=applications" in page and "status=submitted" in page


def test_deadlines_export_upcoming_or_past_as_the_page_shows(client, world, leading_call):
    from django.contrib.contenttypes.models import ContentType

    from portal.list_exports import deadline_list
    from portal.models import Deadline

    with scopes_disabled():
        for number, (days, title) in enumerate(
            ((5, "材料补正截止"), (-5, "申报截止"), (9, "广州的截止"))
        ):
            Deadline.objects.create(
                kind="call_closes",
                due_at=timezone.now() + timedelta(days=days),
                title=title,
                bureau=world.gz if title.startswith("广州") else world.jm,
                subject_type=ContentType.objects.get_for_model(leading_call),
                subject_id=leading_call.pk + 1000 * number,
            )
    rows = exported(client, world.jm_manager, "deadlines")
    past = exported(client, world.jm_manager, "deadlines", show="past")
    with in_scope(world.jm_manager):
        upcoming = [d.title for d in deadline_list(show="upcoming")]
        before = [d.title for d in deadline_list(show="past")]
    assert [row[2] for row in rows[1:]] == upcoming and upcoming
    assert [row[2] for row in past[1:]] == before and before
    assert "广州的截止" not in upcoming
    client.force_login(world.jm_manager)
    assert "table=deadlines" in client.get(reverse("deadline-list")).content.decode()


# --- score sheets: per expert, application and criterion -----------------------------------------
def scored_round(world, call, applications: int, start: int = 0, review_round=None):
    experts = [world.expert_li, world.expert_chen]
    with scopes_disabled():
        if review_round is None:
            rubric = Rubric.objects.get(code="leading-unit-rubric-2025")
            review_round = ReviewRound.objects.create(
                call=call,
                rubric=rubric,
                name="第一轮",
                criteria=rubric.definition["criteria"],
                created_by=world.jm_manager,
            )
        keys = [c["key"] for c in review_round.criteria]
        for n in range(start, start + applications):
            organization = Organization.objects.create(
                uscc=with_check_digit(f"91440703MF{n:07d}"),
                name=f"评审企业{n}",
                home_bureau=world.jm,
            )
            application = Application.objects.create(
                call=call,
                organization=organization,
                status="scored",
                created_by=world.jm_manager,
                sub_industries_index="|五金制品及零配件|",
            )
            for expert in experts:
                assignment = ExpertAssignment.objects.create(
                    round=review_round, application=application, expert=expert, status="submitted"
                )
                ScoreSheet.objects.create(
                    assignment=assignment,
                    status="submitted",
                    scores={k: "5" for k in keys},
                    comments={keys[0]: "案例扎实"},
                    submitted_at=timezone.now(),
                )
    return review_round


def test_score_sheets_export_one_row_per_expert_application_and_criterion(
    client, world, leading_call
):
    review_round = scored_round(world, leading_call, 2)
    criteria = review_round.criteria
    rows = exported(client, world.jm_manager, "score_sheets", round=str(review_round.pk))
    assert rows[0] == headers_of("score_sheets")
    assert len(rows) == 1 + 2 * 2 * len(criteria)
    assert {row[4] for row in rows[1:]} == {str(world.expert_li), str(world.expert_chen)}
    assert {row[8] for row in rows[1:]} == {5}
    assert sum(1 for row in rows[1:] if row[9] == "案例扎实") == 4
    # The ranking page offers it with its round.
    client.force_login(world.jm_manager)
    page = client.get(reverse("round-ranking", args=[review_round.pk])).content.decode()
    assert f"table=score_sheets&amp;round={review_round.pk}" in page
    # Another bureau's staff and a foreign round give no row; a draft sheet is not exported.
    assert exported(client, world.gz_manager, "score_sheets", round=str(review_round.pk))[1:] == []
    with scopes_disabled():
        ScoreSheet.objects.filter(assignment__expert=world.expert_chen).update(status="draft")
    rows = exported(client, world.jm_manager, "score_sheets", round=str(review_round.pk))
    assert len(rows) == 1 + 2 * len(criteria)
    exporter = exporters.EXPORTERS["score_sheets"]
    with in_scope(world.jm_manager):
        built = exporter.from_params(
            visibility=Visibility.for_user(world.jm_manager), params={"round": str(review_round.pk)}
        )
        assert built.count() == 2 * len(criteria)


def test_experts_and_applicants_may_not_export_a_bureaus_lists(client, world):
    for persona in ("expert_li", "pj_applicant", "jm_leader_admin"):
        client.force_login(world.users[persona])
        for identifier in MINE:
            response = client.get(reverse("export"), {"table": identifier})
            assert response.status_code == 403, (persona, identifier)


# --- jurisdiction ------------------------------------------------------------------------------------
@pytest.mark.parametrize("persona", ["jh_manager", "gz_manager", "wj_manager"])
def test_no_export_holds_an_enterprise_outside_the_jurisdiction(client, world, pilot, persona):
    """Pengjiang's enterprises are in no cell of any export for Jianghai, Guangzhou or Wujin."""
    with scopes_disabled():
        foreign = [
            (e.organization.name, e.organization.uscc)
            for e in PilotEnterprise.objects.filter(bureau=world.pj).select_related("organization")
        ]
    assert foreign
    client.force_login(world.users[persona])
    for identifier in MINE:
        for file_format in exporters.FORMATS:
            response = client.get(reverse("export"), {"table": identifier, "format": file_format})
            assert response.status_code == 200, (persona, identifier)
            content = download(response)
            if file_format == "xlsx":
                text = "\n".join(str(v) for row in xlsx_rows(content) for v in row if v is not None)
            else:
                text = content.decode("utf-8-sig")
                list(csv.reader(io.StringIO(text)))
            for name, uscc in foreign:
                assert name not in text and uscc not in text, (persona, identifier, name)


# --- constant queries -----------------------------------------------------------------------------
def _queries_to_export(user, identifier: str, params: dict | None = None) -> int:
    exporter_class = exporters.EXPORTERS[identifier]
    visibility = Visibility.for_user(user)
    with visibility_scope(visibility):
        exporter = exporter_class.from_params(visibility=visibility, params=params or {})
        with CaptureQueriesContext(connection) as queries:
            exporter.write_xlsx(io.BytesIO())
    return len(queries)


def add_enterprises(world, unit: LeadingUnit, count: int, start: int) -> None:
    with scopes_disabled():
        for n in range(start, start + count):
            organization = Organization.objects.create(
                uscc=with_check_digit(f"91440703MG{n:07d}"),
                name=f"试点企业{n}",
                home_bureau=world.pj,
            )
            enterprise = PilotEnterprise.objects.create(
                organization=organization,
                leading_unit=unit,
                bureau=world.pj,
                sub_industry="五金制品及零配件",
                scale="small",
                above_scale=bool(n % 2),
            )
            enrich(enterprise, world.jm_manager, n)
            AllianceMember.objects.create(
                alliance=unit.alliance,
                role="ecosystem",
                name=organization.name,
                uscc=organization.uscc,
            )


@pytest.mark.parametrize(
    "identifiers",
    [
        (
            "pilot_enterprises",
            "enterprise_files",
            "assessments",
            "contracts",
            "task_books",
            "leading_units",
            "alliance_members",
        )
    ],
)
def test_exporting_twice_the_rows_takes_the_same_number_of_queries(world, identifiers):
    with scopes_disabled():
        unit = LeadingUnit.objects.create(
            organization=world.jm_leader,
            bureau=world.jm,
            kind="industry_chain",
            sub_industries=["五金制品及零配件"],
            selected_at=timezone.now(),
        )
        Alliance.objects.create(leading_unit=unit, bureau=world.jm)
        for n in range(3):
            other = LeadingUnit.objects.create(
                organization=Organization.objects.create(
                    uscc=with_check_digit(f"91440703MH{n:07d}"),
                    name=f"牵引{n}",
                    home_bureau=world.jm,
                ),
                bureau=world.jm,
                kind="supply_chain",
                selected_at=timezone.now(),
            )
            Alliance.objects.create(leading_unit=other, bureau=world.jm)
    add_enterprises(world, unit, 3, 0)
    few = {i: _queries_to_export(world.jm_manager, i) for i in identifiers}
    add_enterprises(world, unit, 3, 3)
    many = {i: _queries_to_export(world.jm_manager, i) for i in identifiers}
    assert many == few


def test_score_sheets_and_applications_take_the_same_queries_for_twice_the_rows(
    world, leading_call
):
    review_round = scored_round(world, leading_call, 2)
    params = {"round": str(review_round.pk)}
    few = [
        _queries_to_export(world.jm_manager, "score_sheets", params),
        _queries_to_export(world.jm_manager, "applications"),
    ]
    scored_round(world, leading_call, 2, start=2, review_round=review_round)
    many = [
        _queries_to_export(world.jm_manager, "score_sheets", params),
        _queries_to_export(world.jm_manager, "applications"),
    ]
    assert many == few


@pytest.mark.parametrize("identifier", MINE)
def test_hostile_values_of_these_pages_filters_never_fail_an_export(client, world, identifier):
    client.force_login(world.jm_manager)
    for params in (
        {"county": "9" * 18, "leading_unit": "9" * 18, "call": "9" * 18, "round": "9" * 18},
        {"programme": "-1", "status": "accepted'--", "show": "\x00", "category": "x" * 300},
        {"county": "１２", "sub_industry": '=HYPERLINK("x")', "q": "%_\\"},
    ):
        for file_format in exporters.FORMATS:
            response = client.get(
                reverse("export"), {"table": identifier, "format": file_format, **params}
            )
            assert response.status_code == 200, (identifier, params)


def test_the_pages_take_the_same_hostile_filters(client, world):
    client.force_login(world.jm_manager)
    for name in ("enterprise-list", "staff-applications", "deadline-list", "leading-units"):
        for params in (
            {"county": "9" * 18, "leading_unit": "9" * 18, "status": "x" * 300},
            {"show": "\x00", "sub_industry": "=1+1", "q": "%_\\"},
        ):
            assert client.get(reverse(name), params).status_code == 200, (name, params)


def _clone(rows, count: int, start: int, change) -> None:
    """``count`` more rows like the first of ``rows``, each changed by ``change(row, n)``."""
    with scopes_disabled():
        original = rows.order_by("pk").first()
        for n in range(start, start + count):
            original.pk = None
            original._state.adding = True
            change(original, n)
            original.save()


def test_the_other_lists_take_the_same_queries_for_twice_the_rows(world, pilot, leading_call):
    from django.contrib.contenttypes.models import ContentType

    from applications.models import Call
    from evaluation.models import QuarterlyEvaluation
    from pilots.models import FundUse
    from portal.models import Deadline

    subject = ContentType.objects.get_for_model(leading_call)

    def more(count: int, start: int) -> None:
        with scopes_disabled():
            calls = Call.objects.filter(pk=leading_call.pk)
            uses, sanctions = FundUse.objects.all(), Sanction.objects.all()
            evaluations = QuarterlyEvaluation.objects.all()
        _clone(calls, count, start, lambda c, n: setattr(c, "title", f"通知{n}"))
        _clone(uses, count, start, lambda u, n: setattr(u, "description", f"用途{n}"))
        _clone(sanctions, count, start, lambda s, n: setattr(s, "reason", f"理由{n}"))
        _clone(evaluations, count, start, lambda e, n: setattr(e, "year", 2000 + n))
        with scopes_disabled():
            for n in range(start, start + count):
                Deadline.objects.create(
                    kind="call_closes",
                    due_at=timezone.now() + timedelta(days=n + 1),
                    title=f"截止{n}",
                    bureau=world.jm,
                    subject_type=subject,
                    subject_id=10_000 + n,
                )

    identifiers = ("calls", "fund_use_list", "sanctions", "quarterly_evaluations", "deadlines")
    more(2, 0)
    few = {i: _queries_to_export(world.jm_manager, i) for i in identifiers}
    rows = {i: exporters.EXPORTERS[i] for i in identifiers}
    more(2, 2)
    many = {i: _queries_to_export(world.jm_manager, i) for i in identifiers}
    assert many == few
    visibility = Visibility.for_user(world.jm_manager)
    with visibility_scope(visibility):
        for identifier, exporter_class in rows.items():
            count = exporter_class.from_params(visibility=visibility, params={}).count()
            assert count >= 4, identifier
