"""SM3 and SM4 (GB/T 39786-2021 密评) beside SHA-256 and AES-GCM, picked by PORTAL_CRYPTO, checked
against the standards' published test vectors."""

import hmac as std_hmac

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.core.exceptions import ImproperlyConfigured

from portal import crypto


def test_sm3_matches_the_gbt_32905_examples():
    # GB/T 32905-2016 附录 A, example 1 ("abc") and example 2 ("abcd" × 16).
    assert crypto.digest_hex(b"abc", "sm3") == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )
    assert crypto.digest_hex(b"abcd" * 16, "sm3") == (
        "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
    )


def test_sha256_matches_the_fips_180_example():
    assert crypto.digest_hex(b"abc", "sha256") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_sm4_matches_the_gbt_32907_examples():
    # GB/T 32907-2016 附录 A: key = plaintext = 0123456789abcdeffedcba9876543210.
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    block = encryptor.update(key)
    assert block.hex() == "681edf34d206965e86b3e94f536e4246"
    # Example 2: the same block encrypted 1,000,000 times.
    for _ in range(999_999):
        block = encryptor.update(block)
    assert block.hex() == "595298c7c6fd271f0402f804c33d3f66"


def test_the_setting_picks_the_suite(settings):
    settings.PORTAL_CRYPTO = "international"
    assert (crypto.hash_name(), crypto.cipher_name()) == ("sha256", "aes256gcm")
    assert crypto.digest_hex(b"abc") == crypto.digest_hex(b"abc", "sha256")
    settings.PORTAL_CRYPTO = "national"
    assert (crypto.hash_name(), crypto.cipher_name()) == ("sm3", "sm4gcm")
    assert crypto.digest_hex(b"abc") == crypto.digest_hex(b"abc", "sm3")
    settings.PORTAL_CRYPTO = "both"
    with pytest.raises(ImproperlyConfigured):
        crypto.hash_name()


@pytest.mark.parametrize("suite", ["international", "national"])
def test_encrypted_text_round_trips_and_refuses_tampering_or_another_column(settings, suite):
    settings.PORTAL_CRYPTO = suite
    token = crypto.encrypt_text("13800138000", context="portal.user.phone")
    assert crypto.is_encrypted(token) and "13800138000" not in token
    assert token.split(":")[1] == crypto.cipher_name()
    assert crypto.decrypt_text(token, context="portal.user.phone") == "13800138000"
    # Two encryptions differ (random nonce), so equal values are not visible as equal.
    assert token != crypto.encrypt_text("13800138000", context="portal.user.phone")
    with pytest.raises(ValueError):
        crypto.decrypt_text(token, context="portal.organization.contact_phone")
    flipped = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(ValueError):
        crypto.decrypt_text(flipped, context="portal.user.phone")


def test_old_ciphertexts_decrypt_after_the_suite_or_the_key_changes(settings):
    settings.PORTAL_CRYPTO = "international"
    old = crypto.encrypt_text("a@example.cn", context="c")
    settings.PORTAL_CRYPTO = "national"
    settings.PORTAL_DATA_KEYS = {
        **settings.PORTAL_DATA_KEYS,
        "k2": "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=",
    }
    settings.PORTAL_DATA_KEY_ID = "k2"
    new = crypto.encrypt_text("a@example.cn", context="c")
    assert new.split(":")[1:3] == ["sm4gcm", "k2"]
    assert crypto.decrypt_text(old, context="c") == crypto.decrypt_text(new, context="c")


def test_the_sm3_hmac_agrees_with_the_openssl_one(settings):
    key, message = b"k" * 32, b"13800138000"
    ours = std_hmac.new(key, message, crypto._sm3_for_hmac).hexdigest()
    reference = crypto_hmac.HMAC(key, hashes.SM3())
    reference.update(message)
    assert ours == reference.finalize().hex()
    settings.PORTAL_CRYPTO = "national"
    assert crypto.lookup_hash(" 13800138000", context="x") == crypto.lookup_hash(
        "13800138000", context="x"
    )
    assert crypto.lookup_hash("13800138000", context="x") != crypto.lookup_hash(
        "13800138000", context="y"
    )
