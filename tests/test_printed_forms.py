"""Printed forms number and head their parts as their seeds do (issue 16 item 5)."""

import re

import pytest
from pypdf import PdfReader

from pilots.models import PilotEnterprise
from portal.models import DocumentBundle
from portal.scoping import scopes_disabled
from tests.test_pilot_enterprises import good_rows, run, sheet

pytestmark = pytest.mark.django_db

# 002 附2: the four parts of the one-enterprise-one-file form, each with who fills it.
ANNEX_2_PARTS = [
    "一、基本情况（试点企业改造前填写）",
    "二、数字化改造需求（试点企业与数字化服务商共同填写）",
    "三、数字化改造情况及成效（试点企业与数字化服务商共同填写）",
    "四、绩效评价（试点县（市、区）填写）",
]


def test_the_enterprise_file_pdf_numbers_its_four_parts_as_annex_2_does(
    client, world, leading_unit, django_capture_on_commit_callbacks
):
    run(world, leading_unit, sheet(good_rows(world)[:1]), confirm=True)
    with scopes_disabled():
        enterprise = PilotEnterprise.objects.get(organization=world.pj_maker)
    client.force_login(world.jm_leader_admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/pilots/enterprises/{enterprise.pk}/file.pdf")
    with scopes_disabled():
        bundle = DocumentBundle.objects.get(kind="enterprise_file")
    pages = [page.extract_text() for page in PdfReader(bundle.file.path).pages]
    text = re.sub(r"\s+", "", "".join(pages))
    assert f"{world.pj.region_name}数字化转型试点企业改造信息表" in text  # 附2's title
    body = text[text.rindex(ANNEX_2_PARTS[0]) :]  # after the table of contents
    positions = [body.find(part) for part in ANNEX_2_PARTS]
    assert -1 not in positions and positions == sorted(positions)
    # Part 三 once: its results table (headed by the digital levels) and the providers used
    # are sub-headings inside it, not three parts all numbered "三".
    assert body.count("三、") == 1
    assert "三、改造成效定量指标" not in text and "三、对所使用数字化服务商及评价" not in text
    part_three = body[positions[2] : positions[3]]
    results = part_three.index("数字化改造成效（根据实际改造内容可选填）")
    assert results < part_three.index("改造阶段改造前改造后中小企业数字化水平等级")
    assert results < part_three.index("对所使用数字化服务商及评价")


def test_parts_and_annexes_are_numbered_as_the_seeds_number_them():
    from django.utils import translation

    from portal.templatetags.portal_tags import numbered

    with translation.override("zh-hans"):
        assert numbered("三", "实施内容") == "三、实施内容"
        # 003 附件: "附 1 实施方案细分行业情况表"; 002 附1: "附：实施方案主要数据表".
        assert numbered("附1", "实施方案细分行业情况表") == "附1 实施方案细分行业情况表"
        assert numbered("附", "实施方案主要数据表") == "附：实施方案主要数据表"
        assert numbered("", "封面信息") == "封面信息"


@pytest.mark.parametrize(
    ("template", "printed"),
    [
        # 003 附件: parts 一 to 六, then 附1 and 附2.
        ("city_plan_guangdong_2023", ["", "一", "二", "三", "四", "五", "六", "附1", "附2"]),
        # 002 附1: parts 一 to 五 (其他材料: the enterprise list and the proofs), then 附.
        ("county_plan_jiangsu_2025", ["", "一", "二", "三", "四", "五", "", "附"]),
        # 000 §三: the ten parts of the leading-unit book in their order.
        (
            "leading_unit_jiangmen_2025",
            ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"],
        ),
    ],
)
def test_a_book_prints_its_annexes_after_its_numbered_parts(template, printed):
    import json
    from pathlib import Path

    from applications.documents import print_order

    path = Path(__file__).resolve().parent.parent / "applications" / "shipped_templates"
    definition = json.loads((path / f"{template}.json").read_text(encoding="utf-8"))
    assert [s.get("number", "") for s in print_order(definition["sections"])] == printed


@pytest.mark.parametrize(
    ("direction", "title"),
    [
        ("方向一：示范企业", "江门市制造业数字化转型标杆示范企业申报书"),  # 001 附件2
        ("方向二：示范车间", "江门市制造业数字化转型标杆示范车间申报书"),  # 001 附件3
    ],
)
def test_a_benchmark_book_is_titled_as_the_seed_titles_the_book_of_its_direction(direction, title):
    from types import SimpleNamespace

    from django.template.loader import render_to_string
    from django.utils import translation

    from applications.documents import cover_title
    from applications.templates_loader import shipped_definitions

    definition = next(d for d in shipped_definitions() if d["code"] == "benchmark-jiangmen-2023")
    assert cover_title(definition, {"direction": {"direction": direction}}) == title
    assert cover_title(definition, {}) == ""  # no direction yet: the call's title
    call = SimpleNamespace(document_number="江工信工业互联网〔2023〕22号", title="标杆示范申报")
    application = SimpleNamespace(
        call=SimpleNamespace(**vars(call), bureau="江门市工业和信息化局"),
        organization=SimpleNamespace(name="企业", uscc="x"),
    )
    with translation.override("zh-hans"):
        cover = render_to_string(
            "documents/application_cover.html",
            {"application": application, "cover_title": title, "submitted": None},
        )
        plain = render_to_string(
            "documents/application_cover.html",
            {"application": application, "cover_title": "", "submitted": None},
        )
    assert re.sub(r"<[^>]+>|\s", "", cover).count(title) == 1
    plain = re.sub(r"<[^>]+>|\s", "", plain)
    assert "标杆示范申报申报书" in plain and title not in plain
