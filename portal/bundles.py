"""Generated documents as jobs: request, render (claimed, idempotent, resumable), verify.

Apps register each kind with its builder and the model of its subject (what the document is
of). A bundle points at its subject by content type and id, and whoever may see the subject may
see the document (``portal.visibility``), unless the kind is registered as staff-only. A request
is idempotent: the same source (content hash, seal, engine version) keeps the existing file and
code; a changed source renders again and replaces the file. Rendering is claimed with a
conditional update, so two workers never render the same bundle, and a claim older than
``PORTAL_JOB_CLAIM_TIMEOUT`` seconds (a worker that died) is taken over: the beat's
:func:`bundles_resume` queues it again, as it does a bundle whose message a broker outage lost.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import IO, Any

from celery import shared_task
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from . import crypto, pdf_fonts, signing, storage, visibility
from .documents import Rendered, verification_code
from .models import Bureau, DocumentBundle, Organization
from .scoping import scopes_disabled, visibility_scope
from .visibility import Visibility

ENGINE_VERSION = "1"


def claim_timeout() -> timedelta:
    return timedelta(seconds=settings.PORTAL_JOB_CLAIM_TIMEOUT)


Builder = Callable[[DocumentBundle, Callable[[int], None]], Rendered]


@dataclass(frozen=True)
class Kind:
    builder: Builder
    subject: type[models.Model]
    # The bureau's working papers (a ranking with every expert's sheet; a notice's print copy,
    # which may predate an edit): only staff over the bundle's bureau see them, even where the
    # subject is visible to more people (experts see their round, everyone a public notice).
    staff_only: bool = False


KINDS: dict[str, Kind] = {}


def register(
    kind: str, builder: Builder, *, subject: type[models.Model], staff_only: bool = False
) -> None:
    """Called from an app's ``AppConfig.ready()``: documents of ``kind`` are of a ``subject``."""
    KINDS[kind] = Kind(builder=builder, subject=subject, staff_only=staff_only)


def document_bundle_q(v: Visibility) -> Q:
    """A document is visible with its subject: for each model that documents are registered
    about (``portal.bundles.KINDS``), the subjects that model's own rules show. Rules and kinds
    are looked up now, so rules registered later count. Staff-only kinds are narrowed further to
    staff over the bundle's bureau."""
    subjects = Q(pk__in=[])
    for model in sorted({k.subject for k in KINDS.values()}, key=lambda m: m._meta.label):
        # The subject model's own rules, as a subquery of ids on its base manager (never
        # returned to anyone), like the other subqueries inside rules.
        visible = model._base_manager.filter(visibility.rule_q(model, v)).values("pk")
        # The content type by its natural key, joined: no lookup query before the rule runs.
        subjects |= Q(
            subject_type__app_label=model._meta.app_label,
            subject_type__model=model._meta.model_name,
            subject_id__in=visible,
        )
    staff_only = sorted(kind for kind, k in KINDS.items() if k.staff_only)
    return subjects & (~Q(kind__in=staff_only) | Q(bureau_id__in=v.staff_bureau_ids))


visibility.register(DocumentBundle, document_bundle_q)


def source_hash(*parts: str) -> str:
    return hashlib.sha256("|".join([ENGINE_VERSION, *parts]).encode()).hexdigest()


def bundle_request(
    *,
    kind: str,
    subject: models.Model,
    source: str,
    organization: Organization | None = None,
    bureau: Bureau | None = None,
) -> DocumentBundle:
    """Ask for the document of ``kind`` about ``subject``; queue its rendering after commit
    unless it is already current."""
    spec = KINDS.get(kind)
    if spec is None:
        raise LookupError(f"no builder for {kind!r}")
    if not isinstance(subject, spec.subject) or subject.pk is None:
        raise TypeError(f"a {kind!r} document is of a saved {spec.subject.__name__}")
    if spec.staff_only and bureau is None:
        raise ValueError(f"a {kind!r} document is for the staff of a bureau: name the bureau")
    subject_type = ContentType.objects.get_for_model(subject)
    # The caller checked the subject; the job row is the portal's bookkeeping, found whoever
    # asked (two parties may ask for the same document).
    with visibility_scope(Visibility.system()), transaction.atomic():
        bundle = (
            DocumentBundle.objects.filter(
                kind=kind, subject_type=subject_type, subject_id=subject.pk
            )
            .select_for_update()
            .first()
        )
        if (
            bundle
            and bundle.source_hash == source
            and bundle.status != DocumentBundle.Status.FAILED
        ):
            return bundle
        # The code names the subject by its content type's natural key (not its id, which
        # differs between databases), e.g. "pilots.pilotenterprise".
        type_label = ".".join(subject_type.natural_key())
        fields = {
            "source_hash": source,
            "code": verification_code(kind, type_label, subject.pk, source),
            "status": DocumentBundle.Status.QUEUED,
            "progress": 0,
            "error": "",
            "unprintable": "",
            "claimed_at": None,
            "organization": organization,
            "bureau": bureau,
        }
        if bundle is None:
            bundle = DocumentBundle(
                kind=kind, subject_type=subject_type, subject_id=subject.pk, **fields
            )
            bundle.save()
        else:
            for name, value in fields.items():
                setattr(bundle, name, value)
            bundle.save()
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
                | Q(status=DocumentBundle.Status.RENDERING, claimed_at__lt=now - claim_timeout())
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
            with storage.scratch():  # stored files the builder fetches live as long as the render
                rendered = KINDS[bundle.kind].builder(bundle, progress)
            rendered = _signed(rendered, bundle)
        except pdf_fonts.MissingGlyphs as error:
            # The people who asked are told which characters (bundle_status.html); no retry helps.
            DocumentBundle.objects.filter(pk=bundle_id, source_hash=claimed_source).update(
                status=DocumentBundle.Status.FAILED,
                error=str(error)[:2000],
                unprintable="".join(error.characters)[:100],
            )
            return False
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
            # SHA-256 or SM3 by PORTAL_CRYPTO (GB/T 39786-2021); the column keeps its name.
            bundle.sha256 = crypto.digest_hex(rendered.pdf)
            bundle.pages, bundle.status, bundle.progress, bundle.rendered_at = (
                rendered.pages,
                DocumentBundle.Status.DONE,
                100,
                timezone.now(),
            )
            bundle.save()
            if old:
                files = bundle.file.storage
                transaction.on_commit(lambda: files.delete(old))
    return True


def _signed(rendered: Rendered, bundle: DocumentBundle) -> Rendered:
    """Sign the stamped, numbered file as the last step (issue 16): with the key of the
    bundle's organization or bureau when one is configured, else the portal's."""
    signer = signing.signer_name(organization=bundle.organization, bureau=bundle.bureau)
    return replace(rendered, pdf=signing.sign_pdf(rendered.pdf, signer=signer, reason=bundle.code))


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
        # Either suite's digest: a document stamped before the setting changed still verifies.
        digests = [crypto.Digest("sha256"), crypto.Digest("sm3")]
        for chunk in iter(lambda: upload.read(1 << 20), b""):
            for digest in digests:
                digest.update(chunk)
        matches = bundle.sha256 in {digest.hexdigest() for digest in digests}
    return Verification(
        found=True,
        kind=bundle.kind,
        rendered_at=bundle.rendered_at,
        pages=bundle.pages,
        matches=matches,
    )


def bundles_resume(now: Any = None) -> int:
    """Queue again the bundles nobody is rendering: a dead worker's claim, or a queued bundle
    older than the claim timeout (its message was lost). Returns how many were queued."""
    now = now or timezone.now()
    stale = now - claim_timeout()
    # The beat looks across tenants for stalled renders; it only re-queues them by id.
    with visibility_scope(Visibility.system()):
        ids = list(
            DocumentBundle.objects.filter(
                Q(status=DocumentBundle.Status.QUEUED, created_at__lt=stale)
                | Q(status=DocumentBundle.Status.RENDERING, claimed_at__lt=stale)
            ).values_list("pk", flat=True)[:500]
        )
    for bundle_id in ids:
        render_document_bundle.delay(bundle_id)
    return len(ids)


@shared_task(
    name="portal.tasks.render_document_bundle",
    ignore_result=True,
    acks_late=True,
    time_limit=30 * 60,
    soft_time_limit=29 * 60,
)
def render_document_bundle(bundle_id: int) -> bool:
    """Render a generated document; safe to run twice (the render is claimed)."""
    return bundle_render(bundle_id)
