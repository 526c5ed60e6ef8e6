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
def workers(tmp_path, count=1, beat=False, **extra_env):
    """Start ``count`` worker processes on a queue of their own; yield (queue, processes)."""
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
        if beat and number == 0:
            command += ["--beat", "--schedule", str(tmp_path / "beat-schedule")]
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
