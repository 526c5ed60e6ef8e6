"""Real Redis, real worker processes.

Needs CELERY_BROKER_URL=redis://… and DATABASE_URL (PostgreSQL, so the workers can reach the
test database); CI sets both. Elsewhere these tests are skipped, except under CI, where a
missing service is a failure.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from portal.celery import app as celery_app
from portal.models import Deadline, Notification, Reminder, User, WorkerHeartbeat

pytestmark = [
    pytest.mark.celery_live,
    pytest.mark.xdist_group("celery"),
    # The suite runs tasks eagerly; these tests send to real workers on purpose.
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
]


def require_services():
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if broker.startswith("redis://") and os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return broker
    if os.environ.get("CI"):
        pytest.fail("CI must set CELERY_BROKER_URL=redis://… and a PostgreSQL DATABASE_URL")
    pytest.skip("needs Redis (CELERY_BROKER_URL) and PostgreSQL (DATABASE_URL)")


@contextmanager
def workers(tmp_path, count=1, beat=False, beats=0, **extra_env):
    """Start ``count`` worker processes on a queue of their own; yield (queue, processes).
    ``beat`` embeds a beat in the first worker; ``beats`` in the first ``beats`` workers (two
    beats started by mistake)."""
    beats = max(beats, 1 if beat else 0)
    broker = require_services()
    db = connection.settings_dict
    queue = f"test-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "PORTAL_VAR_DIR": str(tmp_path),
        **extra_env,
    }
    processes, logs = [], []
    for number in range(count):
        log = open(tmp_path / f"worker{number}.log", "w+")  # noqa: SIM115 - read back on failure
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool=solo",
            "-n",
            f"w{number}-{queue}@%h",
            "-Q",
            queue,
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
        ]
        if number < beats:
            command += ["--beat", "--schedule", str(tmp_path / f"beat-schedule-{number}")]
        processes.append(
            subprocess.Popen(
                command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        )
        logs.append(log)
    try:
        yield queue, processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()
        # A killed worker's session lingers until PostgreSQL notices; wait, so the test
        # database can be dropped cleanly.
        with connection.cursor() as cursor:
            for _ in range(100):
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                if cursor.fetchone()[0] == 0:
                    break
                time.sleep(0.1)


def logs_of(tmp_path):
    return "\n".join(
        (tmp_path / name).read_text()[-3000:]
        for name in os.listdir(tmp_path)
        if name.endswith(".log")
    )


def test_a_real_worker_with_beat_records_heartbeats(transactional_db, tmp_path):
    with workers(tmp_path, beat=True, PORTAL_HEARTBEAT_SECONDS="1"):
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not WorkerHeartbeat.objects.exists():
            time.sleep(1)
        assert WorkerHeartbeat.objects.exists(), logs_of(tmp_path)


def test_a_thousand_reminders_are_sent_exactly_once_even_when_a_worker_is_killed(
    transactional_db, world, tmp_path
):
    """Two workers share 1,000 due reminders; one is killed with SIGKILL mid-run. Every
    reminder ends sent, with exactly one inbox message each."""
    password = make_password(None)
    users = User.objects.bulk_create(
        [User(username=f"load{n:04d}", password=password) for n in range(1000)]
    )
    subject = ContentType.objects.get_for_model(User)
    due = Deadline.objects.create(
        kind="call_close",
        due_at=timezone.now() + timezone.timedelta(days=1),
        title="负载测试",
        subject_type=subject,
        subject_id=users[0].pk,
    )
    Reminder.objects.bulk_create(
        [
            Reminder(deadline=due, revision=1, offset=1, recipient=user, send_at=timezone.now())
            for user in users
        ]
    )
    env = {
        "PORTAL_REMINDER_THROTTLE_SECONDS": "0.004",
        "PORTAL_REMINDER_CLAIM_TIMEOUT": "3",
        "CELERY_VISIBILITY_TIMEOUT": "5",
    }
    with workers(tmp_path, count=2, **env) as (queue, processes):
        for _ in range(4):
            celery_app.send_task("portal.tasks.dispatch_reminders", queue=queue)
        killed_at = None
        stop = time.monotonic() + 120
        last_kick = time.monotonic()
        while time.monotonic() < stop:
            sent = Notification.objects.count()
            if killed_at is None and sent >= 150:
                processes[0].send_signal(signal.SIGKILL)  # mid-run, holding a claimed batch
                processes[0].wait(timeout=10)
                killed_at = sent
                killed_name = f"{socket.gethostname()}:{processes[0].pid}"
                in_flight = list(
                    Reminder.objects.filter(status="sending", claimed_by=killed_name).values_list(
                        "pk", flat=True
                    )
                )
            if sent >= 1000 and not Reminder.objects.exclude(status="sent").exists():
                break
            if time.monotonic() - last_kick > 2:  # the beat keeps dispatching
                celery_app.send_task("portal.tasks.dispatch_reminders", queue=queue)
                last_kick = time.monotonic()
            time.sleep(0.05)
        assert killed_at is not None and killed_at < 1000, (
            f"the kill came too late ({killed_at})\n{logs_of(tmp_path)}"
        )
        assert Notification.objects.count() == 1000, logs_of(tmp_path)
        assert Notification.objects.values("reminder").distinct().count() == 1000
        assert Notification.objects.values("user").distinct().count() == 1000
        assert not Reminder.objects.exclude(status="sent").exists()
        claimers = set(Reminder.objects.values_list("claimed_by", flat=True))
        assert len(claimers) == 2, claimers  # both workers delivered
        # The batch the killed worker held was taken over and delivered once.
        assert in_flight, "the killed worker held no claimed batch"
        assert set(Reminder.objects.filter(pk__in=in_flight).values_list("status", flat=True)) == {
            "sent"
        }
        assert Notification.objects.filter(reminder__in=in_flight).count() == len(in_flight)


# --- faults beside the killed worker --------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def private_redis(tmp_path):
    """A Redis of the test's own on a free port, so stopping it spares every other test."""
    port = _free_port()

    def start():
        process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    return process
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    state = {"process": start()}

    def restart(outage: float):
        state["process"].terminate()
        state["process"].wait(timeout=10)
        time.sleep(outage)
        state["process"] = start()

    try:
        yield f"redis://127.0.0.1:{port}/0", restart
    finally:
        state["process"].terminate()
        state["process"].wait(timeout=10)


def _send(broker: str, name: str, queue: str, args=()) -> bool:
    """Send a task through ``broker``; False while the broker is down (the beat would retry)."""
    from kombu import Connection

    try:
        with Connection(broker, connect_timeout=1) as conn:
            conn.ensure_connection(max_retries=1)
            celery_app.send_task(name, args=args, queue=queue, connection=conn)
        return True
    except Exception:
        return False


def _due_reminders(count: int) -> None:
    password = make_password(None)
    users = User.objects.bulk_create(
        [User(username=f"fault{n:04d}", password=password) for n in range(count)]
    )
    due = Deadline.objects.create(
        kind="call_close",
        due_at=timezone.now() + timezone.timedelta(days=1),
        title="故障测试",
        subject_type=ContentType.objects.get_for_model(User),
        subject_id=users[0].pk,
    )
    Reminder.objects.bulk_create(
        [
            Reminder(deadline=due, revision=1, offset=1, recipient=user, send_at=timezone.now())
            for user in users
        ]
    )


def test_reminders_survive_a_redis_outage_without_loss_or_repeat(transactional_db, world, tmp_path):
    """Redis stops mid-run for a minute (queued and unacknowledged messages are lost with it) and
    comes back: the beat's next ticks finish the work; every reminder is sent exactly once."""
    _due_reminders(400)
    with private_redis(tmp_path) as (broker, restart):
        env = {
            "CELERY_BROKER_URL": broker,
            "PORTAL_REMINDER_THROTTLE_SECONDS": "0.01",
            "PORTAL_REMINDER_CLAIM_TIMEOUT": "3",
            "CELERY_VISIBILITY_TIMEOUT": "5",
        }
        with workers(tmp_path, count=2, **env) as (queue, processes):
            for _ in range(2):
                assert _send(broker, "portal.tasks.send_due_reminders", queue)
            stop = time.monotonic() + 150
            while Notification.objects.count() < 60 and time.monotonic() < stop:
                time.sleep(0.05)
            restart(outage=60)  # down for a minute while workers hold claimed batches
            stop = time.monotonic() + 150
            last_kick = 0.0
            while time.monotonic() < stop:
                if (
                    Notification.objects.count() >= 400
                    and not Reminder.objects.exclude(status="sent").exists()
                ):
                    break
                if time.monotonic() - last_kick > 2:  # the beat's ticks, refused while down
                    _send(broker, "portal.tasks.send_due_reminders", queue)
                    last_kick = time.monotonic()
                time.sleep(0.1)
            assert all(p.poll() is None for p in processes), logs_of(tmp_path)
    assert Notification.objects.count() == 400, logs_of(tmp_path)
    assert Notification.objects.values("reminder").distinct().count() == 400
    assert not Reminder.objects.exclude(status="sent").exists()


def test_two_beats_started_by_mistake_send_nothing_twice(transactional_db, world, tmp_path):
    """Two beats tick planning and sending every second on two workers: each reminder once."""
    from applications.models import Application
    from portal import deadlines
    from portal.models import Membership, Organization, Role
    from portal.uscc import with_check_digit
    from tests.books import make_call

    call = make_call(world.jm)
    password = make_password(None)
    users = User.objects.bulk_create(
        [User(username=f"beat{n:04d}", password=password) for n in range(150)]
    )
    organizations = Organization.objects.bulk_create(
        [
            Organization(
                uscc=with_check_digit(f"91440703MA5B{n:05d}"),
                name=f"双节拍{n}",
                home_bureau=world.pj,
            )
            for n in range(150)
        ]
    )
    Membership.objects.bulk_create(
        [
            Membership(user=u, organization=o, role=Role.ORG_ADMIN)
            for u, o in zip(users, organizations, strict=True)
        ]
    )
    Application.objects.bulk_create(
        [
            Application(
                call=call, organization=o, home_bureau_id=o.home_bureau_id, created_by=users[0]
            )
            for o in organizations
        ]
    )
    deadlines.deadline_set(
        kind="call_close",
        subject=call,
        due_at=timezone.now() + timezone.timedelta(minutes=30),
        title=call.title,
        bureau=world.jm,
    )
    env = {"PORTAL_REMINDER_SECONDS": "1", "PORTAL_HEARTBEAT_SECONDS": "3600"}
    with workers(tmp_path, count=2, beats=2, **env):
        stop = time.monotonic() + 120
        while time.monotonic() < stop:
            if Notification.objects.filter(kind="call_close").count() >= 150:
                time.sleep(4)  # more ticks of both beats, which must add nothing
                break
            time.sleep(0.2)
        for number in range(2):  # both beats really ticked
            log = (tmp_path / f"worker{number}.log").read_text()
            assert "Sending due task plan-reminders" in log, logs_of(tmp_path)
    assert Notification.objects.filter(kind="call_close").count() == 150, logs_of(tmp_path)
    assert Reminder.objects.filter(deadline__kind="call_close", status="pending").count() == 0
    assert Notification.objects.filter(kind="call_close").values("user").distinct().count() == 150


def test_a_render_whose_worker_is_killed_is_taken_over_and_completes_once(
    transactional_db, world, leading_call, tmp_path, settings, monkeypatch
):
    """A worker dies mid-render (SIGKILL); the beat queues the stalled bundle again once the
    claim is stale, and another worker renders it to the end."""
    import hashlib

    from applications import services as application_services
    from portal import bundles
    from portal.models import DocumentBundle
    from portal.scoping import visibility_scope
    from portal.visibility import Visibility
    from tests.books import fill_book, upload
    from tests.test_documents import text_pdf

    settings.MEDIA_ROOT = tmp_path / "media"  # where the workers (PORTAL_VAR_DIR) read it
    applicant = world.jm_leader_admin
    visibility = Visibility.for_user(applicant)
    with visibility_scope(visibility):
        application = application_services.application_start(
            visibility=visibility, call=leading_call, organization=world.jm_leader, actor=applicant
        )
    fill_book(application, applicant)
    monkeypatch.setattr(bundles.render_document_bundle, "delay", lambda *args: None)
    with visibility_scope(visibility):
        for slot in ("licence", "audit_2024", "credit_report"):
            application_services.attachment_add(
                visibility=visibility,
                application=application,
                section_key="proofs",
                slot_key=slot,
                upload=upload(f"{slot}.pdf", text_pdf(tmp_path, f"{slot}.pdf", "附件", 40)),
                actor=applicant,
            )
        application_services.application_submit(
            visibility=visibility, application=application, actor=applicant
        )
    # The test reads the bundle as the portal does, across tenants; the workers act in scope.
    monkeypatch.setattr(DocumentBundle, "objects", DocumentBundle._base_manager)
    bundle = DocumentBundle.objects.get(application=application)
    assert bundle.status == "queued"
    env = {"PORTAL_JOB_CLAIM_TIMEOUT": "4", "PORTAL_RESUME_SECONDS": "1"}
    with workers(tmp_path, **env) as (queue, processes):
        celery_app.send_task("portal.tasks.render_document_bundle", args=[bundle.pk], queue=queue)
        stop = time.monotonic() + 60
        while time.monotonic() < stop:
            bundle.refresh_from_db()
            if bundle.status != "queued":
                break
            time.sleep(0.02)
        processes[0].send_signal(signal.SIGKILL)
        processes[0].wait(timeout=10)
    bundle.refresh_from_db()
    assert bundle.status == "rendering" and not bundle.file, (bundle.status, logs_of(tmp_path))
    killed_claim = bundle.claimed_at
    with workers(tmp_path, beat=True, **env):
        stop = time.monotonic() + 120
        while time.monotonic() < stop:
            bundle.refresh_from_db()
            if bundle.status in ("done", "failed"):
                break
            time.sleep(0.2)
    assert bundle.status == "done", logs_of(tmp_path)
    assert bundle.claimed_at > killed_claim and bundle.pages > 120
    content = bundle.file.read()
    assert content.startswith(b"%PDF") and hashlib.sha256(content).hexdigest() == bundle.sha256
