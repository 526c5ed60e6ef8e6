"""Helpers for tests of application books: real small files and a complete leading-unit book."""

import io
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.utils import timezone
from PIL import Image
from pypdf import PdfWriter

from applications import services
from applications.models import Application, ApplicationSection, Call, CallTemplate
from portal.scoping import scopes_disabled, visibility_scope
from portal.uscc import with_check_digit
from portal.visibility import Visibility

SUB_INDUSTRIES = ["五金制品及零配件", "绿色环保消费品加工制造"]


def pdf_bytes(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def png_bytes(size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (180, 36, 27)).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(
    name: str, content: bytes, content_type: str = "application/octet-stream"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def make_call(
    bureau,
    *,
    code="leading-unit-jiangmen-2025",
    closes_in=timedelta(days=30),
    requires_recommendation=False,
    sub_industries=SUB_INDUSTRIES,
    kind="leading_unit",
    status="published",
) -> Call:
    now = timezone.now()
    with scopes_disabled():
        return Call.objects.create(
            bureau=bureau,
            document_number="江工信工业互联函〔2025〕28号",
            title="数字化牵引单位遴选",
            kind=kind,
            template=CallTemplate.objects.get(code=code, version=1),
            sub_industries=sub_industries,
            opens_at=now - timedelta(days=1),
            closes_at=now + closes_in,
            requires_recommendation=requires_recommendation,
            status=status,
            published_at=now if status == "published" else None,
        )


def post(data: dict) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, value in data.items():
        if isinstance(value, list):
            query.setlist(key, value)
        else:
            query[key] = value
    return query


def table_post(rows: list[dict]) -> QueryDict:
    data = {"row_count": str(len(rows))}
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"r{index}-{key}"] = value
    return post(data)


def case_rows(per_industry: int = 3) -> list[dict]:
    return [
        {
            "sub_industry": industry,
            "client": f"客户{i}",
            "project": f"项目{i}",
            "completed_on": "2024-05-01",
            "amount": "30",
            "summary": "设备联网与MES上线",
        }
        for industry in SUB_INDUSTRIES
        for i in range(per_industry)
    ]


def leading_unit_answers() -> dict[str, QueryDict]:
    return {
        "basic_info": post(
            {
                "unit_kind": "产业链牵引企业",
                "org_name": "江门市数智链科技有限公司",
                "uscc": with_check_digit("91440700MA4UJ5T0L"),
                "registered_address": "江门市蓬江区建设路1号",
                "founded_on": "2015-03-01",
                "registered_capital": "1000",
                "revenue_2024": "8800.5",
                "employees": "120",
                "local_team_size": "25",
                "sub_industries": SUB_INDUSTRIES,
                "legal_representative": "孙总",
                "contact_name": "孙总",
                "contact_phone": "13800138000",
                "contact_email": "sun@example.com",
            }
        ),
        "targets": table_post(
            [
                {
                    "sub_industry": SUB_INDUSTRIES[0],
                    "enterprises": "60",
                    "above_scale": "20",
                    "level_two": "55",
                },
                {
                    "sub_industry": SUB_INDUSTRIES[1],
                    "enterprises": "40",
                    "above_scale": "10",
                    "level_two": "36",
                },
            ]
        ),
        "work_plan": post({"html": "<p>咨询诊断、改造实施、全过程管理。</p>"}),
        "alliance": table_post(
            [
                {
                    "role": "数字化集成服务企业",
                    "org_name": "集成服务公司",
                    "uscc": with_check_digit("91440703MA4W7K2P1"),
                    "duties": "系统集成",
                    "contact": "王工 13800000001",
                },
                {
                    "role": "产业生态企业",
                    "org_name": "生态伙伴公司",
                    "uscc": with_check_digit("91440704MA4W7K2P2"),
                    "duties": "设备数采",
                    "contact": "李工 13800000002",
                },
            ]
        ),
        "products": table_post(
            [
                {
                    "name": "轻量化MES",
                    "provider": "江门市数智链科技有限公司",
                    "stage": "制造",
                    "summary": "SaaS MES",
                    "price": "8",
                    "ip": "自主知识产权",
                },
            ]
        ),
        "cases": table_post(case_rows()),
        "typical_cases": post({"html": "某五金企业通过设备联网提升产能利用率。"}),
        "willingness": table_post(
            [
                {
                    "name": "江门市某五金厂",
                    "uscc": with_check_digit("91440703MA4W7K2P4"),
                    "sub_industry": SUB_INDUSTRIES[0],
                    "scale": "小型",
                    "above_scale": "规上",
                    "self_level": "一级",
                    "intent": "有意向",
                },
            ]
        ),
        "commitment": post({"agreed": "yes", "signatory": "孙总", "signed_on": "2025-09-01"}),
    }


PROOF_SLOTS = [
    "licence",
    "legal_rep_id",
    "audit_2024",
    "credit_report",
    "local_team",
    "cooperation",
    "partner_licence@1",
    "partner_licence@2",
    "partner_credit@1",
    "partner_credit@2",
]


def fill_book(application: Application, user) -> None:
    """Fill every section through the services, as the applicant would."""
    visibility = Visibility.for_user(user)
    with visibility_scope(visibility):
        for key, data in leading_unit_answers().items():
            version = ApplicationSection.objects.get(application=application, key=key).version
            services.application_save_section(
                visibility=visibility,
                application=application,
                key=key,
                post=data,
                base_version=version,
                actor=user,
            )
        for slot in PROOF_SLOTS:
            services.attachment_add(
                visibility=visibility,
                application=application,
                section_key="proofs",
                slot_key=slot,
                upload=upload(f"{slot}.pdf", pdf_bytes()),
                actor=user,
            )


# --- the other seeds' books: benchmark (001), city plan (003), county plan (002 附1) -------------------


def benchmark_answers(organization, *, direction: str = "方向一：示范企业") -> dict[str, QueryDict]:
    """A complete benchmark book (001 §二): level 2, finished and running, no prior funding."""
    return {
        "basic_info": post(
            {
                "org_name": organization.name,
                "uscc": organization.uscc,
                "address": "江门市蓬江区建设路8号",
                "legal_representative": "张总",
                "contact_name": "张经理",
                "contact_phone": "13800138001",
                "revenue": "5800",
                "employees": "210",
            }
        ),
        "direction": post(
            {
                "direction": direction,
                "workshop": "冲压数字化车间" if direction.startswith("方向二") else "",
                "project_name": "冲压车间设备联网与MES",
                "completed_on": "2023-03-31",
                "running": "yes",
                "investment": "680",
                "led_by_pool_provider": "yes",
            }
        ),
        "assessment": post({"level": "二级", "score": "52.5"}),
        "funding": post({"prior_funding": "否", "funding_detail": ""}),
        "content": post({"html": "<p>设备联网 120 台，产能利用率提升 12%。</p>"}),
        "commitment": post({"agreed": "yes", "signatory": "张总", "signed_on": "2023-08-20"}),
    }


BENCHMARK_SLOTS = ("licence", "assessment_report", "project_proof")

CITY_TARGETS = {
    "sub_industries_2024": "2",
    "sub_industries_2025": "2",
    "smes_2024": "160",
    "smes_2025": "360",
    "investment_2024": "12000",
    "investment_2025": "30000",
    "models_2024": "2",
    "models_2025": "3",
    "platforms_2024": "1",
    "platforms_2025": "2",
    "solutions_2024": "20",
    "solutions_2025": "45",
}


def city_plan_answers() -> dict[str, QueryDict]:
    """A complete city plan (003 附件): two sub-industries in 附1 and the targets of 附2."""
    rows = [
        {
            "name": name,
            "counties": "蓬江区、江海区",
            "gross_output": "1260.5",
            "above_scale_output": "980.2",
            "above_scale_smes": "612",
            "below_scale_smes": "3400",
            "key_smes": "专精特新企业 85 个",
        }
        for name in SUB_INDUSTRIES
    ]
    return {
        "cover": post(
            {
                "city": "江门市",
                "region": "珠三角地区",
                "sub_industries": "、".join(SUB_INDUSTRIES),
                "contact": "李科长 0750-3279722",
            }
        ),
        **{
            key: post({"html": f"<p>{text}</p>"})
            for key, text in (
                ("foundation", "五金制品产业集群基础扎实。"),
                ("goals", "两年改造 360 家中小企业。"),
                ("content", "遴选牵引单位，组建 1+1+N 联合体。"),
                ("funds", "奖补资金 85% 用于中小企业数字化改造。"),
                ("safeguards", "成立工作专班。"),
            )
        },
        "sub_industry_table": table_post(rows),
        "targets": post(CITY_TARGETS),
    }


CITY_SLOTS = ("stamped_plan",)

COUNTY_MAIN_DATA = {
    "region": "苏南",
    "cluster": "武进区智能装备产业集群",
    "sub_industry": "智能装备—数控机床零部件",
    "industry_1650": "高端装备集群—数控机床产业链",
    "gross_output": "320.5",
    "sme_total": "860",
    "above_scale_total": "240",
    "a_specialized": "60",
    "above_scale_planned": "70",
    "below_scale_planned": "45",
    "c_specialized": "30",
    "d_cloud": "100",
    "e_level": "90",
    "f_benchmarks": "5",
    "solutions": "12",
    "provider_pool": "15",
    "replicate": "200",
    "centers": "1",
    "chain_mode": "链主企业带动上下游协同改造。",
    "practices": "“诊断—改造—评估”闭环。",
}


def county_plan_answers(organization) -> dict[str, QueryDict]:
    """A complete county plan (002 附1) for a 苏南 county: 70 规上 + 45 规下 = B 115 ≥ 100."""
    return {
        "cover": post(
            {
                "county": "武进区",
                "city_bureau": "常州市工业和信息化局",
                "sub_industries": COUNTY_MAIN_DATA["sub_industry"],
                "contact": "钱股长 0519-86300000",
            }
        ),
        **{
            key: post({"html": f"<p>{text}</p>"})
            for key, text in (
                ("foundation", "智能装备集群基础扎实。"),
                ("goals", "改造 115 家中小企业。"),
                ("content", "分行业推进。"),
                ("safeguards", "政策与资金保障。"),
            )
        },
        "enterprises": table_post(
            [
                {
                    "name": organization.name,
                    "uscc": organization.uscc,
                    "revenue": "4200",
                    "specialized": "是",
                }
            ]
        ),
        "main_data": post(COUNTY_MAIN_DATA),
    }


COUNTY_SLOTS = ("stamped_plan",)


def fill_answers(application: Application, user, answers: dict, slots=()) -> None:
    """Save each section and upload each required slot through the services, as an applicant."""
    visibility = Visibility.for_user(user)
    with visibility_scope(visibility):
        for key, data in answers.items():
            version = ApplicationSection.objects.get(application=application, key=key).version
            services.application_save_section(
                visibility=visibility,
                application=application,
                key=key,
                post=data,
                base_version=version,
                actor=user,
            )
        section = next(
            s["key"]
            for s in application.call.template.definition["sections"]
            if s["type"] == "attachments"
        )
        for slot in slots:
            services.attachment_add(
                visibility=visibility,
                application=application,
                section_key=section,
                slot_key=slot,
                upload=upload(f"{slot}.pdf", pdf_bytes()),
                actor=user,
            )
