"""The applicant journey in Chromium: the whole leading-unit book (000 §三), the ≥3-cases rule,
submission, and who can then read it."""

import re

import pytest

from portal.uscc import with_check_digit
from tests.books import SUB_INDUSTRIES, pdf_bytes, png_bytes
from tests.conftest import ARTIFACTS, log_in

pytestmark = pytest.mark.browser
A, B = SUB_INDUSTRIES


def save_and_continue(page):
    page.get_by_role("button", name="保存并继续").click()
    page.wait_for_load_state()


def fill_row(page, index, values):
    for key, value in values.items():
        field = page.locator(f"[name='r{index}-{key}']")
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def test_an_applicant_fills_and_submits_the_whole_leading_unit_book(
    live_server, transactional_db, world, leading_call, browser, tmp_path
):
    from playwright.sync_api import expect

    base = live_server.url
    page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    log_in(page, base, "jm_leader_admin")
    # The home page lists the open call; the applicant starts from there.
    open_calls = page.get_by_role("region", name="正在受理的申报通知")
    open_calls.get_by_role("link", name=leading_call.title).click()
    page.wait_for_url(f"{base}/calls/{leading_call.pk}/")
    page.get_by_role("button", name="开始填写申报书").click()
    expect(page.get_by_text("状态: 草稿")).to_be_visible()
    page.get_by_role("link", name="一、申报书基本信息表").first.click()

    # 一 basic information: prefilled from the organization, the rest typed.
    expect(page.get_by_label("单位名称")).to_have_value("江门市数智链科技有限公司")
    page.get_by_label("申报类型").select_option("产业链牵引企业")
    page.get_by_label("注册地址").fill("江门市蓬江区建设路1号")
    page.get_by_label("成立日期").fill("2015-03-01")
    page.get_by_label("注册资本（万元）").fill("1000")
    page.get_by_label("2024年营业收入（万元）").fill("8800.5")
    page.get_by_label("员工人数").fill("120")
    page.get_by_label("江门本地化服务团队人数").fill("25")
    page.get_by_label(A).check()
    page.get_by_label(B).check()
    page.get_by_label("联系邮箱").fill("sun@example.com")
    save_and_continue(page)

    # 二 committed targets
    expect(page.get_by_role("heading", level=1)).to_have_text("二、承诺改造中小企业目标表")
    fill_row(
        page, 0, {"sub_industry": A, "enterprises": "60", "above_scale": "20", "level_two": "55"}
    )
    fill_row(
        page, 1, {"sub_industry": B, "enterprises": "40", "above_scale": "10", "level_two": "36"}
    )
    save_and_continue(page)

    # 三 work plan: typed, then autosaved without pressing Save.
    page.get_by_label("中小企业数字化转型城市试点工作方案").fill(
        "第一阶段：咨询诊断。\n\n第二阶段：改造实施与全过程管理。"
    )
    expect(page.locator("#autosave-status")).to_contain_text("已自动保存于", timeout=10_000)
    page.get_by_role("link", name="下一部分").click()
    page.get_by_role("link", name="上一部分").click()
    expect(page.get_by_label("中小企业数字化转型城市试点工作方案")).to_contain_text("第二阶段")
    page.get_by_role("link", name="下一部分").click()

    # 四 alliance (1+1+N)
    fill_row(
        page,
        0,
        {
            "role": "数字化集成服务企业",
            "org_name": "集成服务公司",
            "uscc": with_check_digit("91440703MA4W7K2P1"),
            "duties": "系统集成",
            "contact": "王工 13800000001",
        },
    )
    fill_row(
        page,
        1,
        {
            "role": "产业生态企业",
            "org_name": "生态伙伴公司",
            "uscc": with_check_digit("91440704MA4W7K2P2"),
            "duties": "设备数采",
            "contact": "李工 13800000002",
        },
    )
    # The cells show a whole credit code and a company's name, not a cut-off part of it.
    for name in ("r0-uscc", "r0-org_name", "r1-uscc"):
        fits = page.locator(f"[name='{name}']").evaluate("el => el.scrollWidth <= el.clientWidth")
        assert fits, name
    save_and_continue(page)

    # 五 products
    fill_row(
        page,
        0,
        {
            "name": "轻量化MES",
            "provider": "江门市数智链科技有限公司",
            "stage": "制造",
            "summary": "SaaS MES",
            "price": "8",
            "ip": "自主知识产权",
        },
    )
    save_and_continue(page)

    # 六 service cases, pasted from Excel: 3 for A but only 2 for B.
    rows = [f"{A}\t客户{i}\t项目{i}\t2024-0{i + 1}-15\t30\t设备联网" for i in range(3)]
    rows += [f"{B}\t客户{i}\t项目{i}\t2023-1{i}-20\t12\t质量追溯" for i in range(2)]
    page.get_by_text("从 Excel 粘贴").click()
    page.get_by_label("从 Excel 复制的行").fill("\n".join(rows))
    save_and_continue(page)

    # 七 typical cases
    page.get_by_label("典型案例介绍").fill("某五金企业通过设备联网，产能利用率提升12%。")
    save_and_continue(page)

    # 八 willingness survey
    fill_row(
        page,
        0,
        {
            "name": "江门市某五金厂",
            "uscc": with_check_digit("91440703MA4W7K2P4"),
            "sub_industry": A,
            "scale": "小型",
            "above_scale": "规上",
            "self_level": "一级",
            "intent": "有意向",
        },
    )
    save_and_continue(page)

    # 九 proofs: every required slot, the partners' slots included.
    pdf, png = tmp_path / "proof.pdf", tmp_path / "licence.png"
    pdf.write_bytes(pdf_bytes())
    png.write_bytes(png_bytes())
    expect(
        page.get_by_role("heading", name=re.compile("合作伙伴营业执照（集成服务公司）"))
    ).to_be_visible()
    slots = page.locator("section.slot")
    for index in range(slots.count()):
        slot = slots.nth(index)
        if "*" not in slot.get_by_role("heading").inner_text():
            continue  # optional slots
        image_ok = "营业执照" in slot.get_by_role("heading").inner_text()
        slot.locator("input[type=file]").set_input_files(str(png if image_ok else pdf))
        slot.get_by_role("button", name="上传").click()
        expect(page.get_by_role("status").first).to_contain_text("已上传")
    page.get_by_role("link", name="下一部分").click()

    # 十 commitment letter
    page.get_by_label("我已阅读以上内容").check()
    page.get_by_label("签署人").fill("孙总")
    page.get_by_role("button", name="保存").click()

    # The final check stops the submission: sub-industry B has only 2 cases since 2023.
    page.get_by_role(
        "link",
        name=re.compile("江门市中小企业数字化转型城市试点数字化牵引单位遴选|数字化牵引单位遴选"),
    ).first.click()
    expect(page.get_by_text("只有 2 个2023年以来的服务案例")).to_be_visible()
    page.get_by_role("button", name="提交申报书").click()
    expect(page.get_by_text("申报书尚未填写完整，还有 1 个问题")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "apply-blocked-by-cases-rule.png"), full_page=True)

    # Fix it: one more case for B, added as a new row with the keyboard-reachable button.
    page.get_by_role("link", name="六、服务案例清单").first.click()
    page.get_by_role("button", name="添加一行").click()
    fill_row(
        page,
        5,
        {
            "sub_industry": B,
            "client": "客户9",
            "project": "项目9",
            "completed_on": "2025-01-10",
            "amount": "15",
            "summary": "能耗管理",
        },
    )
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator("[name='r5-client']")).to_have_value("客户9")
    page.goto(page.url.split("/sections/")[0] + "/")
    expect(page.get_by_text("必填内容已全部完成。")).to_be_visible()
    page.get_by_role("button", name="提交申报书").click()
    expect(page.get_by_text("申报书已提交。")).to_be_visible()
    expect(page.get_by_text("状态: 已提交")).to_be_visible()
    application_url = page.url

    # Jiangmen staff see the submitted book; Guangzhou staff get 404.
    staff = browser.new_page(locale="zh-CN")
    log_in(staff, base, "jm_manager")
    staff.goto(f"{base}/applications/")
    staff.get_by_role("link", name="江门市数智链科技有限公司").click()
    staff.get_by_role("link", name="查看完整申报书").click()
    expect(staff.get_by_text("轻量化MES")).to_be_visible()
    other = browser.new_page(locale="zh-CN")
    log_in(other, base, "gz_manager")
    response = other.goto(application_url)
    assert response.status == 404
    expect(other.get_by_role("heading", name="页面不存在")).to_be_visible()
