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
