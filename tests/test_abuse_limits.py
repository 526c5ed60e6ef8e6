"""Abuse limits on the public doors, and the portal's own page for requests it cannot read
(issue 14 items 4 and 5; 等保 2.0 三级 应用安全; OWASP ASVS L2 V11.1)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from demo.world import DEMO_PASSWORD
from portal.models import AuditEvent
from portal.scoping import scopes_disabled

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(world):
    """A Jiangmen notice in its publicity days, open to objections from anyone."""
    from evaluation.models import Publicity
    from tests.books import make_call

    call = make_call(world.jm)
    now = timezone.now()
    with scopes_disabled():
        return Publicity.objects.create(
            call=call,
            title="拟入选名单公示",
            status="published",
            starts_at=now,
            ends_at=now + timedelta(days=5),
            created_by=world.jm_manager,
        )


def objection(number: int) -> dict[str, str]:
    return {"name": "某公众", "contact": "13800000000", "text": f"第{number}条意见：请核实案例。"}


def objections_on(notice) -> int:
    with scopes_disabled():
        return notice.objections.count()


def test_login_attempts_from_one_address_end_in_a_429_page_in_chinese(client, world, settings):
    settings.PORTAL_RATE_LIMITS = {"login_ip": (3, 600)}
    for number in range(3):
        response = client.post(
            "/accounts/login/", {"username": f"someone{number}", "password": "wrong"}
        )
        assert response.status_code == 200
    refused = client.post("/accounts/login/", {"username": "jm_manager", "password": DEMO_PASSWORD})
    assert refused.status_code == 429
    assert "请求过于频繁" in refused.content.decode()
    assert 0 < int(refused["Retry-After"]) <= 600
    # Another address still logs in: the limit is per address.
    other = client.post(
        "/accounts/login/",
        {"username": "jm_manager", "password": DEMO_PASSWORD},
        REMOTE_ADDR="10.0.0.9",
    )
    assert other.status_code == 302


def test_login_attempts_against_one_account_are_limited_from_any_address(client, world, settings):
    settings.PORTAL_RATE_LIMITS = {"login_account": (2, 600)}
    for number in range(2):
        client.post(
            "/accounts/login/",
            {"username": "JM_Manager ", "password": "wrong"},
            REMOTE_ADDR=f"10.0.1.{number}",
        )
    refused = client.post(
        "/accounts/login/",
        {"username": "jm_manager", "password": DEMO_PASSWORD},
        REMOTE_ADDR="10.0.1.99",
    )
    assert refused.status_code == 429
    assert (
        client.post(
            "/accounts/login/", {"username": "jm_admin", "password": DEMO_PASSWORD}
        ).status_code
        == 302
    )


def test_the_429_page_speaks_english_when_english_is_chosen(client, world, settings):
    settings.PORTAL_RATE_LIMITS = {"login_ip": (1, 600)}
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.post("/accounts/login/", {"username": "a", "password": "b"})
    refused = client.post("/accounts/login/", {"username": "a", "password": "b"})
    assert refused.status_code == 429
    assert "Too many requests" in refused.content.decode()


def test_the_first_refusal_of_a_window_is_audited_once(client, world, settings):
    settings.PORTAL_RATE_LIMITS = {"login_ip": (1, 600)}
    for _attempt in range(4):
        client.post("/accounts/login/", {"username": "a", "password": "b"})
    with scopes_disabled():
        events = AuditEvent.objects.filter(action="rate_limited")
        assert events.count() == 1
        assert events.get().detail == {"scope": "login_ip"}


def test_registration_is_limited_per_address(client, world, settings):
    settings.PORTAL_RATE_LIMITS = {"register_ip": (2, 3600)}
    assert client.get("/register/").status_code == 200  # reading the form is not counted
    for _attempt in range(2):
        assert client.post("/register/", {"uscc": "x"}).status_code == 200
    assert client.post("/register/", {"uscc": "x"}).status_code == 429
    assert client.get("/register/").status_code == 200


def test_verification_checks_are_limited_but_opening_the_form_is_not(client, world, settings):
    settings.PORTAL_RATE_LIMITS = {"verify_ip": (2, 600)}
    for _attempt in range(3):
        assert client.get("/verify/").status_code == 200
    assert client.get("/verify/", {"code": "AAAA-0000-0000"}).status_code == 200
    assert client.post("/verify/", {"code": "AAAA-0000-0001"}).status_code == 200
    refused = client.get("/verify/", {"code": "AAAA-0000-0002"})
    assert refused.status_code == 429 and "请求过于频繁" in refused.content.decode()


def test_one_address_cannot_flood_a_notice_with_objections(client, world, settings, notice):
    settings.PORTAL_RATE_LIMITS = {"objection_ip_notice": (3, 86400)}
    url = f"/publicity/{notice.pk}/"
    for number in range(3):
        assert client.post(url, objection(number)).status_code == 302
    assert client.post(url, objection(99)).status_code == 429
    assert objections_on(notice) == 3
    assert client.get(url).status_code == 200  # the notice still reads


def test_many_addresses_together_cannot_flood_a_notice(client, world, settings, notice):
    settings.PORTAL_RATE_LIMITS = {"objection_notice": (4, 3600)}
    url = f"/publicity/{notice.pk}/"
    answers = [
        client.post(url, objection(number), REMOTE_ADDR=f"10.0.2.{number}").status_code
        for number in range(6)
    ]
    assert answers == [302, 302, 302, 302, 429, 429]
    assert objections_on(notice) == 4


def test_the_same_objection_twice_is_refused_as_already_received(client, world, notice):
    url = f"/publicity/{notice.pk}/"
    assert client.post(url, objection(1)).status_code == 302
    again = objection(1)
    again["text"] = "  第1条意见：请核实案例。 ".replace("：", "：  ")
    response = client.post(url, again, REMOTE_ADDR="10.0.3.1")
    assert response.status_code == 200
    assert "该异议已收到" in response.content.decode()
    assert objections_on(notice) == 1


def test_the_duplicate_check_is_in_the_service_not_only_the_view(world, notice):
    from evaluation import services

    services.objection_submit(publicity=notice, entry=None, name="甲", contact="1", text="Same")
    with pytest.raises(ValidationError):
        services.objection_submit(publicity=notice, entry=None, name="乙", contact="2", text="same")


# --- requests the portal cannot read: its own 400 page, never Django's English one ----------------
def test_too_many_fields_get_the_portals_own_400_page_in_chinese(client, world, settings):
    fields = {f"f{number}": "x" for number in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    response = client.post("/register/", fields)
    body = response.content.decode()
    assert response.status_code == 400
    assert "Bad Request" not in body and "字段过多" in body
    assert "<html" in body  # the portal's page, with its header and language switch


def test_too_large_a_body_gets_the_portals_own_400_page(client, world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post("/accounts/login/", {"username": "x" * 2000, "password": "y"})
    assert response.status_code == 400 and "内容过大" in response.content.decode()


def test_a_malformed_upload_gets_the_portals_own_400_page(client, world):
    client.force_login(world.jm_admin)
    response = client.generic(
        "POST",
        f"/bureaus/{world.jm.pk}/seal/",
        b'--broken\r\nContent-Disposition: form-data; name="seal"; filename="a.png"\r\n',
        content_type="multipart/form-data; boundary=",
    )
    assert response.status_code == 400 and "上传的内容已损坏" in response.content.decode()


def test_the_400_page_speaks_english_when_english_is_chosen(client, world, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    fields = {f"f{number}": "x" for number in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    body = client.post("/register/", fields).content.decode()
    assert "The form sent too many fields" in body


def test_a_refused_address_is_let_in_again_when_the_window_ends(client, world, settings):
    import time_machine

    settings.PORTAL_RATE_LIMITS = {"register_ip": (1, 3600)}
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        assert client.post("/register/", {"uscc": "x"}).status_code == 200
        assert client.post("/register/", {"uscc": "x"}).status_code == 429
        traveller.shift(timedelta(hours=1))
        assert client.post("/register/", {"uscc": "x"}).status_code == 200


def test_limits_come_from_the_environment_and_a_misspelt_scope_fails_the_check(settings):
    from django.core.exceptions import ImproperlyConfigured

    from portal import ratelimit
    from portal.settings import _rate_limits

    assert _rate_limits(" login_ip=5/60, verify_ip=1/1,") == {
        "login_ip": (5, 60),
        "verify_ip": (1, 1),
    }
    with pytest.raises(ImproperlyConfigured):
        _rate_limits("login_ip=5")
    settings.PORTAL_RATE_LIMITS = {"login_ip": (5, 60)}
    assert ratelimit.check_configured_scopes() == []
    settings.PORTAL_RATE_LIMITS = {"logn_ip": (5, 60)}
    assert [message.id for message in ratelimit.check_configured_scopes()] == ["portal.E101"]


def test_a_forged_host_gets_the_portals_own_400_page(client, world, settings):
    settings.ALLOWED_HOSTS = ["portal.example.gov.cn"]
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400 and "无法识别该请求" in response.content.decode()
