"""Pilot execution in Chromium: enrol by import, the enterprise's file and assessments, the
three-party task book, level 2 after transformation, the county's evaluation."""

import re

import pytest
from openpyxl import Workbook

from pilots.models import PilotEnterprise, TaskBook
from pilots.services.enrolment import COLUMNS
from portal.scoping import scopes_disabled
from tests.conftest import ARTIFACTS, log_in
from tests.test_assessment_and_money import level_two_example

pytestmark = pytest.mark.browser


def fill_assessment(page, answers):
    for key, value in answers["items"].items():
        for option in [value] if isinstance(value, str) else value:
            page.locator(f"input[name='{key}'][value='{option}']").check()
    for key, value in answers["inputs"].items():
        page.locator(f"input[name='{key}']").fill(str(value))
    for key, level in answers["scenarios"].items():
        page.locator(f"select[name='scenario-{key}']").select_option(str(level))
    page.get_by_role("button", name="保存并评测").click()


def test_a_leading_unit_enrols_and_the_parties_carry_the_pilot_through(
    live_server, transactional_db, world, leading_unit, browser, tmp_path
):
    from playwright.sync_api import expect

    base = live_server.url
    workbook = Workbook()
    workbook.active.append(COLUMNS)
    workbook.active.append(
        [
            world.pj_maker.name,
            world.pj_maker.uscc,
            "五金制品及零配件",
            "小型",
            "规上",
            "专精特新",
            "5800",
            "320",
        ]
    )
    sheet = tmp_path / "试点企业名单.xlsx"
    workbook.save(sheet)

    unit = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    log_in(unit, base, "jm_leader_admin")
    unit.get_by_role("link", name="试点企业").first.click()
    unit.get_by_role("link", name="从表格导入试点企业").click()
    unit.get_by_label("表格文件（XLSX 或 CSV）").set_input_files(str(sheet))
    unit.get_by_role("button", name="检查文件").click()
    expect(unit.get_by_text("可导入")).to_be_visible()
    unit.get_by_role("button", name=re.compile("导入 1 家企业")).click()
    expect(unit.get_by_text("已导入 1 家试点企业。")).to_be_visible()
    with scopes_disabled():
        enterprise = PilotEnterprise.objects.get(organization=world.pj_maker)
    detail = f"{base}/pilots/enterprises/{enterprise.pk}/"

    # The enterprise completes part 一 of its record and assesses itself before transformation.
    company = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    log_in(company, base, "pj_applicant")
    company.goto(detail)
    company.get_by_role("link", name="一、基本情况").click()
    company.get_by_label("所属城市及县区").fill("江门市蓬江区")
    company.get_by_label("企业基本情况（500字以内）").fill("生产五金零配件，员工120人。")
    company.get_by_label("企业性质").select_option("民营")
    company.get_by_label("企业规模").select_option("小型企业")
    company.get_by_label("规上/规下").select_option("规模以上企业")
    company.get_by_label("优质中小企业情况").select_option("专精特新中小企业")
    company.get_by_label("所属细分行业").fill("五金制品及零配件")
    company.get_by_label("上年度营业收入（万元）").fill("5800")
    company.get_by_label("上年度年利润（万元）").fill("320")
    company.get_by_label("上年度人均营业收入（万元）").fill("48.3")
    company.get_by_label("数字化转型已投入总额（万元）").fill("60")
    company.get_by_role("button", name="保存").click()
    expect(company.get_by_text("已保存。")).to_be_visible()
    company.goto(f"{detail}assessments/before/self/")
    before = level_two_example()
    before["scenarios"] = {key: 1 for key in before["scenarios"]}
    fill_assessment(company, before)
    expect(company.get_by_text(re.compile(r"已评测：1 级"))).to_be_visible()

    # The task book, drawn up by the provider and signed by the three parties.
    unit.goto(detail)
    unit.get_by_role("link", name="制定任务书").click()
    unit.get_by_label("改造目标").fill("设备联网率达到60%，数字化水平达到二级。")
    unit.get_by_label("绩效目标").fill("生产计划达成率提升10%。")
    unit.get_by_label("改造内容").fill("部署轻量化MES，设备数采。")
    unit.get_by_label(
        "项目实施进度计划（每行一项：起止时间 | 项目建设内容 | 投资总额（万元））"
    ).fill("2025年9-12月 | 诊断与方案 | 5.5\n2026年1-9月 | 实施与验收 | 30")
    unit.get_by_label("总预算（万元）").fill("35.5")
    unit.get_by_label("乙方开户银行").fill("中国工商银行江门蓬江支行")
    unit.get_by_label("乙方银行帐号").fill("2012004009200123456")
    unit.get_by_label("甲乙丙三方协商订立的附加条款（选填）").fill("丙方提供一年免费运维。")
    unit.get_by_role("button", name="保存待签署").click()
    expect(unit.get_by_text("叁拾伍万伍仟元整")).to_be_visible()
    unit.get_by_role("button", name=re.compile("以丙方")).click()
    company.goto(detail)
    company.get_by_role("button", name=re.compile("以乙方")).click()
    county = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    log_in(county, base, "pj_manager")
    county.goto(detail)
    county.get_by_role("button", name=re.compile("以甲方")).click()
    expect(county.get_by_text("三方已签署")).to_be_visible()
    with scopes_disabled():
        assert TaskBook.objects.get(enterprise=enterprise).status == "signed"

    # After transformation the enterprise reaches level 2.
    company.goto(f"{detail}assessments/after/self/")
    fill_assessment(company, level_two_example())
    expect(company.get_by_text(re.compile(r"已评测：2 级"))).to_be_visible()

    # The county evaluates the record (part 四).
    county.goto(detail)
    expect(county.get_by_text(re.compile(r"2 级（50.05 分）"))).to_be_visible()
    county.get_by_role("link", name="四、绩效评价").click()
    county.get_by_label("是否已开展绩效评价").select_option("是")
    county.get_by_label("绩效评价是否通过").select_option("通过")
    county.get_by_label("是否将该企业作为样板").select_option("是")
    county.get_by_label("作为样板的理由").fill("改造效果显著，可复制推广。")
    county.get_by_role("button", name="保存").click()
    expect(county.get_by_text("已保存。")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    county.screenshot(path=str(ARTIFACTS / "pilot-enterprise.png"), full_page=True)
    # The enterprise may read the county's part but not change it.
    company.goto(f"{detail}file/evaluation/")
    expect(company.get_by_role("button", name="保存")).to_have_count(0)


def test_the_leading_unit_downloads_the_task_book_of_an_enterprise_it_serves(
    live_server, transactional_db, world, signed_enterprise, browser
):
    from playwright.sync_api import expect

    base = live_server.url
    page = browser.new_page(
        locale="zh-CN", viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    log_in(page, base, "jm_leader_admin")
    page.get_by_role("link", name="试点企业").first.click()
    page.get_by_role("link", name=signed_enterprise.organization.name).click()
    expect(page.get_by_role("heading", name=signed_enterprise.organization.name)).to_be_visible()
    page.get_by_role("button", name="生成任务书 PDF").click()
    expect(page.get_by_text("正在生成 PDF。")).to_be_visible()
    link = page.get_by_role("link", name="下载盖章 PDF")
    expect(link).to_have_count(1)
    with (
        page.expect_response(re.compile(r"/documents/\d+/$")) as response_info,
        page.expect_download() as download_info,
    ):
        link.click()
    assert response_info.value.status == 200
    assert response_info.value.headers["content-type"] == "application/pdf"
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "leading-unit-task-book-pdf.png"), full_page=True)
