"""Leading units' performance in the API (issue 13): quarterly reports and the bureau's
quarterly evaluations of them (004 §3), as the unit and its bureaus see them on the pages."""

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from portal.api.base import ScopedReadViewSet
from portal.api.resources import query
from portal.params import int_param

from .models import QuarterlyEvaluation, QuarterlyReport

UNIT_PARAMS = [
    query("leading_unit", "leading unit id", OpenApiTypes.INT),
    query("year", "year", OpenApiTypes.INT),
]


def _unit_filter(queryset: QuerySet, params: dict) -> QuerySet:
    unit_id, year = int_param(params, "leading_unit"), int_param(params, "year")
    if unit_id:
        queryset = queryset.filter(leading_unit_id=unit_id)
    if year:
        queryset = queryset.filter(year=year)
    return queryset


class QuarterlyReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = QuarterlyReport
        fields = ["id", "leading_unit", "year", "quarter", "figures", "duties_done", "submitted_at"]


@extend_schema_view(list=extend_schema(parameters=UNIT_PARAMS))
class QuarterlyReportViewSet(ScopedReadViewSet):
    """A leading unit's quarterly reports (due by the 10th working day after the quarter)."""

    serializer_class = QuarterlyReportSerializer
    lookup_url_kwarg = "report_pk"

    def get_queryset(self) -> QuerySet[QuarterlyReport]:
        return _unit_filter(QuarterlyReport.objects.all(), self.request.query_params)


class QuarterlyEvaluationSerializer(serializers.ModelSerializer):
    class Meta:
        model = QuarterlyEvaluation
        fields = [
            "id",
            "leading_unit",
            "year",
            "quarter",
            "report",
            "figures",
            "scores",
            "total",
            "outcome",
            "reason",
            "evaluated_at",
        ]


@extend_schema_view(list=extend_schema(parameters=UNIT_PARAMS))
class QuarterlyEvaluationViewSet(ScopedReadViewSet):
    """The bureau's quarterly evaluations of leading units against the indicator set."""

    serializer_class = QuarterlyEvaluationSerializer
    lookup_url_kwarg = "evaluation_pk"

    def get_queryset(self) -> QuerySet[QuarterlyEvaluation]:
        return _unit_filter(QuarterlyEvaluation.objects.all(), self.request.query_params)


def register() -> None:
    from portal.api import registry

    registry.register("quarterly-reports", QuarterlyReportViewSet, "api-quarterly-report")
    registry.register(
        "quarterly-evaluations", QuarterlyEvaluationViewSet, "api-quarterly-evaluation"
    )
