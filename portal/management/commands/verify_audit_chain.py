"""Check the audit trail's hash chain and report the first broken record (exit status 1).

manage.py verify_audit_chain             # the records in the table
manage.py verify_audit_chain --archives  # and every archive file, each against its digest
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portal import audit_chain
from portal.models import AuditArchive


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; name the first record that was changed."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--archives", nargs="?", const=True, default=False, help="also re-read archive files"
        )

    def handle(self, *args: Any, archives: bool, **options: Any) -> None:
        if archives:
            previous = audit_chain.GENESIS
            for archive in AuditArchive.objects.order_by("first_event_id"):
                if archive.prev_hash != previous:
                    raise CommandError(f"archive {archive}: does not follow the archive before it")
                broken = audit_chain.verify_archive(archive)
                if broken is not None:
                    raise CommandError(f"archive {archive}: {broken}")
                previous = archive.last_hash
            self.stdout.write(f"{AuditArchive.objects.count()} archive file(s) verify.")
        result = audit_chain.verify_chain()
        if not result.intact:
            raise CommandError(
                f"The audit chain is broken at {result.first_break} "
                f"({result.checked} record(s) read)."
            )
        self.stdout.write(
            self.style.SUCCESS(f"The audit chain is intact: {result.checked} records.")
        )
