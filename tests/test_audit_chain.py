"""The audit trail is append-only, hash-chained and retained (GB/T 22239-2019 8.1.4.3, level 3):
tampering below the application is found by the chain check; records past the retention period
move to an archive file that still verifies."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.utils import InternalError
from django.utils import timezone

from portal import audit, audit_chain, crypto
from portal.apps import check_security_settings
from portal.models import AuditArchive, AuditEvent, User
from portal.scoping import scopes_disabled

pytestmark = pytest.mark.django_db


def _events() -> list[AuditEvent]:
    return list(AuditEvent._base_manager.order_by("pk"))


def _record(action: str = "login", **kwargs) -> AuditEvent:
    return audit.record(action=action, outcome=AuditEvent.Outcome.SUCCESS, **kwargs)


def _tamper(sql: str, params: list) -> None:
    """What a database superuser could do: switch triggers off for the session and change rows."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET session_replication_role = DEFAULT")


def test_each_record_carries_the_hash_of_the_one_before():
    first = _record(username="alice", detail={"n": 1})
    second = _record(action="logout", username="alice")
    assert len(first.hash) == 64 and first.hash_algorithm == "sha256"
    assert second.prev_hash == first.hash
    assert audit_chain.verify_chain().intact


def test_the_chain_check_finds_a_record_edited_in_the_database():
    _record(username="alice")
    edited = _record(action="exported", username="bob", detail={"rows": 10})
    _record(action="logout", username="carol")
    call_command("verify_audit_chain")  # intact before
    _tamper("UPDATE portal_auditevent SET detail = %s WHERE id = %s", ['{"rows": 1}', edited.pk])
    result = audit_chain.verify_chain()
    assert not result.intact and result.first_break.event_id == edited.pk
    with pytest.raises(CommandError, match=f"record {edited.pk}: its content does not match"):
        call_command("verify_audit_chain")


def test_the_chain_check_finds_a_record_deleted_from_the_middle_or_the_end():
    _record(username="a")
    removed = _record(username="b")
    after = _record(username="c")
    _tamper("DELETE FROM portal_auditevent WHERE id = %s", [removed.pk])
    assert audit_chain.verify_chain().first_break.event_id == after.pk
    _tamper("DELETE FROM portal_auditevent WHERE id >= %s", [removed.pk])
    broken = audit_chain.verify_chain().first_break
    assert broken.event_id is None and "removed" in broken.reason


def test_the_database_refuses_to_change_or_delete_audit_records():
    event = _record(username="alice")
    for sql in (
        "UPDATE portal_auditevent SET action = 'logout' WHERE id = %s",
        "DELETE FROM portal_auditevent WHERE id = %s",
    ):
        with pytest.raises(InternalError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [event.pk])
    assert AuditEvent._base_manager.get(pk=event.pk).action == "login"


def test_the_application_refuses_to_change_or_delete_audit_records():
    event = _record(username="alice")
    event.action = "logout"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with scopes_disabled(), pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with scopes_disabled(), pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(ValueError, match="audit.record"):
        AuditEvent(action="login", outcome="success").save()


def test_deleting_a_user_keeps_their_records_and_the_chain_intact():
    user = User.objects.create_user(username="leaver", password="x")
    event = audit.record_for(user, action="account_created", actor=user)
    user.delete()
    kept = AuditEvent._base_manager.get(pk=event.pk)
    assert kept.actor_id is None and kept.username == "leaver"
    assert audit_chain.verify_chain().intact


def test_retention_keeps_the_last_6_months_and_the_archive_holds_older_ones(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PORTAL_AUDIT_RETENTION_MONTHS = 6
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=250)):
        oldest = _record(username="old-1")
    with time_machine.travel(now - timedelta(days=190)):
        older = _record(username="old-2")
    with time_machine.travel(now - timedelta(days=170)):
        recent = _record(username="within-6-months")
    newest = _record(username="today")

    call_command("archive_audit")

    assert [e.pk for e in _events()] == [recent.pk, newest.pk]
    archive = AuditArchive.objects.get()
    assert (archive.first_event_id, archive.last_event_id, archive.event_count) == (
        oldest.pk,
        older.pk,
        2,
    )
    assert archive.file.name.endswith(".jsonl.gz") and archive.last_hash == older.hash
    rows = list(audit_chain._archived_rows(archive.file.read()))
    assert [row["username"] for row in rows] == ["old-1", "old-2"]
    # What stays verifies from the archive's anchor; the archive verifies against its digest.
    assert audit_chain.verify_chain().intact
    call_command("verify_audit_chain", archives=True)
    # New records continue the chain after an archive.
    _record(username="tomorrow")
    assert audit_chain.verify_chain().intact


def test_an_archived_file_that_was_changed_is_found(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(timezone.now() - timedelta(days=3 * 365 + 40)):
        _record(username="ancient")
    archive = audit_chain.archive_expired()
    assert archive is not None
    path = tmp_path / archive.file.name
    path.write_bytes(path.read_bytes()[:-4] + b"\0\0\0\0")
    with pytest.raises(CommandError, match="archive file was changed"):
        call_command("verify_audit_chain", archives=True)


def test_retention_is_never_shorter_than_six_months(settings):
    settings.PORTAL_AUDIT_RETENTION_MONTHS = 3
    assert audit_chain.retention_months() == 6
    assert [error.id for error in check_security_settings()] == ["portal.E001"]
    settings.PORTAL_AUDIT_RETENTION_MONTHS = 36
    assert check_security_settings() == []
    now = timezone.now()
    assert audit_chain.retention_cutoff(now).year == now.year - 3
    august_31 = datetime(2026, 8, 31, 9, 30, tzinfo=UTC)
    assert audit_chain.months_before(august_31, 6) == datetime(2026, 2, 28, 9, 30, tzinfo=UTC)
    assert audit_chain.months_before(august_31, 36) == datetime(2023, 8, 31, 9, 30, tzinfo=UTC)
    assert audit_chain.months_before(august_31, 8) == datetime(2025, 12, 31, 9, 30, tzinfo=UTC)


def test_the_national_suite_chains_with_sm3_and_old_records_still_verify(settings):
    before = _record(username="alice")
    settings.PORTAL_CRYPTO = "national"
    after = _record(username="bob")
    assert (before.hash_algorithm, after.hash_algorithm) == ("sha256", "sm3")
    assert after.hash == crypto.digest_hex(
        after.prev_hash.encode() + b"\n" + audit_chain.canonical(after), "sm3"
    )
    assert audit_chain.verify_chain().intact


def test_a_request_records_who_acted_by_name(client, world):
    client.force_login(world.jm_admin)
    client.get("/audit/", {"action": "login"})
    client.post("/accounts/logout/")
    event = AuditEvent._base_manager.filter(action="logout").latest("pk")
    assert event.username == "jm_admin" and event.ip_address == "127.0.0.1"


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain():
    import threading

    from django.db import connections

    errors: list[Exception] = []

    def write(name: str) -> None:
        try:
            for number in range(15):
                with transaction.atomic():
                    _record(username=f"{name}-{number}")
        except Exception as error:  # reported below, a thread cannot fail the test itself
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(f"w{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    events = _events()
    assert len(events) == 45 and len({event.prev_hash for event in events}) == 45
    assert audit_chain.verify_chain().intact
