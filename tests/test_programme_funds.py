"""Programme evaluations and funds (issue 11 parts 5–6): 002 §七.3, 003 §四, §五, §六(三),
001 §二(四), Jiangmen 2024 project-subsidy notice."""

from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from applications.models import Application
from pilots import selectors
from pilots.models import (
    Assessment,
    FundUse,
    PilotProgramme,
    ProgrammeChange,
    ProgrammeEvaluation,
)
from pilots.services import funds, programme_evaluations
from pilots.services.programme_evaluations import add_months
from portal.models import Deadline
from portal.scoping import scopes_disabled
from portal.visibility import Visibility

from .books import make_call

pytestmark = pytest.mark.django_db

APPROVED = timezone.make_aware(datetime(2024, 1, 15, 10, 0))


def _programme(world, bureau, approving) -> PilotProgramme:
    with scopes_disabled():
        application = Application.objects.create(
            call=make_call(approving),
            organization=world.pj_maker if bureau == world.pj else world.jm_leader,
            status="selected",
            created_by=world.pj_applicant,
        )
        return PilotProgramme.objects.create(
            name="试点",
            bureau=bureau,
            approving_bureau=approving,
            source_application=application,
            approved_at=APPROVED,
            starts_on=APPROVED.date(),
            ends_on=date(2026, 1, 14),
        )


@pytest.fixture
def city_programme(world):
    return _programme(world, world.jm, world.gd)


@pytest.fixture
def county_programme(world):
    return _programme(world, world.pj, world.gd)


def v(user) -> Visibility:
    return Visibility.for_user(user)


def evaluate(programme, user, kind, outcome="pass"):
    return programme_evaluations.programme_evaluation_record(
        visibility=v(user),
        programme=programme,
        kind=kind,
        outcome=outcome,
        findings="按绩效目标表逐项核对",
        actor=user,
    )


def funded(world, programme, amount="1000.00"):
    funds.fund_allocate(
        visibility=v(world.gd_manager),
        programme=programme,
        amount_wan=amount,
        actor=world.gd_manager,
    )
    return funds.tranche_release(
        visibility=v(world.gd_manager), programme=programme, actor=world.gd_manager
    )


def use(world, programme, category, amount):
    return funds.fund_use_record(
        visibility=v(world.jm_manager),
        programme=programme,
        category=category,
        amount_wan=amount,
        description="用途",
        spent_on=date(2024, 6, 1),
        actor=world.jm_manager,
    )


def messages_of(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- amounts ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "大于零"),
        ("0", "大于零"),
        ("12.345", "两位小数"),
        ("十万", "输入数字"),
        ("NaN", "输入数字"),
    ],
)
def test_bad_amounts_get_a_clear_message_in_the_users_language(value, message):
    with pytest.raises(ValidationError) as caught:
        funds.wan(value)
    assert message in messages_of(caught.value)


def test_amounts_are_decimal_in_wan():
    assert funds.wan("12.5") == Decimal("12.50")
    assert funds.wan(Decimal("0.01")) == Decimal("0.01")


def test_a_negative_allocation_is_refused_and_nothing_saved(world, city_programme, unscoped):
    with pytest.raises(ValidationError):
        funds.fund_allocate(
            visibility=v(world.gd_manager),
            programme=city_programme,
            amount_wan="-5",
            actor=world.gd_manager,
        )
    assert not hasattr(PilotProgramme.objects.get(pk=city_programme.pk), "fund")


# --- tranches (003 §四(一)2) ---------------------------------------------------------------------------
def test_first_tranche_is_80_percent_on_approval_003_4_1_2(world, city_programme, unscoped):
    tranche = funded(world, city_programme, "1234.57")
    assert tranche.number == 1 and tranche.amount_wan == Decimal("987.66")


def test_rest_is_released_only_after_a_passed_evaluation_003_4_1_2(world, city_programme, unscoped):
    funded(world, city_programme)
    with pytest.raises(ValidationError) as caught:
        funds.tranche_release(
            visibility=v(world.gd_manager), programme=city_programme, actor=world.gd_manager
        )
    assert caught.value.code == "no_passed_evaluation"
    with time_machine.travel(date(2025, 1, 20)):
        evaluate(city_programme, world.gd_manager, "mid_term", "rectify")
    with pytest.raises(ValidationError):  # a rectify outcome is not a pass
        funds.tranche_release(
            visibility=v(world.gd_manager), programme=city_programme, actor=world.gd_manager
        )
    with time_machine.travel(date(2026, 1, 20)):
        evaluation = evaluate(city_programme, world.gd_manager, "final", "pass")
    second = funds.tranche_release(
        visibility=v(world.gd_manager), programme=city_programme, actor=world.gd_manager
    )
    assert second.number == 2 and second.amount_wan == Decimal("200.00")
    assert second.evaluation == evaluation
    with pytest.raises(ValidationError) as caught:
        funds.tranche_release(
            visibility=v(world.gd_manager), programme=city_programme, actor=world.gd_manager
        )
    assert caught.value.code == "all_released"


def test_only_the_approving_bureau_releases_funds(world, city_programme, unscoped):
    funds.fund_allocate(
        visibility=v(world.gd_manager),
        programme=city_programme,
        amount_wan="100",
        actor=world.gd_manager,
    )
    with pytest.raises(PermissionDenied):
        funds.tranche_release(
            visibility=v(world.jm_manager), programme=city_programme, actor=world.jm_manager
        )


def test_a_suspended_programme_gets_no_funds_003_5(world, city_programme, unscoped):
    funds.fund_allocate(
        visibility=v(world.gd_manager),
        programme=city_programme,
        amount_wan="100",
        actor=world.gd_manager,
    )
    with time_machine.travel(date(2025, 1, 20)):
        evaluate(city_programme, world.gd_manager, "mid_term", "suspend")
    city_programme.refresh_from_db()
    assert city_programme.status == "suspended"
    with pytest.raises(ValidationError) as caught:
        funds.tranche_release(
            visibility=v(world.gd_manager), programme=city_programme, actor=world.gd_manager
        )
    assert caught.value.code == "programme_penalised"


# --- the split (003 §四(二)) ---------------------------------------------------------------------------
def test_platforms_at_exactly_20_percent_in_wan_are_allowed_003_4_2(
    world, city_programme, unscoped
):
    funded(world, city_programme, "1000.00")
    use(world, city_programme, "transformation", "500.00")
    use(world, city_programme, "platforms", "199.99")
    use(world, city_programme, "platforms", "0.01")  # exactly 200.00 = 20% of 1000.00
    split = selectors.fund_split(city_programme)
    assert split.platforms == Decimal("200.00") and split.platforms_ok
    assert split.platforms_headroom == Decimal("0")
    assert split.transformation_ok


def test_one_cent_past_20_percent_is_refused_before_saving_003_4_2(world, city_programme, unscoped):
    funded(world, city_programme, "1000.00")
    use(world, city_programme, "platforms", "200.00")
    with pytest.raises(ValidationError) as caught:
        use(world, city_programme, "platforms", "0.01")
    assert "20%" in messages_of(caught.value) and "200.01" in messages_of(caught.value)
    assert FundUse.objects.filter(programme=city_programme).count() == 1
    assert funds.fund_use_check(city_programme, "platforms", Decimal("0.01"))
    assert funds.fund_use_check(city_programme, "transformation", Decimal("0.01")) == []


def test_uses_cannot_pass_the_money_released(world, city_programme, unscoped):
    funded(world, city_programme, "100.00")  # 80.00 released
    use(world, city_programme, "transformation", "80.00")
    with pytest.raises(ValidationError) as caught:
        use(world, city_programme, "transformation", "0.01")
    assert "超过已拨付" in messages_of(caught.value)


def test_the_split_shows_shares_of_the_money_spent(world, city_programme, unscoped):
    funded(world, city_programme, "1000.00")
    use(world, city_programme, "transformation", "300.00")
    use(world, city_programme, "platforms", "100.00")
    split = selectors.fund_split(city_programme)
    assert split.transformation_share == Decimal("75.0")
    assert split.platforms_share == Decimal("25.0")
    assert split.unspent == Decimal("400.00")


# --- subsidies (Jiangmen 2024 project-subsidy notice; 001 §二(四)) -------------------------------------------
@pytest.fixture
def assessed(world, signed_enterprise):
    def at(level):
        with scopes_disabled():
            Assessment.objects.update_or_create(
                enterprise=signed_enterprise,
                stage="after",
                kind="onsite",
                defaults={"level": level, "assessed_by": world.pj_manager},
            )
        return signed_enterprise

    return at


def grant(world, programme, enterprise, cost, project_class="general", special=False):
    return funds.subsidy_grant(
        visibility=v(world.jm_manager),
        programme=programme,
        enterprise=enterprise,
        project_class=project_class,
        verified_cost_wan=cost,
        special_funds=special,
        actor=world.jm_manager,
    )


def test_subsidy_is_the_configured_share_of_the_verified_cost(
    world, city_programme, assessed, unscoped
):
    funded(world, city_programme)
    subsidy = grant(world, city_programme, assessed(2), "50.00")
    assert subsidy.use.amount_wan == Decimal("15.00")  # 30% of 50万
    assert subsidy.use.category == "transformation"


@pytest.mark.parametrize(("project_class", "cap"), [("general", "30.00"), ("benchmark", "50.00")])
def test_subsidy_is_capped_per_project_class(
    world, city_programme, assessed, unscoped, project_class, cap
):
    funded(world, city_programme)
    subsidy = grant(world, city_programme, assessed(3), "400.00", project_class)
    assert subsidy.use.amount_wan == Decimal(cap)


def test_subsidy_waits_for_level_2_after_transformation(world, city_programme, assessed, unscoped):
    funded(world, city_programme)
    with pytest.raises(ValidationError) as caught:
        grant(world, city_programme, assessed(1), "50.00")
    assert caught.value.code == "level_not_reached"
    assert not FundUse.objects.exists()


def test_subsidy_refused_for_a_project_with_special_funds_001_2_4(
    world, city_programme, assessed, unscoped
):
    funded(world, city_programme)
    with pytest.raises(ValidationError) as caught:
        grant(world, city_programme, assessed(2), "50.00", special=True)
    assert caught.value.code == "double_funding"
    assert not FundUse.objects.exists()


def test_subsidy_is_paid_once_per_enterprise(world, city_programme, assessed, unscoped):
    funded(world, city_programme)
    grant(world, city_programme, assessed(2), "50.00")
    with pytest.raises(ValidationError) as caught:
        grant(world, city_programme, assessed(2), "50.00")
    assert caught.value.code == "subsidy_repeated"


# --- evaluations (002 §七.3; 003 §五) -------------------------------------------------------------------
def test_rectification_is_due_two_calendar_months_after_on_site_evaluation_002_7_3(
    world, county_programme, unscoped
):
    evaluate(county_programme, world.pj_manager, "self")
    with time_machine.travel(timezone.make_aware(datetime(2025, 12, 31, 10, 0))):
        onsite = evaluate(county_programme, world.jm_manager, "onsite", "rectify")
    assert onsite.status == "rectifying"
    assert onsite.rectification_due == date(2026, 2, 28)  # no 31 February: the month's end
    deadline = Deadline.objects.get(kind="programme_rectification_due", subject_id=onsite.pk)
    assert timezone.localdate(deadline.due_at) == date(2026, 2, 28)
    assert add_months(date(2025, 11, 15), 2) == date(2026, 1, 15)


def test_province_reviews_a_county_only_after_rectification_002_7_3(
    world, county_programme, unscoped
):
    with pytest.raises(ValidationError) as caught:
        evaluate(county_programme, world.jm_manager, "onsite")
    assert caught.value.code == "evaluation_order"
    evaluate(county_programme, world.pj_manager, "self")
    onsite = evaluate(county_programme, world.jm_manager, "onsite", "rectify")
    with pytest.raises(ValidationError) as caught:
        evaluate(county_programme, world.gd_manager, "review")
    assert caught.value.code == "evaluation_rectifying"
    programme_evaluations.programme_rectification_report(
        visibility=v(world.pj_manager), evaluation=onsite, report="已整改", actor=world.pj_manager
    )
    assert Deadline.objects.get(subject_id=onsite.pk).status == "done"
    review = evaluate(county_programme, world.gd_manager, "review")
    assert review.outcome == "pass"
    with pytest.raises(ValidationError) as caught:
        evaluate(county_programme, world.gd_manager, "review")
    assert caught.value.code == "evaluation_repeated"


def test_each_bureau_records_only_its_own_step(world, county_programme, city_programme, unscoped):
    with pytest.raises(PermissionDenied):
        evaluate(county_programme, world.jm_manager, "self")
    with pytest.raises(PermissionDenied):
        evaluate(county_programme, world.pj_manager, "onsite")
    with pytest.raises(PermissionDenied):
        evaluate(city_programme, world.jm_manager, "mid_term")  # the province evaluates


def test_mid_term_comes_after_year_one_and_final_after_year_two_003_5(
    world, city_programme, unscoped
):
    with time_machine.travel(date(2025, 1, 14)), pytest.raises(ValidationError) as caught:
        evaluate(city_programme, world.gd_manager, "mid_term")
    assert caught.value.code == "evaluation_early"
    with time_machine.travel(date(2025, 1, 15)):
        mid = evaluate(city_programme, world.gd_manager, "mid_term")
    assert {row["metric"] for row in mid.targets} == set()  # no targets set: nothing to snapshot
    with time_machine.travel(date(2026, 1, 14)), pytest.raises(ValidationError):
        evaluate(city_programme, world.gd_manager, "final")


def test_claw_back_marks_the_programme(world, city_programme, unscoped):
    with time_machine.travel(date(2025, 2, 1)):
        evaluate(city_programme, world.gd_manager, "mid_term", "claw_back")
    city_programme.refresh_from_db()
    assert city_programme.status == "clawed_back"


# --- plan changes (003 §六(三)) -------------------------------------------------------------------------
def test_plan_changes_need_the_approving_bureau_003_6_3(world, city_programme, unscoped):
    change = programme_evaluations.programme_change_request(
        visibility=v(world.jm_manager),
        programme=city_programme,
        summary="增加一个细分行业",
        actor=world.jm_manager,
    )
    with pytest.raises(PermissionDenied):
        programme_evaluations.programme_change_decide(
            visibility=v(world.jm_manager),
            change=change,
            approve=True,
            note="",
            actor=world.jm_manager,
        )
    with pytest.raises(ValidationError):  # a rejection gives its reason
        programme_evaluations.programme_change_decide(
            visibility=v(world.gd_manager),
            change=change,
            approve=False,
            note="",
            actor=world.gd_manager,
        )
    programme_evaluations.programme_change_decide(
        visibility=v(world.gd_manager),
        change=change,
        approve=True,
        note="同意",
        actor=world.gd_manager,
    )
    assert ProgrammeChange.objects.get(pk=change.pk).status == "approved"


def test_foreign_staff_cannot_see_a_programme_funds(world, city_programme, as_user, unscoped):
    funded(world, city_programme)
    with as_user(world.gz_manager):
        assert not FundUse.objects.exists()
        assert not ProgrammeEvaluation.objects.exists()


# --- pages ------------------------------------------------------------------------------------------
def test_funds_page_refuses_a_use_past_the_ceiling_with_a_message(client, world, city_programme):
    with scopes_disabled():
        funded(world, city_programme, "1000.00")
    client.force_login(world.jm_manager)
    url = f"/pilots/programmes/{city_programme.pk}/funds/"
    response = client.post(
        url,
        {
            "action": "use",
            "category": "platforms",
            "amount_wan": "200.01",
            "description": "行业平台",
            "spent_on": "2024-06-01",
        },
    )
    assert response.status_code == 200
    assert "200.01" in response.content.decode()
    with scopes_disabled():
        assert not FundUse.objects.exists()
    response = client.post(
        url,
        {
            "action": "use",
            "category": "platforms",
            "amount_wan": "12.345",
            "description": "行业平台",
            "spent_on": "2024-06-01",
        },
    )
    assert "两位小数" in response.content.decode()
    preview = client.get(f"{url}split/", {"category": "platforms", "amount_wan": "200.01"})
    assert preview.status_code == 200 and "200.01" in preview.content.decode()
    assert client.get(url).status_code == 200


def test_running_bureau_may_not_release_funds_from_the_page(client, world, city_programme):
    client.force_login(world.jm_manager)
    response = client.post(f"/pilots/programmes/{city_programme.pk}/funds/", {"action": "release"})
    assert response.status_code == 403


def test_fund_uses_export_lists_the_uses(client, world, city_programme):
    with scopes_disabled():
        funded(world, city_programme, "1000.00")
        use(world, city_programme, "transformation", "12.50")
    client.force_login(world.gd_manager)
    response = client.get(
        f"/pilots/programmes/{city_programme.pk}/funds/uses/export/", {"format": "csv"}
    )
    text = response.content.decode("utf-8-sig")
    assert response.status_code == 200 and "12.50" in text and "用途" in text


def test_evaluations_page_records_the_province_review(client, world, county_programme):
    with scopes_disabled():
        evaluate(county_programme, world.pj_manager, "self")
        evaluate(county_programme, world.jm_manager, "onsite")
    client.force_login(world.gd_manager)
    url = f"/pilots/programmes/{county_programme.pk}/evaluations/"
    response = client.post(
        url, {"action": "evaluate", "kind": "review", "outcome": "pass", "findings": "复核通过"}
    )
    assert response.status_code == 302
    assert "复核通过" in client.get(url).content.decode()


# --- enterprise-list changes (002 §二.1) and benchmark titles (001 §四(五)) ----------------------------
def test_county_enterprise_list_changes_are_filed_by_the_city_002_2_1(
    world, county_programme, city_programme, unscoped
):
    change = programme_evaluations.programme_change_request(
        visibility=v(world.pj_manager),
        programme=county_programme,
        kind="enterprise_list",
        summary="恒信五金厂退出，新增一家规上企业",
        actor=world.pj_manager,
    )
    with pytest.raises(PermissionDenied):  # the province approves plans, the city files lists
        programme_evaluations.programme_change_decide(
            visibility=v(world.gd_manager),
            change=change,
            approve=True,
            note="",
            actor=world.gd_manager,
        )
    programme_evaluations.programme_change_decide(
        visibility=v(world.jm_manager),
        change=change,
        approve=True,
        note="备案",
        actor=world.jm_manager,
    )
    assert ProgrammeChange.objects.get(pk=change.pk).status == "approved"
    with pytest.raises(ValidationError):  # a city pilot has no county list to file
        programme_evaluations.programme_change_request(
            visibility=v(world.jm_manager),
            programme=city_programme,
            kind="enterprise_list",
            summary="x",
            actor=world.jm_manager,
        )


def test_a_benchmark_title_is_revoked_for_verified_dishonesty_with_its_reason_001_4_5(
    world, unscoped
):
    from pilots.models import BenchmarkTitle
    from pilots.services.titles import benchmark_title_revoke
    from portal.models import StatusEvent

    application = Application.objects.create(
        call=make_call(world.jm, kind="benchmark", code="benchmark-jiangmen-2023"),
        organization=world.pj_maker,
        status="selected",
        created_by=world.pj_applicant,
    )
    title = BenchmarkTitle.objects.create(
        organization=world.pj_maker,
        bureau=world.jm,
        title="江门市制造业数字化转型标杆示范企业",
        source_application=application,
        awarded_at=timezone.now(),
    )
    with pytest.raises(PermissionDenied):
        benchmark_title_revoke(
            visibility=v(world.pj_manager), title=title, reason="x", actor=world.pj_manager
        )
    with pytest.raises(ValidationError):
        benchmark_title_revoke(
            visibility=v(world.jm_manager), title=title, reason=" ", actor=world.jm_manager
        )
    benchmark_title_revoke(
        visibility=v(world.jm_manager),
        title=title,
        reason="申报材料弄虚作假，经核实属实",
        actor=world.jm_manager,
    )
    title.refresh_from_db()
    assert title.status == "revoked" and "弄虚作假" in title.revocation_reason
    assert StatusEvent.objects.filter(subject_id=title.pk, to_status="revoked").exists()
    with pytest.raises(ValidationError):
        benchmark_title_revoke(
            visibility=v(world.jm_manager), title=title, reason="再次", actor=world.jm_manager
        )
