"""The audit chain: appending, verifying, and archiving past the retention period.

Each record stores ``prev_hash`` (the hash of the record before it, or of the last archived
record) and ``hash = H(prev_hash || canonical content)`` with the suite's hash (SHA-256 or SM3,
portal.crypto), so editing, deleting or inserting a record in the database breaks the chain at
that record and ``manage.py verify_audit_chain`` names it (GB/T 22239-2019 8.1.4.3 c).

Appends are serialized by the lock on the one ``AuditChainHead`` row (``select_for_update``): two
writers never link to the same predecessor. The lock is held until the writer's transaction ends,
so audited use cases of the whole portal commit one after another; a rolled-back transaction
takes its record and its head update with it.

The content hashed leaves out the three references (actor, bureau, organization): deleting a
user, bureau or organization sets them to NULL (the only UPDATE the PostgreSQL trigger allows),
and the record keeps who acted in ``username``, which is hashed.
"""

import calendar
import gzip
import io
import ipaddress
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from . import crypto
from .models import AuditArchive, AuditChainHead, AuditEvent

GENESIS = "0" * 64
HEAD_PK = 1


def canonical(event: AuditEvent) -> bytes:
    """The record's content as the chain hashes it: sorted JSON, UTC time to the microsecond."""
    ip = str(ipaddress.ip_address(event.ip_address)) if event.ip_address else ""
    content = {
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "username": event.username,
        "ip_address": ip,
        "action": event.action,
        "outcome": event.outcome,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "path": event.path,
        "detail": event.detail,
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def event_hash(event: AuditEvent, algorithm: str) -> str:
    return crypto.digest_hex(event.prev_hash.encode() + b"\n" + canonical(event), algorithm)


def _locked_head() -> AuditChainHead:
    for _attempt in range(2):
        try:
            return AuditChainHead.objects.select_for_update().get(pk=HEAD_PK)
        except AuditChainHead.DoesNotExist:
            try:
                with transaction.atomic():
                    AuditChainHead.objects.create(pk=HEAD_PK, last_hash=_archive_anchor())
            except IntegrityError:
                pass  # another writer created it first; lock theirs
    return AuditChainHead.objects.select_for_update().get(pk=HEAD_PK)


def _archive_anchor() -> str:
    latest = AuditArchive.objects.order_by("-last_event_id").first()
    return latest.last_hash if latest is not None else GENESIS


def append(event: AuditEvent) -> AuditEvent:
    """Link ``event`` to the chain and insert it (the only way a record is written)."""
    with transaction.atomic():
        head = _locked_head()
        event.at = timezone.now()
        event.prev_hash = head.last_hash
        event.hash_algorithm = crypto.hash_name()
        event.hash = event_hash(event, event.hash_algorithm)
        event.save(force_insert=True)
        head.last_event_id = event.pk
        head.last_hash = event.hash
        head.appended += 1
        head.save(update_fields=["last_event_id", "last_hash", "appended"])
    return event


# --- verifying ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Break:
    event_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"record {self.event_id}" if self.event_id is not None else "chain head"
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class Verification:
    checked: int
    first_break: Break | None

    @property
    def intact(self) -> bool:
        return self.first_break is None


def _unscoped_events() -> Any:
    # The chain is the portal's own bookkeeping over every tenant's records; nothing read here
    # is shown to a user, only whether and where the chain breaks.
    return AuditEvent._base_manager.order_by("pk")


def verify_chain(*, batch: int = 2000) -> Verification:
    """Walk the table from the last archive's anchor; report the first record that does not
    link (deleted or inserted before it) or does not hash (its content or hash was edited)."""
    expected_prev = _archive_anchor()
    checked = 0
    last_id: int | None = None
    for event in _unscoped_events().iterator(chunk_size=batch):
        checked += 1
        if event.prev_hash != expected_prev:
            return Verification(
                checked, Break(event.pk, "does not link to the record before it (one is missing)")
            )
        if event.hash_algorithm not in ("sha256", "sm3") or event.hash != event_hash(
            event, event.hash_algorithm
        ):
            return Verification(checked, Break(event.pk, "its content does not match its hash"))
        expected_prev = event.hash
        last_id = event.pk
    head = AuditChainHead.objects.filter(pk=HEAD_PK).first()
    if head is not None and (head.last_hash != expected_prev or head.last_event_id != last_id):
        return Verification(checked, Break(None, "records after the last one were removed"))
    return Verification(checked, None)


def verify_archive(archive: AuditArchive) -> Break | None:
    """Re-read an archive file: its digest, and the chain of the records inside it."""
    with archive.file.open("rb") as handle:
        data = handle.read()
    if crypto.digest_hex(data, archive.digest_algorithm) != archive.file_digest:
        return Break(archive.first_event_id, "the archive file was changed")
    expected_prev = archive.prev_hash
    for row in _archived_rows(data):
        event = AuditEvent(
            at=datetime.fromisoformat(row["at"]),
            **{key: row[key] for key in ARCHIVED_FIELDS if key != "at"},
        )
        if event.prev_hash != expected_prev or event.hash != event_hash(
            event, event.hash_algorithm
        ):
            return Break(row["id"], "an archived record does not verify")
        expected_prev = event.hash
    if expected_prev != archive.last_hash:
        return Break(archive.last_event_id, "the archive does not end at its anchor")
    return None


# --- retention and archive ----------------------------------------------------------------------
ARCHIVED_FIELDS = (
    "at",
    "username",
    "ip_address",
    "action",
    "outcome",
    "object_type",
    "object_id",
    "path",
    "detail",
    "prev_hash",
    "hash",
    "hash_algorithm",
    "actor_id",
    "bureau_id",
    "organization_id",
)


def retention_months() -> int:
    """The configured retention, never under the legal minimum of 6 months."""
    return max(
        int(settings.PORTAL_AUDIT_RETENTION_MONTHS),
        int(settings.PORTAL_AUDIT_RETENTION_MINIMUM_MONTHS),
    )


def retention_cutoff(now: datetime | None = None) -> datetime:
    """Records before this moment may be archived: whole calendar months back from now."""
    return months_before(now or timezone.now(), retention_months())


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (the month's last day when the
    day does not exist then: 31 August less 6 months is 28 or 29 February)."""
    years, month_index = divmod(moment.month - 1 - months, 12)
    year, month = moment.year + years, month_index + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _archived_rows(data: bytes) -> Iterator[dict[str, Any]]:
    with gzip.open(io.BytesIO(data), "rt", encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


def _row(event: AuditEvent) -> dict[str, Any]:
    row: dict[str, Any] = {"id": event.pk}
    for key in ARCHIVED_FIELDS:
        value = getattr(event, key)
        row[key] = value.astimezone(UTC).isoformat() if key == "at" else value
    return row


def _write(events: Iterable[AuditEvent]) -> bytes:
    buffer = io.BytesIO()
    # mtime=0: the same records always give the same file, so its digest is reproducible.
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as compressed:
        for event in events:
            line = json.dumps(_row(event), ensure_ascii=False, sort_keys=True) + "\n"
            compressed.write(line.encode())
    return buffer.getvalue()


def archive_expired(*, now: datetime | None = None, limit: int = 100_000) -> AuditArchive | None:
    """Move the oldest records, up to the first one still inside the retention period, into a
    gzip JSON-lines file in storage, and remove them from the table.

    Only a prefix of the chain is archived (the records are contiguous), so what stays verifies
    from the archive's ``last_hash``. The chain head is locked throughout: no append interleaves.
    """
    cutoff = retention_cutoff(now)
    with transaction.atomic():
        _locked_head()
        first_kept = _unscoped_events().filter(at__gte=cutoff).values_list("pk", flat=True).first()
        expired = _unscoped_events()
        if first_kept is not None:
            expired = expired.filter(pk__lt=first_kept)
        events = list(expired[:limit])
        if not events:
            return None
        data = _write(events)
        algorithm = crypto.hash_name()
        first, last = events[0], events[-1]
        archive = AuditArchive(
            first_event_id=first.pk,
            last_event_id=last.pk,
            event_count=len(events),
            oldest_at=min(event.at for event in events),
            newest_at=max(event.at for event in events),
            prev_hash=first.prev_hash,
            last_hash=last.hash,
            file_digest=crypto.digest_hex(data, algorithm),
            digest_algorithm=algorithm,
        )
        stamp = timezone.now().strftime("%Y%m%dT%H%M%S")
        archive.file.save(
            f"audit-{stamp}-{first.pk}-{last.pk}.jsonl.gz", ContentFile(data), save=False
        )
        archive.save()
        _delete_archived(first.pk, last.pk)
    return archive


def _delete_archived(first_id: int, last_id: int) -> None:
    # Raw SQL: the model refuses deletes in the application; this is the archive's own path,
    # run only after the rows are written to the archive file in this transaction.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The append-only trigger lets this one transaction delete (migration 0014).
            cursor.execute("SET LOCAL portal.audit_archiving = 'on'")
        cursor.execute(
            "DELETE FROM portal_auditevent WHERE id BETWEEN %s AND %s", [first_id, last_id]
        )
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL portal.audit_archiving = 'off'")
