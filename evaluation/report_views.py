"""The reports page and the reports' PDF prints (issue: official tables as standalone reports).

Which bureau a report covers comes from ``?bureau=`` among the bureaus the user sees, by default
their own; the XLSX and CSV go through the generic export view, the PDF through the document
engine (``portal.table_pdf``)."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from pilots.models import DemandList
from portal import audit, export_jobs, table_pdf
from portal import bureau_scope as scope
from portal.models import AuditEvent

from .reports import tables


def _require_staff(request: HttpRequest) -> None:
    if not (request.visibility.is_bureau_staff or request.visibility.is_operator):
        raise PermissionDenied


@login_required
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    visibility = request.visibility.resolve()
    bureau = scope.report_bureau(visibility, request.GET)
    base = {"bureau": str(bureau.pk)} if bureau is not None else {}
    reports = []
    for report in tables.REPORTS:
        copies = []
        for label, extra in report.variants(visibility, bureau):  # type: ignore[attr-defined]
            query = urlencode({"table": report.identifier, **base, **extra})
            copies.append(
                {
                    "label": label,
                    "xlsx": f"{reverse('export')}?{query}&format=xlsx",
                    "pdf": f"{reverse('report-pdf')}?{query}",
                }
            )
        # Plain values: a class in a template context would be called by the template engine.
        reports.append(
            {"name": report.verbose_name, "identifier": report.identifier, "copies": copies}
        )
    demand_lists = (
        DemandList.objects.filter(scope.within(bureau, "bureau"))
        .select_related("bureau")
        .order_by("bureau__path", "sub_industry")
    )
    return render(
        request,
        "evaluation/reports.html",
        {
            "bureau": bureau,
            "choices": scope.choices(visibility),
            "children": scope.children(visibility, bureau),
            "reports": reports,
            "demand_lists": demand_lists,
        },
    )


@login_required
@require_GET
def report_pdf(request: HttpRequest) -> HttpResponse:
    """``?table=<report>&bureau=<id>`` plus the report's own choice, printed as a PDF."""
    identifier = request.GET.get("table", "")
    report = next((r for r in tables.REPORTS if r.identifier == identifier), None)
    if report is None:
        raise Http404
    visibility = request.visibility.resolve()
    if not report.allowed(visibility):
        raise PermissionDenied
    params = export_jobs.export_params(request.GET)
    exporter = report.from_params(visibility=visibility, params=params)
    audit.record(
        action="exported",
        outcome=AuditEvent.Outcome.SUCCESS,
        object_type="export",
        object_id=identifier,
        detail={"params": params, "format": "pdf"},
        request=request,
    )
    return table_pdf.response(exporter)
