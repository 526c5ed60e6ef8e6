"""Login, lockout, password rules, idle timeout and the audit of each (等保 2.0 三级, ASVS L2)."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from demo.world import DEMO_PASSWORD
from portal.models import AuditEvent
from tests.conftest import pass_second_factor

pytestmark = pytest.mark.django_db


def login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def events(unscoped_action, **filters):
    from portal.scoping import scopes_disabled

    with scopes_disabled():
        return list(AuditEvent.objects.filter(action=unscoped_action, **filters).order_by("pk"))


def test_a_correct_login_lands_on_home_and_is_audited_with_ip(client, world):
    response = login(client, "jm_manager", DEMO_PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    [event] = events("login", outcome="success")
    assert event.actor == world.jm_manager
    assert event.ip_address == "127.0.0.1"
    assert event.at is not None


def test_a_wrong_password_gets_a_chinese_message_and_counts_toward_lockout(client, world):
    response = login(client, "jm_manager", "wrong-password")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()
    [event] = events("login", outcome="failure")
    assert event.username == "jm_manager" and event.actor is None


def test_the_account_locks_after_repeated_failures_even_for_the_right_password(client, world):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        login(client, "pj_manager", "wrong-password")
    response = login(client, "pj_manager", DEMO_PASSWORD)
    assert response.status_code == 403
    assert "锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert events("login_locked")
    # Another account from the same office is not locked out.
    assert login(client, "jh_manager", DEMO_PASSWORD).status_code == 302


def test_the_lock_lifts_after_the_cool_off(client, world):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        login(client, "pj_manager", "wrong-password")
    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(minutes=1)):
        assert login(client, "pj_manager", DEMO_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("Ab1!", False),  # too short
        ("abcdefgh1", False),  # two classes
        ("ABCDEFGH!", False),
        ("Zhong-guo-2025", True),  # upper, lower, digit, symbol
        ("qiye#shenbao7", True),  # lower, digit, symbol
        ("Password1", False),  # a common password
    ],
)
def test_passwords_need_eight_characters_of_three_classes(password, ok):
    if ok:
        validate_password(password)
    else:
        with pytest.raises(ValidationError):
            validate_password(password)


def test_the_session_ends_after_30_idle_minutes_and_not_while_active(client, world):
    assert login(client, "jm_manager", DEMO_PASSWORD).status_code == 302
    pass_second_factor(client, world.jm_manager)
    start = timezone.now()
    with time_machine.travel(start + timedelta(minutes=25)):
        assert client.get("/organizations/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=50)):  # 25 idle minutes since the last use
        assert client.get("/organizations/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=81)):  # 31 idle minutes
        response = client.get("/organizations/")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_forbidden_page_is_audited_as_an_access_denial(client, world):
    client.force_login(world.jm_manager)
    assert client.get("/audit/").status_code == 403
    [event] = events("access_denied")
    assert event.actor == world.jm_manager and event.path == "/audit/" and event.outcome == "denied"


def test_logout_is_a_post_and_is_audited(client, world):
    assert login(client, "jm_manager", DEMO_PASSWORD).status_code == 302
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert events("logout")
