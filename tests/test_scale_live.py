"""The scaled-out shape, live: two web processes (gunicorn) and two workers, each with a local
disk of its own, against one PostgreSQL, one Redis and one S3-compatible object store. A bundle
requested through one web process is rendered by a worker and downloaded through the other;
reminders are sent once."""

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack, contextmanager

import pytest
import requests
from django.conf import settings
from django.db import connection

from demo.world import DEMO_PASSWORD
from portal.models import DocumentBundle, Notification, Reminder
from tests.test_celery_live import _due_reminders, _free_port, logs_of, require_services
from tests.test_object_storage import BUCKET, object_store  # noqa: F401 - the fixture

pytestmark = [
    pytest.mark.celery_live,
    pytest.mark.xdist_group("celery"),
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
]


@contextmanager
def _process(command, env, log_path):
    log = open(log_path, "w+")  # noqa: SIM115 - read back on failure
    process = subprocess.Popen(
        command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


def _wait_for_http(url: str, seconds: float = 60) -> None:
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        try:
            if requests.get(url, timeout=10).status_code < 500:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


def _log_in(base: str, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=10,
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text[:500]
    from portal.models import User
    from tests.conftest import current_code, needs_second_factor, second_factor_device

    user = User.objects.get(username=username)
    if needs_second_factor(user):  # staff then type the code from their phone (issue 14)
        verify = f"{base}/accounts/two-factor/verify/"
        page = session.get(verify, timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        answer = session.post(
            verify,
            data={
                "token": current_code(second_factor_device(user)),
                "csrfmiddlewaretoken": token,
            },
            headers={"Referer": verify},
            timeout=10,
            allow_redirects=False,
        )
        assert answer.status_code == 302, answer.text[:500]
    return session


def _post(session: requests.Session, base: str, path: str) -> requests.Response:
    page = session.get(f"{base}{path.rsplit('pdf/', 1)[0]}", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.post(
        f"{base}{path}",
        data={"csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}{path}"},
        timeout=10,
        allow_redirects=False,
    )


def test_two_web_nodes_and_two_workers_share_one_database_broker_and_object_store(
    transactional_db,
    world,
    leading_call,
    object_store,  # noqa: F811 - the imported fixture
    tmp_path,
    monkeypatch,
):
    from applications import services as application_services
    from portal import bundles
    from portal.scoping import visibility_scope
    from portal.visibility import Visibility
    from tests.books import fill_book

    broker = require_services()
    endpoint = settings.STORAGES["default"]["OPTIONS"]["endpoint_url"]
    applicant = world.jm_leader_admin
    visibility = Visibility.for_user(applicant)
    with visibility_scope(visibility):
        application = application_services.application_start(
            visibility=visibility, call=leading_call, organization=world.jm_leader, actor=applicant
        )
    fill_book(application, applicant)
    monkeypatch.setattr(bundles.render_document_bundle, "delay", lambda *args: None)
    with visibility_scope(visibility):
        application_services.application_submit(
            visibility=visibility, application=application, actor=applicant
        )
    # The submission's own request is left out, so the PDF is asked for through web A below.
    DocumentBundle._base_manager.filter(application=application).delete()
    _due_reminders(200)
    # The web processes run the production hashers (the suite's fast MD5 is for tests only).
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    from portal.models import User

    for user in User.objects.filter(username__in=["jm_leader_admin", "gz_manager"]):
        user.password = PBKDF2PasswordHasher().encode(DEMO_PASSWORD, "scale", iterations=1000)
        user.save(update_fields=["password"])

    db = connection.settings_dict
    queue = f"scale-{uuid.uuid4().hex}"
    common = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "PORTAL_S3_BUCKET": BUCKET,
        "PORTAL_S3_ENDPOINT_URL": endpoint,
        "PORTAL_S3_ACCESS_KEY": "portal",
        "PORTAL_S3_SECRET_KEY": "portal-secret",
    }
    ports = [_free_port(), _free_port()]
    with ExitStack() as stack:
        nodes = []
        for number, port in enumerate(ports):
            env = {**common, "PORTAL_VAR_DIR": str(tmp_path / f"web{number}")}  # own local disk
            command = [sys.executable, "-m", "gunicorn", "portal.wsgi", "-b", f"127.0.0.1:{port}"]
            nodes.append(stack.enter_context(_process(command, env, tmp_path / f"web{number}.log")))
        for number in range(2):
            env = {**common, "PORTAL_VAR_DIR": str(tmp_path / f"worker{number}-disk")}
            command = [
                sys.executable,
                *("-m", "celery", "-A", "portal", "worker", "--pool=solo", "-Q", queue),
                *("-n", f"scale{number}-{queue}@%h", "--without-mingle", "--without-gossip"),
            ]
            nodes.append(
                stack.enter_context(_process(command, env, tmp_path / f"worker{number}.log"))
            )
        web_a, web_b = (f"http://127.0.0.1:{port}" for port in ports)
        for base in (web_a, web_b):
            _wait_for_http(f"{base}/healthz")

        # Through web A: the applicant asks for the stamped PDF; a worker renders it.
        session_a = _log_in(web_a, "jm_leader_admin")
        answer = _post(session_a, web_a, f"/applications/{application.pk}/pdf/")
        assert answer.status_code == 302, answer.text[:500]
        bundle = DocumentBundle._base_manager.get(application=application)
        stop = time.monotonic() + 120
        while bundle.status not in ("done", "failed") and time.monotonic() < stop:
            time.sleep(0.3)
            bundle.refresh_from_db()
        assert bundle.status == "done", logs_of(tmp_path)

        # Through web B, which never saw the request: the same file, from the store.
        session_b = _log_in(web_b, "jm_leader_admin")
        download = session_b.get(f"{web_b}/documents/{bundle.pk}/", timeout=30)
        assert download.status_code == 200, logs_of(tmp_path)
        stored = object_store.get_object(Bucket=BUCKET, Key=bundle.file.name)["Body"].read()
        assert download.content == stored and stored.startswith(b"%PDF")
        stranger = _log_in(web_b, "gz_manager")
        assert stranger.get(f"{web_b}/documents/{bundle.pk}/", timeout=10).status_code == 404

        # Both workers send the due reminders, each exactly once.
        from portal.celery import app as celery_app

        stop = time.monotonic() + 120
        last_kick = 0.0
        while time.monotonic() < stop:
            if not Reminder.objects.exclude(status="sent").exists():
                break
            if time.monotonic() - last_kick > 2:
                for _ in range(2):
                    celery_app.send_task("portal.tasks.send_due_reminders", queue=queue)
                last_kick = time.monotonic()
            time.sleep(0.2)
        assert all(node.poll() is None for node in nodes), logs_of(tmp_path)
    assert Notification.objects.filter(reminder__isnull=False).count() == 200, logs_of(tmp_path)
    assert Notification.objects.values("reminder").distinct().count() >= 200
    assert not Reminder.objects.exclude(status="sent").exists()
