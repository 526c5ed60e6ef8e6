"""Complete answers for the benchmark (001), city-plan (003 附件) and county-plan (002 附1) books,
filled through the applicant's services: the demo world's books and the tests' books are the same.

Figures are invented for the demo; they keep the seeds' rules (level 2 or above and no prior
funding, 001 §二; at most five sub-industries and ≥350 enterprises in the Pearl River Delta,
003 §三; ≥100 enterprises in 苏南, 002 §二)."""

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from pypdf import PdfWriter

from applications import services
from applications.models import Application, ApplicationSection
from portal.models import Organization, User
from portal.scoping import visibility_scope
from portal.visibility import Visibility

CITY_SUB_INDUSTRIES = ["五金制品及零配件", "绿色环保消费品加工制造"]


def post(data: dict[str, Any]) -> QueryDict:
    """A form post as the browser sends it (lists for repeated names)."""
    query = QueryDict(mutable=True)
    for key, value in data.items():
        if isinstance(value, list):
            query.setlist(key, value)
        else:
            query[key] = value
    return query


def table_post(rows: list[dict[str, str]]) -> QueryDict:
    data = {"row_count": str(len(rows))}
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"r{index}-{key}"] = value
    return post(data)


def blank_pdf() -> bytes:
    writer, buffer = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width=595, height=842)
    writer.write(buffer)
    return buffer.getvalue()


def benchmark_answers(
    organization: Organization, *, direction: str = "方向一：示范企业"
) -> dict[str, QueryDict]:
    """A complete benchmark book (001 §二): level 2, finished and running, no prior funding."""
    return {
        "basic_info": post(
            {
                "org_name": organization.name,
                "uscc": organization.uscc,
                "address": f"{organization.home_bureau.region_name}建设路8号",
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
        for name in CITY_SUB_INDUSTRIES
    ]
    return {
        "cover": post(
            {
                "city": "江门市",
                "region": "珠三角地区",
                "sub_industries": "、".join(CITY_SUB_INDUSTRIES),
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


def county_plan_answers(enterprises: list[Organization]) -> dict[str, QueryDict]:
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
                {"name": o.name, "uscc": o.uscc, "revenue": "4200", "specialized": "是"}
                for o in enterprises
            ]
        ),
        "main_data": post(COUNTY_MAIN_DATA),
    }


COUNTY_SLOTS = ("stamped_plan",)


def fill_answers(
    application: Application,
    user: User,
    answers: dict[str, QueryDict],
    slots: tuple[str, ...] = (),
) -> None:
    """Save each section and upload a PDF into each slot through the services, as the applicant."""
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
                upload=SimpleUploadedFile(
                    f"{slot}.pdf", blank_pdf(), content_type="application/pdf"
                ),
                actor=user,
            )
