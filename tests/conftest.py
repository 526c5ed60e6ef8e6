"""Shared fixtures: the demo world's personas (see demo/world.py) and scope helpers."""

import os
import shutil
import tempfile
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from demo.world import World, build_world
from portal.scoping import scopes_disabled, visibility_scope
from portal.visibility import Visibility


def pytest_configure(config):
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Each test process signs bundles with a portal key of its own, made on first use.
    settings.PORTAL_SIGNING_DIR = Path(tempfile.mkdtemp(prefix="portal-signing-"))
    # Tasks queued by the code under test run in place; the live tests start real workers.
    from portal.celery import app as celery_app

    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True


# --- the second factor (issue 14): staff pass it once, here, for every test ---------------------
def second_factor_device(user):
    """The user's confirmed authenticator, enrolled now if they have none (as they would at their
    first login)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return device


def current_code(device) -> str:
    """The code the person's authenticator app shows now. django-otp refuses a code twice in one
    30-second step (replay protection); a test may log the same persona in twice, so the device
    forgets its last step first."""
    from django_otp.oath import TOTP

    type(device).objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return str(totp.token()).zfill(device.digits)


def needs_second_factor(user) -> bool:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from portal import two_factor

    return two_factor.is_required(user, Visibility.for_user(user)) or (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    )


def pass_second_factor(client, user, next_url="/"):
    """Complete the second login step of a client logged in with a password, as a person would
    with their phone; returns the followed response."""
    device = second_factor_device(user)
    return client.post(
        "/accounts/two-factor/verify/",
        {"token": current_code(device), "next": next_url},
        follow=True,
    )


@pytest.fixture(autouse=True)
def second_factor_passed(request, monkeypatch):
    """``client.force_login(staff)`` gives a session that passed the second factor (a confirmed
    authenticator and django-otp's session key), as after a real login; so tests of everything
    else need not repeat the second step. Tests of the second factor itself opt out with
    ``@pytest.mark.second_factor_pending``."""
    if request.node.get_closest_marker("second_factor_pending"):
        return
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        if needs_second_factor(user):
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = second_factor_device(user).persistent_id
            session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture
def world(db) -> World:
    """Bureaus of Guangdong (Jiangmen with three counties, Guangzhou) and Jiangsu, organizations,
    and one user per persona: operator, gd_manager, jm_admin, jm_manager, jm_reviewer,
    pj_manager, jh_manager, gz_admin, gz_manager, js_manager, wj_manager, pj_applicant,
    pj_member, jm_leader_admin, jh_applicant, gz_applicant, wj_applicant, expert_li."""
    with scopes_disabled():
        return build_world()


@pytest.fixture
def as_user():
    """``with as_user(user):`` runs queries with that user's visibility, as a request would."""

    def enter(user) -> AbstractContextManager:
        return visibility_scope(Visibility.for_user(user))

    return enter


@pytest.fixture
def unscoped():
    with scopes_disabled():
        yield


@pytest.fixture
def leading_call(world):
    """A published Jiangmen call for digital leading units (000), open for 30 more days."""
    from tests.books import make_call

    return make_call(world.jm)


# --- browser tests: Debian's Chromium through Playwright ---------------------------------------
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-results"


@pytest.fixture
def browser(monkeypatch):
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium")
        pytest.skip("Debian's chromium is not installed")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM use is sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


def log_in(page, base, username):
    """Log in through the login form, as a person would, with the code from their phone when
    they use a second factor (staff always do)."""
    import re

    from demo.world import DEMO_PASSWORD
    from portal.models import User

    user = User.objects.get(username=username)
    device = second_factor_device(user) if needs_second_factor(user) else None
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label(re.compile("^密码")).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    if device is not None:
        page.wait_for_url(re.compile(r".*/accounts/two-factor/verify/.*"))
        page.get_by_label("验证码").fill(current_code(device))
        page.get_by_role("button", name="验证", exact=True).click()
    page.wait_for_url(f"{base}/")


@pytest.fixture
def leading_unit(world):
    """Jiangmen's selected leading unit (the demo candidate), as finalisation would create it."""
    from django.utils import timezone

    from pilots.models import LeadingUnit

    with scopes_disabled():
        return LeadingUnit.objects.create(
            organization=world.jm_leader,
            bureau=world.jm,
            kind="industry_chain",
            sub_industries=["五金制品及零配件"],
            selected_at=timezone.now(),
        )


@pytest.fixture
def signed_enterprise(world, leading_unit):
    """Two enterprises enrolled from a sheet; Pengjiang's (规上, 专精特新) has a signed task book."""
    from pilots.models import PilotEnterprise, TaskBook
    from tests.test_pilot_enterprises import good_rows, run, sheet

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
            budget_wan=10,
            obligations="o",
            created_by=world.jm_leader_admin,
            status="signed",
        )
        PilotEnterprise.objects.filter(pk=enterprise.pk).update(status="contracted")
        enterprise.refresh_from_db()
    return enterprise


@pytest.fixture(scope="session", autouse=True)
def stray_sessions_closed(django_db_setup, django_db_blocker):
    """Close sessions a live worker or server thread left open on the test database, so the
    database is dropped cleanly at the end (PostgreSQL refuses while anyone is connected)."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def _own_rate_limit_counters(monkeypatch):
    """Each test counts its own hits: the cache (Redis in CI) outlives a test, and the browser
    journeys log in many times from one address."""
    from uuid import uuid4

    from portal import ratelimit

    monkeypatch.setattr(ratelimit, "KEY_PREFIX", f"ratelimit-test-{uuid4().hex}")


def pytest_terminal_summary(terminalreporter):
    """How many hostile inputs the corpus tried (tests/test_hostile_input.py), summed over the
    workers: each test reports its count as a property, which xdist carries back."""
    cases = tests = 0
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) != "call":
                continue
            for name, value in getattr(report, "user_properties", ()):
                if name == "hostile_cases":
                    cases, tests = cases + int(value), tests + 1
    if tests:
        terminalreporter.write_line(
            f"hostile-input corpus: {cases} cases tried in {tests} persona runs "
            "over every URL the walk knows"
        )
