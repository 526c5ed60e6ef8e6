"""Two-factor login and session hygiene (issue 14, items 1 and 7; 等保 2.0 三级 身份鉴别).

Here ``client.force_login`` leaves staff sessions WITHOUT a passed second factor (the marker turns
off the conftest fixture that passes it for every other test).
"""

from datetime import timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from demo.world import DEMO_PASSWORD
from portal import two_factor
from portal.models import AuditEvent, UserSession
from portal.scoping import scopes_disabled
from tests.conftest import current_code, pass_second_factor, second_factor_device
from tests.test_url_walk import ALL_PATTERNS, OBJECT_KWARGS

pytestmark = [pytest.mark.django_db, pytest.mark.second_factor_pending]

ENROL_AND_VERIFY = {"two-factor-setup", "two-factor-verify", "logout", "set-language", "healthz"}


def events(action, **filters):
    with scopes_disabled():
        return list(AuditEvent.objects.filter(action=action, **filters).order_by("pk"))


def login(client, user):
    return client.post(
        "/accounts/login/", {"username": user.username, "password": DEMO_PASSWORD}, follow=True
    )


def walk_urls():
    """Every URL the walk of tests/test_url_walk.py knows, with any object in its kwargs (the
    second factor is checked before the object is looked up)."""
    anything = SimpleNamespace(pk=1)
    foreign = {key: anything for key in ("organization", "bureau", "draft_call")}
    for name, kwargs in ALL_PATTERNS:
        values = {}
        for kwarg in kwargs:
            try:
                values[kwarg] = OBJECT_KWARGS[kwarg](foreign)
            except KeyError:
                values[kwarg] = 1
        yield name, reverse(name, kwargs=values)


@pytest.mark.parametrize("persona", ["jm_manager", "jm_reviewer", "expert_li", "operator"])
def test_staff_without_a_second_factor_reach_no_staff_page_only_enrolment(client, world, persona):
    client.force_login(world.users[persona])
    walked = 0
    for name, url in walk_urls():
        if name.split(":")[-1] in ENROL_AND_VERIFY:
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            walked += 1
            if url.startswith("/api/"):
                assert response.status_code == 403, (method, url)
                continue
            assert response.status_code == 302, (method, url, response.status_code)
            assert response["Location"].startswith("/accounts/two-factor/setup/"), (method, url)
    assert walked > 100
    for url in ("/admin/", "/admin/portal/user/", "/admin/portal/auditevent/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/two-factor/setup/")
    assert client.get("/accounts/two-factor/setup/").status_code == 200


def test_the_api_answers_a_clear_403_to_a_session_without_the_second_factor(client, world):
    client.force_login(world.jm_manager)
    response = client.get("/api/v1/me/")
    assert response.status_code == 403
    assert "第二" in response.json()["detail"] or "验证" in response.json()["detail"]


def test_staff_enrol_by_scanning_a_qr_code_and_get_recovery_codes_once(client, world):
    login(client, world.jm_manager)
    page = client.get("/accounts/two-factor/setup/?next=/organizations/")
    body = page.content.decode()
    assert page.status_code == 200 and "<svg" in body and "<path" in body
    device = TOTPDevice.objects.get(user=world.jm_manager, confirmed=False)
    assert page.context["secret"].replace(" ", "") in device.config_url

    wrong = client.post("/accounts/two-factor/setup/", {"device": device.pk, "token": "000000"})
    assert wrong.status_code == 200 and "验证码不匹配" in wrong.content.decode()
    assert events("two_factor_enrol_failed", outcome="failure")

    response = client.post(
        "/accounts/two-factor/setup/",
        {"device": device.pk, "token": current_code(device), "next": "/organizations/"},
    )
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == settings.PORTAL_OTP_RECOVERY_CODES == len(set(codes))
    device.refresh_from_db()
    assert device.confirmed
    assert [e.actor for e in events("two_factor_enrolled")] == [world.jm_manager]
    # The session is verified now: staff pages open.
    assert client.get("/organizations/").status_code == 200


def test_with_an_authenticator_the_code_is_asked_right_after_the_password(client, world):
    device = second_factor_device(world.jm_admin)
    response = client.post(
        "/accounts/login/?next=/organizations/",
        {"username": "jm_admin", "password": DEMO_PASSWORD, "next": "/organizations/"},
        follow=True,
    )
    assert response.redirect_chain[-1][0].startswith("/accounts/two-factor/verify/")
    assert client.get("/organizations/").status_code == 302

    wrong = client.post("/accounts/two-factor/verify/", {"token": "123456"})
    assert wrong.status_code == 200 and "验证码错误" in wrong.content.decode()
    assert events("two_factor_failed", outcome="failure")

    response = client.post(
        "/accounts/two-factor/verify/", {"token": current_code(device), "next": "/organizations/"}
    )
    assert response.status_code == 302 and response["Location"] == "/organizations/"
    assert client.get("/organizations/").status_code == 200
    [event] = events("two_factor_verified")
    assert event.actor == world.jm_admin and event.detail == {"method": "totp"}


def test_a_recovery_code_works_once(client, world):
    pass_second_factor_after_login = pass_second_factor  # enrols the authenticator
    login(client, world.gz_manager)
    pass_second_factor_after_login(client, world.gz_manager)
    codes = two_factor.recovery_codes_regenerate(user=world.gz_manager)
    client.post("/accounts/logout/")

    login(client, world.gz_manager)
    response = client.post("/accounts/two-factor/verify/", {"token": codes[0].upper()})
    assert response.status_code == 302
    assert client.get("/organizations/").status_code == 200
    assert two_factor.recovery_codes_left(world.gz_manager) == len(codes) - 1
    client.post("/accounts/logout/")

    login(client, world.gz_manager)
    again = client.post("/accounts/two-factor/verify/", {"token": codes[0]})
    assert again.status_code == 200 and "已被使用" in again.content.decode()
    assert client.get("/organizations/").status_code == 302
    # django-otp throttles after a wrong code (1 s, doubling): an immediate retry waits.
    throttled = client.post("/accounts/two-factor/verify/", {"token": codes[1]})
    assert throttled.status_code == 200 and "次数过多" in throttled.content.decode()
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        assert client.post("/accounts/two-factor/verify/", {"token": codes[1]}).status_code == 302
    methods = [e.detail["method"] for e in events("two_factor_verified")]
    assert methods == ["totp", "recovery_code", "recovery_code"]


def test_regenerated_recovery_codes_replace_the_old_ones(client, world):
    login(client, world.gz_manager)
    pass_second_factor(client, world.gz_manager)
    old = two_factor.recovery_codes_regenerate(user=world.gz_manager)
    response = client.post("/accounts/two-factor/", {"action": "recovery_codes"})
    new = response.context["codes"]
    assert set(old).isdisjoint(new)
    assert not StaticToken.objects.filter(token__in=old).exists()
    assert events("recovery_codes_generated")


def test_a_remembered_browser_skips_the_code_until_the_cookie_expires(client, world):
    device = second_factor_device(world.jm_manager)
    login(client, world.jm_manager)
    response = client.post(
        "/accounts/two-factor/verify/", {"token": current_code(device), "remember": "on"}
    )
    assert response.status_code == 302
    cookie = response.cookies[two_factor.REMEMBER_COOKIE]
    assert (
        cookie["httponly"] and int(cookie["max-age"]) == settings.PORTAL_OTP_REMEMBER_DAYS * 86400
    )
    client.post("/accounts/logout/")

    # Within the period: the password is enough on this browser.
    with time_machine.travel(
        timezone.now() + timedelta(days=settings.PORTAL_OTP_REMEMBER_DAYS - 1)
    ):
        response = login(client, world.jm_manager)
        assert response.redirect_chain[-1][0] == "/"
        assert client.get("/organizations/").status_code == 200
        client.post("/accounts/logout/")
    assert events("two_factor_verified")[-1].detail == {"method": "remembered_browser"}

    # Another browser (no cookie) is asked.
    other = Client()
    assert (
        login(other, world.jm_manager)
        .redirect_chain[-1][0]
        .startswith("/accounts/two-factor/verify/")
    )

    # After the period the cookie's signature is too old: asked again.
    with time_machine.travel(
        timezone.now() + timedelta(days=settings.PORTAL_OTP_REMEMBER_DAYS + 1)
    ):
        response = login(client, world.jm_manager)
        assert response.redirect_chain[-1][0].startswith("/accounts/two-factor/verify/")


def test_a_remember_cookie_of_another_user_or_a_replaced_phone_is_worthless(client, world):
    device = second_factor_device(world.jm_manager)
    login(client, world.jm_manager)
    client.post("/accounts/two-factor/verify/", {"token": current_code(device), "remember": "on"})
    client.post("/accounts/logout/")
    # The same browser, another staff member: asked.
    second_factor_device(world.jm_admin)
    assert (
        login(client, world.jm_admin)
        .redirect_chain[-1][0]
        .startswith("/accounts/two-factor/verify/")
    )
    client.post("/accounts/logout/")
    # The phone is replaced (a new key): the old cookie no longer counts.
    TOTPDevice.objects.filter(pk=device.pk).update(key="00" * 20)
    assert (
        login(client, world.jm_manager)
        .redirect_chain[-1][0]
        .startswith("/accounts/two-factor/verify/")
    )


def test_the_django_admin_requires_the_second_factor(client, world):
    device = second_factor_device(world.operator)
    login(client, world.operator)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/verify/")
    client.post("/accounts/two-factor/verify/", {"token": current_code(device)})
    assert client.get("/admin/").status_code == 200


def test_an_operator_resets_a_second_factor_audited_and_the_users_sessions_end(client, world):
    staff = Client()
    login(staff, world.jm_manager)
    pass_second_factor(staff, world.jm_manager)
    assert staff.get("/organizations/").status_code == 200
    two_factor.recovery_codes_regenerate(user=world.jm_manager)

    login(client, world.operator)
    pass_second_factor(client, world.operator)
    response = client.post(
        "/admin/portal/user/",
        {"action": "reset_second_factor", "_selected_action": [world.jm_manager.pk]},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=world.jm_manager).exists()
    assert two_factor.recovery_codes_left(world.jm_manager) == 0
    # Their session is gone: back to the login page, and then to enrolment.
    response = staff.get("/organizations/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert (
        login(staff, world.jm_manager)
        .redirect_chain[-1][0]
        .startswith("/accounts/two-factor/setup/")
    )
    [event] = events("two_factor_reset")
    assert event.actor == world.operator and event.object_id == str(world.jm_manager.pk)
    assert event.detail["sessions_ended"] == 1


def test_only_an_operator_may_reset_a_second_factor(world):
    second_factor_device(world.jm_manager)
    with pytest.raises(PermissionDenied):
        two_factor.two_factor_reset(actor=world.jm_admin, user=world.jm_manager)
    assert TOTPDevice.objects.filter(user=world.jm_manager).exists()


def test_enterprise_users_may_enrol_and_are_then_asked_and_may_turn_it_off(client, world):
    applicant = world.pj_applicant
    login(client, applicant)
    assert client.get("/organizations/").status_code == 200  # not required of them
    page = client.get("/accounts/two-factor/").content.decode()
    assert reverse("two-factor-setup") in page
    device = two_factor.pending_authenticator(user=applicant)
    client.post("/accounts/two-factor/setup/", {"device": device.pk, "token": current_code(device)})
    client.post("/accounts/logout/")
    assert login(client, applicant).redirect_chain[-1][0].startswith("/accounts/two-factor/verify/")
    pass_second_factor(client, applicant)
    client.post("/accounts/two-factor/", {"action": "disable"})
    assert not two_factor.is_enrolled(applicant)
    assert events("two_factor_disabled")
    client.post("/accounts/logout/")
    assert login(client, applicant).redirect_chain[-1][0] == "/"


def test_staff_cannot_turn_their_second_factor_off(client, world):
    login(client, world.jm_manager)
    pass_second_factor(client, world.jm_manager)
    assert client.post("/accounts/two-factor/", {"action": "disable"}).status_code == 403
    assert two_factor.is_enrolled(world.jm_manager)


# --- session hygiene (item 7) -------------------------------------------------------------------
def test_a_user_sees_their_sessions_and_ends_another_one(client, world):
    laptop = Client(HTTP_USER_AGENT="Laptop Firefox")
    phone = Client(HTTP_USER_AGENT="Phone Safari")
    login(laptop, world.pj_applicant)
    login(phone, world.pj_applicant)
    login(client, world.jh_applicant)  # someone else's session: never listed

    page = laptop.get("/accounts/sessions/")
    body = page.content.decode()
    assert "Laptop Firefox" in body and "Phone Safari" in body and "127.0.0.1" in body
    assert len(page.context["sessions"]) == 2

    phone_session = UserSession.objects.get(user=world.pj_applicant, user_agent="Phone Safari")
    others = UserSession.objects.get(user=world.jh_applicant)
    # Another user's session answers 404, like a missing one.
    assert laptop.post("/accounts/sessions/", {"session": others.pk}).status_code == 404
    assert laptop.post("/accounts/sessions/", {"session": "x"}).status_code == 302
    assert laptop.post("/accounts/sessions/", {"session": phone_session.pk}).status_code == 302
    response = phone.get("/organizations/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert laptop.get("/organizations/").status_code == 200
    assert client.get("/organizations/").status_code == 200
    assert events("session_ended")


def test_ending_all_other_sessions_keeps_this_one(client, world):
    others = [Client(), Client()]
    for other in [client, *others]:
        login(other, world.pj_applicant)
    client.post("/accounts/sessions/", {"all": "1"})
    for other in others:
        assert other.get("/organizations/").status_code == 302
    assert client.get("/organizations/").status_code == 200
    assert UserSession.objects.filter(user=world.pj_applicant).count() == 1


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(client, world):
    other = Client()
    login(client, world.pj_applicant)
    login(other, world.pj_applicant)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": DEMO_PASSWORD,
            "new_password1": "Zq8!longer-pass",
            "new_password2": "Zq8!longer-pass",
        },
    )
    assert response.status_code == 302
    response = other.get("/organizations/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/organizations/").status_code == 200
    assert client.get("/accounts/sessions/").context["sessions"].count() == 1
    [event] = events("session_ended")
    assert event.detail == {"sessions": 1, "reason": "password_changed"}


def test_an_account_with_a_one_time_password_changes_it_first_then_enrols(client, world):
    reviewer = world.jm_reviewer
    type(reviewer).objects.filter(pk=reviewer.pk).update(must_change_password=True)
    client.force_login(reviewer)
    response = client.get("/organizations/")
    assert response.status_code == 302 and response["Location"] == "/accounts/password/"
    assert client.get("/accounts/password/").status_code == 200
    response = client.post(
        "/accounts/password/",
        {
            "old_password": DEMO_PASSWORD,
            "new_password1": "Zq8!longer-pass",
            "new_password2": "Zq8!longer-pass",
        },
    )
    assert response.status_code == 302
    response = client.get("/organizations/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/setup/")
