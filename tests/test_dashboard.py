"""The dashboard per bureau and its data cockpit (issue 12 item 4): figures computed here from the
fixture's own description and compared with the page's, roll-up from counties to the province,
no foreign bureau's figures, staff only, a fixed number of queries, the cockpit's refresh."""

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications.models import Application
from evaluation.dashboard import OWED_DEADLINE_KINDS, dashboard_area, dashboard_figures
from evaluation.models import Sanction
from pilots.models import (
    Assessment,
    FundTranche,
    FundUse,
    LeadingUnit,
    PilotEnterprise,
    PilotProgramme,
    ProgrammeEvaluation,
    ProgrammeFund,
    ProgrammeTarget,
)
from portal.deadlines import deadline_set
from portal.models import Deadline, Organization
from portal.scoping import scopes_disabled
from portal.uscc import with_check_digit
from portal.visibility import Visibility

from .books import make_call

pytestmark = pytest.mark.django_db

SIGNED = {
    "contracted",
    "in_transformation",
    "completed",
    "acceptance_applied",
    "accepted",
    "rejected",
}
FINISHED = {"completed", "acceptance_applied", "accepted", "rejected"}


@dataclass
class Firm:
    """One pilot enterprise of the fixture, as the figures should see it."""

    county: str
    status: str
    above: bool = True
    tier: str = "none"
    after: dict = field(default_factory=dict)  # {"self": level, "onsite": level}
    before: int | None = None

    @property
    def level(self) -> int | None:
        """The counting level after transformation: on-site when there is one (003 §三)."""
        return self.after.get("onsite", self.after.get("self"))


FIRMS = [
    Firm("pj", "enrolled", before=4),  # a before-assessment never counts as after
    Firm("pj", "contracted", tier="specialised", after={"self": 2}),
    Firm("pj", "completed", after={"self": 1, "onsite": 3}),
    Firm("jh", "accepted", tier="little_giant", after={"self": 3, "onsite": 1}),
    Firm("jh", "acceptance_applied", above=False, after={"self": 2}),
    Firm("jh", "in_transformation"),
    Firm("jh", "rejected", after={"self": 0}),
    Firm("th", "accepted", after={"onsite": 2}),
    Firm("th", "enrolled", above=False),
    Firm("wj", "accepted", after={"self": 4}),
    Firm("wj", "enrolled"),
]
# programme bureau -> {year: {metric: value}}; the last year's target counts
TARGETS = {
    "jm": {2024: {"transformed": 100}, 2025: {"transformed": 300, "above_scale_level2": 50}},
    "pj": {2025: {"transformed": 80}},
    "gz": {2025: {"transformed": 999, "above_scale": 7}, 2026: {"transformed": 200}},
    "wj": {2025: {"transformed": 100}},
}
# programme bureau -> allocation, tranches, uses (category, amount)
FUNDS = {
    "jm": (
        "3000.00",
        ["2400.00"],
        [("transformation", "860.00"), ("transformation", "415.50"), ("platforms", "280.00")],
    ),
    "gz": ("1000.00", ["800.00"], [("transformation", "100.00")]),
    "pj": ("500.00", [], []),
    "wj": ("700.00", ["560.00"], [("platforms", "50.00")]),
}
AREAS = {
    "gd": {"pj", "jh", "xh", "th", "py", "jm", "gz", "gd"},
    "jm": {"pj", "jh", "xh", "jm"},
    "pj": {"pj"},
    "jh": {"jh"},
    "gz": {"gz", "th", "py"},
    "js": {"js", "cz", "wj"},
    "wj": {"wj"},
}
CITY_OF = {"pj": "jm", "jh": "jm", "th": "gz", "wj": "cz"}


def _org(world, county: str, n: int, series: str = "D") -> Organization:
    bureau = world.bureaus[county]
    return Organization.objects.create(
        uscc=with_check_digit(f"91{bureau.division_code}MA5{series}{n:05d}"),
        name=f"dashboard firm {n}",
        kind="enterprise",
        home_bureau=bureau,
    )


def _unit(world, city: str, n: int) -> LeadingUnit:
    return LeadingUnit.objects.create(
        organization=_org(world, city, n, series="U"),
        bureau=world.bureaus[city],
        kind="industry_chain",
        sub_industries=["five"],
        selected_at=timezone.now(),
    )


def add_firms(world, firms: list[Firm], start: int = 0) -> list[PilotEnterprise]:
    with scopes_disabled():
        units = {}
        made = []
        for n, firm in enumerate(firms, start=start):
            city = CITY_OF[firm.county]
            if city not in units:
                units[city] = LeadingUnit.objects.filter(
                    bureau=world.bureaus[city]
                ).first() or _unit(world, city, len(units) + start)
            enterprise = PilotEnterprise.objects.create(
                organization=_org(world, firm.county, n),
                leading_unit=units[city],
                bureau=world.bureaus[firm.county],
                sub_industry="five",
                scale="small",
                above_scale=firm.above,
                tier=firm.tier,
                status=firm.status,
            )
            for kind, level in firm.after.items():
                Assessment.objects.create(
                    enterprise=enterprise,
                    stage="after",
                    kind=kind,
                    level=level,
                    assessed_by=world.jm_manager,
                )
            if firm.before is not None:
                Assessment.objects.create(
                    enterprise=enterprise,
                    stage="before",
                    kind="self",
                    level=firm.before,
                    assessed_by=world.jm_manager,
                )
            made.append(enterprise)
    return made


def _programme(world, key: str) -> PilotProgramme:
    bureau = world.bureaus[key]
    approving = world.js if key == "wj" else world.gd
    application = Application.objects.create(
        call=make_call(approving),
        organization=_org(world, key, 0, series="P"),
        status="selected",
        created_by=world.jm_manager,
    )
    return PilotProgramme.objects.create(
        name=f"pilot {key}",
        bureau=bureau,
        approving_bureau=approving,
        source_application=application,
        approved_at=timezone.now(),
    )


@pytest.fixture
def scene(world):
    """Enterprises in four counties of three cities and two provinces, with programmes, targets,
    funds, owed deadlines and rectification orders on both sides of today."""
    enterprises = add_firms(world, FIRMS)
    now = timezone.now()
    today = timezone.localdate()
    with scopes_disabled():
        programmes = {key: _programme(world, key) for key in TARGETS}
        for key, years in TARGETS.items():
            for year, metrics in years.items():
                for metric, value in metrics.items():
                    ProgrammeTarget.objects.create(
                        programme=programmes[key], year=year, metric=metric, value=value
                    )
        for key, (allocation, tranches, uses) in FUNDS.items():
            ProgrammeFund.objects.create(programme=programmes[key], amount_wan=allocation)
            for number, amount in enumerate(tranches, start=1):
                FundTranche.objects.create(
                    programme=programmes[key],
                    number=number,
                    amount_wan=amount,
                    released_by=world.gd_manager,
                    released_at=now,
                )
            for category, amount in uses:
                FundUse.objects.create(
                    programme=programmes[key],
                    category=category,
                    amount_wan=amount,
                    description="use",
                    spent_on=today,
                    recorded_by=world.jm_manager,
                )
        jm_unit = LeadingUnit.objects.get(bureau=world.jm)
        gz_unit = LeadingUnit.objects.get(bureau=world.gz)
        for unit, status, rectify_by in (
            (jm_unit, "ordered", today - timedelta(days=1)),  # overdue
            (jm_unit, "overdue", today - timedelta(days=9)),  # overdue
            (jm_unit, "ordered", today + timedelta(days=1)),  # not yet
            (jm_unit, "rectified", today - timedelta(days=30)),  # done
            (gz_unit, "ordered", today - timedelta(days=2)),  # overdue
        ):
            Sanction.objects.create(
                leading_unit=unit,
                kind="criticism",
                grounds="4.2.2",
                reason="r",
                status=status,
                rectify_by=rectify_by,
            )
        for key, due in (("jm", today - timedelta(days=3)), ("gz", today + timedelta(days=3))):
            ProgrammeEvaluation.objects.create(
                programme=programmes[key],
                kind="onsite",
                outcome="rectify",
                findings="f",
                status="rectifying",
                rectification_due=due,
                evaluated_by=world.jm_manager,
                evaluated_at=now,
            )
    # owed deadlines: (kind, subject index, bureau, due in days, open)
    for kind, index, bureau, days, still_open in (
        ("acceptance_due", 2, "pj", -2, True),  # overdue
        ("acceptance_due", 4, "jh", -1, False),  # done: not overdue
        ("acceptance_due", 6, "jh", 3, True),  # not yet
        ("correction_due", 0, "jm", -5, True),  # overdue, at the city
        ("quarterly_report_due", 7, "gz", -1, True),  # overdue
        ("acceptance_due", 9, "wj", -1, True),  # overdue, in Jiangsu
        ("call_close", 1, "pj", -10, True),  # a call closing is not owed
    ):
        deadline = deadline_set(
            kind=kind,
            subject=enterprises[index],
            due_at=now + timedelta(days=days),
            title="t",
            bureau=world.bureaus[bureau],
        )
        if not still_open:
            with scopes_disabled():
                Deadline.objects.filter(pk=deadline.pk).update(status="done")
    return {"enterprises": enterprises, "programmes": programmes}


OVERDUE = {  # (kind or record, bureau) of the scene's overdue items
    "acceptance_due": ["pj", "wj"],
    "correction_due": ["jm"],
    "quarterly_report_due": ["gz"],
    "unit_rectification": ["jm", "jm", "gz"],
    "programme_rectification": ["jm"],
}


def expected(key: str) -> dict:
    """The figures of ``key``'s area, computed from the fixture's description alone."""
    area = AREAS[key]
    firms = [f for f in FIRMS if f.county in area]
    above = [f for f in firms if f.above]
    last = {}
    for programme, years in TARGETS.items():
        if programme in area:
            for metric in {m for y in years.values() for m in y}:
                latest = max(y for y, metrics in years.items() if metric in metrics)
                last[metric] = last.get(metric, 0) + years[latest][metric]
    signed = [f for f in firms if f.status in SIGNED]
    funds = {
        "allocated": Decimal(0),
        "paid": Decimal(0),
        "transformation": Decimal(0),
        "platforms": Decimal(0),
    }
    for programme, (allocation, tranches, uses) in FUNDS.items():
        if programme in area:
            funds["allocated"] += Decimal(allocation)
            funds["paid"] += sum((Decimal(t) for t in tranches), Decimal(0))
            for category, amount in uses:
                funds[category] += Decimal(amount)
    return {
        "stages": {
            s: sum(f.status == s for f in firms)
            for s in (
                "enrolled",
                "contracted",
                "in_transformation",
                "completed",
                "acceptance_applied",
                "accepted",
                "rejected",
            )
        },
        "actuals": {
            "enrolled": len(firms),
            "transformed": len(signed),
            "finished": sum(f.status in FINISHED for f in firms),
            "accepted": sum(f.status == "accepted" for f in firms),
            "above_scale": sum(f.above for f in signed),
            "specialised": sum(f.tier in ("specialised", "little_giant") for f in signed),
            "below_scale": sum(not f.above for f in signed),
            "above_scale_level2": sum(f.above and (f.level or 0) >= 2 for f in signed),
        },
        "targets": last,
        "levels": {n: sum(f.level == n for f in above) for n in range(5)},
        "unassessed": sum(f.level is None for f in above),
        "overdue": {kind: sum(b in area for b in where) for kind, where in OVERDUE.items()},
        "funds": funds,
    }


def _figures(world, user, key: str):
    from portal.scoping import visibility_scope

    visibility = Visibility.for_user(user)
    with visibility_scope(visibility):
        area = dashboard_area(visibility, world.bureaus[key].pk)
        assert area is not None
        return dashboard_figures(area)


def _as_numbers(figures) -> dict:
    targets = {row.code: (row.value, row.target) for row in figures.targets}
    return {
        "stages": {row.code: row.value for row in figures.stages},
        "actuals": {code: value for code, (value, _t) in targets.items()},
        "targets": {
            code: target
            for code, (_v, target) in targets.items()
            if code not in ("enrolled", "finished", "accepted") and target
        },
        "levels": {
            int(row.code.removeprefix("level_")): row.value
            for row in figures.levels
            if row.code.startswith("level_")
        },
        "unassessed": next(row.value for row in figures.levels if row.code == "unassessed"),
        "overdue": {row.code: row.value for row in figures.overdue},
        "funds": {row.code.removeprefix("used_"): row.value for row in figures.funds},
    }


@pytest.mark.parametrize(
    "user,key",
    [
        ("gd_manager", "gd"),
        ("gd_manager", "jm"),
        ("jm_manager", "jm"),
        ("jm_manager", "jh"),
        ("pj_manager", "pj"),
        ("jh_manager", "jh"),
        ("gz_manager", "gz"),
        ("js_manager", "js"),
        ("wj_manager", "wj"),
        ("operator", "gd"),
    ],
)
def test_it_computes_every_figure_of_the_area_as_counted_by_hand(world, scene, user, key):
    got = _as_numbers(_figures(world, world.users[user], key))
    assert got == expected(key)


def test_the_scene_is_not_trivial(world, scene):
    """The hand count above means something: every chart of Jiangmen has something in it."""
    want = expected("jm")
    assert want["targets"] == {"transformed": 380, "above_scale_level2": 50}
    assert want["overdue"] == {
        "acceptance_due": 1,
        "correction_due": 1,
        "quarterly_report_due": 0,
        "unit_rectification": 2,
        "programme_rectification": 1,
    }
    assert want["levels"] == {0: 1, 1: 1, 2: 1, 3: 1, 4: 0} and want["unassessed"] == 2
    assert want["funds"]["platforms"] == Decimal("280.00")


def test_the_province_is_the_sum_of_its_cities(world, scene):
    province = _as_numbers(_figures(world, world.gd_manager, "gd"))
    cities = [_as_numbers(_figures(world, world.gd_manager, key)) for key in ("jm", "gz")]
    for figure in ("stages", "actuals", "levels", "overdue", "funds"):
        for code, value in province[figure].items():
            assert value == sum(city[figure][code] for city in cities), (figure, code)
    assert province["unassessed"] == sum(city["unassessed"] for city in cities)
    # and a city is the sum of its counties plus what sits at the city itself
    city = _as_numbers(_figures(world, world.jm_manager, "jm"))
    counties = [_as_numbers(_figures(world, world.jm_manager, key)) for key in ("pj", "jh", "xh")]
    for code, value in city["stages"].items():
        assert value == sum(county["stages"][code] for county in counties)


def test_the_default_area_is_the_staff_members_own_bureau_and_the_whole_portal_for_the_operator(
    world, scene
):
    from portal.scoping import visibility_scope

    for user, bureau in (("jm_manager", world.jm), ("pj_manager", world.pj), ("operator", None)):
        visibility = Visibility.for_user(world.users[user])
        with visibility_scope(visibility):
            area = dashboard_area(visibility, None)
        assert area is not None and area.bureau == bureau
    visibility = Visibility.for_user(world.operator)
    with visibility_scope(visibility):
        everything = _as_numbers(dashboard_figures(dashboard_area(visibility, None)))
    assert everything["actuals"]["enrolled"] == len(FIRMS)


def test_a_foreign_bureau_is_never_an_area(world, scene):
    from portal.scoping import visibility_scope

    for user, foreign in (
        ("gz_manager", "jm"),
        ("gz_manager", "pj"),
        ("pj_manager", "jh"),
        ("pj_manager", "jm"),  # above the county: not theirs either
        ("gd_manager", "wj"),
        ("js_manager", "gd"),
    ):
        visibility = Visibility.for_user(world.users[user])
        with visibility_scope(visibility):
            assert dashboard_area(visibility, world.bureaus[foreign].pk) is None, (user, foreign)
            assert dashboard_area(visibility, 10**9) is None
            area = dashboard_area(visibility, None)
        assert all(b.path.startswith(area.bureau.path) for b in area.choices)


def _chart_json(body: str) -> dict:
    start = body.index('<script id="dashboard-data" type="application/json">')
    start = body.index(">", start) + 1
    return json.loads(body[start : body.index("</script>", start)])


def test_as_gz_manager_nothing_of_jiangmen_appears(client, world, scene):
    client.force_login(world.gz_manager)
    response = client.get("/dashboard/")
    body = response.content.decode()
    assert response.status_code == 200
    for name in (world.jm.name, world.pj.name, world.jh.name, world.gd.name, world.js.name):
        assert name not in body
    assert world.gz.name in body and world.th.name in body
    charts = _chart_json(body)
    want = expected("gz")
    assert charts["stages"]["series"][0]["data"] == list(want["stages"].values())
    assert charts["funds"]["series"][0]["data"][0] == float(want["funds"]["allocated"])
    # a Jiangmen bureau asked for by id answers like a missing one, and is recorded
    for bureau in (world.jm, world.pj):
        for url in ("/dashboard/", "/dashboard/cockpit/", "/dashboard/cockpit/figures/"):
            assert client.get(url, {"bureau": bureau.pk}).status_code == 404
    from portal.models import AuditEvent

    with scopes_disabled():
        assert AuditEvent.objects.filter(
            action="access_denied", object_type="portal.bureau", object_id=str(world.jm.pk)
        ).exists()


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "0", "9" * 30, "\x00"])
def test_a_malformed_bureau_is_404_not_500(client, world, value):
    client.force_login(world.jm_manager)
    assert client.get("/dashboard/", {"bureau": value}).status_code == 404


def test_a_city_picks_one_of_its_counties(client, world, scene):
    client.force_login(world.jm_manager)
    response = client.get("/dashboard/", {"bureau": world.jh.pk})
    charts = _chart_json(response.content.decode())
    assert charts["stages"]["series"][0]["data"] == list(expected("jh")["stages"].values())
    assert f'<option value="{world.jh.pk}" selected>' in response.content.decode()


@pytest.mark.parametrize("persona", ["pj_applicant", "jm_leader_admin", "expert_li"])
def test_applicants_and_experts_get_403(client, world, persona):
    client.force_login(world.users[persona])
    for url in ("/dashboard/", "/dashboard/cockpit/", "/dashboard/cockpit/figures/"):
        assert client.get(url).status_code == 403


def test_the_public_is_sent_to_log_in(client, world):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_query_count_does_not_grow_with_the_rows(client, world, scene):
    def count() -> int:
        client.force_login(world.gd_manager)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/dashboard/", {"bureau": world.gd.pk}).status_code == 200
        return len(queries)

    def figure_queries() -> int:
        from portal.scoping import visibility_scope

        visibility = Visibility.for_user(world.gd_manager)
        with visibility_scope(visibility):
            area = dashboard_area(visibility, world.gd.pk)
            with CaptureQueriesContext(connection) as queries:
                dashboard_figures(area)
        return len(queries)

    few, few_figures = count(), figure_queries()
    add_firms(world, FIRMS * 5, start=100)
    with scopes_disabled():
        programme = PilotProgramme.objects.get(bureau=world.jm)
        for _n in range(10):
            FundUse.objects.create(
                programme=programme,
                category="platforms",
                amount_wan="1.00",
                description="more",
                spent_on=date(2025, 1, 1),
                recorded_by=world.jm_manager,
            )
    assert count() == few
    assert figure_queries() == few_figures <= 10


def test_the_cockpit_refreshes_its_figures_by_itself(client, world, scene):
    client.force_login(world.jm_manager)
    page = client.get("/dashboard/cockpit/", {"bureau": world.jm.pk}).content.decode()
    fragment_url = f"/dashboard/cockpit/figures/?bureau={world.jm.pk}"
    assert f'hx-get="{fragment_url}"' in page and 'hx-trigger="every 60s"' in page
    assert '<meta http-equiv="refresh" content="60">' in page  # without scripts
    assert 'class="nav"' not in page and "site-header" not in page  # no navigation chrome
    assert 'id="chart-stages"' in page and "<table" in page

    before = _chart_json(client.get(fragment_url).content.decode())["stages"]["series"][0]["data"]
    add_firms(world, [Firm("pj", "accepted", after={"self": 2})], start=500)
    response = client.get(fragment_url)
    after = _chart_json(response.content.decode())["stages"]["series"][0]["data"]
    assert "<html" not in response.content.decode()  # the figures alone
    stages = list(expected("jm")["stages"])
    assert after[stages.index("accepted")] == before[stages.index("accepted")] + 1


def test_every_chart_has_a_table_with_caption_and_scoped_headers(client, world, scene):
    client.force_login(world.jm_manager)
    body = client.get("/dashboard/").content.decode()
    charts = _chart_json(body)
    assert body.count('role="img" tabindex="0"') == len(charts) == 5
    assert body.count("<caption>") == len(charts)
    assert body.count('scope="col"') >= 2 * len(charts) and 'scope="row"' in body
    for key, chart in charts.items():
        assert f'id="chart-{key}"' in body
        assert len(chart["points"]) == len(chart["categories"])
        assert chart["description"]
    assert "<script>" not in body  # no inline scripts (CSP script-src 'self')


def test_bureau_staff_find_the_dashboard_in_the_navigation_and_on_their_home(client, world):
    for persona in ("jm_manager", "pj_manager", "gd_manager", "operator"):
        client.force_login(world.users[persona])
        home = client.get("/").content.decode()
        assert 'href="/dashboard/"' in home, persona
        assert "/dashboard/cockpit/" in home, persona
    client.force_login(world.pj_applicant)
    assert 'href="/dashboard/"' not in client.get("/").content.decode()


def test_owed_deadline_kinds_are_registered():
    from portal import deadlines

    assert set(OWED_DEADLINE_KINDS) <= set(deadlines.KINDS)


@pytest.mark.django_db
def test_the_demo_dashboard_has_something_in_every_chart(client, settings):
    """After `make run` the city, the province and the operator see every chart filled."""
    from django.core.management import call_command

    from portal.models import User

    settings.DEBUG = True
    call_command("seed_demo")
    for username in ("jm_manager", "gd_manager", "operator"):
        client.force_login(User.objects.get(username=username))
        charts = _chart_json(client.get("/dashboard/").content.decode())
        for key, chart in charts.items():
            values = [v for series in chart["series"] for v in series["data"] if v]
            assert values, (username, key)
        stages = dict(
            zip(charts["stages"]["categories"], charts["stages"]["series"][0]["data"], strict=True)
        )
        assert all(stages.values()), (username, stages)  # every stage has an enterprise
        overdue = charts["overdue"]["series"][0]["data"]
        assert overdue[1] >= 1 and overdue[3] >= 1  # a late acceptance, a late rectification
    client.force_login(User.objects.get(username="jm_manager"))
    assert client.get("/dashboard/cockpit/").status_code == 200
