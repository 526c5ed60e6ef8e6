"""Hashing and encryption for integrity and confidentiality, international or national by a setting.

``PORTAL_CRYPTO = "international"`` uses SHA-256 and AES-256-GCM; ``"national"`` uses SM3
(GB/T 32905-2016) and SM4-GCM (GB/T 32907-2016), as the commercial-cryptography assessment
(密评, GB/T 39786-2021) expects of a government system. Both come from the ``cryptography``
package (OpenSSL), never from hand-written primitives. Every stored value names the algorithm
that made it (an audit record's ``hash_algorithm``, a ciphertext's prefix), so switching the
setting never makes old data unreadable: old records verify and old ciphertexts decrypt with
the algorithm they were made with, new ones use the new setting.

Keys: ``PORTAL_DATA_KEYS`` maps a key id to a secret (environment ``PORTAL_DATA_KEYS`` as
``id:base64,id:base64``); ``PORTAL_DATA_KEY_ID`` names the one new values are encrypted with.
Each ciphertext carries its key id, so rotation is adding a key, switching the id, and
re-encrypting at leisure (``manage.py reencrypt_personal_data``).
"""

import base64
import hashlib
import hmac
import os
from typing import Any, Literal

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

HashName = Literal["sha256", "sm3"]
CipherName = Literal["aes256gcm", "sm4gcm"]
NONCE_BYTES = 12
TAG_BYTES = 16
TOKEN_PREFIX = "enc1"


def suite() -> str:
    value = getattr(settings, "PORTAL_CRYPTO", "international")
    if value not in ("international", "national"):
        raise ImproperlyConfigured('PORTAL_CRYPTO must be "international" or "national".')
    return str(value)


def hash_name() -> HashName:
    return "sm3" if suite() == "national" else "sha256"


def cipher_name() -> CipherName:
    return "sm4gcm" if suite() == "national" else "aes256gcm"


def _hasher(name: str) -> hashes.HashAlgorithm:
    if name == "sm3":
        return hashes.SM3()
    if name == "sha256":
        return hashes.SHA256()
    raise ValueError(f"unknown hash algorithm {name!r}")


class Digest:
    """An incremental digest with the algorithm named (for large files read in chunks)."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name or hash_name()
        self._hash = hashes.Hash(_hasher(self.name))

    def update(self, data: bytes) -> None:
        self._hash.update(data)

    def hexdigest(self) -> str:
        return self._hash.finalize().hex()


def digest_hex(data: bytes, name: str | None = None) -> str:
    """The hex digest of ``data`` with ``name`` (default: the configured suite's hash)."""
    digest = Digest(name)
    digest.update(data)
    return digest.hexdigest()


def _master_keys() -> dict[str, bytes]:
    configured: dict[str, str] = getattr(settings, "PORTAL_DATA_KEYS", {}) or {}
    keys = {key_id: base64.b64decode(secret) for key_id, secret in configured.items()}
    if not keys:
        raise ImproperlyConfigured("PORTAL_DATA_KEYS must hold at least one key.")
    return keys


def _subkey(key_id: str, purpose: str, length: int) -> bytes:
    """A key for one purpose and algorithm, derived from the master key (HKDF-SHA256), so one
    configured secret serves AES-256, SM4-128 and the lookup HMAC without reuse."""
    try:
        master = _master_keys()[key_id]
    except KeyError:
        raise ImproperlyConfigured(f"No data key with id {key_id!r} in PORTAL_DATA_KEYS.") from None
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=purpose.encode()).derive(
        master
    )


def current_key_id() -> str:
    key_id = str(getattr(settings, "PORTAL_DATA_KEY_ID", ""))
    if key_id not in _master_keys():
        raise ImproperlyConfigured("PORTAL_DATA_KEY_ID must name a key of PORTAL_DATA_KEYS.")
    return key_id


def _seal(name: str, key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    if name == "aes256gcm":
        return AESGCM(key).encrypt(nonce, plaintext, aad)
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    body = encryptor.update(plaintext) + encryptor.finalize()
    return body + encryptor.tag


def _open(name: str, key: bytes, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
    if name == "aes256gcm":
        return AESGCM(key).decrypt(nonce, sealed, aad)
    body, tag = sealed[:-TAG_BYTES], sealed[-TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(aad)
    return decryptor.update(body) + decryptor.finalize()


def _key_length(name: str) -> int:
    return 32 if name == "aes256gcm" else 16


def encrypt_text(plaintext: str, *, context: str) -> str:
    """``enc1:<cipher>:<key id>:<base64 nonce+ciphertext+tag>``; ``context`` (e.g. the column)
    is bound as associated data, so a ciphertext copied into another column does not decrypt."""
    name = cipher_name()
    key_id = current_key_id()
    key = _subkey(key_id, f"data:{name}", _key_length(name))
    nonce = os.urandom(NONCE_BYTES)
    sealed = _seal(name, key, nonce, plaintext.encode(), context.encode())
    body = base64.b64encode(nonce + sealed).decode()
    return f"{TOKEN_PREFIX}:{name}:{key_id}:{body}"


def is_encrypted(value: str) -> bool:
    return value.startswith(f"{TOKEN_PREFIX}:")


def decrypt_text(token: str, *, context: str) -> str:
    """The plaintext of a token from :func:`encrypt_text`; raises ``ValueError`` on a token that
    was changed, made for another context, or made with an unknown key."""
    try:
        prefix, name, key_id, body = token.split(":", 3)
        raw = base64.b64decode(body, validate=True)
    except ValueError as error:
        raise ValueError("not an encrypted value") from error
    if prefix != TOKEN_PREFIX or name not in ("aes256gcm", "sm4gcm"):
        raise ValueError("not an encrypted value")
    key = _subkey(key_id, f"data:{name}", _key_length(name))
    try:
        plaintext = _open(name, key, raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
    except Exception as error:  # cryptography's InvalidTag: tampered, wrong key or context
        raise ValueError("the encrypted value does not authenticate") from error
    return plaintext.decode()


def lookup_hash(value: str, *, context: str) -> str:
    """A keyed hash (HMAC with the suite's hash) of a normalised value, for exact lookups of an
    encrypted column without decrypting every row. Always made with the current key: rotating
    the key means recomputing these (``reencrypt_personal_data`` does)."""
    name = hash_name()
    key = _subkey(current_key_id(), f"lookup:{context}", 32)
    digestmod: Any = hashlib.sha256 if name == "sha256" else _sm3_for_hmac
    return hmac.new(key, value.strip().lower().encode(), digestmod).hexdigest()


def _sm3_for_hmac(data: bytes = b"") -> "_SM3Hashlib":
    return _SM3Hashlib(data)


class _SM3Hashlib:
    """SM3 in the hashlib interface the standard ``hmac`` module needs."""

    digest_size = 32
    block_size = 64
    name = "sm3"

    def __init__(self, data: bytes = b"", _state: hashes.Hash | None = None) -> None:
        self._hash = _state or hashes.Hash(hashes.SM3())
        if data:
            self._hash.update(data)

    def update(self, data: bytes) -> None:
        self._hash.update(data)

    def copy(self) -> "_SM3Hashlib":
        return _SM3Hashlib(_state=self._hash.copy())

    def digest(self) -> bytes:
        return self._hash.copy().finalize()

    def hexdigest(self) -> str:
        return self.digest().hex()
