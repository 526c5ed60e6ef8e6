"""A leading unit from outside the city becomes its local legal entity (000 §四(八))."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from pilots.models import AllianceMember, LeadingUnit, UnitRelocation
from pilots.services.relocation import relocation_decide, relocation_request
from portal.scoping import scopes_disabled, visibility_scope
from portal.uscc import with_check_digit
from portal.visibility import Visibility

pytestmark = pytest.mark.django_db
LOCAL = with_check_digit("91440703MH0000001")  # registered in Pengjiang, below Jiangmen
ELSEWHERE = with_check_digit("91440106MH0000002")  # Tianhe, Guangzhou


def ask(world, unit, uscc, reason="在江门注册独立法人"):
    visibility = Visibility.for_user(world.jm_leader_admin)
    with visibility_scope(visibility):
        return relocation_request(
            visibility=visibility,
            unit=unit,
            uscc_code=uscc,
            name="数智链（江门）科技有限公司",
            reason=reason,
            actor=world.jm_leader_admin,
        )


def test_the_bureau_approves_and_the_unit_and_its_alliance_move(world, leading_unit):
    from pilots.models import Alliance

    with scopes_disabled():
        alliance = Alliance.objects.create(leading_unit=leading_unit, bureau=world.jm)
        AllianceMember.objects.create(
            alliance=alliance,
            role="leader",
            name=world.jm_leader.name,
            uscc=world.jm_leader.uscc,
            organization=world.jm_leader,
        )
    with pytest.raises(ValidationError) as outside:
        ask(world, leading_unit, ELSEWHERE)
    assert "江门市" in str(outside.value)
    with pytest.raises(ValidationError):
        ask(world, leading_unit, LOCAL, reason=" ")
    relocation = ask(world, leading_unit, LOCAL)
    with pytest.raises(ValidationError):
        ask(world, leading_unit, LOCAL)  # one request at a time
    other = Visibility.for_user(world.gz_manager)
    with visibility_scope(other), pytest.raises(PermissionDenied):
        relocation_decide(
            visibility=other, relocation=relocation, approve=True, note="x", actor=world.gz_manager
        )
    staff = Visibility.for_user(world.jm_manager)
    with visibility_scope(staff):
        relocation_decide(
            visibility=staff,
            relocation=relocation,
            approve=True,
            note="经审核同意变更",
            actor=world.jm_manager,
        )
    with scopes_disabled():
        unit = LeadingUnit.objects.get(pk=leading_unit.pk)
        leader = AllianceMember.objects.get(alliance=alliance, role="leader")
        assert unit.organization.uscc == LOCAL and leader.uscc == LOCAL
        assert UnitRelocation.objects.get().status == "approved"


def test_the_page_files_a_request_and_strangers_get_404(client, world, leading_unit):
    client.force_login(world.jm_leader_admin)
    url = f"/pilots/leading-units/{leading_unit.pk}/relocation/"
    bad = client.post(url, {"action": "request", "name": "x", "uscc": "123", "reason": "r"})
    assert bad.status_code == 200 and 'role="alert"' in bad.content.decode()
    ok = client.post(
        url, {"action": "request", "name": "数智链（江门）", "uscc": LOCAL, "reason": "本地化"}
    )
    assert ok.status_code == 302
    client.force_login(world.jm_manager)
    assert "同意" in client.get(url).content.decode() or "批准" in client.get(url).content.decode()
    client.force_login(world.gz_manager)
    assert client.get(url).status_code == 404
    client.force_login(world.pj_applicant)  # an enterprise of the area sees the unit, not this
    assert client.get(url).status_code == 404
