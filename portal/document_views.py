"""Downloading generated documents, uploading a seal, and the public verification page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from . import bundles, ratelimit, services, signing
from .downloads import private_download
from .models import DocumentBundle, Organization
from .params import text_param
from .uploads import check_upload
from .visibility import visible_or_404

VERIFY_MAX_MB = 200


@login_required
def bundle_status(request: HttpRequest, bundle_pk: int) -> HttpResponse:
    """The progress fragment the application page polls (htmx) until the PDF is ready."""
    bundle = visible_or_404(DocumentBundle.objects.all(), pk=bundle_pk)
    return render(request, "documents/bundle_status.html", {"bundle": bundle})


@login_required
def bundle_download(request: HttpRequest, bundle_pk: int) -> HttpResponse:
    bundle = visible_or_404(DocumentBundle.objects.all(), pk=bundle_pk)
    if bundle.status != DocumentBundle.Status.DONE:
        raise Http404
    return private_download(
        bundle.file, filename=f"{bundle.code}.pdf", content_type="application/pdf"
    )


@login_required
@require_POST
def seal_upload(request: HttpRequest, organization_pk: int) -> HttpResponse:
    organization = visible_or_404(Organization.objects.all(), pk=organization_pk)
    upload = request.FILES.get("seal")
    if upload is None:
        messages.error(request, _("Choose a PNG file of the seal."))
    else:
        try:
            services.organization_seal_set(
                visibility=request.visibility.resolve(), organization=organization, upload=upload
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        except PermissionDenied:
            raise
        else:
            messages.success(
                request, _("The seal is saved. Documents generated from now on carry it.")
            )
    return redirect("organization-detail", organization_pk=organization.pk)


@login_required
@require_POST
def bureau_seal_upload(request: HttpRequest, bureau_pk: int) -> HttpResponse:
    bureau = visible_or_404(request.visibility.bureaus(), pk=bureau_pk)
    upload = request.FILES.get("seal")
    if upload is None:
        messages.error(request, _("Choose a PNG file of the seal."))
    else:
        try:
            services.bureau_seal_set(
                visibility=request.visibility.resolve(), bureau=bureau, upload=upload
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("The seal is saved. Documents generated from now on carry it.")
            )
    return redirect("bureau-detail", bureau_pk=bureau.pk)


def _verification_attempt(request: HttpRequest, kwargs: dict) -> str | None:
    """A check of a code counts; opening the empty form does not."""
    if request.method == "POST" or request.GET.get("code"):
        return ratelimit.client_address(request, kwargs)
    return None


@require_http_methods(["GET", "POST"])
@ratelimit.limited(ratelimit.Rule("verify_ip", _verification_attempt, methods=("GET", "POST")))
def verify(request: HttpRequest) -> HttpResponse:
    """Anyone checks a printed or emailed copy: the code, and optionally the file itself (its
    digital signature, and whether it is exactly the document the code names)."""
    result, code, signature = None, "", None
    if request.method == "POST" or request.GET.get("code"):
        code = bundles.normalise_code(
            text_param(request.POST if request.method == "POST" else request.GET, "code", 40)
        )
        upload = request.FILES.get("file") if request.method == "POST" else None
        if upload is not None:
            try:
                check_upload(upload, allowed=["pdf"], max_mb=VERIFY_MAX_MB)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
                upload = None
            else:
                signature = signing.check_signature(upload)
                upload.seek(0)
        elif request.method == "POST" and not code:
            messages.error(request, _("Enter the verification code, choose the PDF file, or both."))
        result = bundles.bundle_verify(code, upload) if code else None
    return render(
        request,
        "documents/verify.html",
        {"result": result, "code": code, "signature": signature},
    )
