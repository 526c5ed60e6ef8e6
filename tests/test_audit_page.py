"""The audit page speaks the user's language and filters by action, user and date."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from portal import audit

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
LITERAL = re.compile(r'action="([a-z_]+)"|_audit\(\s*"([a-z_]+)"')
# Management commands' options name argparse actions the same way (add_argument(action=…)).
ARGPARSE_ACTIONS = {"store", "store_true", "store_false", "store_const", "append", "count"}


def test_every_audited_action_has_a_label():
    used = set()
    for app in ("portal", "applications", "pilots", "evaluation"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for match in LITERAL.finditer(path.read_text(encoding="utf-8")):
                used.add(match.group(1) or match.group(2))
    assert used and sorted(used - ARGPARSE_ACTIONS - set(audit.ACTION_LABELS)) == []


def test_the_page_shows_translated_actions_and_filters_by_action_user_and_date(client, world):
    with time_machine.travel(timezone.now() - timedelta(days=10)):
        audit.record(
            action="call_published", outcome="success", actor_id=world.jm_admin.pk, bureau=world.jm
        )
    audit.record(
        action="call_created", outcome="success", actor_id=world.jm_manager.pk, bureau=world.jm
    )
    client.force_login(world.jm_admin)
    page = client.get("/audit/").content.decode()
    assert '<option value="call_published"' in page
    assert "<td>call_created</td>" not in page and "<td>创建申报通知</td>" in page
    only = client.get("/audit/", {"action": "call_created"}).content.decode()
    assert "<td>创建申报通知</td>" in only and "<td>发布申报通知</td>" not in only
    by_user = client.get("/audit/", {"user": "jm_manager"}).content.decode()
    assert "<td>创建申报通知</td>" in by_user and "<td>发布申报通知</td>" not in by_user
    since = (timezone.localdate() - timedelta(days=2)).isoformat()
    recent = client.get("/audit/", {"since": since}).content.decode()
    assert "<td>发布申报通知</td>" not in recent
    # Nonsense filters are ignored, never a 500.
    assert client.get("/audit/", {"since": "2026-13-45", "action": "<x>"}).status_code == 200
