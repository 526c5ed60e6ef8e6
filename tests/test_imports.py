"""Imports of lists by bureaus (and operators in the admin): a dry run lists every row's problems
and writes nothing; the confirmed import writes exactly the good rows, only inside the importing
bureau's area, and leaves an audit record."""

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from evaluation.models import ExpertProfile
from pilots.models import LeadingUnit, PilotEnterprise, Product, ServiceProvider
from portal import imports
from portal.models import AuditEvent, Membership, Organization, Role, User
from portal.scoping import scopes_disabled, visibility_scope
from portal.uscc import with_check_digit
from portal.visibility import Visibility

pytestmark = pytest.mark.django_db

ORG_HEADER = ["单位名称", "统一社会信用代码", "单位类型", "联系人"]
PJ_NEW = with_check_digit("91440703MF0000007")  # registered in Pengjiang
PJ_NEW_2 = with_check_digit("91440703MF0000015")
JH_NEW = with_check_digit("91440704MF0000023")  # registered in Jianghai
GZ_NEW = with_check_digit("91440106MF0000031")  # registered in Tianhe, Guangzhou


def xlsx(header, rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(header, rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def run(user, table, bureau, content, *, confirm, filename="名单.xlsx"):
    visibility = Visibility.for_user(user)
    with visibility_scope(visibility):
        return imports.records_import(
            visibility=visibility,
            importer=imports.IMPORTERS[table],
            bureau=bureau,
            content=content,
            filename=filename,
            confirm=confirm,
            actor=user,
        )


def org_rows():
    return [
        ["蓬江新材料有限公司", PJ_NEW, "企业", "陈一"],
        ["代码错误的公司", "91440703MF000000X", "企业", ""],
        ["广州的公司", GZ_NEW, "企业", ""],
        ["江海的公司", JH_NEW, "企业", ""],
        ["", PJ_NEW_2, "", ""],
    ]


def codes():
    with scopes_disabled():
        return set(Organization.objects.values_list("uscc", flat=True))


def import_events():
    with scopes_disabled():
        return list(AuditEvent.objects.filter(action="records_imported"))


def test_it_previews_every_row_with_its_problems_and_writes_nothing(world):
    before = codes()
    report = run(
        world.pj_manager, "organizations", world.pj, xlsx(ORG_HEADER, org_rows()), confirm=False
    )

    assert [row.action for row in report.rows] == [
        "new",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
    ]
    problems = {row.number: " ".join(row.errors) for row in report.rows}
    assert problems[1] == ""
    assert "统一社会信用代码" in problems[2]
    # Pengjiang's staff cannot place Guangzhou's or its sibling Jianghai's enterprises.
    assert "统一社会信用代码" in problems[3] and "统一社会信用代码" in problems[4]
    assert "单位名称" in problems[5]
    assert codes() == before
    assert import_events() == []


def test_it_imports_exactly_the_valid_rows_and_records_the_import(world):
    before = codes()
    report = run(
        world.pj_manager, "organizations", world.pj, xlsx(ORG_HEADER, org_rows()), confirm=True
    )

    assert (report.created, report.updated, report.invalid) == (1, 0, 4)
    assert codes() - before == {PJ_NEW}
    with scopes_disabled():
        created = Organization.objects.get(uscc=PJ_NEW)
    assert created.home_bureau == world.pj and created.contact_name == "陈一"
    [event] = import_events()
    assert event.actor == world.pj_manager and event.bureau == world.pj
    assert event.detail["table"] == "organizations"
    assert (event.detail["created"], event.detail["refused"]) == (1, 4)


def test_a_registered_organization_is_left_as_its_admin_keeps_it(world):
    rows = [["改掉的名字", world.pj_maker.uscc, "企业", "别人"]]
    report = run(world.jm_manager, "organizations", world.jm, xlsx(ORG_HEADER, rows), confirm=True)
    assert [row.action for row in report.rows] == ["skip"]
    with scopes_disabled():
        world.pj_maker.refresh_from_db()
    assert world.pj_maker.name == "江门市蓬江区华程机电有限公司"


def test_a_county_cannot_name_another_county_as_the_home_of_its_rows(world):
    header = [*ORG_HEADER, "主管部门行政区划代码"]
    rows = [["蓬江新材料有限公司", PJ_NEW, "企业", "", world.jh.division_code]]
    report = run(world.pj_manager, "organizations", world.pj, xlsx(header, rows), confirm=True)
    assert report.invalid == 1 and "主管部门行政区划代码" in report.rows[0].errors[0]
    assert PJ_NEW not in codes()


def test_a_bureau_imports_only_for_a_bureau_it_works_for(world):
    content = xlsx(ORG_HEADER, org_rows()[:1])
    for user, bureau in (
        (world.pj_manager, world.jh),  # a sibling county
        (world.gz_manager, world.jm),  # another city
        (world.jm_reviewer, world.jm),  # reviewers do not import
        (world.pj_applicant, world.pj),
    ):
        with pytest.raises(PermissionDenied):
            run(user, "organizations", bureau, content, confirm=True)
    assert PJ_NEW not in codes()


def test_an_unreadable_file_or_missing_columns_are_reported_for_the_file(world):
    report = run(
        world.pj_manager, "organizations", world.pj, b"\x00\x01 not a sheet", confirm=False
    )
    assert report.file_errors and report.rows == []
    report = run(
        world.pj_manager, "organizations", world.pj, xlsx(["名称"], [["x"]]), confirm=False
    )
    assert "统一社会信用代码" in report.file_errors[0]


def test_providers_and_products_are_imported_and_updated_by_their_codes(world):
    provider_code = with_check_digit("91440703MF0000040")
    providers = xlsx(
        ["服务商名称", "统一社会信用代码", "服务商类型", "服务领域", "联系人及电话"],
        [
            ["蓬江智造服务有限公司", provider_code, "行业型", "工业软件", "王工 138"],
            ["类型写错的服务商", with_check_digit("91440703MF0000058"), "大型", "工业软件", ""],
        ],
    )
    report = run(world.pj_manager, "providers", world.pj, providers, confirm=True)
    assert (report.created, report.invalid) == (1, 1)
    product_header = [
        "产品名称",
        "产品简介",
        "改造方向",
        "应用环节",
        "价格（万元）",
        "自主知识产权",
        "服务商统一社会信用代码",
    ]
    products = csv_bytes(
        product_header,
        [
            ["设备联网盒子", "采集机床数据", "设备数采", "制造", "3.5", "是", provider_code],
            ["不存在的服务商的产品", "x", "设备数采", "制造", "1", "否", world.gz_maker.uscc],
        ],
    )
    report = run(world.pj_manager, "products", world.pj, products, confirm=True, filename="p.csv")
    assert (report.created, report.invalid) == (1, 1)
    again = csv_bytes(
        product_header,
        [["设备联网盒子", "采集机床数据", "设备数采", "制造", "4", "是", provider_code]],
    )
    report = run(world.pj_manager, "products", world.pj, again, confirm=True, filename="p.csv")
    assert (report.created, report.updated) == (0, 1)
    with scopes_disabled():
        provider = ServiceProvider.objects.get(uscc=provider_code)
        assert provider.bureau == world.pj and provider.capability == "industry"
        assert [(p.name, str(p.price_wan)) for p in Product.objects.all()] == [
            ("设备联网盒子", "4.00")
        ]


def test_a_county_enrols_enterprises_of_its_area_for_a_serving_leading_unit(world, leading_unit):
    from pilots.services.enrolment import COLUMNS

    header = [*COLUMNS, "数字化牵引单位统一社会信用代码"]
    rows = [
        [
            "蓬江新材料有限公司",
            PJ_NEW,
            "五金制品及零配件",
            "小型",
            "规上",
            "",
            "100",
            "",
            world.jm_leader.uscc,
        ],
        [
            "江海的公司",
            JH_NEW,
            "五金制品及零配件",
            "小型",
            "规上",
            "",
            "",
            "",
            world.jm_leader.uscc,
        ],
        [
            "规模写错",
            PJ_NEW_2,
            "五金制品及零配件",
            "巨型",
            "规上",
            "",
            "",
            "",
            world.jm_leader.uscc,
        ],
        [
            "没有牵引单位",
            PJ_NEW_2,
            "五金制品及零配件",
            "小型",
            "规上",
            "",
            "",
            "",
            world.gz_maker.uscc,
        ],
    ]
    report = run(world.pj_manager, "pilot_enterprises", world.pj, xlsx(header, rows), confirm=True)
    assert [row.action for row in report.rows] == ["new", "invalid", "invalid", "invalid"]
    assert "企业规模" in " ".join(report.rows[2].errors)
    assert "数字化牵引单位统一社会信用代码" in " ".join(report.rows[3].errors)
    with scopes_disabled():
        [enterprise] = PilotEnterprise.objects.all()
        assert enterprise.organization.uscc == PJ_NEW
        assert enterprise.bureau == world.pj and enterprise.leading_unit == leading_unit
        assert enterprise.file_sections.exists()  # its one-enterprise-one-file record started
        # The refused Jianghai row left no organization behind.
        assert not Organization.objects.filter(uscc=JH_NEW).exists()
    assert LeadingUnit  # the unit is the city's; the county found it as a published decision


def test_experts_are_imported_into_the_pool_with_one_time_passwords(world):
    header = ["用户名", "姓名", "手机号码", "工作单位", "工作单位统一社会信用代码"]
    rows = [
        ["expert_new", "新专家", "13800000001", "江门职业技术学院", ""],
        [world.expert_li.username, "", "", "", ""],
        ["no_contact", "没有联系方式", "", "", ""],
        ["bad_code", "代码错", "13800000002", "", "123"],
    ]
    report = run(world.jm_manager, "experts", world.jm, xlsx(header, rows), confirm=False)
    assert [row.action for row in report.rows] == ["new", "update", "invalid", "invalid"]
    assert "工作单位统一社会信用代码" in report.rows[3].errors[0]
    assert not User.objects.filter(username="expert_new").exists()

    report = run(world.jm_manager, "experts", world.jm, xlsx(header, rows), confirm=True)
    [(username, password)] = report.accounts
    new = User.objects.get(username="expert_new")
    assert username == "expert_new" and new.check_password(password) and new.must_change_password
    with scopes_disabled():
        assert Membership.objects.filter(user=new, role=Role.EXPERT, bureau=world.jm).exists()
        assert ExpertProfile.objects.get(user=new).employer_name == "江门职业技术学院"
        assert not User.objects.filter(username__in=["no_contact", "bad_code"]).exists()


# --- the bureau's page ----------------------------------------------------------------------------------
def upload(content, name="名单.xlsx"):
    return SimpleUploadedFile(name, content)


def test_the_page_previews_then_confirms_the_checked_file(client, world):
    client.force_login(world.pj_manager)
    url = "/imports/?table=organizations"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {"bureau": world.pj.pk, "action": "check", "file": upload(xlsx(ORG_HEADER, org_rows()))},
    )
    assert response.status_code == 200
    assert response.context["report"].created == 1 and response.context["report"].invalid == 4
    assert PJ_NEW not in codes()
    response = client.post(url, {"bureau": world.pj.pk, "action": "confirm"})
    assert response.status_code == 200 and response.context["report"].confirmed
    assert PJ_NEW in codes()
    # The checked file is spent: confirming again asks for a new check.
    response = client.post(url, {"bureau": world.pj.pk, "action": "confirm"})
    assert response.status_code == 302


def test_the_page_is_for_bureau_staff_who_import(client, world):
    for persona, status in (("pj_applicant", 403), ("expert_li", 403), ("jm_reviewer", 403)):
        client.force_login(world.users[persona])
        assert client.get("/imports/").status_code == status, persona
    client.force_login(world.jm_manager)
    response = client.get("/imports/")
    assert response.status_code == 200
    assert {i.identifier for i in response.context["importers"]} >= {
        "organizations",
        "pilot_enterprises",
        "providers",
        "products",
        "experts",
    }


def test_a_foreign_bureau_chosen_on_the_page_falls_back_to_the_users_own(client, world):
    client.force_login(world.pj_manager)
    response = client.post(
        "/imports/?table=organizations",
        {
            "bureau": world.jh.pk,
            "action": "check",
            "file": upload(xlsx(ORG_HEADER, org_rows()[:1])),
        },
    )
    assert response.status_code == 200 and response.context["bureau"] == world.pj


def test_the_blank_sheet_has_the_importers_columns(client, world):
    from openpyxl import load_workbook

    client.force_login(world.jm_manager)
    response = client.get("/imports/?table=providers&template=xlsx")
    assert response.status_code == 200
    header = next(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert list(header) == imports.IMPORTERS["providers"].resource.column_names()


def test_the_page_refuses_a_post_without_its_csrf_token(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.pj_manager)
    response = client.post(
        "/imports/?table=organizations",
        {"bureau": world.pj.pk, "action": "check", "file": upload(xlsx(ORG_HEADER, org_rows()))},
    )
    assert response.status_code == 403
    assert PJ_NEW not in codes()


# --- the admin ------------------------------------------------------------------------------------------
ADMIN_LISTS = [
    "/admin/pilots/leadingunit/",
    "/admin/pilots/alliance/",
    "/admin/pilots/alliancechange/",
    "/admin/pilots/benchmarktitle/",
    "/admin/pilots/pilotprogramme/",
    "/admin/pilots/pilotenterprise/",
    "/admin/pilots/enrolmentrequest/",
    "/admin/pilots/taskbook/",
    "/admin/pilots/contract/",
    "/admin/pilots/assessment/",
    "/admin/pilots/serviceprovider/",
    "/admin/pilots/product/",
    "/admin/pilots/demandlist/",
    "/admin/evaluation/rubric/",
    "/admin/evaluation/expertprofile/",
    "/admin/evaluation/reviewround/",
    "/admin/evaluation/expertassignment/",
    "/admin/evaluation/publicity/",
    "/admin/evaluation/objection/",
    "/admin/evaluation/quarterlyreport/",
    "/admin/evaluation/sanction/",
    "/admin/portal/organization/import/",
    "/admin/pilots/pilotenterprise/import/",
    "/admin/pilots/serviceprovider/import/",
    "/admin/pilots/product/import/",
    "/admin/evaluation/expertprofile/import/",
]


def test_the_admin_lists_load_for_the_operator_in_chinese(client, world):
    from demo.world import build_demo_pilot

    with scopes_disabled():
        build_demo_pilot(world)
    client.force_login(world.operator)
    for path in ADMIN_LISTS:
        response = client.get(path)
        assert response.status_code == 200, path
    page = client.get("/admin/").content.decode()
    assert "服务商" in page and "试点企业" in page and "专家" in page


@pytest.mark.parametrize("persona", ["jm_admin", "pj_applicant", "expert_li"])
def test_the_admin_lists_are_closed_to_everyone_else(client, world, persona):
    client.force_login(world.users[persona])
    for path in ADMIN_LISTS:
        response = client.get(path)
        assert response.status_code in (302, 403), path
        if response.status_code == 302:
            assert "/admin/login/" in response["Location"]


def test_the_operator_imports_providers_in_the_admin_with_a_preview(client, world):
    client.force_login(world.operator)
    code = with_check_digit("91440703MF0000066")
    content = xlsx(
        ["服务商名称", "统一社会信用代码", "服务商类型", "服务领域", "主管部门行政区划代码"],
        [["蓬江智造服务有限公司", code, "综合型", "智能装备", world.pj.division_code]],
    )
    response = client.post(
        "/admin/pilots/serviceprovider/import/",
        {"resource": "0", "format": "1", "import_file": upload(content, "p.xlsx")},
    )
    assert response.status_code == 200
    assert "confirm_form" in response.context and response.context["confirm_form"] is not None
    with scopes_disabled():
        assert not ServiceProvider.objects.filter(uscc=code).exists()
    confirm = response.context["confirm_form"].initial
    response = client.post("/admin/pilots/serviceprovider/process_import/", confirm)
    assert response.status_code == 302
    with scopes_disabled():
        assert ServiceProvider.objects.get(uscc=code).bureau == world.pj
        assert AuditEvent.objects.filter(action="records_imported", actor=world.operator).exists()
