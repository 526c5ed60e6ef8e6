"""Application books at the service level: completeness, deadlines, conflicts, corrections."""

import io
import zipfile
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from applications import services
from applications.models import Application, ApplicationEvent, ApplicationSection
from portal.book import Book
from portal.scoping import scopes_disabled, visibility_scope
from portal.visibility import Visibility
from tests.books import (
    PROOF_SLOTS,
    case_rows,
    fill_book,
    pdf_bytes,
    png_bytes,
    post,
    table_post,
    upload,
)

pytestmark = pytest.mark.django_db


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


def act(user):
    visibility = Visibility.for_user(user)
    return visibility, visibility_scope(visibility)


def save(application, user, key, data, version=None):
    visibility, scope = act(user)
    with scope:
        if version is None:
            version = ApplicationSection.objects.get(application=application, key=key).version
        return services.application_save_section(
            visibility=visibility,
            application=application,
            key=key,
            post=data,
            base_version=version,
            actor=user,
        )


def submit(application, user, now=None):
    visibility, scope = act(user)
    with scope:
        return services.application_submit(
            visibility=visibility, application=application, actor=user, now=now
        )


def problems(application):
    with scopes_disabled():
        per_section, cross = services.book_for(application).check(
            services.answers_of(application), services.attachment_counts(application)
        )
    return [i.message for issues in per_section.values() for i in issues] + [
        i.message for i in cross
    ]


def test_starting_prefills_the_basic_information_from_the_organization(world, application):
    with scopes_disabled():
        data = ApplicationSection.objects.get(application=application, key="basic_info").data
    assert data["org_name"] == world.jm_leader.name and data["uscc"] == world.jm_leader.uscc


def test_a_complete_book_submits_with_time_hash_and_event(world, application):
    fill_book(application, world.jm_leader_admin)
    assert problems(application) == []
    submitted = submit(application, world.jm_leader_admin)
    assert (
        submitted.status == "submitted"
        and len(submitted.content_hash) == 64
        and submitted.submitted_at
    )
    with scopes_disabled():
        assert list(
            ApplicationEvent.objects.filter(application=application).values_list(
                "to_status", flat=True
            )
        ) == ["draft", "submitted"]
    with pytest.raises(ValidationError):  # locked: no more edits
        save(application, world.jm_leader_admin, "work_plan", post({"html": "changed"}))


def test_an_empty_book_lists_everything_missing(world, application):
    found = problems(application)
    assert any("证明材料" in m or "上传" in m for m in found)
    assert any("承诺" in m or "声明" in m for m in found)
    assert len(found) > 20


def test_it_requires_three_cases_since_2023_per_sub_industry(world, application):
    """≥3 service cases per applied sub-industry dated 2023 or later (000 §二(一)4)."""
    fill_book(application, world.jm_leader_admin)
    rows = case_rows()
    rows[0]["completed_on"] = "2022-12-31"  # too old: does not count
    save(application, world.jm_leader_admin, "cases", table_post(rows))
    found = problems(application)
    assert found == [
        "细分行业“五金制品及零配件”只有 2 个2023年以来的服务案例，每个申报细分行业不少于 3 个（000 §二(一)4）。"
    ]
    with pytest.raises(ValidationError) as caught:
        submit(application, world.jm_leader_admin)
    assert caught.value.code == "incomplete"


def test_a_submission_one_second_after_the_deadline_is_refused_and_the_draft_kept(
    world, application, leading_call
):
    fill_book(application, world.jm_leader_admin)
    with pytest.raises(ValidationError) as caught:
        submit(
            application, world.jm_leader_admin, now=leading_call.closes_at + timedelta(seconds=1)
        )
    assert caught.value.code == "deadline_passed" and "截止" in caught.value.messages[0]
    with scopes_disabled():
        application.refresh_from_db()
        assert application.status == "draft"
        assert ApplicationSection.objects.get(application=application, key="work_plan").data["html"]
    assert (
        submit(application, world.jm_leader_admin, now=leading_call.closes_at).status == "submitted"
    )


def test_a_withdrawn_application_can_be_resubmitted_before_the_deadline(world, application):
    fill_book(application, world.jm_leader_admin)
    submit(application, world.jm_leader_admin)
    visibility, scope = act(world.jm_leader_admin)
    with scope:
        services.application_withdraw(
            visibility=visibility, application=application, actor=world.jm_leader_admin
        )
    save(application, world.jm_leader_admin, "work_plan", post({"html": "<p>修订后的工作方案</p>"}))
    assert submit(application, world.jm_leader_admin).status == "submitted"


def test_two_tabs_cannot_silently_overwrite_each_other(world, application):
    with scopes_disabled():
        loaded = ApplicationSection.objects.get(application=application, key="work_plan").version
    save(
        application,
        world.jm_leader_admin,
        "work_plan",
        post({"html": "第一个窗口"}),
        version=loaded,
    )
    with pytest.raises(services.EditConflict):
        save(
            application,
            world.jm_leader_admin,
            "work_plan",
            post({"html": "第二个窗口"}),
            version=loaded,
        )
    with scopes_disabled():
        assert (
            ApplicationSection.objects.get(application=application, key="work_plan").data["html"]
            == "<p>第一个窗口</p>"
        )


def test_a_correction_request_is_answered_by_its_deadline(world, application):
    fill_book(application, world.jm_leader_admin)
    submit(application, world.jm_leader_admin)
    visibility, scope = act(world.jm_manager)
    with scope:
        services.application_request_correction(
            visibility=visibility,
            application=application,
            items="补充2024年审计报告",
            deadline=timezone.now() + timedelta(days=5),
            actor=world.jm_manager,
        )
    save(application, world.jm_leader_admin, "work_plan", post({"html": "<p>补正后</p>"}))
    assert submit(application, world.jm_leader_admin).status == "resubmitted"
    # A second correction whose deadline passes: the resubmission is refused.
    visibility, scope = act(world.jm_manager)
    with scope:
        services.application_request_correction(
            visibility=visibility,
            application=application,
            items="再次补正",
            deadline=timezone.now() + timedelta(days=1),
            actor=world.jm_manager,
        )
    with pytest.raises(ValidationError) as caught:
        submit(application, world.jm_leader_admin, now=timezone.now() + timedelta(days=2))
    assert caught.value.code == "deadline_passed"


def test_the_city_sees_a_book_only_after_the_county_recommends_it(world):
    from tests.books import make_call

    call = make_call(world.jm, requires_recommendation=True)
    visibility, scope = act(world.pj_applicant)
    with scope:
        application = services.application_start(
            visibility=visibility, call=call, organization=world.pj_maker, actor=world.pj_applicant
        )
    fill_book(application, world.pj_applicant)
    submit(application, world.pj_applicant)
    with visibility_scope(Visibility.for_user(world.jm_manager)):
        assert not Application.objects.filter(pk=application.pk).exists()
    with visibility_scope(Visibility.for_user(world.jh_manager)):  # the sibling county
        assert not Application.objects.filter(pk=application.pk).exists()
    county, county_scope = act(world.pj_manager)
    with county_scope:
        assert Application.objects.filter(pk=application.pk).exists()
        with pytest.raises(ValidationError):
            services.application_recommend(
                visibility=county,
                application=application,
                recommend=True,
                note="",
                actor=world.pj_manager,
            )
        services.application_recommend(
            visibility=county,
            application=application,
            recommend=True,
            note="材料齐全，推荐",
            actor=world.pj_manager,
        )
    with visibility_scope(Visibility.for_user(world.jm_manager)):
        assert Application.objects.filter(pk=application.pk).exists()
    with visibility_scope(Visibility.for_user(world.gz_manager)):
        assert not Application.objects.filter(pk=application.pk).exists()


def test_drafts_are_private_to_the_applicant(world, application):
    with visibility_scope(Visibility.for_user(world.jm_manager)):
        assert not Application.objects.filter(pk=application.pk).exists()
    with visibility_scope(Visibility.for_user(world.jm_leader_admin)):
        assert Application.objects.filter(pk=application.pk).exists()


# --- hostile input -------------------------------------------------------------------------------
def add(application, user, slot, file):
    visibility, scope = act(user)
    with scope:
        return services.attachment_add(
            visibility=visibility,
            application=application,
            section_key="proofs",
            slot_key=slot,
            upload=file,
            actor=user,
        )


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (50 * 1024 * 1024))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("slot", "name", "content", "code"),
    [
        ("licence", "licence.pdf", b"MZ\x90\x00" + b"\0" * 2000, "executable"),
        ("licence", "licence.pdf", b"", "empty"),
        ("licence", "licence.pdf", b"%PDF-1.7\n garbage", "bad_pdf"),
        ("licence", "licence.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "bad_image"),
        ("local_team", "team.docx", None, "zip_bomb"),
        ("audit_2024", "audit.pdf", None, "wrong_type"),  # a PNG where only PDF is allowed
        ("licence", "licence.pdf", b"<html><script>alert(1)</script></html>", "unknown_type"),
    ],
)
def test_bad_files_get_a_message_and_keep_what_is_stored(
    world, application, slot, name, content, code
):
    if content is None:
        content = zip_bomb() if code == "zip_bomb" else png_bytes()
    good = add(application, world.jm_leader_admin, "licence", upload("good.pdf", pdf_bytes()))
    with pytest.raises(ValidationError) as caught:
        add(application, world.jm_leader_admin, slot, upload(name, content))
    assert caught.value.code == code
    with scopes_disabled():
        assert list(application.attachments.values_list("pk", flat=True)) == [good.pk]


def test_an_oversized_file_is_refused(world, application):
    with pytest.raises(ValidationError) as caught:
        add(
            application,
            world.jm_leader_admin,
            "licence",
            upload("big.pdf", b"%PDF-1.4" + b"0" * (11 * 1024 * 1024)),
        )
    assert caught.value.code == "too_large" and "10 MB" in caught.value.messages[0]


def test_files_are_stored_under_generated_names(world, application):
    attachment = add(
        application, world.jm_leader_admin, "licence", upload("../../etc/passwd.pdf", pdf_bytes())
    )
    assert attachment.original_name.endswith("passwd.pdf") and "/" not in attachment.original_name
    assert attachment.file.name.startswith("attachments/") and "passwd" not in attachment.file.name
    assert attachment.file.name.endswith(".pdf")


def test_rich_text_is_sanitised_and_plain_fields_keep_text(world, application):
    save(
        application,
        world.jm_leader_admin,
        "work_plan",
        post(
            {
                "html": '<p onclick="x()">方案<script>alert(1)</script><img src=x onerror=alert(2)><a href="javascript:1">链接</a></p>'
            }
        ),
    )
    with scopes_disabled():
        html = ApplicationSection.objects.get(application=application, key="work_plan").data["html"]
    assert (
        "<script" not in html
        and "onerror" not in html
        and "onclick" not in html
        and "javascript:" not in html
    )
    assert "方案" in html


def test_a_ten_thousand_row_paste_is_refused_with_a_message(world, application):
    paste = "\n".join(
        f"五金制品及零配件\t客户{i}\t项目{i}\t2024-01-01\t1\t说明" for i in range(10_000)
    )
    with pytest.raises(ValidationError) as caught:
        save(application, world.jm_leader_admin, "cases", post({"paste": paste, "row_count": "0"}))
    assert caught.value.code == "too_many_rows" and "10000" in caught.value.messages[0]


def test_a_paste_from_excel_fills_the_table(world, application):
    paste = "\n".join(
        f"五金制品及零配件\t客户{i}\t项目{i}\t2024-01-0{i + 1}\t12.5\t说明" for i in range(3)
    )
    section = save(
        application, world.jm_leader_admin, "cases", post({"paste": paste, "row_count": "0"})
    )
    assert len(section.data["rows"]) == 3 and section.data["rows"][2]["client"] == "客户2"


def test_the_shipped_templates_are_valid_and_loaded(world):
    from applications.models import CallTemplate
    from applications.templates_loader import shipped_definitions

    with scopes_disabled():
        codes = set(CallTemplate.objects.values_list("code", flat=True))
    assert {d["code"] for d in shipped_definitions()} <= codes
    leading = next(d for d in shipped_definitions() if d["kind"] == "leading_unit")
    assert [s["number"] for s in leading["sections"]] == [
        "一",
        "二",
        "三",
        "四",
        "五",
        "六",
        "七",
        "八",
        "九",
        "十",
    ]


def test_per_partner_slots_follow_the_alliance_table(world, application):
    fill_book(application, world.jm_leader_admin)
    with scopes_disabled():
        book = services.book_for(application)
        slots = [
            s["key"]
            for s in book.slots(
                book.section("proofs"), book.partner_names(services.answers_of(application))
            )
        ]
    assert set(PROOF_SLOTS) <= set(slots)
    assert Book.__name__ == "Book"
