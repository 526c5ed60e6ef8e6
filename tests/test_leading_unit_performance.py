"""Leading units' performance: task book, quarterly reports, the quarterly evaluation, satisfaction
and sanctions (004 §2.2.11, §3, §4; 002 §三.3; 000 §四(一))."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from applications.services import application_start
from evaluation import performance as services
from evaluation import performance_outcomes as outcomes
from evaluation.models import QuarterlyEvaluation, QuarterlyReport, Sanction
from pilots.models import LeadingUnit, PilotEnterprise, ServiceProvider
from portal.deadlines import plan_reminders, run_due_actions
from portal.models import Deadline, Notification, Reminder, StatusEvent
from portal.scoping import scopes_disabled, visibility_scope
from portal.uscc import with_check_digit
from portal.visibility import Visibility
from tests.books import make_call, pdf_bytes, upload

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 2)
PASSING = {"completed": 30, "effect": 20, "satisfaction": 10, "capability": 10, "task_book": 10}
FAILING = {"completed": 5, "effect": 5, "satisfaction": 5, "capability": 5, "task_book": 5}


@pytest.fixture
def unit(leading_unit):
    with scopes_disabled():
        LeadingUnit.objects.filter(pk=leading_unit.pk).update(
            selected_at=timezone.now() - timedelta(days=400)
        )
        leading_unit.refresh_from_db()
    return leading_unit


def as_(user):
    return Visibility.for_user(user)


def evaluate(world, unit, year, quarter, scores=PASSING, absent=False, user=None):
    user = user or world.jm_manager
    with visibility_scope(as_(user)):
        return outcomes.evaluation_record(
            visibility=as_(user),
            unit=unit,
            year=year,
            quarter=quarter,
            scores=scores,
            absent=absent,
            reason="季度考核结论",
            actor=user,
            today=TODAY,
        )


def removal_proposals(unit):
    with scopes_disabled():
        return list(unit.sanctions.filter(kind="removal", status="proposed"))


def test_a_passed_evaluation_proposes_nothing_and_a_first_failure_neither(world, unit):
    assert evaluate(world, unit, 2025, 3).outcome == "passed"
    assert evaluate(world, unit, 2025, 4, FAILING).outcome == "failed"
    assert removal_proposals(unit) == []


def test_the_second_failed_evaluation_in_total_proposes_removal_004_4_4_3(world, unit):
    evaluate(world, unit, 2025, 2, FAILING)
    evaluate(world, unit, 2025, 3)  # a pass between them does not reset the count ("累计")
    evaluate(world, unit, 2025, 4, FAILING)
    [proposal] = removal_proposals(unit)
    assert proposal.grounds == "4.4.3" and proposal.automatic
    with scopes_disabled():
        unit.refresh_from_db()
        assert unit.status == "active"  # proposed only: a manager confirms
        members = Notification.objects.filter(
            user=world.jm_leader_admin, kind="leading_unit_performance"
        )
        assert any("4.4.3" in n.params["text"] for n in members)


def test_a_skipped_evaluation_proposes_removal_004_4_4_2(world, unit):
    evaluate(world, unit, 2025, 4, absent=True)
    [proposal] = removal_proposals(unit)
    assert proposal.grounds == "4.4.2"


def test_a_manager_confirms_removal_and_the_unit_cannot_apply_again_004_4_4(world, unit):
    evaluate(world, unit, 2025, 3, FAILING)
    evaluate(world, unit, 2025, 4, FAILING)
    [proposal] = removal_proposals(unit)
    with visibility_scope(as_(world.jm_reviewer)), pytest.raises(PermissionDenied):
        outcomes.removal_decide(
            visibility=as_(world.jm_reviewer),
            sanction=proposal,
            confirm=True,
            note="x",
            actor=world.jm_reviewer,
        )
    with visibility_scope(as_(world.jm_manager)):
        outcomes.removal_decide(
            visibility=as_(world.jm_manager),
            sanction=proposal,
            confirm=True,
            note="局务会审议确认清退",
            actor=world.jm_manager,
        )
    with scopes_disabled():
        unit.refresh_from_db()
        assert unit.status == "removed"
        assert StatusEvent.objects.filter(subject_id=unit.pk, to_status="removed").exists()
    call = make_call(world.jm)
    with visibility_scope(as_(world.jm_leader_admin)), pytest.raises(ValidationError) as refused:
        application_start(
            visibility=as_(world.jm_leader_admin),
            call=call,
            organization=world.jm_leader,
            actor=world.jm_leader_admin,
        )
    assert "不得" in str(refused.value) or "may not apply" in str(refused.value)
    # Another bureau's call is not barred.
    other = make_call(world.gz)
    with visibility_scope(as_(world.jm_leader_admin)):
        application_start(
            visibility=as_(world.jm_leader_admin),
            call=other,
            organization=world.jm_leader,
            actor=world.jm_leader_admin,
        )


def test_a_second_evaluation_of_a_quarter_is_refused_with_a_message_and_by_the_database(
    world, unit
):
    first = evaluate(world, unit, 2025, 4)
    with pytest.raises(ValidationError, match="已评价|already been evaluated"):
        evaluate(world, unit, 2025, 4)
    with scopes_disabled(), pytest.raises(IntegrityError), transaction.atomic():
        QuarterlyEvaluation.objects.create(
            leading_unit=unit,
            year=2025,
            quarter=4,
            indicator_set=first.indicator_set,
            outcome="passed",
            reason="r",
            evaluated_by=world.jm_manager,
        )


def test_foreign_staff_cannot_evaluate(world, unit):
    with pytest.raises(PermissionDenied):
        evaluate(world, unit, 2025, 4, user=world.gz_manager)


def report(world, unit, year, quarter, today):
    with visibility_scope(as_(world.jm_leader_admin)):
        return services.report_submit(
            visibility=as_(world.jm_leader_admin),
            unit=unit,
            year=year,
            quarter=quarter,
            figures={"contracts_signed": 2, "completed": 1, "solutions": 1},
            duties_done="完成诊断 3 家",
            evidence=upload("evidence.pdf", pdf_bytes()),
            actor=world.jm_leader_admin,
            today=today,
        )


def test_a_report_by_its_working_day_deadline_is_accepted_and_after_it_refused_004_3_3_1(
    world, unit
):
    due = services.report_due_on(2025, 4)
    # 10 working days after 2025-12-31 on the statutory calendar (New Year's Day is a holiday)
    assert due == date(2026, 1, 15)
    assert report(world, unit, 2025, 4, due).figures["contracts_signed"] == 2
    with pytest.raises(ValidationError, match="2025-10-2|截止|due on"):
        report(world, unit, 2025, 3, due)
    with scopes_disabled():
        assert QuarterlyReport.objects.filter(leading_unit=unit).count() == 1


def test_a_task_book_starts_from_the_committed_targets_and_sets_the_report_deadline(world, unit):
    with visibility_scope(as_(world.jm_manager)):
        book = services.task_book_set(
            visibility=as_(world.jm_manager),
            unit=unit,
            targets=[{"sub_industry": "五金制品及零配件", "enterprises": 20, "level_two": 15}],
            duties="按季度报送",
            actor=world.jm_manager,
            today=TODAY,
        )
    with scopes_disabled():
        deadline = Deadline.objects.get(kind="quarterly_report_due", subject_id=book.pk)
    assert timezone.localtime(deadline.due_at).date() == services.report_due_on(2026, 1)
    with visibility_scope(as_(world.jm_manager)), pytest.raises(ValidationError):
        services.task_book_set(
            visibility=as_(world.jm_manager),
            unit=unit,
            targets=[{"sub_industry": "x", "enterprises": -1}],
            duties="",
            actor=world.jm_manager,
        )


def test_a_rectification_order_has_a_deadline_with_reminders_and_goes_overdue_004_4_2_4_3(
    world, unit
):
    today = timezone.localdate()
    with visibility_scope(as_(world.jm_manager)):
        with pytest.raises(ValidationError):
            outcomes.criticism_order(
                visibility=as_(world.jm_manager),
                unit=unit,
                grounds="4.2.3",
                reason="进度滞后",
                rectify_by=today,
                actor=world.jm_manager,
            )
        order = outcomes.criticism_order(
            visibility=as_(world.jm_manager),
            unit=unit,
            grounds="4.2.3",
            reason="季度考核项目实施进度滞后",
            rectify_by=today + timedelta(days=outcomes.RECTIFICATION_DAYS),
            actor=world.jm_manager,
        )
    with scopes_disabled():
        unit.refresh_from_db()
        assert unit.status == "criticised"
        deadline = Deadline.objects.get(kind="rectification_due", subject_id=order.pk)
        assert timezone.localtime(deadline.due_at).date() == today + timedelta(days=30)
    # Reminders go to the unit's members before the date (7, 3, 1, 0 days by default).
    assert plan_reminders(now=deadline.due_at - timedelta(hours=2)) >= 1
    with scopes_disabled():
        assert Reminder.objects.filter(deadline=deadline, recipient=world.jm_leader_admin).exists()
    run_due_actions(now=deadline.due_at + timedelta(minutes=1))
    with scopes_disabled():
        order.refresh_from_db()
        assert order.status == "overdue"
    # 004 §4.3: continued rectification with a new date, then rectified: active again.
    with visibility_scope(as_(world.jm_manager)):
        outcomes.rectification_decide(
            visibility=as_(world.jm_manager),
            sanction=order,
            action="continue",
            note="继续整改",
            rectify_by=today + timedelta(days=10),
            actor=world.jm_manager,
        )
        outcomes.rectification_decide(
            visibility=as_(world.jm_manager),
            sanction=order,
            action="rectified",
            note="整改到位",
            actor=world.jm_manager,
        )
    with scopes_disabled():
        unit.refresh_from_db()
        assert unit.status == "active"
        assert Deadline.objects.get(kind="rectification_due", subject_id=order.pk).status == "done"


def test_manual_removal_needs_grounds_and_evidence(world, unit):
    with visibility_scope(as_(world.jm_manager)):
        with pytest.raises(ValidationError):
            outcomes.removal_propose(
                visibility=as_(world.jm_manager),
                unit=unit,
                grounds="4.4.5",
                reason="伪造资料",
                evidence=None,
                actor=world.jm_manager,
            )
        proposal = outcomes.removal_propose(
            visibility=as_(world.jm_manager),
            unit=unit,
            grounds="4.4.5",
            reason="伪造资料",
            evidence=upload("evidence.pdf", pdf_bytes()),
            actor=world.jm_manager,
        )
    assert proposal.status == "proposed" and not proposal.automatic


def test_satisfaction_ratings_link_providers_and_feed_the_evaluation_002_3_3(world, unit):
    with scopes_disabled():
        enterprise = PilotEnterprise.objects.create(
            organization=world.pj_maker,
            leading_unit=unit,
            bureau=world.pj,
            sub_industry="五金制品及零配件",
            scale="small",
            above_scale=True,
        )
        provider = ServiceProvider.objects.create(
            bureau=world.pj,
            name="服务商",
            uscc=with_check_digit("91440703MA5CD0002"),
            capability="scenario",
            field="software",
        )
        foreign = ServiceProvider.objects.create(
            bureau=world.jh,
            name="外区服务商",
            uscc=with_check_digit("91440703MA5CD0003"),
            capability="scenario",
            field="software",
        )
    visibility = as_(world.pj_applicant)
    with visibility_scope(visibility):
        for provider_or_none, score in ((None, 4), (provider, 5), (provider, 3)):
            services.satisfaction_rate(
                visibility=visibility,
                enterprise=enterprise,
                provider=provider_or_none,
                score=score,
                comment="",
                actor=world.pj_applicant,
            )
        with pytest.raises(ValidationError):
            services.satisfaction_rate(
                visibility=visibility,
                enterprise=enterprise,
                provider=foreign,
                score=5,
                comment="",
                actor=world.pj_applicant,
            )
    with scopes_disabled():
        assert services.provider_satisfaction([provider.pk])[provider.pk][1] == 1
        definition = services.indicator_set().definition
        suggested = services.suggested_scores(unit, 2025, 4, definition)
    assert suggested["satisfaction"] == 12  # 4 of 5 on a 15-point indicator
    assert Sanction.Grounds.TWO_FAILURES == "4.4.3"


def test_an_undatable_quarter_is_refused_not_a_crash(world, unit, client):
    with pytest.raises(ValidationError):
        evaluate(world, unit, 99999, 1)
    with pytest.raises(ValidationError):
        report(world, unit, 2025, 5, TODAY)
    client.force_login(world.jm_manager)
    url = f"/performance/units/{unit.pk}/evaluate/?year=99999&quarter=9"
    assert client.get(url).status_code == 404


def test_the_desk_says_in_chinese_that_a_quarter_was_already_evaluated(world, unit, client):
    year, quarter = services.previous_quarter(*services.quarter_of(timezone.localdate()))
    client.force_login(world.jm_manager)
    url = f"/performance/units/{unit.pk}/evaluate/?year={year}&quarter={quarter}"
    page = client.get(url)
    assert page.status_code == 200
    assert 'value="0"' in page.content.decode()  # no report yet: the task-book score starts at 0
    data = {
        "year": year,
        "quarter": quarter,
        "reason": "按计划推进",
        **{f"score_{key}": value for key, value in PASSING.items()},
    }
    assert client.post(url, data).status_code == 302
    again = client.post(url, data).content.decode()
    assert f"该牵引单位{year}年第{quarter}季度已评价，不能重复评价。" in again


def test_the_unit_is_told_in_chinese_that_its_report_is_late(world, unit, client):
    year, quarter = 2024, 1  # long past its deadline
    client.force_login(world.jm_leader_admin)
    page = client.post(
        f"/performance/units/{unit.pk}/",
        {
            "action": "report",
            "year": year,
            "quarter": quarter,
            "contracts_signed": 1,
            "in_transformation": 0,
            "completed": 0,
            "solutions": 0,
            "duties_done": "补报",
            "evidence": upload("evidence.pdf", pdf_bytes()),
        },
    ).content.decode()
    due = services.report_due_on(year, quarter).isoformat()
    assert f"2024年第1季度的报告截止日期为 {due}，已不能提交。" in page
    with scopes_disabled():
        assert not QuarterlyReport.objects.filter(leading_unit=unit).exists()


def test_the_unit_asks_to_leave_and_a_manager_confirms_004_4_4_1(client, world, unit):
    client.force_login(world.jm_leader_admin)
    page = client.get(f"/performance/units/{unit.pk}/").content.decode()
    assert "request_exit" in page
    empty = client.post(f"/performance/units/{unit.pk}/", {"action": "request_exit", "reason": ""})
    assert empty.status_code == 200 and "理由" in empty.content.decode()
    client.post(
        f"/performance/units/{unit.pk}/", {"action": "request_exit", "reason": "业务调整，申请退出"}
    )
    [proposal] = removal_proposals(unit)
    assert proposal.grounds == "4.4.1" and proposal.reason == "业务调整，申请退出"
    with visibility_scope(as_(world.jm_manager)):
        outcomes.removal_decide(
            visibility=as_(world.jm_manager),
            sanction=proposal,
            confirm=True,
            note="同意退出",
            actor=world.jm_manager,
        )
    with scopes_disabled():
        unit.refresh_from_db()
    assert unit.status == "removed"
    # Only the unit's own admin may ask; a bureau's staff cannot ask in its name.
    with visibility_scope(as_(world.pj_applicant)), pytest.raises(PermissionDenied):
        outcomes.exit_request(
            visibility=as_(world.pj_applicant), unit=unit, reason="x", actor=world.pj_applicant
        )
