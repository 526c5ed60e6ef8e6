"""An enterprise chooses a leading unit of its area; the unit accepts (enrolment through the
import's checks) or declines with a reason."""

import pytest

from pilots.models import EnrolmentRequest, PilotEnterprise
from portal.models import AuditEvent
from portal.scoping import scopes_disabled

pytestmark = pytest.mark.django_db


def form(leading_unit, **overrides):
    data = {
        "leading_unit": str(leading_unit.pk),
        "sub_industry": "五金制品及零配件",
        "scale": "小型",
        "above_scale": "规上",
        "tier": "专精特新",
        "revenue": "5800",
        "profit": "320",
        "needs": "设备联网，质检数字化",
    }
    return data | overrides


def test_an_enterprise_asks_and_the_leading_unit_accepts(client, world, leading_unit):
    client.force_login(world.pj_applicant)
    page = client.get("/pilots/choose/").content.decode()
    assert world.jm_leader.name in page  # Jiangmen's unit serves Pengjiang
    wrong = client.post("/pilots/choose/", form(leading_unit, sub_industry="纺织服装"))
    assert wrong.status_code == 200 and "五金制品及零配件" in wrong.content.decode()
    assert client.post("/pilots/choose/", form(leading_unit)).status_code == 302
    again = client.post("/pilots/choose/", form(leading_unit))
    assert "撤回" in again.content.decode()  # one pending request at a time
    with scopes_disabled():
        request = EnrolmentRequest.objects.get()

    client.force_login(world.jm_leader_admin)
    listing = client.get("/pilots/enterprises/").content.decode()
    assert "设备联网，质检数字化" in listing
    client.post(f"/pilots/requests/{request.pk}/", {"action": "accept"})
    with scopes_disabled():
        request.refresh_from_db()
        enterprise = PilotEnterprise.objects.get(organization=world.pj_maker)
        assert request.status == "accepted" and enterprise.leading_unit == leading_unit
        assert enterprise.above_scale and enterprise.tier == "specialised"
        assert AuditEvent.objects.filter(action="enrolment_request_accepted").exists()
    # Answered once only.
    client.post(f"/pilots/requests/{request.pk}/", {"action": "decline", "note": "x"})
    with scopes_disabled():
        request.refresh_from_db()
        assert request.status == "accepted"


def test_declining_needs_a_reason_the_enterprise_then_reads(client, world, leading_unit):
    client.force_login(world.pj_applicant)
    client.post("/pilots/choose/", form(leading_unit))
    with scopes_disabled():
        request = EnrolmentRequest.objects.get()
    client.force_login(world.jm_leader_admin)
    client.post(f"/pilots/requests/{request.pk}/", {"action": "decline", "note": ""})
    with scopes_disabled():
        request.refresh_from_db()
        assert request.status == "pending"
    client.post(f"/pilots/requests/{request.pk}/", {"action": "decline", "note": "本期名额已满"})
    client.force_login(world.pj_applicant)
    assert "本期名额已满" in client.get("/pilots/choose/").content.decode()
    with scopes_disabled():
        assert not PilotEnterprise.objects.exists()


def test_only_the_parties_touch_a_request(client, world, leading_unit):
    client.force_login(world.pj_applicant)
    client.post("/pilots/choose/", form(leading_unit))
    with scopes_disabled():
        request = EnrolmentRequest.objects.get()
    # The enterprise cannot accept its own request; strangers do not see it at all.
    assert client.post(f"/pilots/requests/{request.pk}/", {"action": "accept"}).status_code == 403
    for stranger in (world.gz_applicant, world.jh_applicant, world.jh_manager):
        client.force_login(stranger)
        response = client.post(f"/pilots/requests/{request.pk}/", {"action": "withdraw"})
        assert response.status_code == 404, stranger.username
    # A Guangzhou enterprise is not offered Jiangmen's leading unit.
    client.force_login(world.gz_applicant)
    assert world.jm_leader.name not in client.get("/pilots/choose/").content.decode()
    rejected = client.post("/pilots/choose/", form(leading_unit))
    assert rejected.status_code == 200
    with scopes_disabled():
        assert EnrolmentRequest.objects.count() == 1


def test_the_enterprise_sees_the_unit_but_no_link_into_its_alliance(client, world, leading_unit):
    from pilots.models import Alliance

    with scopes_disabled():
        alliance = Alliance.objects.create(leading_unit=leading_unit, bureau=world.jm)
    client.force_login(world.pj_applicant)
    page = client.get("/pilots/leading-units/").content.decode()
    assert world.jm_leader.name in page and f"/pilots/alliances/{alliance.pk}/" not in page
    assert client.get(f"/pilots/alliances/{alliance.pk}/").status_code == 404
    client.force_login(world.jm_manager)
    assert (
        f"/pilots/alliances/{alliance.pk}/" in client.get("/pilots/leading-units/").content.decode()
    )
