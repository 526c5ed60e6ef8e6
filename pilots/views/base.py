"""Helpers the pilot views share: fetching a visible enterprise, serving a private PDF."""

from typing import Any

from django.http import FileResponse, HttpRequest

from portal.downloads import private_download
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
    return private_download(field, filename=filename, content_type="application/pdf")
