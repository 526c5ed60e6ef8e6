"""The bureau's import page: upload a sheet → preview every row (created, updated, its problems)
→ confirm. One view serves every registered importer (``?table=<identifier>``)."""

import base64
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from . import imports
from .exporters import XLSX_TYPE, content_disposition
from .params import int_param, text_param

SESSION_KEY = "portal.import"


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    visibility = request.visibility.resolve()
    available = imports.available(visibility)
    if not available:
        raise PermissionDenied
    importer = imports.IMPORTERS.get(text_param(request.GET, "table"))
    if importer is None or importer not in available:
        return render(request, "portal/import_list.html", {"importers": available})
    if request.method == "GET" and request.GET.get("template") == "xlsx":
        return blank_sheet(importer)
    bureaus = list(importer.bureaus(visibility))
    if not bureaus:
        raise PermissionDenied
    chosen = int_param(request.POST, "bureau") or int_param(request.GET, "bureau")
    bureau = next((b for b in bureaus if b.pk == chosen), bureaus[0])
    here = f"{reverse('imports')}?table={importer.identifier}"
    report = None
    if request.method == "POST":
        confirm = request.POST.get("action") == "confirm"
        if confirm:
            stored = request.session.get(SESSION_KEY) or {}
            if stored.get("table") != importer.identifier or stored.get("bureau") != bureau.pk:
                messages.error(request, _("Check the file again before importing it."))
                return redirect(here)
            content, filename = base64.b64decode(stored["content"]), stored["filename"]
        else:
            upload = request.FILES.get("file")
            if upload is None or upload.size > imports.MAX_IMPORT_BYTES:
                messages.error(request, _("Choose an XLSX or CSV file of at most 2 MB."))
                return redirect(here)
            content, filename = upload.read(), upload.name or "upload.xlsx"
        report = imports.records_import(
            visibility=visibility,
            importer=importer,
            bureau=bureau,
            content=content,
            filename=filename,
            confirm=confirm,
            actor=request.user,
        )
        if confirm:
            request.session.pop(SESSION_KEY, None)
        elif report.importable:
            request.session[SESSION_KEY] = {
                "table": importer.identifier,
                "bureau": bureau.pk,
                "filename": filename[:100],
                "content": base64.b64encode(content).decode(),
            }
    return render(
        request,
        "portal/import_page.html",
        {
            "importer": importer,
            "columns": importer.resource.column_names(),
            "required": importer.resource.required_columns(),
            "bureaus": bureaus,
            "bureau": bureau,
            "report": report,
        },
    )


def blank_sheet(importer: type[imports.Importer]) -> HttpResponse:
    """The importer's sheet with its column names only, to fill in."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = importer.identifier
    sheet.append(importer.resource.column_names())
    for index, column in enumerate(importer.resource.column_names()):
        sheet.column_dimensions[get_column_letter(index + 1)].width = max(12, 2 * len(column) + 2)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition(f"{importer.verbose_name}.xlsx")
    return response
