"""The statutory calendar beyond the library's data: the operator's table first, and an unknown
year said out loud (in the log and where a working-day date is shown)."""

import json
import logging
from datetime import date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from portal import deadlines, workdays
from portal.models import CalendarDay, Deadline
from portal.scoping import scopes_disabled

pytestmark = pytest.mark.django_db
FAR = 2031  # a year the library has no data for


@pytest.fixture(autouse=True)
def fresh_calendar():
    workdays.forget()
    yield
    workdays.forget()


def test_an_unknown_year_counts_monday_to_friday_and_logs_it(caplog):
    assert not workdays.is_known(date(FAR, 10, 1))
    with caplog.at_level(logging.WARNING, logger="portal.workdays"):
        assert workdays.is_working_day(date(FAR, 10, 1))  # a Wednesday, National Day
    assert str(FAR) in caplog.text


def test_the_operator_s_notice_comes_before_the_weekday_rule(tmp_path):
    notice = tmp_path / "holidays.json"
    notice.write_text(
        json.dumps(
            {
                "source": "国务院办公厅通知（测试）",
                "holidays": {"国庆节": [f"{FAR}-10-0{d}" for d in range(1, 8)]},
                "working_days": [f"{FAR}-09-28"],  # a Sunday made a working day
            }
        ),
        encoding="utf-8",
    )
    call_command("load_holidays", str(notice))
    assert workdays.is_known(date(FAR, 10, 1))
    assert not workdays.is_working_day(date(FAR, 10, 1))
    assert workdays.is_working_day(date(FAR, 9, 28))
    # From Tuesday 30 September, 1 working day later is Wednesday 8 October, after the holiday.
    assert workdays.add_working_days(date(FAR, 9, 30), 1) == date(FAR, 10, 8)
    assert CalendarDay.objects.count() == 8


def test_a_broken_file_is_refused_with_a_message(tmp_path):
    from django.core.management.base import CommandError

    bad = tmp_path / "bad.json"
    bad.write_text('{"holidays": {"春节": ["2031-02-30"]}}', encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("load_holidays", str(bad))
    assert CalendarDay.objects.count() == 0


def test_a_working_day_deadline_in_an_unknown_year_says_so(client, world):
    with scopes_disabled():
        deadline = deadlines.deadline_set(
            kind="quarterly_report_due",
            subject=world.pj_maker,
            due_at=timezone.make_aware(datetime(FAR, 10, 10, 17, 0)),
            title="补正材料",
            link="/",
            bureau=world.pj,
            organization=world.pj_maker,
        )
    client.force_login(world.pj_manager)
    page = client.get(f"/deadlines/{deadline.pk}/").content.decode()
    _offsets, working_days = deadlines.policy_for(deadline)
    assert working_days
    assert "节假日" in page
    with scopes_disabled():
        Deadline.objects.filter(pk=deadline.pk).update(due_at=timezone.now() + timedelta(days=20))
    assert "节假日" not in client.get(f"/deadlines/{deadline.pk}/").content.decode()
