"""Move audit records older than the retention period (PORTAL_AUDIT_RETENTION_MONTHS, at least
6 calendar months) into a compressed archive file in storage; the beat runs it daily."""

from typing import Any

from django.core.management.base import BaseCommand

from portal import audit_chain


class Command(BaseCommand):
    help = "Archive audit records past the retention period into a compressed file in storage."

    def handle(self, *args: Any, **options: Any) -> None:
        cutoff = audit_chain.retention_cutoff()
        archived = 0
        while (archive := audit_chain.archive_expired()) is not None:
            archived += archive.event_count
            self.stdout.write(f"{archive.file.name}: {archive.event_count} records")
        self.stdout.write(
            f"{archived} record(s) before {cutoff:%Y-%m-%d %H:%M} archived; "
            f"retention {audit_chain.retention_months()} months."
        )
