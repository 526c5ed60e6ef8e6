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
