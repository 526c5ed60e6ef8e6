import pytest

from portal.models import Membership, Organization, Role
from portal.scoping import scopes_disabled
from portal.uscc import with_check_digit

pytestmark = pytest.mark.django_db

GOOD = {
    "uscc": with_check_digit("91440705MA7Q8W2E1"),
    "name": "江门市新会区测试电子有限公司",
    "kind": "enterprise",
    "home_bureau": "",
    "full_name": "陈测试",
    "phone": "13912345678",
    "email": "",
    "username": "xh_newcomer",
    "password1": "Xinhui#2025",
    "password2": "Xinhui#2025",
}


def test_an_enterprise_registers_and_becomes_admin_of_its_organization(client, world):
    response = client.post("/register/", GOOD)
    assert response.status_code == 302
    with scopes_disabled():
        organization = Organization.objects.get(uscc=GOOD["uscc"])
        membership = Membership.objects.get(organization=organization)
    assert organization.home_bureau == world.xh  # from characters 3–8 of the code: 440705
    assert membership.role == Role.ORG_ADMIN and membership.user.username == "xh_newcomer"
    assert client.get("/").status_code == 200


def test_an_invalid_code_gets_a_clear_message_and_keeps_the_other_fields(client, world):
    data = {**GOOD, "uscc": GOOD["uscc"][:-1] + ("0" if GOOD["uscc"][-1] != "0" else "1")}
    response = client.post("/register/", data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "校验" in body
    assert GOOD["name"] in body  # nothing typed is lost
    with scopes_disabled():
        assert not Organization.objects.filter(name=GOOD["name"]).exists()


def test_a_bad_code_is_reported_together_with_other_missing_fields(client, world):
    response = client.post("/register/", {**GOOD, "uscc": "91440705MA7Q8W2E1Z", "full_name": ""})
    body = response.content.decode()
    assert "不允许的字符" in body and "该字段是必填项" in body


def test_a_code_already_registered_is_refused_with_a_hint(client, world):
    response = client.post("/register/", {**GOOD, "uscc": world.pj_maker.uscc})
    assert response.status_code == 200
    assert "已注册" in response.content.decode()


def test_a_region_without_a_bureau_is_explained(client, world):
    response = client.post("/register/", {**GOOD, "uscc": with_check_digit("91110105MA7Q8W2E1")})
    assert response.status_code == 200
    assert "110105" in response.content.decode()


def test_weak_passwords_and_mismatches_are_explained(client, world):
    response = client.post("/register/", {**GOOD, "password1": "abcdefgh", "password2": "abcdefgX"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "两次输入的密码不一致" in body


def test_an_org_admin_edits_the_profile_but_a_member_and_staff_cannot(client, world):
    url = f"/organizations/{world.pj_maker.pk}/edit/"
    client.force_login(world.pj_member)
    assert client.get(url).status_code == 403
    client.force_login(world.pj_manager)
    assert client.post(url, {"name": "x"}).status_code == 403
    client.force_login(world.pj_applicant)
    data = {
        "name": world.pj_maker.name,
        "address": "江门市蓬江区新地址8号",
        "legal_representative": "张三",
        "contact_name": "张经理",
        "contact_phone": "0750-1234567",
        "contact_email": "bad-email",
    }
    response = client.post(url, data)
    assert response.status_code == 200 and "邮箱" in response.content.decode()
    data["contact_email"] = "zhang@example.com"
    assert client.post(url, data).status_code == 302
    with scopes_disabled():
        assert Organization.objects.get(pk=world.pj_maker.pk).address == "江门市蓬江区新地址8号"
