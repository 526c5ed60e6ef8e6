"""A stored file as a private download: the one way the portal hands out uploads and generated
files (from the local disk or the object store), after the caller's visibility check."""

from typing import Any

from django.http import FileResponse, Http404


def private_download(field: Any, *, filename: str, content_type: str) -> FileResponse:
    """Never rendered by the browser as a page, never sniffed, never cached by proxies; a missing
    file answers 404 like a missing object."""
    if not field:
        raise Http404
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response
