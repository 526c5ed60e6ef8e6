"""What finalising a selection creates for the benchmark (001), city-plan (003) and county-plan
(002 附1) calls: the benchmark title, or the approved programme whose targets are the plan's own."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone, translation

from applications import services as application_services
from applications.models import Application
from demo.books import (
    BENCHMARK_SLOTS,
    CITY_SLOTS,
    CITY_SUB_INDUSTRIES,
    CITY_TARGETS,
    COUNTY_MAIN_DATA,
    COUNTY_SLOTS,
    benchmark_answers,
    city_plan_answers,
    county_plan_answers,
    fill_answers,
)
from evaluation import services
from pilots.models import BenchmarkTitle, PilotProgramme, ProgrammeTarget
from pilots.services.selection import county_year_end
from portal.models import AuditEvent
from portal.scoping import scopes_disabled, visibility_scope
from portal.visibility import Visibility
from tests.books import make_call

pytestmark = pytest.mark.django_db


def submitted_book(call, organization, user, answers, slots) -> Application:
    visibility = Visibility.for_user(user)
    with visibility_scope(visibility):
        application = application_services.application_start(
            visibility=visibility, call=call, organization=organization, actor=user
        )
    fill_answers(application, user, answers, slots)
    with visibility_scope(visibility):
        return application_services.application_submit(
            visibility=visibility, application=application, actor=user
        )


def finalise(application: Application, staff_user) -> list:
    """Publicity and finalisation through the services. The review that leads to a proposal is
    tested in test_review.py and test_browser_benchmark.py; here the book is marked proposed."""
    with scopes_disabled():
        Application.objects.filter(pk=application.pk).update(status=Application.Status.PROPOSED)
    staff = Visibility.for_user(staff_user)
    with visibility_scope(staff):
        publicity = services.publicity_create(
            visibility=staff,
            call=application.call,
            title="拟入选名单公示",
            body="",
            days=5,
            contact="020-83133362",
            actor=staff_user,
        )
        services.publicity_publish(visibility=staff, publicity=publicity, actor=staff_user)
        return services.publicity_finalise(
            visibility=staff,
            publicity=publicity,
            actor=staff_user,
            now=timezone.now() + timedelta(days=5, minutes=1),
        )


@pytest.mark.parametrize(
    ("direction", "title"),
    [
        ("方向一：示范企业", "江门市制造业数字化转型标杆示范企业"),
        ("方向二：示范车间", "江门市制造业数字化转型标杆示范车间"),
    ],
)
def test_a_finalised_benchmark_book_awards_the_title_of_its_one_direction(world, direction, title):
    call = make_call(world.jm, code="benchmark-jiangmen-2023", kind="benchmark")
    application = submitted_book(
        call,
        world.pj_maker,
        world.pj_applicant,
        benchmark_answers(world.pj_maker, direction=direction),
        BENCHMARK_SLOTS,
    )
    assert application.status == "submitted"
    with translation.override("en"):  # the official reads the portal in English
        [record] = finalise(application, world.jm_manager)
    with scopes_disabled():
        record = BenchmarkTitle.objects.get(pk=record.pk)
        assert Application.objects.get(pk=application.pk).status == "selected"
        assert not PilotProgramme.objects.filter(source_application=application).exists()
    # 001 §一: 示范企业 or 示范车间 of the issuing city, from the one direction chosen (001 §二(五)),
    # in the official language.
    assert record.title == title
    assert record.organization == world.pj_maker and record.bureau == world.jm
    assert record.source_application_id == application.pk and record.status == "active"


def test_a_finalised_city_plan_becomes_a_programme_with_the_targets_of_its_table_2(world, client):
    call = make_call(world.gd, code="city-plan-guangdong-2023", kind="city_plan", sub_industries=[])
    application = submitted_book(
        call, world.jm_institute, world.jm_institute_admin, city_plan_answers(), CITY_SLOTS
    )
    [programme] = finalise(application, world.gd_manager)
    with scopes_disabled():
        programme = PilotProgramme.objects.get(pk=programme.pk)
        targets = {(t.year, t.metric): t.value for t in programme.targets.all()}
        approved = AuditEvent.objects.filter(action="programme_approved").count()
    # The city runs it; the province approved it; two years from approval (003 §四.2).
    assert programme.bureau == world.jm and programme.approving_bureau == world.gd
    assert programme.ends_on == programme.starts_on.replace(
        year=programme.starts_on.year + 2
    ) - timedelta(days=1)
    # The sub-industries are the rows of 附1 (003 附件 附1).
    assert programme.sub_industries == CITY_SUB_INDUSTRIES
    # 附2: enterprises transformed by the end of 2024 and of 2025, as typed in the plan.
    assert targets == {
        (2024, ProgrammeTarget.Metric.TRANSFORMED): int(CITY_TARGETS["smes_2024"]),
        (2025, ProgrammeTarget.Metric.TRANSFORMED): int(CITY_TARGETS["smes_2025"]),
    }
    assert approved == 1
    # The city running the pilot reads them as the programme's targets, against live counts.
    client.force_login(world.jm_manager)
    page = client.get(f"/pilots/programmes/{programme.pk}/").content.decode()
    rows = re.findall(r"<tr[^>]*><td>(\d{4})</td><td>([^<]+)</td><td>(\d+)</td>", page)
    assert rows == [
        ("2024", "被改造企业总数量", CITY_TARGETS["smes_2024"]),
        ("2025", "被改造企业总数量", CITY_TARGETS["smes_2025"]),
    ]


def test_a_finalised_county_plan_becomes_a_programme_with_the_main_data_table_s_targets(world):
    call = make_call(
        world.js, code="county-plan-jiangsu-2025", kind="county_plan", sub_industries=[]
    )
    application = submitted_book(
        call,
        world.wj_centre,
        world.wj_centre_admin,
        county_plan_answers([world.wj_maker]),
        COUNTY_SLOTS,
    )
    [programme] = finalise(application, world.js_manager)
    with scopes_disabled():
        programme = PilotProgramme.objects.get(pk=programme.pk)
        targets = {t.metric: (t.year, t.value) for t in programme.targets.all()}
    assert programme.bureau == world.wj and programme.approving_bureau == world.js
    assert programme.sub_industries == [COUNTY_MAIN_DATA["sub_industry"]]
    # The implementation year ends in October (002 §七.1); the targets fall due then.
    assert programme.ends_on == county_year_end(programme.starts_on)
    year = programme.ends_on.year
    above, below = (
        int(COUNTY_MAIN_DATA["above_scale_planned"]),
        int(COUNTY_MAIN_DATA["below_scale_planned"]),
    )
    assert targets == {
        # B = 规上 + 规下, computed by the book, never typed (002 附1 附).
        ProgrammeTarget.Metric.TRANSFORMED: (year, above + below),
        ProgrammeTarget.Metric.ABOVE_SCALE: (year, above),
        ProgrammeTarget.Metric.BELOW_SCALE: (year, below),
        ProgrammeTarget.Metric.SPECIALISED: (year, int(COUNTY_MAIN_DATA["c_specialized"])),
    }


def test_the_county_implementation_year_runs_from_september_to_the_next_october():
    # 002 §七.1: 每年度9月至下一年度10月
    assert county_year_end(date(2025, 9, 1)) == date(2026, 10, 31)
    assert county_year_end(date(2025, 12, 20)) == date(2026, 10, 31)
    assert county_year_end(date(2026, 3, 5)) == date(2026, 10, 31)
    assert county_year_end(date(2026, 8, 31)) == date(2026, 10, 31)
