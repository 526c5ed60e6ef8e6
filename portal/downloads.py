"""A stored file as a private download: the one way the portal hands out uploads and generated
files (from the local disk or the object store), after the caller's visibility check."""

from typing import Any

from django.http import FileResponse, Http404

from . import audit
from .models import AuditEvent


def private_download(field: Any, *, filename: str, content_type: str) -> FileResponse:
    """Never rendered by the browser as a page, never sniffed, never cached by proxies; a missing
    file answers 404 like a missing object."""
    if not field:
        raise Http404
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    # Downloads of private files are security-relevant events (GB/T 22239-2019 8.1.4.3 a).
    instance = getattr(field, "instance", None)
    audit.record(
        action="file_downloaded",
        outcome=AuditEvent.Outcome.SUCCESS,
        object_type=instance._meta.label_lower if instance is not None else "",
        object_id=str(getattr(instance, "pk", "") or ""),
        detail={"file": filename, "field": getattr(getattr(field, "field", None), "name", "")},
    )
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response
