"""Deadlines and reminders: each offset once, moved deadlines, catch-up, working days."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import translation

from applications import services as application_services
from applications.models import Application, Call
from portal import deadlines, services
from portal.models import Deadline, Notification, Reminder, Role
from portal.scoping import scopes_disabled, visibility_scope
from portal.tasks import send_notification_email
from portal.visibility import Visibility
from portal.workdays import add_working_days, is_known, is_working_day, working_days_between
from tests.books import make_call

pytestmark = pytest.mark.django_db
CST = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=CST)


# --- working days ---------------------------------------------------------------------------------
def test_national_day_2025_shifts_working_days():
    """2025-10-01…08 are holidays; Sunday 09-28 and Saturday 10-11 are adjusted working days."""
    assert is_working_day(date(2025, 9, 28)) and is_working_day(date(2025, 10, 11))
    assert not is_working_day(date(2025, 10, 1)) and not is_working_day(date(2025, 10, 8))
    assert add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert add_working_days(date(2025, 9, 26), 10) == date(2025, 10, 16)
    assert add_working_days(date(2025, 10, 9), -3) == date(2025, 9, 28)
    assert working_days_between(date(2025, 9, 26), date(2025, 10, 16)) == 10


def test_years_the_calendar_does_not_know_fall_back_to_weekdays():
    assert not is_known(date(2031, 5, 5))
    assert add_working_days(date(2031, 5, 2), 1) == date(2031, 5, 5)  # Friday → Monday


def test_renames_are_reported_ten_working_days_ahead():
    """Report renames and reorganisations 10 working days ahead (004 §4.8): across National Day."""
    # Back from Monday 10-20: 17, 16, 15, 14, 13, Saturday 11 (adjusted), 10, 9, then 09-30, 09-29.
    assert add_working_days(date(2025, 10, 20), -10) == date(2025, 9, 29)


# --- reminders ------------------------------------------------------------------------------------
@pytest.fixture
def call_with_draft(world):
    """Jiangmen's call closing 2025-10-20 17:00, with a draft by the leading-unit candidate."""
    with time_machine.travel(at(2025, 9, 1, 10)):
        call = make_call(world.jm, closes_in=timedelta(days=49, hours=7))
        with scopes_disabled():
            Call.objects.filter(pk=call.pk).update(closes_at=at(2025, 10, 20, 17))
            call.refresh_from_db()
        visibility = Visibility.for_user(world.jm_leader_admin)
        with visibility_scope(visibility):
            application_services.application_start(
                visibility=visibility,
                call=call,
                organization=world.jm_leader,
                actor=world.jm_leader_admin,
            )
        deadlines.deadline_set(
            kind="call_close",
            subject=call,
            due_at=call.closes_at,
            title=call.title,
            link=f"/calls/{call.pk}/",
            bureau=world.jm,
        )
    return call


def tick(moment):
    with time_machine.travel(moment):
        deadlines.plan_reminders()
        deadlines.send_pending(worker="test")


def inbox(user):
    return list(Notification.objects.filter(user=user).order_by("created_at", "pk"))


def test_each_offset_is_sent_once_at_nine_in_the_morning(world, call_with_draft):
    tick(at(2025, 10, 13, 8, 59))
    assert inbox(world.jm_leader_admin) == []
    for moment, expected in [
        (at(2025, 10, 13, 9), [7]),
        (at(2025, 10, 13, 15), [7]),  # twice on the same day: once
        (at(2025, 10, 17, 9, 1), [7, 3]),
        (at(2025, 10, 19, 9), [7, 3, 1]),
        (at(2025, 10, 20, 9), [7, 3, 1, 0]),
        (at(2025, 10, 20, 16), [7, 3, 1, 0]),
    ]:
        tick(moment)
        assert [n.params["offset"] for n in inbox(world.jm_leader_admin)] == expected, moment
    with translation.override("zh-hans"):
        title, body = deadlines.render(inbox(world.jm_leader_admin)[1])
    assert title == "申报截止：“数字化牵引单位遴选”还有 3 天截止" and "2025-10-20 17:00" in body


def test_moving_the_deadline_plans_the_reminders_again(world, call_with_draft):
    tick(at(2025, 10, 13, 9))
    visibility = Visibility.for_user(world.jm_manager)
    with visibility_scope(visibility), time_machine.travel(at(2025, 10, 14, 10)):
        application_services.call_update(
            visibility=visibility,
            call=call_with_draft,
            actor=world.jm_manager,
            closes_at=at(2025, 10, 31, 17),
        )
    tick(at(2025, 10, 17, 9, 5))  # the old 3-days-before moment: nothing now
    assert [n.params["offset"] for n in inbox(world.jm_leader_admin)] == [7]
    tick(at(2025, 10, 24, 9))
    assert [n.params["offset"] for n in inbox(world.jm_leader_admin)] == [7, 7]
    assert inbox(world.jm_leader_admin)[-1].params["due_at"].startswith("2025-10-31")


def test_after_a_day_without_beat_only_the_latest_reminder_goes_out(world, call_with_draft):
    tick(at(2025, 10, 19, 9, 30))  # the 7- and 3-day moments were missed
    assert [n.params["offset"] for n in inbox(world.jm_leader_admin)] == [1]
    with scopes_disabled():
        statuses = dict(Reminder.objects.values_list("offset", "status"))
    assert statuses == {7: "coalesced", 3: "coalesced", 1: "sent"}


def test_working_day_policies_skip_the_national_day_holiday(world, call_with_draft):
    visibility = Visibility.for_user(world.jm_admin)
    services.reminder_policy_set(
        visibility=visibility,
        bureau=world.jm,
        kind="call_close",
        offsets_text="3，1",
        working_days=True,
    )
    with scopes_disabled():
        Call.objects.filter(pk=call_with_draft.pk).update(closes_at=at(2025, 10, 9, 17))
    deadlines.deadline_set(
        kind="call_close",
        subject=call_with_draft,
        due_at=at(2025, 10, 9, 17),
        title="t",
        bureau=world.jm,
    )
    with scopes_disabled():
        deadline = Deadline.objects.get(kind="call_close")
    assert deadlines.policy_for(deadline) == ([3, 1], True)
    assert deadlines.send_instant(deadline.due_at, 3, True) == at(
        2025, 9, 28, 9
    )  # an adjusted working Sunday
    assert deadlines.send_instant(deadline.due_at, 1, True) == at(2025, 9, 30, 9)


def test_a_policy_of_a_city_applies_to_its_counties_and_bad_input_is_explained(world):
    with pytest.raises(services.ValidationError):
        services.reminder_policy_set(
            visibility=Visibility.for_user(world.jm_admin),
            bureau=world.jm,
            kind="call_close",
            offsets_text="七天",
            working_days=False,
        )
    with pytest.raises(services.PermissionDenied):
        services.reminder_policy_set(
            visibility=Visibility.for_user(world.jm_manager),
            bureau=world.jm,
            kind="call_close",
            offsets_text="5",
            working_days=False,
        )


def test_recipients_are_resolved_when_sending(world, call_with_draft):
    with scopes_disabled():
        Application.objects.filter(call=call_with_draft).update(
            status="submitted"
        )  # nothing left to remind about
    tick(at(2025, 10, 13, 9))
    assert inbox(world.jm_leader_admin) == []


def test_the_call_closes_itself_at_the_deadline_once(world, call_with_draft):
    with time_machine.travel(at(2025, 10, 20, 16, 59)):
        assert deadlines.run_due_actions() == 0
    with time_machine.travel(at(2025, 10, 20, 17, 1)):
        assert deadlines.run_due_actions() == 1
        assert deadlines.run_due_actions() == 0
    with scopes_disabled():
        assert Call.objects.get(pk=call_with_draft.pk).status == "closed"
        assert Deadline.objects.get(kind="call_close").status == "done"


def test_email_goes_out_at_most_once_and_respects_preferences(
    world, call_with_draft, django_capture_on_commit_callbacks
):
    world.jm_leader_admin.email = "sun@example.com"
    world.jm_leader_admin.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        tick(at(2025, 10, 13, 9))
    [notification] = inbox(world.jm_leader_admin)
    send_notification_email.apply(args=[notification.pk])  # a retry: no second mail
    assert len(mail.outbox) == 1 and "还有 7 天截止" in mail.outbox[0].subject
    services.notification_preferences_set(user=world.jm_leader_admin, email_kinds=set())
    with django_capture_on_commit_callbacks(execute=True):
        tick(at(2025, 10, 17, 9))
    assert len(inbox(world.jm_leader_admin)) == 2 and len(mail.outbox) == 1


def test_the_inbox_shows_marks_read_and_hides_others_messages(client, world, call_with_draft):
    tick(at(2025, 10, 13, 9))
    [notification] = inbox(world.jm_leader_admin)
    client.force_login(world.jm_leader_admin)
    body = client.get("/").content.decode()
    assert 'class="badge"' in body
    assert "还有 7 天截止" in client.get("/inbox/").content.decode()
    response = client.get(f"/inbox/{notification.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/calls/{call_with_draft.pk}/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    client.force_login(world.gz_applicant)
    assert client.get(f"/inbox/{notification.pk}/").status_code == 404


def test_staff_see_their_jurisdiction_s_deadlines(client, world, call_with_draft):
    with scopes_disabled():
        deadline = Deadline.objects.get(kind="call_close")
    client.force_login(
        world.pj_manager
    )  # a county below Jiangmen does not see the city's deadlines
    assert client.get(f"/deadlines/{deadline.pk}/").status_code == 404
    client.force_login(world.jm_manager)
    assert call_with_draft.title in client.get("/deadlines/?show=past").content.decode()
    assert client.get(f"/deadlines/{deadline.pk}/").status_code == 200
    client.force_login(world.jm_admin)
    assert (
        client.post(
            "/deadlines/policies/", {"kind": "call_close", "offsets": "abc"}, follow=True
        ).status_code
        == 200
    )
    assert Role.BUREAU_ADMIN


# --- planning at a province's scale (issue: reminders keep up) ------------------------------------
def _many_deadlines(world, count: int, due_at: datetime) -> None:
    from django.contrib.contenttypes.models import ContentType

    from portal.models import User

    with scopes_disabled():
        subject = ContentType.objects.get_for_model(User)
        Deadline.objects.bulk_create(
            [
                Deadline(
                    kind="acceptance_due",
                    due_at=due_at,
                    title=f"d{n}",
                    subject_type=subject,
                    subject_id=10_000 + n,
                    bureau=world.pj,
                    next_plan_at=deadlines.PLAN_AT_NEXT_TICK,
                )
                for n in range(count)
            ]
        )


def _planning_queries(moment: datetime) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with time_machine.travel(moment), CaptureQueriesContext(connection) as queries:
        deadlines.plan_reminders()
    return len(queries)


@pytest.mark.parametrize("count", [10, 60])
def test_a_quiet_planning_tick_is_one_query_whatever_the_number_of_deadlines(world, count):
    _many_deadlines(world, count, at(2025, 12, 31, 17))
    _planning_queries(at(2025, 10, 1, 10))  # sets each deadline's next moment
    with scopes_disabled():
        assert not Deadline.objects.filter(next_plan_at__lte=at(2025, 10, 1, 10)).exists()
    # Nothing new until the first offset (3 days before): a single indexed read per tick.
    assert _planning_queries(at(2025, 10, 2, 10)) <= 3


def test_a_planning_batch_runs_the_same_queries_for_ten_or_sixty_deadlines(world):
    _many_deadlines(world, 10, at(2025, 12, 31, 17))
    few = _planning_queries(at(2025, 10, 1, 10))
    _many_deadlines_more = _many_deadlines  # a second, larger set with other subjects
    with scopes_disabled():
        Deadline.objects.all().delete()
    _many_deadlines_more(world, 60, at(2025, 12, 31, 17))
    many = _planning_queries(at(2025, 10, 1, 10))
    assert many == few


def test_a_changed_policy_plans_its_deadlines_again_with_the_new_offsets(world, call_with_draft):
    tick(at(2025, 10, 13, 9))
    assert [n.params["offset"] for n in inbox(world.jm_leader_admin)] == [7]
    with time_machine.travel(at(2025, 10, 14, 9)):
        services.reminder_policy_set(
            visibility=Visibility.for_user(world.jm_admin),
            bureau=world.jm,
            kind="call_close",
            offsets_text="7, 5",
            working_days=False,
        )
    tick(at(2025, 10, 15, 9, 5))  # the new 5-day moment
    assert [n.params["offset"] for n in inbox(world.jm_leader_admin)] == [7, 5]
    tick(at(2025, 10, 19, 9, 5))  # 1 day before is no longer in the policy
    assert [n.params["offset"] for n in inbox(world.jm_leader_admin)] == [7, 5]
