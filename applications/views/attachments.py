"""Upload, download and delete a book's attachments."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.downloads import private_download
from portal.params import text_param
from portal.uploads import CONTENT_TYPES
from portal.visibility import visible_or_404

from .. import services
from ..models import (
    Attachment,
)
from .base import _load


@login_required
@require_POST
def attachment_upload(request: HttpRequest, application_pk: int) -> HttpResponse:
    application = _load(request, application_pk)
    section_key = text_param(request.POST, "section", 64)
    slot_key = text_param(request.POST, "slot", 100)
    upload = request.FILES.get("file")
    back = redirect(
        "application-section", application_pk=application.pk, section_key=section_key or "proofs"
    )
    if upload is None:
        messages.error(request, _("Choose a file to upload."))
        return back
    try:
        services.attachment_add(
            visibility=request.visibility.resolve(),
            application=application,
            section_key=section_key,
            slot_key=slot_key,
            upload=upload,
            actor=request.user,
        )
    except ValidationError as error:
        messages.error(
            request,
            _("“%(name)s” was not accepted: %(reason)s")
            % {"name": upload.name[:100], "reason": " ".join(error.messages)},
        )
    else:
        messages.success(request, _("“%(name)s” is uploaded.") % {"name": upload.name[:100]})
    return back


@login_required
def attachment_download(
    request: HttpRequest, application_pk: int, attachment_pk: int
) -> HttpResponse:
    application = _load(request, application_pk)
    attachment = visible_or_404(
        Attachment.objects.filter(application=application), pk=attachment_pk
    )
    return private_download(
        attachment.file,
        filename=attachment.original_name,
        content_type=CONTENT_TYPES[attachment.kind],
    )


@login_required
@require_POST
def attachment_delete(
    request: HttpRequest, application_pk: int, attachment_pk: int
) -> HttpResponse:
    application = _load(request, application_pk)
    attachment = visible_or_404(
        Attachment.objects.filter(application=application), pk=attachment_pk
    )
    try:
        services.attachment_remove(
            visibility=request.visibility.resolve(), attachment=attachment, actor=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The file is removed."))
    return redirect(
        "application-section", application_pk=application.pk, section_key=attachment.section
    )
