"""Pilot execution in the API (issue 13): pilot enterprises (filtered like the web list), their
one-enterprise-one-file records, assessments, contracts and task books, the programmes and
their evaluations and fund uses. Rows are those the caller sees on the pages (a leading unit
only the enterprises it serves, 004 §2.2.13); a fund use is recorded through the same service
as the funds page, so the 80/20 split (003 §四) is checked once."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from portal.api.base import (
    IDEMPOTENCY_HEADER,
    IdempotentCreateMixin,
    ScopedReadViewSet,
    VisiblePrimaryKeyField,
    visibility_of,
)
from portal.api.resources import query
from portal.params import int_param

from . import selectors
from .list_exports import enterprise_filters, fund_use_filters
from .models import (
    Assessment,
    Contract,
    ContractItem,
    EnterpriseFileSection,
    FundUse,
    PilotEnterprise,
    PilotProgramme,
    ProgrammeEvaluation,
    TaskBook,
    TaskBookSignature,
)
from .services.funds import fund_use_record


def enterprise_param() -> Any:
    return query("enterprise", "pilot enterprise id", OpenApiTypes.INT)


def _enterprise_filter(queryset: QuerySet, params: Any, field: str = "enterprise_id") -> QuerySet:
    enterprise_id = int_param(params, "enterprise")
    return queryset.filter(**{field: enterprise_id}) if enterprise_id else queryset


class EnterpriseSerializer(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    uscc = serializers.CharField(source="organization.uscc", read_only=True)
    leading_unit_name = serializers.CharField(
        source="leading_unit.organization.name", read_only=True
    )
    county = serializers.CharField(source="bureau.name", read_only=True)

    class Meta:
        model = PilotEnterprise
        fields = [
            "id",
            "organization",
            "organization_name",
            "uscc",
            "leading_unit",
            "leading_unit_name",
            "bureau",
            "county",
            "sub_industry",
            "scale",
            "above_scale",
            "tier",
            "status",
            "enrolled_at",
            "completed_on",
        ]


@extend_schema_view(
    list=extend_schema(
        parameters=[
            query("q", "enterprise name or credit code contains"),
            query("county", "county bureau id", OpenApiTypes.INT),
            query("sub_industry", "sub-industry"),
            query("status", "status code"),
            query("leading_unit", "leading unit id", OpenApiTypes.INT),
            query("bureau", "any bureau id: the enterprises of its whole area", OpenApiTypes.INT),
        ]
    )
)
class EnterpriseViewSet(ScopedReadViewSet):
    """Pilot enterprises, filtered like the web list (试点企业)."""

    serializer_class = EnterpriseSerializer
    lookup_url_kwarg = "enterprise_pk"

    def get_queryset(self) -> QuerySet[PilotEnterprise]:
        return selectors.enterprise_list(**enterprise_filters(self.request.query_params))


class FileSectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = EnterpriseFileSection
        fields = ["id", "enterprise", "key", "data", "version", "updated_at"]


@extend_schema_view(list=extend_schema(parameters=[enterprise_param()]))
class EnterpriseFileViewSet(ScopedReadViewSet):
    """The parts of each enterprise's one-enterprise-one-file record (一企一档, 002 附2)."""

    serializer_class = FileSectionSerializer
    lookup_url_kwarg = "file_section_pk"

    def get_queryset(self) -> QuerySet[EnterpriseFileSection]:
        return _enterprise_filter(EnterpriseFileSection.objects.all(), self.request.query_params)


class AssessmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Assessment
        fields = [
            "id",
            "enterprise",
            "stage",
            "kind",
            "index_version",
            "base_score",
            "dimension_scores",
            "level",
            "assessed_at",
        ]


@extend_schema_view(list=extend_schema(parameters=[enterprise_param()]))
class AssessmentViewSet(ScopedReadViewSet):
    """Digital-level assessments before and after transformation (level ≥ 2 counts)."""

    serializer_class = AssessmentSerializer
    lookup_url_kwarg = "assessment_pk"

    def get_queryset(self) -> QuerySet[Assessment]:
        return _enterprise_filter(Assessment.objects.all(), self.request.query_params)


class ContractItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContractItem
        fields = ["position", "product", "provider", "quantity", "unit_price_wan"]


class ContractSerializer(serializers.ModelSerializer):
    items = ContractItemSerializer(many=True, read_only=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "enterprise",
            "duties",
            "measures",
            "targets",
            "starts_on",
            "ends_on",
            "status",
            "signed_on",
            "updated_at",
            "items",
        ]


@extend_schema_view(list=extend_schema(parameters=[enterprise_param()]))
class ContractViewSet(ScopedReadViewSet):
    """Transformation contracts with their itemised products."""

    serializer_class = ContractSerializer
    lookup_url_kwarg = "contract_pk"

    def get_queryset(self) -> QuerySet[Contract]:
        qs = Contract.objects.prefetch_related("items")
        return _enterprise_filter(qs, self.request.query_params)


class SignatureSerializer(serializers.ModelSerializer):
    class Meta:
        model = TaskBookSignature
        fields = ["party", "signed_at"]


class TaskBookSerializer(serializers.ModelSerializer):
    signatures = SignatureSerializer(many=True, read_only=True)

    class Meta:
        model = TaskBook
        fields = [
            "id",
            "enterprise",
            "goals",
            "performance_goals",
            "content",
            "starts_on",
            "ends_on",
            "schedule",
            "budget_wan",
            "obligations",
            "status",
            "created_at",
            "signatures",
        ]


@extend_schema_view(list=extend_schema(parameters=[enterprise_param()]))
class TaskBookViewSet(ScopedReadViewSet):
    """Three-party task books (002 附3) with who has signed."""

    serializer_class = TaskBookSerializer
    lookup_url_kwarg = "task_book_pk"

    def get_queryset(self) -> QuerySet[TaskBook]:
        qs = TaskBook.objects.prefetch_related("signatures")
        return _enterprise_filter(qs, self.request.query_params)


class ProgrammeSerializer(serializers.ModelSerializer):
    bureau_name = serializers.CharField(source="bureau.name", read_only=True)

    class Meta:
        model = PilotProgramme
        fields = [
            "id",
            "name",
            "bureau",
            "bureau_name",
            "approving_bureau",
            "status",
            "approved_at",
            "sub_industries",
            "starts_on",
            "ends_on",
        ]


class ProgrammeViewSet(ScopedReadViewSet):
    """City and county pilot programmes (试点项目)."""

    serializer_class = ProgrammeSerializer
    lookup_url_kwarg = "programme_pk"

    def get_queryset(self) -> QuerySet[PilotProgramme]:
        return PilotProgramme.objects.select_related("bureau")


class ProgrammeEvaluationSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProgrammeEvaluation
        fields = [
            "id",
            "programme",
            "kind",
            "outcome",
            "findings",
            "targets",
            "status",
            "rectification_due",
            "evaluated_at",
        ]


@extend_schema_view(
    list=extend_schema(parameters=[query("programme", "programme id", OpenApiTypes.INT)])
)
class ProgrammeEvaluationViewSet(ScopedReadViewSet):
    """Programme evaluations: self, mid-term, final; a county's steps (002 §七, 003 §五)."""

    serializer_class = ProgrammeEvaluationSerializer
    lookup_url_kwarg = "programme_evaluation_pk"

    def get_queryset(self) -> QuerySet[ProgrammeEvaluation]:
        qs = ProgrammeEvaluation.objects.all()
        programme_id = int_param(self.request.query_params, "programme")
        return qs.filter(programme_id=programme_id) if programme_id else qs


class FundUseSerializer(serializers.ModelSerializer):
    programme = VisiblePrimaryKeyField(PilotProgramme)
    amount_wan = serializers.DecimalField(max_digits=12, decimal_places=4, min_value=0)
    description = serializers.CharField(max_length=300)

    class Meta:
        model = FundUse
        fields = ["id", "programme", "category", "amount_wan", "description", "spent_on"]


@extend_schema_view(
    list=extend_schema(
        parameters=[
            query("programme", "programme id", OpenApiTypes.INT),
            query("category", "category code"),
        ]
    ),
    create=extend_schema(parameters=[IDEMPOTENCY_HEADER]),
)
class FundUseViewSet(IdempotentCreateMixin, ScopedReadViewSet):
    """Fund uses of the programmes the caller sees; the running bureau records new ones."""

    serializer_class = FundUseSerializer
    lookup_url_kwarg = "fund_use_pk"
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[FundUse]:
        return selectors.fund_use_list(**fund_use_filters(self.request.query_params))

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = fund_use_record(
            visibility=visibility_of(self.request),
            programme=data["programme"],
            category=data["category"],
            amount_wan=data["amount_wan"],
            description=data["description"],
            spent_on=data["spent_on"],
            actor=self.request.user,  # type: ignore[arg-type]
        )


def register() -> None:
    from portal.api import registry

    registry.register("enterprises", EnterpriseViewSet, "api-enterprise")
    registry.register("enterprise-files", EnterpriseFileViewSet, "api-enterprise-file")
    registry.register("assessments", AssessmentViewSet, "api-assessment")
    registry.register("contracts", ContractViewSet, "api-contract")
    registry.register("task-books", TaskBookViewSet, "api-task-book")
    registry.register("programmes", ProgrammeViewSet, "api-programme")
    registry.register(
        "programme-evaluations", ProgrammeEvaluationViewSet, "api-programme-evaluation"
    )
    registry.register("fund-uses", FundUseViewSet, "api-fund-use")
