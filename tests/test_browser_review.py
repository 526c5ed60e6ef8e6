"""The review journey in Chromium: formal check, three experts with a conflict replaced, scores,
ranking, public notice, finalisation into a leading unit with its 1+1+N alliance."""

import re

import pytest

from applications import services as application_services
from evaluation.models import Publicity
from pilots.models import AllianceMember, LeadingUnit
from portal.scoping import scopes_disabled, visibility_scope
from portal.visibility import Visibility
from tests.books import fill_book
from tests.conftest import ARTIFACTS, log_in

pytestmark = pytest.mark.browser
SCORES = {
    "综合数字化服务能力": "18",
    "行业服务案例": "17",
    "“小快轻准”产品与知识产权": "12",
    "1+1+N产业生态联合体": "13",
    "工作方案可行性": "16",
    "承诺改造目标与意愿摸查": "8",
}


def submitted_book(world, call):
    visibility = Visibility.for_user(world.jm_leader_admin)
    with visibility_scope(visibility):
        application = application_services.application_start(
            visibility=visibility,
            call=call,
            organization=world.jm_leader,
            actor=world.jm_leader_admin,
        )
    fill_book(application, world.jm_leader_admin)
    with visibility_scope(visibility):
        application_services.application_submit(
            visibility=visibility, application=application, actor=world.jm_leader_admin
        )
    return application


def expert_scores(browser, base, username, conflict=None):
    from playwright.sync_api import expect

    page = browser.new_page(locale="zh-CN")
    log_in(page, base, username)
    page.get_by_role("link", name="我的评审").click()
    page.get_by_role("link", name="江门市数智链科技有限公司").click()
    if conflict:
        page.get_by_label("本人存在利益冲突").check()
        page.get_by_label("请说明情况").fill(conflict)
        page.get_by_role("button", name="提交声明").click()
        expect(page.get_by_text("您已声明存在利益冲突")).to_be_visible()
        return page
    page.get_by_role("button", name="提交声明").click()  # "no conflict" is the default choice
    expect(page.get_by_role("link", name="阅读申报书")).to_be_visible()
    expect(page.locator("#sheet-total")).to_have_text("—")
    for label, value in SCORES.items():
        page.get_by_label(label, exact=True).fill(value)
    # The weighted total is shown as the expert types, before anything is saved.
    expect(page.locator("#sheet-total")).to_have_text("83.64")
    page.get_by_role("button", name="提交评分").click()
    expect(page.get_by_text("评分已提交。")).to_be_visible()
    return page


def test_staff_review_score_publish_and_finalise_a_leading_unit(
    live_server, transactional_db, world, leading_call, browser
):
    from playwright.sync_api import expect

    base = live_server.url
    submitted_book(world, leading_call)
    staff = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    log_in(staff, base, "jm_manager")
    staff.goto(f"{base}/calls/{leading_call.pk}/")
    staff.get_by_role("link", name="评审", exact=True).click()
    staff.get_by_role("button", name="通过").click()
    expect(staff.get_by_text("已通过形式审查")).to_be_visible()
    staff.get_by_role("button", name="开始评审").click()
    staff.get_by_role("button", name="自动分配专家").click()
    expect(staff.get_by_text("已分配 3 人次")).to_be_visible()
    round_url = staff.url

    # One expert declares a conflict; refilling skips the partner's employee and brings another.
    expert_scores(browser, base, "expert_zhao", conflict="曾为申报单位提供咨询服务")
    staff.goto(round_url)
    staff.get_by_role("button", name="自动分配专家").click()
    expect(staff.get_by_text("已分配 1 人次")).to_be_visible()
    expect(staff.get_by_text(re.compile("陈工程师 · 系统自动回避"))).to_be_visible()
    expect(staff.get_by_text("孙教授 · 待声明利益冲突")).to_be_visible()

    for username in ("expert_li", "expert_wang", "expert_sun"):
        expert_scores(browser, base, username)

    # The ranking: each expert's weighted total, the mean, the trimmed mean (too few experts: —).
    staff.goto(round_url)
    staff.get_by_role("link", name="排名").first.click()
    row = staff.get_by_role("row", name=re.compile("江门市数智链科技有限公司")).first
    expect(row).to_contain_text("3/3")
    expect(row).to_contain_text(
        "83.64 / 83.64 / 83.64"
    )  # (18+17+12+13+16×1.5+8)/(20+20+15+15+20×1.5+10) = 92/110
    ARTIFACTS.mkdir(exist_ok=True)
    staff.screenshot(path=str(ARTIFACTS / "review-ranking.png"), full_page=True)
    staff.get_by_label("拟入选 江门市数智链科技有限公司").first.check()
    staff.get_by_role("button", name="确定拟入选名单").click()
    expect(staff.get_by_text("拟入选名单已记录。")).to_be_visible()

    # The public notice.
    staff.get_by_role("button", name="生成公示").click()
    staff.get_by_role("button", name="发布公示").click()
    expect(staff.get_by_text(re.compile("公示至"))).to_be_visible()
    public = browser.new_page(locale="zh-CN")
    public.goto(f"{base}/publicity/")
    public.get_by_role("link", name=re.compile("拟入选名单公示")).click()
    expect(public.get_by_role("cell", name="江门市数智链科技有限公司")).to_be_visible()
    expect(public.get_by_role("heading", name="提出异议")).to_be_visible()

    # Five days later (the test ends the period instead of waiting), the selection is final.
    with scopes_disabled():
        publicity = Publicity.objects.get(call=leading_call)
        Publicity.objects.filter(pk=publicity.pk).update(ends_at=publicity.starts_at)
    staff.reload()
    staff.get_by_role("button", name="确定名单").click()
    expect(staff.get_by_text("名单已确定，已生成 1 条记录。")).to_be_visible()
    with scopes_disabled():
        unit = LeadingUnit.objects.get(organization=world.jm_leader)
        roles = sorted(
            AllianceMember.objects.filter(alliance__leading_unit=unit).values_list(
                "role", flat=True
            )
        )
    assert roles == ["ecosystem", "integrator", "leader"]

    # The applicant reads the outcome in the inbox and follows it to the book.
    applicant = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    log_in(applicant, base, "jm_leader_admin")
    applicant.get_by_role("link", name=re.compile("^消息")).click()
    outcome = applicant.get_by_text(re.compile("申报书状态为“入选”")).first
    expect(outcome).to_be_visible()
