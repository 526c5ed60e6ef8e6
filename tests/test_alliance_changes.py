"""Alliance changes: filed → reviewed → public notice → published (004 §4.6); renames reported
10 working days ahead (004 §4.8)."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from pilots.models import Alliance, AllianceChange, AllianceMember
from pilots.services import alliances as services
from portal.scoping import scopes_disabled, visibility_scope
from portal.uscc import with_check_digit
from portal.visibility import Visibility
from tests.books import pdf_bytes, upload

pytestmark = pytest.mark.django_db
PARTNER = with_check_digit("91440703MG0000001")


@pytest.fixture
def alliance(world, leading_unit):
    with scopes_disabled():
        alliance = Alliance.objects.create(leading_unit=leading_unit, bureau=world.jm)
        AllianceMember.objects.create(
            alliance=alliance, role="leader", name=world.jm_leader.name, uscc=world.jm_leader.uscc
        )
        AllianceMember.objects.create(
            alliance=alliance,
            role="integrator",
            name="集成服务公司",
            uscc=with_check_digit("91440703MA4W7K2P1"),
        )
    return alliance


def materials(missing=()):
    return {
        name: (None if name in missing else upload(f"{name}.pdf", pdf_bytes()))
        for name in services.CHANGE_MATERIALS
    }


def file_change(world, alliance, **overrides):
    visibility = Visibility.for_user(world.jm_leader_admin)
    arguments = {
        "kind": "add",
        "member_name": "新伙伴公司",
        "member_uscc": PARTNER,
        "role": "ecosystem",
        "reason": "新增设备数采能力",
        "planned_on": None,
        "materials": materials(),
        **overrides,
    }
    with visibility_scope(visibility):
        return services.alliance_change_file(
            visibility=visibility, alliance=alliance, actor=world.jm_leader_admin, **arguments
        )


def test_an_addition_needs_the_four_materials(world, alliance):
    """Licence, legal representative's ID, last year's accounts, credit report (004 §4.6.1)."""
    with pytest.raises(ValidationError) as caught:
        file_change(world, alliance, materials=materials(missing=("accounts", "credit_report")))
    assert set(caught.value.message_dict) == {"accounts", "credit_report"}


def test_an_addition_is_reviewed_noticed_and_published(world, alliance):
    change = file_change(world, alliance)
    staff = Visibility.for_user(world.jm_manager)
    with visibility_scope(Visibility.for_user(world.gz_manager)), pytest.raises(PermissionDenied):
        services.alliance_change_review(
            visibility=Visibility.for_user(world.gz_manager),
            change=change,
            approve=True,
            note="x",
            actor=world.gz_manager,
        )
    with visibility_scope(staff):
        services.alliance_change_review(
            visibility=staff, change=change, approve=True, note="材料齐全", actor=world.jm_manager
        )
    with visibility_scope(Visibility.anonymous()):  # the notice is public
        assert AllianceChange.objects.filter(pk=change.pk).exists()
    with visibility_scope(staff):
        with pytest.raises(ValidationError):
            services.alliance_change_publish(
                visibility=staff, change=change, actor=world.jm_manager
            )
        services.alliance_change_publish(
            visibility=staff,
            change=change,
            actor=world.jm_manager,
            now=timezone.now() + timedelta(days=5, minutes=1),
        )
    with scopes_disabled():
        assert AllianceMember.objects.filter(
            alliance=alliance, uscc=PARTNER, role="ecosystem"
        ).exists()


def test_a_removal_needs_no_materials(world, alliance):
    change = file_change(
        world,
        alliance,
        kind="remove",
        member_name="集成服务公司",
        member_uscc=with_check_digit("91440703MA4W7K2P1"),
        role="",
        materials={},
    )
    assert change.status == "filed"


def test_a_rename_is_reported_ten_working_days_ahead(world, alliance):
    """004 §4.8, counted on the statutory calendar: around National Day 2025 the earliest date
    for a report made on 2025-09-26 is 2025-10-16, not 2025-10-06."""
    arguments = {
        "kind": "rename",
        "member_name": "集成服务公司",
        "member_uscc": with_check_digit("91440703MA4W7K2P1"),
        "role": "",
        "materials": {},
        "today": date(2025, 9, 26),
    }
    with pytest.raises(ValidationError) as caught:
        file_change(world, alliance, planned_on=date(2025, 10, 15), **arguments)
    assert (
        "2025-10-16" in caught.value.message_dict["planned_on"][0]
        and "004 §4.8" in caught.value.message_dict["planned_on"][0]
    )
    assert (
        file_change(world, alliance, planned_on=date(2025, 10, 16), **arguments).status
        == "reported"
    )


def test_the_alliance_page_files_and_reviews_changes(client, world, alliance):
    client.force_login(world.jm_leader_admin)
    url = f"/pilots/alliances/{alliance.pk}/"
    data = {
        "action": "file",
        "kind": "add",
        "member_name": "新伙伴公司",
        "member_uscc": PARTNER,
        "role": "ecosystem",
        "reason": "扩充能力",
    }
    missing = client.post(url, data)
    assert missing.status_code == 200 and "请以 PDF 上传该材料" in missing.content.decode()
    files = {name: upload(f"{name}.pdf", pdf_bytes()) for name in services.CHANGE_MATERIALS}
    assert client.post(url, {**data, **files}).status_code == 302
    with scopes_disabled():
        change = AllianceChange.objects.get()
    client.force_login(world.jm_manager)
    assert (
        client.post(url, {"action": "approve", "change": change.pk, "note": "材料齐全"}).status_code
        == 302
    )
    assert "新伙伴公司" in client.get("/publicity/").content.decode()  # public notice
    client.force_login(world.gz_manager)
    assert client.get(url).status_code == 404


def test_the_materials_are_for_the_unit_and_its_bureau_even_during_the_notice(
    client, world, alliance
):
    change = file_change(world, alliance)
    staff = Visibility.for_user(world.jm_manager)
    with visibility_scope(staff):
        services.alliance_change_review(
            visibility=staff, change=change, approve=True, note="材料齐全", actor=world.jm_manager
        )
    url = f"/pilots/alliance-changes/{change.pk}/materials/licence/"
    for reader in (world.jm_leader_admin, world.jm_manager):
        client.force_login(reader)
        response = client.get(url)
        assert response.status_code == 200, reader.username
        assert b"".join(response.streaming_content).startswith(b"%PDF")
        assert response["Content-Security-Policy"].startswith("sandbox")
    client.force_login(world.jm_manager)
    assert "materials/licence/" in client.get(f"/pilots/alliances/{alliance.pk}/").content.decode()
    assert (
        client.get(f"/pilots/alliance-changes/{change.pk}/materials/password/").status_code == 404
    )
    # The change is public while on notice; its materials are not.
    for outsider in (world.pj_applicant, world.gz_manager):
        client.force_login(outsider)
        assert client.get(url).status_code == 404, outsider.username
    client.logout()
    assert client.get(url).status_code == 302  # to the login page
