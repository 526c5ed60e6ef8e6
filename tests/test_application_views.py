"""Calls and application books through the pages: what people see, and what they cannot break."""

import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from applications import services
from applications.models import Application, ApplicationSection, Call, CallTemplate
from portal.scoping import scopes_disabled, visibility_scope
from portal.visibility import Visibility
from tests.books import fill_book, make_call, pdf_bytes, upload

pytestmark = pytest.mark.django_db
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def application(world, leading_call):
    visibility = Visibility.for_user(world.jm_leader_admin)
    with visibility_scope(visibility):
        return services.application_start(
            visibility=visibility,
            call=leading_call,
            organization=world.jm_leader,
            actor=world.jm_leader_admin,
        )


def section_url(application, key):
    return f"/applications/{application.pk}/sections/{key}/"


def version(application, key):
    with scopes_disabled():
        return ApplicationSection.objects.get(application=application, key=key).version


def test_the_public_sees_published_calls_but_not_drafts(client, world, leading_call):
    draft = make_call(world.jm, status="draft")
    assert leading_call.title in client.get("/calls/").content.decode()
    assert client.get(f"/calls/{leading_call.pk}/").status_code == 200
    assert client.get(f"/calls/{draft.pk}/").status_code == 404


def test_script_in_every_text_type_is_shown_as_text(client, world, application):
    client.force_login(world.jm_leader_admin)
    client.post(
        section_url(application, "basic_info"),
        {
            "base_version": version(application, "basic_info"),
            "org_name": XSS,
            "registered_address": XSS,
            "contact_email": XSS,
        },
    )
    client.post(
        section_url(application, "cases"),
        {
            "base_version": version(application, "cases"),
            "row_count": "1",
            "r0-client": XSS,
            "r0-summary": XSS,
            "r0-sub_industry": XSS,
        },
    )
    client.post(
        section_url(application, "work_plan"),
        {"base_version": version(application, "work_plan"), "html": XSS + "<p>正文</p>"},
    )
    client.post(
        section_url(application, "commitment"),
        {"base_version": version(application, "commitment"), "signatory": XSS},
    )
    for url in [
        section_url(application, k) for k in ("basic_info", "cases", "work_plan", "commitment")
    ] + [f"/applications/{application.pk}/book/", f"/applications/{application.pk}/"]:
        body = client.get(url).content.decode()
        assert "<script>alert" not in body and "<img src=x" not in body, url
    assert "正文" in client.get(f"/applications/{application.pk}/book/").content.decode()


def test_autosave_answers_json_and_refuses_a_stale_version(client, world, application):
    client.force_login(world.jm_leader_admin)
    loaded = version(application, "work_plan")
    first = client.post(
        section_url(application, "work_plan"),
        {"base_version": loaded, "html": "甲"},
        HTTP_X_AUTOSAVE="1",
    )
    assert first.status_code == 200 and first.json()["version"] == loaded + 1
    stale = client.post(
        section_url(application, "work_plan"),
        {"base_version": loaded, "html": "乙"},
        HTTP_X_AUTOSAVE="1",
    )
    assert stale.status_code == 409 and "其他窗口" in stale.json()["message"]
    # Without JavaScript the same conflict shows the form again with the unsaved text kept.
    page = client.post(
        section_url(application, "work_plan"), {"base_version": loaded, "html": "乙的内容"}
    )
    assert page.status_code == 409 and "乙的内容" in page.content.decode()


def test_a_huge_paste_is_refused_on_the_page_and_nothing_is_lost(client, world, application):
    client.force_login(world.jm_leader_admin)
    client.post(
        section_url(application, "cases"),
        {
            "base_version": version(application, "cases"),
            "row_count": "1",
            "r0-client": "保留的客户",
        },
    )
    paste = "\n".join(
        f"五金制品及零配件\t客户{i}\t项目\t2024-01-01\t1\t说明" for i in range(10_000)
    )
    response = client.post(
        section_url(application, "cases"),
        {"base_version": version(application, "cases"), "paste": paste},
    )
    assert response.status_code == 400 and "最多 300 行" in response.content.decode()
    with scopes_disabled():
        assert (
            ApplicationSection.objects.get(application=application, key="cases").data["rows"][0][
                "client"
            ]
            == "保留的客户"
        )


def test_uploads_are_checked_and_downloads_are_safe(client, world, application):
    client.force_login(world.jm_leader_admin)
    url = f"/applications/{application.pk}/attachments/"
    bad = client.post(
        url,
        {"section": "proofs", "slot": "licence", "file": upload("virus.pdf", b"MZ\x90\x00" * 100)},
        follow=True,
    )
    assert "不能上传程序或脚本文件" in bad.content.decode()
    big = client.post(
        url,
        {
            "section": "proofs",
            "slot": "licence",
            "file": upload("big.pdf", b"%PDF" + b"0" * (11 << 20)),
        },
        follow=True,
    )
    assert "最大允许 10 MB" in big.content.decode()
    client.post(
        url, {"section": "proofs", "slot": "licence", "file": upload("营业执照.pdf", pdf_bytes())}
    )
    with scopes_disabled():
        attachment = application.attachments.get()
    response = client.get(f"/applications/{application.pk}/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert (
        response["Content-Type"] == "application/pdf"
        and response["X-Content-Type-Options"] == "nosniff"
    )
    assert (
        response["Content-Disposition"].startswith("attachment;")
        and "sandbox" in response["Content-Security-Policy"]
    )
    client.force_login(world.gz_manager)
    assert (
        client.get(f"/applications/{application.pk}/attachments/{attachment.pk}/").status_code
        == 404
    )


def test_submitting_after_the_deadline_shows_why_and_keeps_the_draft(client, world):
    import time_machine

    call = make_call(world.jm, closes_in=timedelta(minutes=5))
    visibility = Visibility.for_user(world.jm_leader_admin)
    with visibility_scope(visibility):
        application = services.application_start(
            visibility=visibility,
            call=call,
            organization=world.jm_leader,
            actor=world.jm_leader_admin,
        )
    fill_book(application, world.jm_leader_admin)
    client.force_login(world.jm_leader_admin)
    with time_machine.travel(call.closes_at + timedelta(seconds=1)):
        response = client.post(f"/applications/{application.pk}/submit/", follow=True)
    assert (
        "已超过截止时间" in response.content.decode() and "草稿已保留" in response.content.decode()
    )
    with scopes_disabled():
        assert Application.objects.get(pk=application.pk).status == "draft"


def test_the_staff_list_query_count_does_not_grow(client, world, leading_call):
    def submitted(count):
        with scopes_disabled():
            from portal.models import Organization
            from portal.uscc import with_check_digit

            for n in range(count):
                organization = Organization.objects.create(
                    uscc=with_check_digit(f"91440703MB{Organization.objects.count():07d}"),
                    name=f"申报企业{n}",
                    home_bureau=world.pj,
                )
                Application.objects.create(
                    call=leading_call,
                    organization=organization,
                    status="submitted",
                    created_by=world.jm_leader_admin,
                    submitted_at=timezone.now(),
                    sub_industries_index="|五金制品及零配件|",
                )

    client.force_login(world.jm_manager)
    submitted(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/applications/?sub_industry=五金制品及零配件").status_code == 200
    submitted(30)
    with CaptureQueriesContext(connection) as many:
        body = client.get("/applications/?sub_industry=五金制品及零配件").content.decode()
    assert len(many) == len(few)
    assert "申报企业29" in body  # newest first


def test_the_recommendation_summary_exports_and_neutralises_formulas(client, world):
    call = make_call(world.jm, requires_recommendation=True)
    with scopes_disabled():
        application = Application.objects.create(
            call=call,
            organization=world.pj_maker,
            status="recommended",
            created_by=world.pj_applicant,
            submitted_at=timezone.now(),
            recommendation_note='=HYPERLINK("http://evil")',
            recommended_by=world.pj_manager,
        )
    client.force_login(world.pj_manager)
    response = client.get(f"/calls/{call.pk}/recommendations.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:3] == ("序号", "申报单位", "统一社会信用代码")
    assert rows[2][1] == world.pj_maker.name and rows[2][6] == "推荐"
    assert rows[2][7].startswith("'=")
    client.force_login(world.jh_manager)  # the sibling county exports nothing of Pengjiang's
    sheet = load_workbook(
        io.BytesIO(client.get(f"/calls/{call.pk}/recommendations.xlsx").content)
    ).active
    assert len(list(sheet.iter_rows())) == 2
    assert application.pk


def test_the_city_s_recommendation_summary_has_every_county_s_recommendations(client, world):
    # 001 §三(二): counties recommend, the city receives the summary of all of them.
    call = make_call(world.jm, requires_recommendation=True)
    with scopes_disabled():
        for organization, status in (
            (world.pj_maker, "recommended"),
            (world.jh_maker, "submitted"),
        ):
            Application.objects.create(
                call=call,
                organization=organization,
                status=status,
                created_by=world.pj_applicant,
                submitted_at=timezone.now(),
            )
    client.force_login(world.jm_manager)
    sheet = load_workbook(
        io.BytesIO(client.get(f"/calls/{call.pk}/recommendations.xlsx").content)
    ).active
    names = [row[1] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert names == [world.pj_maker.name]  # Jianghai's book is not recommended yet


def test_staff_create_publish_and_close_a_call(client, world):
    client.force_login(world.jm_manager)
    with scopes_disabled():
        template = CallTemplate.objects.get(code="leading-unit-jiangmen-2025")
    data = {
        "document_number": "江工信〔2026〕1号",
        "title": "2026年牵引单位遴选",
        "kind": "leading_unit",
        "template": template.pk,
        "sub_industries": "",
        "description": "",
        "eligibility": "",
        "opens_at": "2026-01-01T09:00",
        "closes_at": "2025-12-01T17:00",
    }
    response = client.post("/calls/new/", data)
    assert response.status_code == 200 and "截止时间须晚于开始时间" in response.content.decode()
    response = client.post("/calls/new/", {**data, "closes_at": "2026-03-01T17:00"})
    assert response.status_code == 302
    with scopes_disabled():
        call = Call.objects.get(title="2026年牵引单位遴选")
    response = client.post(f"/calls/{call.pk}/publish/", follow=True)
    assert "请先填写细分行业再发布" in response.content.decode()
    client.post(
        f"/calls/{call.pk}/edit/",
        {**data, "closes_at": "2026-03-01T17:00", "sub_industries": "五金制品及零配件\n纺织"},
    )
    client.post(f"/calls/{call.pk}/publish/")
    with scopes_disabled():
        call.refresh_from_db()
    assert call.status == "published" and call.sub_industries == ["五金制品及零配件", "纺织"]
    client.force_login(
        world.pj_manager
    )  # a county cannot manage the city's call (it may issue its own)
    assert client.post(f"/calls/{call.pk}/close/").status_code == 403
    client.force_login(world.jm_reviewer)  # a reviewer issues no calls
    assert client.get("/calls/new/").status_code == 403


def test_a_bureau_admin_clones_and_edits_a_template_without_breaking_it(client, world):
    with scopes_disabled():
        shipped = CallTemplate.objects.get(code="benchmark-jiangmen-2023")
    client.force_login(world.jm_admin)
    response = client.post(f"/templates/{shipped.pk}/clone/")
    assert response.status_code == 302
    with scopes_disabled():
        clone = CallTemplate.objects.get(owner_bureau=world.jm)
    edit = f"/templates/{clone.pk}/edit/"
    bad = client.post(
        edit,
        {"name": "改", "definition": '{"sections": [{"key": "x", "type": "nope", "title": "t"}]}'},
    )
    assert bad.status_code == 200 and "模板格式有误" in bad.content.decode()
    assert client.post(edit, {"name": "改", "definition": "{not json"}).status_code == 200
    import json

    definition = dict(clone.definition)
    definition["sections"] = definition["sections"][:3]
    assert (
        client.post(
            edit, {"name": "江门2026标杆", "definition": json.dumps(definition)}
        ).status_code
        == 302
    )
    with scopes_disabled():
        clone.refresh_from_db()
    assert clone.name == "江门2026标杆" and len(clone.definition["sections"]) == 3
    client.force_login(world.gz_admin)
    assert client.get(f"/templates/{clone.pk}/").status_code == 404


def test_the_county_filter_lists_counties_only(client, world):
    client.force_login(world.gd_manager)
    page = client.get("/applications/").content.decode()
    select = page[page.index('<select id="county"') :]
    select = select[: select.index("</select>")]
    assert "江门市蓬江区工业和信息化局" in select and "广州市天河区工业和信息化局" in select
    assert "江门市工业和信息化局<" not in select and "广东省工业和信息化厅" not in select


def test_the_home_pages_list_the_open_calls_with_their_deadlines(client, world):
    open_call = make_call(world.jm)
    make_call(world.jm, status="draft")
    for user in (None, world.pj_applicant, world.jm_manager):
        if user is None:
            client.logout()
        else:
            client.force_login(user)
        page = client.get("/").content.decode()
        assert open_call.title in page and f"/calls/{open_call.pk}/" in page, user
        assert timezone.localtime(open_call.closes_at).strftime("%Y-%m-%d %H:%M") in page
        assert "目前没有正在受理的申报通知" not in page


def test_the_rich_text_help_promises_only_what_the_field_keeps(client, world, application):
    client.force_login(world.jm_leader_admin)
    page = client.get(section_url(application, "work_plan")).content.decode()
    assert 'name="html"' in page
    assert "标题、列表和表格会保留" not in page and "不保留格式" in page
