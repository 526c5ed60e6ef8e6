"""Real Redis, real worker process with the embedded beat: the scheduled job runs.

Needs CELERY_BROKER_URL=redis://… and DATABASE_URL (PostgreSQL, so the worker process can
reach the test database); CI sets both. Elsewhere it is skipped, except under CI, where a
missing service is a failure.
"""

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings
from django.db import connection

from portal.models import WorkerHeartbeat

pytestmark = [pytest.mark.celery_live, pytest.mark.xdist_group("celery")]


def require_services():
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if broker.startswith("redis://") and os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return broker
    if os.environ.get("CI"):
        pytest.fail("CI must set CELERY_BROKER_URL=redis://… and a PostgreSQL DATABASE_URL")
    pytest.skip("needs Redis (CELERY_BROKER_URL) and PostgreSQL (DATABASE_URL)")


def test_a_real_worker_with_beat_records_heartbeats(transactional_db, tmp_path):
    broker = require_services()
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_DEFAULT_QUEUE": f"test-{uuid.uuid4().hex}",
        "PORTAL_HEARTBEAT_SECONDS": "1",
        "PORTAL_VAR_DIR": str(tmp_path),
    }
    log = open(tmp_path / "worker.log", "w+")  # noqa: SIM115 - read back on failure
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--beat",
            "--pool=solo",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
            "--schedule",
            str(tmp_path / "beat-schedule"),
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        beats = 0
        while time.monotonic() < deadline and beats == 0 and worker.poll() is None:
            time.sleep(1)
            beats = WorkerHeartbeat.objects.count()
        log.seek(0)
        assert beats >= 1, log.read()[-4000:]
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
