"""Checking an uploaded file by its content, never by its name (ASVS V12).

A file is accepted only if it parses as what it claims: PDFs open in pypdf, images in Pillow,
DOCX/XLSX are ZIP packages with the right parts and no zip-bomb ratios. Anything else gets a
message in the user's language; nothing already stored is touched.
"""

import hashlib
import zipfile
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from portal.templatetags.portal_tags import join_list

KIND_LABELS = {
    "pdf": "PDF",
    "jpg": "JPG",
    "png": "PNG",
    "docx": "Word (DOCX)",
    "xlsx": "Excel (XLSX)",
}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MAX_ZIP_ENTRIES = 5000
MAX_ZIP_UNCOMPRESSED = 200 * 1024 * 1024
MAX_ZIP_RATIO = 100
MAX_IMAGE_PIXELS = 60_000_000  # a 60-megapixel scan is plenty


@dataclass(frozen=True)
class CheckedFile:
    kind: str
    size: int
    sha256: str


def check_upload(upload: IO[bytes], *, allowed: list[str], max_mb: int) -> CheckedFile:
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if size > max_mb * 1024 * 1024:
        raise ValidationError(
            _("The file is %(size).1f MB; this slot takes at most %(max)d MB.")
            % {"size": size / 1048576, "max": max_mb},
            code="too_large",
        )
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    kind = _sniff(upload, head)
    if kind not in allowed:
        raise ValidationError(
            _("This is a %(kind)s file; this slot accepts %(allowed)s.")
            % {
                "kind": KIND_LABELS.get(kind, kind),
                "allowed": join_list(KIND_LABELS[k] for k in allowed),
            },
            code="wrong_type",
        )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(chunk)
    upload.seek(0)
    return CheckedFile(kind=kind, size=size, sha256=digest.hexdigest())


def _sniff(upload: IO[bytes], head: bytes) -> str:
    if head.startswith(b"%PDF-"):
        _check_pdf(upload)
        return "pdf"
    if head.startswith(b"\xff\xd8\xff") or head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _check_image(upload)
    if head.startswith(b"PK\x03\x04"):
        return _check_office(upload)
    if head.startswith((b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe")):
        raise ValidationError(_("Programs and scripts cannot be uploaded."), code="executable")
    raise ValidationError(
        _("The file is not a PDF, JPG, PNG, DOCX or XLSX document (whatever its name says)."),
        code="unknown_type",
    )


def _check_pdf(upload: IO[bytes]) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(upload, strict=False)
        if reader.is_encrypted:
            raise ValidationError(
                _("The PDF is password-protected; upload an unprotected copy."), code="encrypted"
            )
        if len(reader.pages) < 1:
            raise PdfReadError("no pages")
    except ValidationError:
        raise
    except Exception as error:  # pypdf raises many kinds on damaged input
        raise ValidationError(
            _("The PDF is damaged or incomplete; save it again and upload the new copy."),
            code="bad_pdf",
        ) from error
    finally:
        upload.seek(0)


def _check_image(upload: IO[bytes]) -> str:
    try:
        with Image.open(upload) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise ValidationError(
                    _("The image is too large in pixels; scan at a lower resolution."),
                    code="image_pixels",
                )
            image.verify()
            kind = {"JPEG": "jpg", "PNG": "png"}.get(image.format or "")
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise ValidationError(
            _("The image is damaged or not a JPG/PNG."), code="bad_image"
        ) from error
    finally:
        upload.seek(0)
    if kind is None:
        raise ValidationError(_("The image is damaged or not a JPG/PNG."), code="bad_image")
    return kind


def _check_office(upload: IO[bytes]) -> str:
    try:
        with zipfile.ZipFile(upload) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                raise ValidationError(
                    _("The document has too many parts to be a real Office file."), code="zip_bomb"
                )
            total = sum(e.file_size for e in entries)
            packed = sum(e.compress_size for e in entries) or 1
            if total > MAX_ZIP_UNCOMPRESSED or total / packed > MAX_ZIP_RATIO:
                raise ValidationError(
                    _("The document expands to an implausible size and was refused."),
                    code="zip_bomb",
                )
            names = {e.filename for e in entries}
    except ValidationError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ValidationError(
            _("The document is damaged; save it again and upload the new copy."), code="bad_zip"
        ) from error
    finally:
        upload.seek(0)
    if "[Content_Types].xml" in names and "word/document.xml" in names:
        return "docx"
    if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
        return "xlsx"
    raise ValidationError(
        _("Only Word (DOCX) and Excel (XLSX) documents are accepted, not other archives."),
        code="zip_other",
    )
