"""Generated documents as jobs: request, render (claimed, idempotent, resumable), verify.

Apps register a builder per kind. A request is idempotent: the same source (content hash, seal,
engine version) keeps the existing file and code; a changed source renders again and replaces
the file. Rendering is claimed with a conditional update, so two workers never render the same
bundle, and a claim older than ``CLAIM_TIMEOUT`` (a worker that died) is taken over.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import IO, Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .documents import Rendered, verification_code
from .models import Bureau, DocumentBundle, Organization
from .scoping import scopes_disabled, visibility_scope
from .visibility import Visibility

ENGINE_VERSION = "1"
CLAIM_TIMEOUT = timedelta(minutes=10)
Builder = Callable[[DocumentBundle, Callable[[int], None]], Rendered]
BUILDERS: dict[str, Builder] = {}


def register(kind: str, builder: Builder) -> None:
    BUILDERS[kind] = builder


def source_hash(*parts: str) -> str:
    return hashlib.sha256("|".join([ENGINE_VERSION, *parts]).encode()).hexdigest()


def bundle_request(
    *,
    kind: str,
    source: str,
    application: Any = None,
    organization: Organization | None = None,
    bureau: Bureau | None = None,
    subject_key: str = "",
) -> DocumentBundle:
    """Ask for a document; queue its rendering after commit unless it is already current."""
    if kind not in BUILDERS:
        raise LookupError(f"no builder for {kind!r}")
    # The caller checked the subject; the job row is the portal's bookkeeping, found whoever
    # asked (two parties may ask for the same document).
    with visibility_scope(Visibility.system()), transaction.atomic():
        if application is not None:
            existing = DocumentBundle.objects.filter(kind=kind, application=application)
        elif subject_key:
            existing = DocumentBundle.objects.filter(kind=kind, subject_key=subject_key)
        else:
            existing = DocumentBundle.objects.none()
        bundle = existing.select_for_update().first()
        if (
            bundle
            and bundle.source_hash == source
            and bundle.status != DocumentBundle.Status.FAILED
        ):
            return bundle
        subject_id = (
            application.pk
            if application is not None
            else int(hashlib.sha256(subject_key.encode()).hexdigest()[:8], 16)
        )
        fields = {
            "source_hash": source,
            "code": verification_code(kind, subject_id, source),
            "status": DocumentBundle.Status.QUEUED,
            "progress": 0,
            "error": "",
            "claimed_at": None,
            "organization": organization,
            "bureau": bureau,
        }
        if bundle is None:
            bundle = DocumentBundle(
                kind=kind, application=application, subject_key=subject_key, **fields
            )
            bundle.save()
        else:
            for name, value in fields.items():
                setattr(bundle, name, value)
            bundle.save()
    from .tasks import render_document_bundle

    transaction.on_commit(lambda: render_document_bundle.delay(bundle.pk))
    return bundle


def bundle_render(bundle_id: int) -> bool:
    """Render a queued bundle if this worker can claim it. Returns whether it rendered."""
    now = timezone.now()
    # The worker renders a job it claimed, for whoever asked; downloads go through visible_or_404.
    with visibility_scope(Visibility.system()):
        claimed = (
            DocumentBundle.objects.filter(pk=bundle_id)
            .filter(
                Q(status=DocumentBundle.Status.QUEUED)
                | Q(status=DocumentBundle.Status.RENDERING, claimed_at__lt=now - CLAIM_TIMEOUT)
            )
            .update(status=DocumentBundle.Status.RENDERING, claimed_at=now, progress=5)
        )
        if not claimed:
            return False
        bundle = DocumentBundle.objects.get(pk=bundle_id)
        claimed_source = bundle.source_hash

        def progress(percent: int) -> None:
            DocumentBundle.objects.filter(pk=bundle_id, source_hash=claimed_source).update(
                progress=min(percent, 99)
            )

        try:
            rendered = BUILDERS[bundle.kind](bundle, progress)
        except Exception as error:
            DocumentBundle.objects.filter(pk=bundle_id, source_hash=claimed_source).update(
                status=DocumentBundle.Status.FAILED, error=str(error)[:2000]
            )
            raise
        with transaction.atomic():
            bundle = DocumentBundle.objects.select_for_update().get(pk=bundle_id)
            if bundle.source_hash != claimed_source:
                return False  # the source changed while rendering: the newer request renders it
            old = bundle.file.name if bundle.file else ""
            bundle.file.save(f"{bundle.kind}.pdf", ContentFile(rendered.pdf), save=False)
            bundle.sha256 = hashlib.sha256(rendered.pdf).hexdigest()
            bundle.pages, bundle.status, bundle.progress, bundle.rendered_at = (
                rendered.pages,
                DocumentBundle.Status.DONE,
                100,
                timezone.now(),
            )
            bundle.save()
            if old:
                storage = bundle.file.storage
                transaction.on_commit(lambda: storage.delete(old))
    return True


@dataclass(frozen=True)
class Verification:
    found: bool
    kind: str = ""
    rendered_at: Any = None
    pages: int = 0
    matches: bool | None = None  # None when no file was given


def normalise_code(value: str) -> str:
    letters = "".join(ch for ch in (value or "").upper() if ch.isalnum())[:12]
    return "-".join(letters[i : i + 4] for i in range(0, len(letters), 4))


def bundle_verify(code: str, upload: IO[bytes] | None = None) -> Verification:
    """What the public may learn from a code: whether it exists, when and how long; and whether
    a given file is exactly that document. Never the content or the applicant."""
    # The public verify page looks across every tenant by design; it returns no content.
    with scopes_disabled():
        bundle = DocumentBundle.objects.filter(
            code=normalise_code(code), status=DocumentBundle.Status.DONE
        ).first()
    if bundle is None:
        return Verification(found=False)
    matches = None
    if upload is not None:
        digest = hashlib.sha256()
        for chunk in iter(lambda: upload.read(1 << 20), b""):
            digest.update(chunk)
        matches = digest.hexdigest() == bundle.sha256
    return Verification(
        found=True,
        kind=bundle.kind,
        rendered_at=bundle.rendered_at,
        pages=bundle.pages,
        matches=matches,
    )
