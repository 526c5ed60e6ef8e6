"""Model fields for personal information encrypted at rest (portal.personal_data, portal.crypto)."""

from typing import Any

from django.db import models

from . import crypto


class EncryptedMixin:
    """Stored as ``enc1:…`` ciphertext (portal.crypto) in a text column; read back as plaintext.

    The column's context (``app_label.model.field``) is bound to each ciphertext. An empty value
    stays empty (whether a contact is missing is not secret). Only ``isnull`` can be queried: an
    equality filter on ciphertext would silently match nothing, so it raises instead; a lookup
    that needs equality keeps a keyed hash column beside it (``crypto.lookup_hash``).
    Old plaintext (before migration) is read as is and encrypted when next saved.
    """

    name: str
    model: Any

    @property
    def crypto_context(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def db_type(self, connection: Any) -> str | None:
        return models.TextField().db_type(connection)

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if not value or not crypto.is_encrypted(value):
            return value
        return crypto.decrypt_text(value, context=self.crypto_context)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)  # type: ignore[misc]
        if not value or crypto.is_encrypted(str(value)):
            return value
        return crypto.encrypt_text(str(value), context=self.crypto_context)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull":
            return None  # Django answers FieldError: unsupported lookup on an encrypted column
        return super().get_lookup(lookup_name)  # type: ignore[misc]

    def get_transform(self, lookup_name: str) -> Any:
        return None


class EncryptedCharField(EncryptedMixin, models.CharField):
    """A CharField whose ``max_length`` limits the plaintext, stored encrypted in a text column."""


class EncryptedEmailField(EncryptedMixin, models.EmailField):
    """An EmailField stored encrypted in a text column."""
