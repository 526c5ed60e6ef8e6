"""The digital signature on every stamped bundle (PAdES, with pyHanko), and its check.

A bundle is signed as the last step, after stamping and numbering, so any PDF reader shows whether
the file changed afterwards. The key is the issuing organization's when one is configured, else
the bureau's, else the portal's own. Keys live in ``settings.PORTAL_SIGNING_DIR`` as
``<signer>.key.pem`` + ``<signer>.cert.pem``, the signer being
``organization-<unified social credit code>``, ``bureau-<division code>`` or ``portal``; the
portal's key and self-signed certificate are made on first use (or by ``manage.py
signing_key``). Every certificate in that folder, and every ``*.ca.pem`` there (the authority a
bureau's certificate comes from), is trusted when an uploaded file is checked.
"""

import asyncio
import concurrent.futures
import io
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, TypeVar

from django.conf import settings

T = TypeVar("T")

logger = logging.getLogger(__name__)

PORTAL_SIGNER = "portal"
FIELD_NAME = "PortalSignature"


@dataclass(frozen=True)
class SignatureCheck:
    """What the signature of a file says. ``valid``: signed, unchanged since, by a trusted key."""

    signed: bool
    intact: bool = False
    trusted: bool = False
    whole_file: bool = False
    signer: str = ""
    signed_at: datetime | None = None

    @property
    def valid(self) -> bool:
        return self.signed and self.intact and self.trusted and self.whole_file


def signing_dir() -> Path:
    return Path(settings.PORTAL_SIGNING_DIR)


def signer_name(*, organization: Any = None, bureau: Any = None) -> str:
    """The key a bundle is signed with: its organization's, its bureau's, or the portal's."""
    folder = signing_dir()
    candidates = []
    if organization is not None:
        candidates.append(f"organization-{organization.uscc}")
    if bureau is not None:
        candidates.append(f"bureau-{bureau.division_code}")
    for name in candidates:
        if (folder / f"{name}.key.pem").is_file() and (folder / f"{name}.cert.pem").is_file():
            return name
    return PORTAL_SIGNER


def make_key(
    name: str = PORTAL_SIGNER,
    *,
    common_name: str = "SME Digital Transformation Pilot Portal",
    folder: Path | None = None,
    years: int = 10,
) -> tuple[Path, Path]:
    """Write a new RSA key and a self-signed signing certificate for ``name``; return both paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder = folder or signing_dir()
    folder.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / f"{name}.key.pem", folder / f"{name}.cert.pem"
    # The key is readable by the portal's user only.
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    # Written last and whole (renamed into place): a certificate on disk means a complete pair.
    partial = folder / f".{name}.cert.pem.partial"
    partial.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    os.replace(partial, cert_path)
    return key_path, cert_path


def _make_portal_key(folder: Path) -> None:
    """Make the portal's key once, even when several workers sign their first bundle at once."""
    import fcntl

    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".portal.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / f"{PORTAL_SIGNER}.cert.pem").is_file():
            logger.info("making the portal's signing key in %s", folder)
            make_key(PORTAL_SIGNER, folder=folder)


def _signer(name: str) -> Any:
    from pyhanko.sign import signers

    folder = signing_dir()
    key_path, cert_path = folder / f"{name}.key.pem", folder / f"{name}.cert.pem"
    if name == PORTAL_SIGNER and not cert_path.is_file():
        _make_portal_key(folder)
    signer = signers.SimpleSigner.load(str(key_path), str(cert_path))
    if signer is None:
        raise RuntimeError(f"the signing key {name!r} in {folder} cannot be loaded")
    return signer


def _outside_event_loop(call: Callable[..., T], *args: Any) -> T:
    """Run ``call`` where ``asyncio.run()`` may run: pyHanko's blocking API starts an event loop,
    which Python refuses inside a thread already running one (an async server's, or a test's
    browser driver), so there it runs in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call(*args)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call, *args).result()


def sign_pdf(pdf: bytes, *, signer: str = PORTAL_SIGNER, reason: str = "") -> bytes:
    """Sign ``pdf`` (PAdES baseline B, a certification signature allowing no change)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        reason=reason or None,
    )
    out = _outside_event_loop(lambda: signers.sign_pdf(writer, metadata, signer=_signer(signer)))
    return bytes(out.getvalue())


def trust_roots(folder: Path | None = None) -> list[Any]:
    from pyhanko.keys import load_cert_from_pemder

    folder = folder or signing_dir()
    paths = sorted({*folder.glob("*.cert.pem"), *folder.glob("*.ca.pem")})
    return [load_cert_from_pemder(str(path)) for path in paths]


def check_signature(data: IO[bytes] | bytes) -> SignatureCheck:
    """Check the last signature of ``data``: intact, made by a trusted key, covering the file."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        stream = io.BytesIO(data) if isinstance(data, bytes) else data
        reader = PdfFileReader(stream, strict=False)
        signatures = reader.embedded_signatures
    except Exception:  # an uploaded file: the parser raises many kinds on damaged input
        logger.info("an uploaded file does not parse as a PDF", exc_info=True)
        return SignatureCheck(signed=False)
    if not signatures:
        return SignatureCheck(signed=False)
    signature = signatures[-1]
    context = ValidationContext(trust_roots=trust_roots(), allow_fetching=False)
    try:
        status = _outside_event_loop(validate_pdf_signature, signature, context)
    except Exception:  # a damaged signature dictionary or CMS blob is a failed check, not a 500
        logger.info("an uploaded file's signature cannot be validated", exc_info=True)
        return SignatureCheck(signed=True)
    certificate = status.signing_cert
    return SignatureCheck(
        signed=True,
        intact=bool(status.intact and status.valid),
        trusted=bool(status.trusted),
        whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        signer=_common_name(certificate),
        signed_at=status.signer_reported_dt,
    )


def _common_name(certificate: Any) -> str:
    if certificate is None:
        return ""
    names = certificate.subject.native
    return str(names.get("common_name") or certificate.subject.human_friendly)
