"""List exporters of calls and applications, over the same filters as their pages (the pattern of
``portal.list_exports``: the page and the exporter share one filter parser and one selector)."""

from collections.abc import Mapping, Sequence
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import exporters
from portal.list_exports import QuerysetListExporter, local_time
from portal.params import int_param, text_param
from portal.visibility import Visibility

from .models import Application, Call
from .selectors import staff_applications

NOT_FILED = [Application.Status.DRAFT, Application.Status.WITHDRAWN]


# --- calls ----------------------------------------------------------------------------------------
def jurisdiction_calls(visibility: Visibility) -> QuerySet[Call]:
    """The calls of the user's jurisdiction (the call page's own table) with how many books were
    filed to each; the operator's jurisdiction is every bureau."""
    calls = Call.objects.all()
    if not visibility.is_operator:
        calls = calls.filter(bureau_id__in=visibility.staff_bureau_ids)
    return (
        calls.select_related("bureau")
        .annotate(filed=Count("applications", filter=~Q(applications__status__in=NOT_FILED)))
        .order_by("-opens_at", "pk")
    )


@exporters.register
class CallListExporter(QuerysetListExporter):
    identifier = "calls"
    verbose_name = gettext_lazy("Calls of your jurisdiction")
    title = gettext_lazy("Calls for applications")
    column_widths = (40, 24, 24, 20, 30, 12, 18, 18, 10)

    @classmethod
    def from_params(cls, *, visibility: Any, params: Mapping[str, str]) -> exporters.Exporter:
        return cls(rows=jurisdiction_calls(visibility))

    def headers(self) -> Sequence[Any]:
        return [
            _("Title"),
            _("Document number"),
            _("Issued by"),
            _("Kind"),
            _("Sub-industries"),
            _("Status"),
            _("Opens at"),
            _("Closes at"),
            _("Applications filed"),
        ]

    def row(self, item: Call) -> Sequence[Any]:
        return [
            item.title,
            item.document_number,
            item.bureau.name,
            item.get_kind_display(),
            "、".join(item.sub_industries or []),
            item.get_status_display(),
            local_time(item.opens_at),
            local_time(item.closes_at),
            item.filed,
        ]


# --- applications (the staff list) ------------------------------------------------------------------
def application_filters(params: Mapping[str, str]) -> dict[str, Any]:
    """The staff application list's filters; an unknown status is dropped, not an error."""
    filters: dict[str, Any] = {
        "call_id": int_param(params, "call"),
        "status": text_param(params, "status", 24),
        "sub_industry": text_param(params, "sub_industry"),
        "bureau_id": int_param(params, "county"),
        "search": text_param(params, "q"),
    }
    if filters["status"] not in Application.Status.values:
        filters["status"] = ""
    return filters


@exporters.register
class ApplicationListExporter(QuerysetListExporter):
    identifier = "applications"
    verbose_name = gettext_lazy("Applications")
    column_widths = (40, 22, 16, 40, 30, 16, 18, 18)

    @classmethod
    def from_params(cls, *, visibility: Any, params: Mapping[str, str]) -> exporters.Exporter:
        return cls(rows=staff_applications(**application_filters(params)))

    def headers(self) -> Sequence[Any]:
        return [
            _("Applicant"),
            _("Unified social credit code"),
            _("County"),
            _("Call"),
            _("Sub-industries"),
            _("Status"),
            _("Submitted at"),
            _("Recommended at"),
        ]

    def row(self, item: Application) -> Sequence[Any]:
        return [
            item.organization.name,
            item.organization.uscc,
            item.home_bureau.region_name,
            item.call.title,
            "、".join(item.sub_industries or []),
            item.get_status_display(),
            local_time(item.submitted_at),
            local_time(item.recommended_at),
        ]
