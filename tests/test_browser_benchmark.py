"""The benchmark call (001) end to end in Chromium: the applicant fills and submits the book, the
county recommends it (001 §三(二)), the city checks, has it scored, publicises it for five days and
finalises it into the benchmark title, and the applicant prints the stamped PDF."""

import io
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfReader

from applications.models import Application
from evaluation.models import ExpertAssignment, Publicity
from pilots.models import BenchmarkTitle
from portal.scoping import scopes_disabled, visibility_scope
from portal.services import organization_seal_set
from portal.visibility import Visibility
from tests.books import make_call, pdf_bytes, png_bytes
from tests.conftest import ARTIFACTS, log_in
from tests.test_documents import seal_png

pytestmark = pytest.mark.browser
SCORES = {
    "数字化集成与协同水平": "27",
    "典型应用场景与5G+工业互联网": "22",
    "转型成效": "21",
    "可复制性与示范带动作用": "18",
}


def save_and_continue(page):
    page.get_by_role("button", name="保存并继续").click()
    page.wait_for_load_state()


def fill_the_benchmark_book(page, tmp_path):
    from playwright.sync_api import expect

    # 一 applicant: prefilled from the organization, the rest typed.
    expect(page.get_by_label("单位名称")).to_have_value("江门市蓬江区华程机电有限公司")
    page.get_by_label("注册地址").fill("江门市蓬江区建设路8号")
    page.get_by_label("上年度营业收入（万元）").fill("5800")
    page.get_by_label("员工人数").fill("210")
    save_and_continue(page)
    # 二 one direction only (001 §二(五)): the demo workshop.
    expect(page.get_by_role("heading", level=1)).to_have_text("二、申报方向")
    page.get_by_role("combobox", name=re.compile("^申报方向")).select_option("方向二：示范车间")
    page.get_by_label("示范车间名称（方向二填写）").fill("冲压数字化车间")
    page.get_by_label("数字化转型项目名称").fill("冲压车间设备联网与MES")
    page.get_by_label("项目建成日期").fill("2023-03-31")
    page.get_by_label("项目已建设完成且仍正常使用和运转").check()
    page.get_by_label("项目总投资（万元）").fill("680")
    page.get_by_label("由江门市产业生态供给资源池的数字化服务商牵头建设").check()
    save_and_continue(page)
    # 三 digital level: 一级 is refused at the final check (001 §二(三)); fixed below.
    page.get_by_label("数字化水平评测等级").select_option("一级")
    page.get_by_label("评测得分").fill("38")
    save_and_continue(page)
    # 四 prior funding
    page.get_by_label("是否已获国家级").select_option("否")
    save_and_continue(page)
    # 五 work and results
    page.get_by_label("数字化转型建设内容及成效").fill(
        "冲压车间 120 台设备联网。\n\n产能利用率提升 12%，不良率下降 30%。"
    )
    save_and_continue(page)
    # 六 proofs
    pdf, png = tmp_path / "proof.pdf", tmp_path / "licence.png"
    pdf.write_bytes(pdf_bytes())
    png.write_bytes(png_bytes())
    slots = page.locator("section.slot")
    for index in range(slots.count()):
        slot = slots.nth(index)
        image = "营业执照" in slot.get_by_role("heading").inner_text()
        slot.locator("input[type=file]").set_input_files(str(png if image else pdf))
        slot.get_by_role("button", name="上传").click()
        expect(page.get_by_role("status").first).to_contain_text("已上传")
    page.get_by_role("link", name="下一部分").click()
    # 七 declaration
    page.get_by_label("我已阅读以上内容").check()
    page.get_by_label("签署人").fill("张总")
    page.get_by_role("button", name="保存").click()


def test_a_benchmark_book_is_filled_recommended_reviewed_finalised_and_printed(
    live_server, transactional_db, world, browser, tmp_path
):
    from playwright.sync_api import expect

    base = live_server.url
    call = make_call(
        world.jm,
        code="benchmark-jiangmen-2023",
        kind="benchmark",
        sub_industries=[],
        requires_recommendation=True,
    )
    applicant = world.pj_applicant
    visibility = Visibility.for_user(applicant)
    with visibility_scope(visibility):  # the enterprise has uploaded its seal (not this journey)
        organization_seal_set(
            visibility=visibility,
            organization=world.pj_maker,
            upload=SimpleUploadedFile("seal.png", seal_png(), content_type="image/png"),
        )

    # The applicant fills the book from the home page's list of open calls.
    page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    log_in(page, base, "pj_applicant")
    page.get_by_role("region", name="正在受理的申报通知").get_by_role(
        "link", name=call.title
    ).click()
    page.get_by_role("button", name="开始填写申报书").click()
    expect(page.get_by_text("状态: 草稿")).to_be_visible()
    book_url = page.url
    page.get_by_role("link", name="一、申报单位基本情况").first.click()
    fill_the_benchmark_book(page, tmp_path)
    page.goto(book_url)
    expect(page.get_by_text("原则上需达到数字化二级及以上水平")).to_be_visible()
    page.get_by_role("button", name="提交申报书").click()
    expect(page.get_by_text("申报书尚未填写完整，还有 1 个问题")).to_be_visible()
    page.get_by_role("link", name="三、数字化水平评测").first.click()
    page.get_by_label("数字化水平评测等级").select_option("二级")
    page.get_by_label("评测得分").fill("52.5")
    page.get_by_role("button", name="保存", exact=True).click()
    page.goto(book_url)
    expect(page.get_by_text("必填内容已全部完成。")).to_be_visible()
    page.get_by_role("button", name="提交申报书").click()
    expect(page.get_by_text("申报书已提交。")).to_be_visible()

    # The county recommends it to the city (001 §三(二)).
    county = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    log_in(county, base, "pj_manager")
    county.goto(book_url)
    county.get_by_label("推荐", exact=True).check()
    county.get_by_label("理由").fill("数字化水平二级，项目已建成运行。")
    county.get_by_role("button", name="记录推荐意见").click()
    expect(county.get_by_text("状态: 已推荐")).to_be_visible()

    # The city: formal check, a round of three experts, the scores.
    staff = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    log_in(staff, base, "jm_manager")
    staff.goto(f"{base}/calls/{call.pk}/")
    staff.get_by_role("link", name="评审", exact=True).click()
    staff.get_by_role("button", name="通过").click()
    expect(staff.get_by_text("已通过形式审查")).to_be_visible()
    staff.get_by_role("button", name="开始评审").click()
    staff.get_by_role("button", name="自动分配专家").click()
    expect(staff.get_by_text("已分配 3 人次")).to_be_visible()
    round_url = staff.url
    with scopes_disabled():
        experts = list(ExpertAssignment.objects.values_list("expert__username", flat=True))
    assert len(experts) == 3
    for username in experts:
        expert = browser.new_page(locale="zh-CN")
        log_in(expert, base, username)
        expert.get_by_role("link", name="我的评审").click()
        expert.get_by_role("link", name="江门市蓬江区华程机电有限公司").click()
        expert.get_by_role("button", name="提交声明").click()
        for label, value in SCORES.items():
            expert.get_by_label(label, exact=True).fill(value)
        # (27 + 22 + 21 × 1.2 + 18) / (30 + 25 + 25 × 1.2 + 20) = 92.2 / 105
        expect(expert.locator("#sheet-total")).to_have_text("87.81")
        expert.get_by_role("button", name="提交评分").click()
        expect(expert.get_by_text("评分已提交。")).to_be_visible()
        expert.close()

    # Proposed, publicised for the five days of 001 §三(四), then final.
    staff.goto(round_url)
    staff.get_by_role("link", name="排名").first.click()
    row = staff.get_by_role("row", name=re.compile("江门市蓬江区华程机电有限公司")).first
    expect(row).to_contain_text("87.81")
    staff.get_by_label("拟入选 江门市蓬江区华程机电有限公司").first.check()
    staff.get_by_role("button", name="确定拟入选名单").click()
    expect(staff.get_by_text("拟入选名单已记录。")).to_be_visible()
    staff.get_by_role("button", name="生成公示").click()
    staff.get_by_role("button", name="发布公示").click()
    expect(staff.get_by_text(re.compile("公示至"))).to_be_visible()
    with scopes_disabled():
        publicity = Publicity.objects.get(call=call)
        assert publicity.ends_at - publicity.starts_at == timedelta(days=5)
        Publicity.objects.filter(pk=publicity.pk).update(ends_at=timezone.now())
    staff.reload()
    staff.get_by_role("button", name="确定名单").click()
    expect(staff.get_by_text("名单已确定，已生成 1 条记录。")).to_be_visible()
    with scopes_disabled():
        application = Application.objects.get(call=call)
        title = BenchmarkTitle.objects.get(source_application=application)
    assert application.status == "selected"
    assert title.title == "江门市制造业数字化转型标杆示范车间"  # the direction chosen (001 §一)
    ARTIFACTS.mkdir(exist_ok=True)
    staff.screenshot(path=str(ARTIFACTS / "benchmark-finalised.png"), full_page=True)

    # The applicant prints the stamped book.
    printer = browser.new_page(
        locale="zh-CN", viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    log_in(printer, base, "pj_applicant")
    printer.goto(book_url)
    expect(printer.get_by_text("状态: 入选")).to_be_visible()
    link = printer.get_by_role("link", name="下载盖章 PDF")
    expect(link).to_have_count(1, timeout=60_000)
    with printer.expect_download() as download_info:
        link.click()
    with open(download_info.value.path(), "rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    text = "\n".join(p.extract_text() for p in reader.pages)
    compact = re.sub(r"\s+", "", text)
    for expected in ("江门市蓬江区华程机电有限公司", "冲压数字化车间", "方向二：示范车间", "二级"):
        assert expected in compact, expected
    assert "未上传印章" not in compact  # the seal is drawn, not replaced by a notice
    assert all(page.images for page in reader.pages)  # each page carries its slice of the seal
    printer.screenshot(path=str(ARTIFACTS / "benchmark-printed.png"), full_page=True)
