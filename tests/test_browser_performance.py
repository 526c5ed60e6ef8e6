"""Leading-unit evaluation in Chromium (004 §3.2, §4.4): staff evaluate quarters with pre-filled
figures, the unit fails twice and is proposed for removal, a manager confirms, and the unit's
member reads the outcome and its reason in the inbox and on the unit's page."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from evaluation import performance
from pilots.models import LeadingUnit
from portal.scoping import scopes_disabled
from portal.visibility import Visibility
from tests.books import pdf_bytes, upload
from tests.conftest import ARTIFACTS, log_in

pytestmark = pytest.mark.browser


def test_a_unit_failing_twice_is_proposed_for_removal_and_a_manager_confirms_004_4_4_3(
    live_server, transactional_db, world, leading_unit, browser
):
    from playwright.sync_api import expect

    base = live_server.url
    today = timezone.localdate()
    last = performance.previous_quarter(*performance.quarter_of(today))
    before_last = performance.previous_quarter(*last)
    with scopes_disabled():
        LeadingUnit.objects.filter(pk=leading_unit.pk).update(
            selected_at=timezone.now() - timedelta(days=200)
        )
        # The unit reported the earlier quarter on time: the task-book indicator is pre-filled.
        performance.report_submit(
            visibility=Visibility.for_user(world.jm_leader_admin),
            unit=leading_unit,
            year=before_last[0],
            quarter=before_last[1],
            figures={"contracts_signed": 1},
            duties_done="完成诊断 2 家",
            evidence=upload("evidence.pdf", pdf_bytes()),
            actor=world.jm_leader_admin,
            today=performance.quarter_end(*before_last),
        )
    unit_page = f"{base}/performance/units/{leading_unit.pk}/"

    staff = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    log_in(staff, base, "jm_manager")
    staff.get_by_role("link", name="绩效评价").first.click()
    staff.get_by_role("link", name=world.jm_leader.name).click()
    for (year, quarter), reason in (
        (before_last, "完成改造数量明显落后于任务书"),
        (last, "进度仍然滞后，无有效补救措施"),
    ):
        label = f"{year}年第{quarter}季度"
        staff.get_by_role("link", name=f"评价{label}").click()
        expect(staff.get_by_role("heading", name=f"评价{label}")).to_be_visible()
        task_book = staff.get_by_label(re.compile("绩效任务书完成情况"))
        # pre-filled from the portal: 15 when the quarter's report came in, else 0
        expect(task_book).to_have_value("15" if (year, quarter) == before_last else "0")
        staff.get_by_label(re.compile("完成改造试点企业数量")).fill("5")
        staff.get_by_label(re.compile("试点企业数字化改造成效")).fill("5")
        staff.get_by_label(re.compile("试点企业满意度")).fill("8")
        staff.get_by_label(re.compile("牵引单位服务能力")).fill("6")
        staff.get_by_label("评价结论理由").fill(reason)
        staff.get_by_role("button", name="记录评价结果").click()
        expect(staff.get_by_text("评价已记录：不达标。")).to_be_visible()

    # The second failure in total proposes removal (004 §4.4.3); the manager confirms it.
    expect(staff.get_by_text("拟清退")).to_be_visible()
    expect(staff.get_by_text("累计两次绩效评价不达标（004 §4.4.3）").first).to_be_visible()
    staff.get_by_label("决定意见", exact=True).fill("经局务会审议，确认清退")
    staff.get_by_role("button", name="确认清退").click()
    expect(staff.get_by_text("该单位已被清退。")).to_be_visible()
    expect(staff.locator("#unit-status")).to_have_text("已清退")

    member = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    log_in(member, base, "jm_leader_admin")
    member.get_by_role("link", name=re.compile("^消息")).click()
    expect(member.get_by_text(re.compile("确认清退.*经局务会审议，确认清退"))).to_be_visible()
    expect(member.get_by_text(re.compile("理由：.*累计两次绩效评价不达标")).first).to_be_visible()
    member.goto(unit_page)
    expect(member.locator("#unit-status")).to_have_text("已清退")
    expect(member.get_by_text("进度仍然滞后，无有效补救措施").first).to_be_visible()
    expect(member.get_by_text("经局务会审议，确认清退").first).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    member.screenshot(path=str(ARTIFACTS / "leading-unit-removed.png"), full_page=True)
