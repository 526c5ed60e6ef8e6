"""The export menu's target: any registered list exporter over the page's filters.

The table is a query parameter, not part of the path: it names a kind of table, not an object,
and the rows always come from the requester's own scope.

Small tables are answered at once; a table past ``INLINE_MAX_ROWS`` rows (or when the user asks
for a background export) becomes a job with a progress page and a download link when done.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import audit, export_jobs, exporters, table_pdf
from .downloads import private_download
from .models import AuditEvent, ExportJob
from .views import paginate
from .visibility import visible_or_404

# Printing runs in the request: a PDF of a longer list is refused with a message.
PDF_MAX_ROWS = 1000


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponseBase:
    """``?table=<identifier>&format=xlsx|csv`` plus the page's own filters."""
    identifier = request.GET.get("table", "")
    exporter_class = exporters.listable(identifier)
    if exporter_class is None:
        raise Http404
    visibility = request.visibility.resolve()
    if not exporter_class.allowed(visibility):
        raise PermissionDenied
    params = export_jobs.export_params(request.GET)
    exporter = exporter_class.from_params(visibility=visibility, params=params)
    rows = exporter.count()
    if request.GET.get("format") == "pdf" and exporter.printable:
        return _pdf(request, exporter, identifier, params, rows)
    file_format = request.GET.get("format", "xlsx")
    file_format = file_format if file_format in exporters.FORMATS else "xlsx"
    if request.GET.get("background") or (rows or 0) > export_jobs.INLINE_MAX_ROWS:
        job = export_jobs.export_job_request(
            user=request.user, exporter=exporter, file_format=file_format, params=params
        )
        return redirect("export-job", job.pk)
    audit.record(
        action="exported",
        outcome=AuditEvent.Outcome.SUCCESS,
        object_type="export",
        object_id=identifier,
        detail={"params": params, "rows": rows},
        request=request,
    )
    return exporter.response(file_format)


def _pdf(
    request: HttpRequest, exporter: exporters.Exporter, identifier: str, params: dict, rows: int
) -> HttpResponseBase:
    """A list printed as a PDF through the document engine, at once: long lists are refused
    with a message (the XLSX export has no such limit)."""
    if (rows or 0) > PDF_MAX_ROWS:
        messages.error(
            request,
            _("A PDF holds at most %(max)s rows; narrow the filters or export XLSX.")
            % {"max": PDF_MAX_ROWS},
        )
        back = request.headers.get("referer", "")
        safe = url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()})
        return redirect(back if safe and back else "home")
    audit.record(
        action="exported",
        outcome=AuditEvent.Outcome.SUCCESS,
        object_type="export",
        object_id=identifier,
        detail={"params": params, "rows": rows, "format": "pdf"},
        request=request,
    )
    return table_pdf.response(exporter)


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    jobs = ExportJob.objects.order_by("-created_at")
    return render(request, "portal/export_jobs.html", {"page": paginate(request, jobs)})


@login_required
def job_detail(request: HttpRequest, job_pk: int) -> HttpResponse:
    job = visible_or_404(ExportJob.objects.all(), pk=job_pk)
    return render(request, "portal/export_job.html", {"job": job})


@login_required
def job_status(request: HttpRequest, job_pk: int) -> HttpResponse:
    """The progress fragment the job page polls (htmx) until the file is ready."""
    job = visible_or_404(ExportJob.objects.all(), pk=job_pk)
    return render(request, "portal/export_job_status.html", {"job": job})


@login_required
def job_download(request: HttpRequest, job_pk: int) -> HttpResponseBase:
    job = visible_or_404(ExportJob.objects.all(), pk=job_pk)
    if job.status != ExportJob.Status.DONE:
        raise Http404
    return private_download(
        job.file,
        filename=f"{job.title or job.identifier}.{job.file_format}",
        content_type=exporters.CONTENT_TYPES.get(job.file_format, exporters.XLSX_TYPE),
    )
