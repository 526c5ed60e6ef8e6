"""Re-encrypt every encrypted column with the current key and suite (after adding a key to
PORTAL_DATA_KEYS and switching PORTAL_DATA_KEY_ID or PORTAL_CRYPTO), and recompute the keyed
hashes users are found by. Old values stay readable until then: each names its key."""

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from portal.fields import EncryptedMixin
from portal.models import User, phone_lookup_hash


class Command(BaseCommand):
    help = "Re-encrypt personal data with the current key and recompute lookup hashes."

    def handle(self, *args: Any, **options: Any) -> None:
        for model in apps.get_models():
            names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedMixin)]
            if not names:
                continue
            # Key rotation is the portal's own maintenance over every tenant's rows; values are
            # read and written back, never shown.
            rows = model._base_manager.only("pk", *names)
            changed = 0
            for row in rows.iterator(chunk_size=500):
                values = {name: getattr(row, name) for name in names}
                if model is User:
                    values["phone_lookup"] = phone_lookup_hash(row.phone) if row.phone else ""
                # The same row written back re-encrypted, as the portal.
                with transaction.atomic():
                    model._base_manager.filter(pk=row.pk).update(**values)
                changed += 1
            self.stdout.write(f"{model._meta.label}: {changed} row(s) re-encrypted")
