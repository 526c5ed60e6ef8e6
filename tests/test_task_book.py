"""The tripartite task book (002 附3) as drawn up, signed and printed: every clause of the seed in
its order, the schedule with its investment per row and total, the amount in capitals and figures,
party B's bank details and the three signature blocks with the signing records."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from pypdf import PdfReader

from pilots.models import PilotEnterprise, TaskBook
from pilots.services import transformation
from portal.models import DocumentBundle
from portal.scoping import scopes_disabled, visibility_scope
from portal.visibility import Visibility
from tests.test_pilot_enterprises import good_rows, run, sheet

pytestmark = pytest.mark.django_db

# Every clause heading of 002 附3, in the seed's order.
ANNEX_3_HEADINGS = [
    "一、项目任务书约定目标和实施内容",
    "二、项目实施期限和进度计划",
    "三、项目总投资预算",
    "四、双方在本项目中的义务",
    "五、保密条款",
    "六、风险责任的承担",
    "七、违约责任",
    "八、争议的解决办法",
    "九、其他",
    "十、本任务书签约各方",
]


def book_fields(**overrides):
    fields = {
        "project_name": "华程机电冲压车间数字化改造项目",
        "goals": "设备联网率达到60%",
        "performance_goals": "生产计划达成率提升10%",
        "content": "部署轻量化MES",
        "starts_on": date(2025, 9, 1),
        "ends_on": date(2026, 9, 30),
        "schedule": [
            {"period": "2025年9-12月", "work": "诊断与方案", "investment": "5.5"},
            {"period": "2026年1-9月", "work": "实施与验收", "investment": "30"},
        ],
        "budget_wan": Decimal("35.5"),
        "obligations": "丙方提供一年免费运维。",
        "bank_account_name": "江门市蓬江区华程机电有限公司",
        "bank_name": "中国工商银行江门蓬江支行",
        "bank_account_number": "2012 0040 0920 0123 456",
    }
    return fields | overrides


def create(world, enterprise, **overrides):
    visibility = Visibility.for_user(world.jm_leader_admin)
    with visibility_scope(visibility):
        return transformation.task_book_create(
            visibility=visibility,
            enterprise=enterprise,
            actor=world.jm_leader_admin,
            **book_fields(**overrides),
        )


def sign(world, book, party, user):
    visibility = Visibility.for_user(user)
    with visibility_scope(visibility):
        transformation.task_book_sign(
            visibility=visibility, task_book=book, party=party, actor=user
        )


@pytest.fixture
def enterprise(world, leading_unit):
    from portal.models import Organization

    run(world, leading_unit, sheet(good_rows(world)[:1]), confirm=True)
    with scopes_disabled():
        Organization.objects.filter(pk=world.pj_maker.pk).update(
            legal_representative="陈建华", contact_name="李敏", contact_phone="0750-3201234"
        )
        return PilotEnterprise.objects.get(organization=world.pj_maker)


def printed(client, world, enterprise, capture) -> str:
    client.force_login(world.jm_leader_admin)
    with capture(execute=True):
        client.post(f"/pilots/enterprises/{enterprise.pk}/task-book.pdf")
    with scopes_disabled():
        bundle = DocumentBundle.objects.get(kind="task_book", subject_id=enterprise.pk)
    assert bundle.status == DocumentBundle.Status.DONE
    text = "".join(page.extract_text() for page in PdfReader(bundle.file.path).pages)
    return re.sub(r"\s+", "", text)


def test_the_task_book_pdf_prints_every_clause_heading_of_annex_3_in_order(
    client, world, enterprise, django_capture_on_commit_callbacks
):
    create(world, enterprise)
    text = printed(client, world, enterprise, django_capture_on_commit_callbacks)
    positions = [text.find(heading) for heading in ANNEX_3_HEADINGS]
    assert -1 not in positions, [
        h for h, p in zip(ANNEX_3_HEADINGS, positions, strict=True) if p < 0
    ]
    assert positions == sorted(positions)
    # The clauses' own words, the ones the issue found missing among them (§五–§九).
    for words in (
        "简称“保密资料”",
        "本保密义务在本任务书期满、解除或终止后仍然有效",
        "乙方和丙方应当就扩大的损失承担相关责任",
        "违反本任务书第四条第（三）项约定，丙方应当承担违约责任",
        "诉讼在甲方所在地进行",
        "本任务书一式七份",
        "有效期至项目验收后30年内",
        "按照有关规定项目完成后，乙方在一周内申请验收并提交验收资料",
    ):
        assert words in text, words
    # The project named in the preamble, the parties' additional clauses under §九.
    assert "为顺利组织实施完成华程机电冲压车间数字化改造项目" in text
    assert text.index("附加条款：丙方提供一年免费运维") > text.index("九、其他")


def test_the_printed_schedule_has_the_investment_of_every_row_and_their_total(
    client, world, enterprise, django_capture_on_commit_callbacks
):
    create(world, enterprise)
    text = printed(client, world, enterprise, django_capture_on_commit_callbacks)
    schedule = text[text.index("二、项目实施期限") : text.index("三、项目总投资预算")]
    assert "起止时间项目建设内容投资总额" in schedule
    assert "2025年9-12月诊断与方案5.5" in schedule
    assert "2026年1-9月实施与验收30" in schedule
    assert "合计35.5" in schedule
    assert "2025年9月1日至2026年9月30日" in schedule
    assert "项目总投资预算（大写）叁拾伍万伍仟元整（小写）35.5万元" in text


def test_the_signature_blocks_carry_party_b_bank_details_and_each_party_signing_record(
    client, world, enterprise, django_capture_on_commit_callbacks
):
    book = create(world, enterprise)
    sign(world, book, "provider", world.jm_leader_admin)
    sign(world, book, "enterprise", world.pj_applicant)
    text = printed(client, world, enterprise, django_capture_on_commit_callbacks)
    signatures = text[text.index("十、本任务书签约各方") :]
    party_a = signatures[: signatures.index("项目承担单位（乙方）")]
    party_b = signatures[
        signatures.index("项目承担单位（乙方）") : signatures.index("项目服务单位（丙方）")
    ]
    party_c = signatures[signatures.index("项目服务单位（丙方）") :]
    assert world.pj.name in party_a and "在线签署" not in party_a  # the bureau has not signed
    assert "年月日" in party_a  # its date line stays blank for the pen
    assert world.pj_maker.name in party_b and "法定代表人（或法人代理）：陈建华（签章）" in party_b
    assert f"{world.pj_applicant}于".replace(" ", "") in party_b and "在线签署" in party_b
    assert "联系人（项目主管）姓名：李敏" in party_b and "电话：0750-3201234" in party_b
    assert "基本账户银行信息：" in party_b
    assert "户名：江门市蓬江区华程机电有限公司" in party_b
    assert "开户银行：中国工商银行江门蓬江支行" in party_b
    assert "帐号：20120040092001234 56".replace(" ", "") in party_b
    assert (
        world.jm_leader.name in party_c and f"{world.jm_leader_admin}于".replace(" ", "") in party_c
    )
    assert "户名" not in party_c  # the bank details are party B's alone
    with scopes_disabled():
        day = book.signatures.get(party="enterprise").signed_at
    from django.utils import timezone

    day = timezone.localtime(day)
    assert f"{day.year}年{day.month}月{day.day}日" in party_b


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"budget_wan": Decimal("40")}, "schedule"),  # rows add up to 35.5
        ({"schedule": [{"period": "2025年", "work": "实施"}]}, "schedule"),  # no investment
        ({"schedule": []}, "schedule"),
        ({"bank_name": " "}, "bank_name"),
        ({"bank_account_number": "12AB34"}, "bank_account_number"),
        ({"project_name": ""}, "project_name"),
    ],
)
def test_a_task_book_without_what_annex_3_prints_is_refused(world, enterprise, overrides, field):
    with pytest.raises(ValidationError) as refused:
        create(world, enterprise, **overrides)
    assert field in refused.value.message_dict
    with scopes_disabled():
        assert not TaskBook.objects.exists()


def test_the_task_book_form_explains_a_bad_schedule_line_and_keeps_the_input(
    client, world, enterprise
):
    client.force_login(world.jm_leader_admin)
    url = f"/pilots/enterprises/{enterprise.pk}/task-book/"
    form = client.get(url).content.decode()
    assert "江门市蓬江区华程机电有限公司数字化改造项目" in form  # the project name proposed
    data = {
        k: (v.isoformat() if isinstance(v, date) else str(v))
        for k, v in book_fields().items()
        if k != "schedule"
    }
    response = client.post(url, data | {"schedule": "2025年9-12月 | 诊断与方案 | 五万"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "第 1 行" in body and "万元" in body and "冲压车间数字化改造项目" in body
    response = client.post(
        url, data | {"schedule": "2025年9-12月 | 诊断与方案 | 5\n2026年 | 实施 | 10"}
    )
    assert response.status_code == 200 and "35.5" in response.content.decode()
    with scopes_disabled():
        assert not TaskBook.objects.exists()
    response = client.post(
        url, data | {"schedule": "2025年9-12月 | 诊断与方案 | 5.5\n2026年 | 实施 | 30"}
    )
    assert response.status_code == 302
    with scopes_disabled():
        book = TaskBook.objects.get()
    assert [row["investment"] for row in book.schedule] == ["5.5", "30"]
    assert book.bank_account_number == "2012 0040 0920 0123 456"
