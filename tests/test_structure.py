"""The shared pieces of the layout: the transition helper, the exporter base, the typed enrolment
service and the selection outcome created by pilots."""

import csv
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import timezone
from openpyxl import load_workbook

from applications.models import Application, ApplicationSection
from pilots.models import BenchmarkTitle, EnrolmentRequest, PilotEnterprise
from pilots.services import enrolment, selection
from portal import exporters, workflow
from portal.models import AuditEvent, StatusEvent
from portal.scoping import scopes_disabled, visibility_scope
from portal.uscc import with_check_digit
from portal.visibility import Visibility
from tests.books import make_call

pytestmark = pytest.mark.django_db


def test_a_transition_writes_its_event_row_and_audit_record(world, leading_unit):
    with scopes_disabled():
        workflow.transition(
            leading_unit,
            "criticised",
            actor=world.jm_manager,
            action="leading_unit_criticised",
            bureau=world.jm,
            organization=world.jm_leader,
            note="季度评价未通过",
        )
        leading_unit.refresh_from_db()
        event = StatusEvent.objects.get(
            subject_type=ContentType.objects.get_for_model(leading_unit),
            subject_id=leading_unit.pk,
        )
        audit = AuditEvent.objects.get(action="leading_unit_criticised")
    assert leading_unit.status == "criticised"
    assert (event.from_status, event.to_status, event.note) == (
        "active",
        "criticised",
        "季度评价未通过",
    )
    assert event.actor == world.jm_manager
    assert audit.object_type == "pilots.leadingunit" and audit.object_id == str(leading_unit.pk)
    assert audit.detail == {"from": "active", "to": "criticised"}


def test_status_events_are_seen_by_their_tenant_only(world, leading_unit):
    with scopes_disabled():
        workflow.transition(
            leading_unit,
            "criticised",
            actor=world.jm_manager,
            action="leading_unit_criticised",
            bureau=world.jm,
            organization=world.jm_leader,
        )
    for user, sees in (
        (world.jm_manager, 1),
        (world.gd_manager, 1),
        (world.jm_leader_admin, 1),
        (world.gz_manager, 0),
        (world.pj_applicant, 0),
    ):
        with visibility_scope(Visibility.for_user(user)):
            assert StatusEvent.objects.count() == sees, user


class Hostile(exporters.Exporter):
    identifier = "test_hostile"

    def title_rows(self):
        return [["标题"]]

    def headers(self):
        return ["名称", "金额"]

    def iterate_list(self):
        yield ['=HYPERLINK("http://x")', 1.5]
        yield ["+SUM(A1)", None]
        yield ["普通文字", 2]


def test_the_exporter_base_protects_both_formats_against_formulas():
    rows = list(csv.reader(io.StringIO(Hostile().to_csv().decode("utf-8-sig"))))
    assert rows[0] == ["标题"] and rows[1] == ["名称", "金额"]
    assert rows[2][0] == '\'=HYPERLINK("http://x")' and rows[3] == ["'+SUM(A1)", ""]
    sheet = load_workbook(io.BytesIO(Hostile().to_xlsx())).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[2][0].startswith("'=") and values[3][0] == "'+SUM(A1)"
    assert values[4] == ("普通文字", 2)
    response = Hostile().response("csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "test_hostile.csv" in response["Content-Disposition"]


def test_every_exporter_is_registered_by_its_app():
    assert {"recommendation_summary", "ranking", "demand_list"} <= set(exporters.EXPORTERS)


def _enrolment(world, **overrides):
    data = {
        "name": "江门市新建五金厂",
        "uscc": with_check_digit("91440703MA5NEW001"),
        "sub_industry": "五金制品及零配件",
        "scale": "small",
        "above_scale": False,
        "tier": "none",
    }
    return enrolment.EnrolmentData(**(data | overrides))


def test_enrolment_by_service_stores_codes_and_records_the_organization(world, leading_unit):
    visibility = Visibility.for_user(world.jm_leader_admin)
    with visibility_scope(visibility):
        enterprise = enrolment.enterprise_enrol(
            visibility=visibility,
            leading_unit=leading_unit,
            data=_enrolment(world),
            actor=world.jm_leader_admin,
        )
        with pytest.raises(ValidationError) as again:
            enrolment.enterprise_enrol(
                visibility=visibility,
                leading_unit=leading_unit,
                data=_enrolment(world),
                actor=world.jm_leader_admin,
            )
    assert "uscc" in again.value.message_dict
    with scopes_disabled():
        enterprise = PilotEnterprise.objects.get(pk=enterprise.pk)
        assert (enterprise.scale, enterprise.above_scale, enterprise.tier) == (
            "small",
            False,
            "none",
        )
        assert enterprise.bureau == world.pj and enterprise.file_sections.exists()
        assert AuditEvent.objects.filter(action="organization_recorded").count() == 1
        assert AuditEvent.objects.filter(action="enterprise_enrolled").count() == 1


def test_an_enrolment_request_stores_codes(client, world, leading_unit):
    client.force_login(world.pj_applicant)
    response = client.post(
        "/pilots/choose/",
        {
            "leading_unit": str(leading_unit.pk),
            "sub_industry": "五金制品及零配件",
            "scale": "medium",
            "above_scale": "1",
            "tier": "little_giant",
            "revenue": "1,200.5".replace(",", ""),
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        request = EnrolmentRequest.objects.get()
    assert (request.scale, request.above_scale, request.tier) == ("medium", True, "little_giant")
    assert str(request.revenue) == "1200.50" and request.profit is None
    client.force_login(world.jm_leader_admin)
    listing = client.get("/pilots/enterprises/").content.decode()
    assert "中型" in listing and "小巨人" in listing


@pytest.mark.parametrize(
    ("direction", "title"),
    [
        ("方向一：示范企业", "江门市制造业数字化转型标杆示范企业"),
        ("方向二：示范车间", "江门市制造业数字化转型标杆示范车间"),
    ],
)
def test_a_benchmark_title_names_the_issuing_city_and_the_chosen_direction(world, direction, title):
    # The direction is the position of the choice in the call's template (001 §一), and the
    # city is the issuing bureau's (not a city written into the code).
    call = make_call(world.jm, code="benchmark-jiangmen-2023", kind="benchmark")
    with scopes_disabled():
        application = Application.objects.create(
            call=call, organization=world.pj_maker, created_by=world.pj_applicant
        )
        ApplicationSection.objects.create(
            application=application, key="direction", data={"direction": direction}
        )
        record = selection.outcome_create(application=application, selected_at=timezone.now())
        assert isinstance(record, BenchmarkTitle)
        assert record.title == title


def test_the_leading_units_list_runs_the_same_queries_for_any_number_of_units(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pilots.models import Alliance, LeadingUnit
    from portal.models import Organization

    def add(start, count):
        with scopes_disabled():
            for n in range(start, start + count):
                unit = LeadingUnit.objects.create(
                    organization=Organization.objects.create(
                        uscc=with_check_digit(f"91440703MG{n:07d}"),
                        name=f"牵引{n}",
                        home_bureau=world.jm,
                    ),
                    bureau=world.jm,
                    kind="industry_chain",
                    sub_industries=["五金制品及零配件"],
                    selected_at=timezone.now(),
                )
                Alliance.objects.create(leading_unit=unit, bureau=world.jm)

    client.force_login(world.jm_manager)
    add(0, 2)
    client.get("/pilots/leading-units/")
    with CaptureQueriesContext(connection) as few:
        client.get("/pilots/leading-units/")
    add(2, 10)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/pilots/leading-units/").content.decode()
    assert len(many) == len(few)
    assert page.count("/pilots/alliances/") >= 12


def test_a_serving_leading_unit_cannot_apply_for_what_it_leads_and_a_second_selection_merges(
    client, world, leading_unit
):
    from applications.services import application_start
    from pilots.models import LeadingUnit

    # The unit leads 五金制品及零配件; a call for only that sub-industry has nothing for it.
    only_hardware = make_call(world.jm, sub_industries=["五金制品及零配件"])
    visibility = Visibility.for_user(world.jm_leader_admin)
    with visibility_scope(visibility), pytest.raises(ValidationError) as refused:
        application_start(
            visibility=visibility,
            call=only_hardware,
            organization=world.jm_leader,
            actor=world.jm_leader_admin,
        )
    assert "五金制品及零配件" in " ".join(refused.value.messages)
    # A call with another sub-industry may be applied to; selection adds it to the same unit.
    call = make_call(world.jm)
    with visibility_scope(visibility):
        application = application_start(
            visibility=visibility,
            call=call,
            organization=world.jm_leader,
            actor=world.jm_leader_admin,
        )
    with scopes_disabled():
        Application.objects.filter(pk=application.pk).update(
            sub_industries_index="|绿色环保消费品加工制造|"
        )
        application.refresh_from_db()
        unit = selection.outcome_create(application=application, selected_at=timezone.now())
        assert unit.pk == leading_unit.pk
        assert LeadingUnit.objects.filter(organization=world.jm_leader).count() == 1
        assert unit.sub_industries == ["五金制品及零配件", "绿色环保消费品加工制造"]
    client.force_login(world.jm_manager)
    page = client.get("/pilots/leading-units/").content.decode()
    assert page.count(world.jm_leader.name) == 1 and "绿色环保消费品加工制造" in page
