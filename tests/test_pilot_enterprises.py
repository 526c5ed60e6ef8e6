"""Enrolling pilot enterprises by Excel import: per-row errors, and all rows or none."""

import io

import pytest
from django.utils import timezone
from openpyxl import Workbook

from pilots.models import PilotEnterprise
from pilots.services import enrolment, records, transformation
from portal.models import Organization
from portal.scoping import scopes_disabled, visibility_scope
from portal.uscc import with_check_digit
from portal.visibility import Visibility

pytestmark = pytest.mark.django_db
HEADER = enrolment.COLUMNS


def sheet(rows, header=HEADER) -> bytes:
    workbook = Workbook()
    book = workbook.active
    book.append(header)
    for row in rows:
        book.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run(world, leading_unit, content, confirm):
    visibility = Visibility.for_user(world.jm_leader_admin)
    with visibility_scope(visibility):
        return enrolment.enterprises_import(
            visibility=visibility,
            leading_unit=leading_unit,
            content=content,
            filename="名单.xlsx",
            confirm=confirm,
            actor=world.jm_leader_admin,
        )


NEW = with_check_digit("91440703MF0000001")


def good_rows(world):
    return [
        [
            "江门市蓬江区华程机电有限公司",
            world.pj_maker.uscc,
            "五金制品及零配件",
            "小型",
            "规上",
            "专精特新",
            "5800",
            "320",
        ],
        ["江门市新建五金厂", NEW, "五金制品及零配件", "微型", "规下", "", "600.5", ""],
    ]


def enrolled():
    with scopes_disabled():
        return sorted(PilotEnterprise.objects.values_list("organization__uscc", flat=True))


def test_a_dry_run_previews_and_saves_nothing(world, leading_unit):
    report = run(world, leading_unit, sheet(good_rows(world)), confirm=False)
    assert report.ok and [r["number"] for r in report.rows] == [1, 2]
    assert enrolled() == []
    with scopes_disabled():
        assert not Organization.objects.filter(uscc=NEW).exists()


def test_a_clean_sheet_is_imported_linking_registered_enterprises(world, leading_unit):
    report = run(world, leading_unit, sheet(good_rows(world)), confirm=True)
    assert report.ok and report.imported == 2
    assert enrolled() == sorted([world.pj_maker.uscc, NEW])
    with scopes_disabled():
        created = PilotEnterprise.objects.get(organization__uscc=NEW)
        linked = PilotEnterprise.objects.get(organization=world.pj_maker)
    assert created.bureau == world.pj and created.scale == "micro" and created.above_scale is False
    assert linked.tier == "specialised" and str(linked.revenue) == "5800.00"
    with scopes_disabled():
        assert linked.file_sections.count() == len(records.file_book().sections)


@pytest.mark.parametrize(
    ("mutate", "column", "message"),
    [
        (
            lambda rows: rows[1].__setitem__(1, NEW[:-1] + ("0" if NEW[-1] != "0" else "1")),
            "统一社会信用代码",
            "校验码",
        ),
        (lambda rows: rows[1].__setitem__(1, rows[0][1]), "统一社会信用代码", "出现两次"),
        (lambda rows: rows[1].__setitem__(3, "巨型"), "企业规模", "中型"),
        (lambda rows: rows[1].__setitem__(6, "很多"), "上年营业收入（万元）", "请输入数字"),
    ],
)
def test_a_bad_row_is_reported_and_nothing_is_imported(
    world, leading_unit, mutate, column, message
):
    rows = good_rows(world)
    mutate(rows)
    report = run(world, leading_unit, sheet(rows), confirm=True)
    assert not report.ok and report.imported == 0
    errors = report.rows[1]["errors"]
    assert any(e.startswith(column) and message in e for e in errors), errors
    assert report.rows[0]["errors"] == []
    assert enrolled() == []  # the good row was not half-imported


def test_an_enterprise_already_enrolled_is_refused(world, leading_unit):
    run(world, leading_unit, sheet(good_rows(world)[:1]), confirm=True)
    report = run(world, leading_unit, sheet(good_rows(world)), confirm=True)
    assert "已在本单位试点企业名单中" in report.rows[0]["errors"][0]
    assert enrolled() == [world.pj_maker.uscc]


def test_a_missing_column_is_reported_for_the_file(world, leading_unit):
    report = run(
        world,
        leading_unit,
        sheet([["某企业", NEW, "五金", "小型"]], header=HEADER[:4]),
        confirm=True,
    )
    assert report.file_errors and "规上/规下" in report.file_errors[0]
    assert run(world, leading_unit, b"not a spreadsheet", confirm=False).file_errors


def test_another_leading_unit_sees_none_of_these_enterprises(world, leading_unit):
    from django.utils import timezone

    from pilots.models import LeadingUnit

    run(world, leading_unit, sheet(good_rows(world)), confirm=True)
    with scopes_disabled():
        LeadingUnit.objects.create(
            organization=world.gz_maker,
            bureau=world.gz,
            kind="supply_chain",
            selected_at=timezone.now(),
        )
    with visibility_scope(Visibility.for_user(world.gz_applicant)):
        assert PilotEnterprise.objects.count() == 0
    with visibility_scope(
        Visibility.for_user(world.pj_applicant)
    ):  # the enterprise sees its own record
        assert list(PilotEnterprise.objects.values_list("organization__uscc", flat=True)) == [
            world.pj_maker.uscc
        ]
    with visibility_scope(Visibility.for_user(world.pj_manager)):  # its county
        assert PilotEnterprise.objects.count() == 2


def test_another_leading_unit_s_member_gets_404_on_the_file_and_task_book(
    client, world, leading_unit
):
    from django.utils import timezone

    from pilots.models import LeadingUnit, TaskBook

    run(world, leading_unit, sheet(good_rows(world)), confirm=True)
    with scopes_disabled():
        enterprise = PilotEnterprise.objects.get(organization=world.pj_maker)
        TaskBook.objects.create(
            enterprise=enterprise,
            goals="g",
            performance_goals="p",
            content="c",
            starts_on="2025-09-01",
            ends_on="2026-09-30",
            budget_wan=35.5,
            obligations="o",
            created_by=world.jm_leader_admin,
        )
        LeadingUnit.objects.create(
            organization=world.gz_maker,
            bureau=world.gz,
            kind="supply_chain",
            selected_at=timezone.now(),
        )
    client.force_login(world.gz_applicant)
    for url in (
        f"/pilots/enterprises/{enterprise.pk}/",
        f"/pilots/enterprises/{enterprise.pk}/file/basic/",
        f"/pilots/enterprises/{enterprise.pk}/task-book/",
        f"/pilots/enterprises/{enterprise.pk}/assessments/after/self/",
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            f"/pilots/enterprises/{enterprise.pk}/task-book/sign/", {"party": "provider"}
        ).status_code
        == 404
    )
    client.force_login(world.jm_leader_admin)
    body = client.get(f"/pilots/enterprises/{enterprise.pk}/").content.decode()
    assert "叁拾伍万伍仟元整" in body  # the budget in capital numerals


def test_the_task_book_and_the_record_come_as_pdfs(
    client, world, leading_unit, django_capture_on_commit_callbacks
):
    from pypdf import PdfReader

    from pilots.models import TaskBook, TaskBookSignature
    from portal.models import DocumentBundle

    run(world, leading_unit, sheet(good_rows(world)[:1]), confirm=True)
    with scopes_disabled():
        enterprise = PilotEnterprise.objects.get(organization=world.pj_maker)
        book = TaskBook.objects.create(
            enterprise=enterprise,
            goals="设备联网率达到60%",
            performance_goals="p",
            content="部署轻量化MES",
            starts_on="2025-09-01",
            ends_on="2026-09-30",
            budget_wan=35.5,
            obligations="o",
            schedule=[{"period": "2025年9-12月", "work": "诊断与方案"}],
            created_by=world.jm_leader_admin,
        )
        TaskBookSignature.objects.create(
            task_book=book, party="provider", signed_by=world.jm_leader_admin
        )
    client.force_login(world.jm_leader_admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/pilots/enterprises/{enterprise.pk}/task-book.pdf")
        client.post(f"/pilots/enterprises/{enterprise.pk}/file.pdf")
    with scopes_disabled():
        task_pdf = DocumentBundle.objects.get(kind="task_book")
        file_pdf = DocumentBundle.objects.get(kind="enterprise_file")
    text = "".join(p.extract_text() for p in PdfReader(task_pdf.file.path).pages).replace("\n", "")
    assert (
        "叁拾伍万伍仟元整" in text
        and "丙方" in text
        and "诊断与方案" in text
        and world.pj_maker.name in text
    )
    text = "".join(p.extract_text() for p in PdfReader(file_pdf.file.path).pages).replace("\n", "")
    assert "一、基本情况" in text and "四、绩效评价" in text and "中小企业数字化水平等级" in text
    client.force_login(world.gz_applicant)
    assert client.get(f"/documents/{task_pdf.pk}/").status_code == 404
    client.force_login(world.pj_applicant)
    assert client.get(f"/documents/{task_pdf.pk}/").status_code == 200


def act(user):
    return Visibility.for_user(user)


def test_acceptance_is_applied_for_within_a_week_of_completion(world, signed_enterprise):
    """Apply for acceptance within one week of completing the transformation (002 附3)."""
    from datetime import date, timedelta

    from django.core.exceptions import PermissionDenied, ValidationError

    from tests.books import pdf_bytes, upload

    enterprise = signed_enterprise
    with visibility_scope(act(world.jm_leader_admin)):
        transformation.transformation_complete(
            visibility=act(world.jm_leader_admin),
            enterprise=enterprise,
            completed_on=date(2026, 6, 1),
            actor=world.jm_leader_admin,
        )
    with visibility_scope(act(world.pj_applicant)):
        with pytest.raises(ValidationError) as caught:
            transformation.acceptance_apply(
                visibility=act(world.pj_applicant),
                enterprise=enterprise,
                material=upload("a.pdf", pdf_bytes()),
                actor=world.pj_applicant,
                today=date(2026, 6, 1) + timedelta(days=8),
            )
        assert caught.value.code == "too_late" and "002 附3" in caught.value.messages[0]
        transformation.acceptance_apply(
            visibility=act(world.pj_applicant),
            enterprise=enterprise,
            material=upload("a.pdf", pdf_bytes()),
            actor=world.pj_applicant,
            today=date(2026, 6, 1) + timedelta(days=7),
        )
    with visibility_scope(act(world.jm_leader_admin)), pytest.raises(PermissionDenied):
        transformation.acceptance_decide(
            visibility=act(world.jm_leader_admin),
            enterprise=enterprise,
            accepted=True,
            note="x",
            actor=world.jm_leader_admin,
        )
    with visibility_scope(act(world.pj_manager)):
        transformation.acceptance_decide(
            visibility=act(world.pj_manager),
            enterprise=enterprise,
            accepted=True,
            note="资料齐全，验收通过",
            actor=world.pj_manager,
        )
    with scopes_disabled():
        assert PilotEnterprise.objects.get(pk=enterprise.pk).status == "accepted"


def test_progress_counts_level_two_by_the_on_site_assessment(client, world, signed_enterprise):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pilots.models import Assessment

    with scopes_disabled():
        other = PilotEnterprise.objects.exclude(pk=signed_enterprise.pk).get()
        # Self says level 2, the on-site assessment says 1: the on-site one counts.
        Assessment.objects.create(
            enterprise=signed_enterprise,
            stage="after",
            kind="self",
            level=2,
            assessed_by=world.pj_applicant,
        )
        Assessment.objects.create(
            enterprise=signed_enterprise,
            stage="after",
            kind="onsite",
            level=1,
            assessed_by=world.pj_manager,
        )
        Assessment.objects.create(
            enterprise=other, stage="after", kind="self", level=3, assessed_by=world.jm_leader_admin
        )
    client.force_login(world.jm_manager)
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/pilots/progress/").content.decode()
    assert "<td>2</td><td>1</td><td>0</td><td>0</td><td>1</td><td>50.0%</td>" in body.replace(
        "\n", ""
    )
    client.force_login(world.pj_applicant)
    assert client.get("/pilots/progress/").status_code == 403
    assert len(queries) < 20


def test_one_enterprise_is_enrolled_by_form_with_the_same_checks(client, world, leading_unit):
    client.force_login(world.jm_leader_admin)
    data = {
        "name": "江门市新建五金厂",
        "uscc": NEW,
        "sub_industry": "五金制品及零配件",
        "scale": "小型",
        "above_scale": "规下",
        "tier": "无",
        "revenue": "600",
        "profit": "",
    }
    bad = client.post(
        "/pilots/enterprises/new/", {**data, "uscc": NEW[:-1] + ("0" if NEW[-1] != "0" else "1")}
    )
    assert bad.status_code == 200 and "校验码" in bad.content.decode()
    assert client.post("/pilots/enterprises/new/", data).status_code == 302
    assert enrolled() == [NEW]


def test_the_acceptance_materials_download_for_the_parties_only(client, world, signed_enterprise):
    from tests.books import pdf_bytes, upload

    with scopes_disabled():
        PilotEnterprise.objects.filter(pk=signed_enterprise.pk).update(
            status="completed", completed_on=timezone.localdate()
        )
        signed_enterprise.refresh_from_db()
    url = f"/pilots/enterprises/{signed_enterprise.pk}/acceptance-material/"
    client.force_login(world.pj_manager)
    assert client.get(url).status_code == 404  # nothing uploaded yet
    with visibility_scope(act(world.pj_applicant)):
        transformation.acceptance_apply(
            visibility=act(world.pj_applicant),
            enterprise=signed_enterprise,
            material=upload("a.pdf", pdf_bytes()),
            actor=world.pj_applicant,
        )
    response = client.get(url)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    client.force_login(world.jh_manager)
    assert client.get(url).status_code == 404
