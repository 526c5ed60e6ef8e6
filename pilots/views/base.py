"""Helpers the pilot views share: fetching a visible enterprise, serving a private PDF."""

from typing import Any

from django.http import FileResponse, Http404, HttpRequest

from portal.visibility import visible_or_404

from ..models import (
    PilotEnterprise,
)


def _enterprise(request: HttpRequest, enterprise_pk: int) -> PilotEnterprise:
    return visible_or_404(
        PilotEnterprise.objects.select_related(
            "organization", "leading_unit__organization", "bureau"
        ),
        pk=enterprise_pk,
    )


def _private_pdf(field: Any, filename: str) -> FileResponse:
    """A stored PDF as a download that is never rendered, sniffed or cached (as attachments)."""
    if not field:
        raise Http404
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type="application/pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response
