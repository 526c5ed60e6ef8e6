"""The calls and application books in the API (issue 13): calls are public; books are read by
their organization and the staff who see them, started with an idempotency key, and their
section answers are written through the autosave service with the same version check."""

from typing import Any

from django.db.models import QuerySet
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, serializers
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from portal.api.base import (
    IDEMPOTENCY_HEADER,
    IdempotentCreateMixin,
    ScopedReadViewSet,
    VisiblePrimaryKeyField,
    visibility_of,
)
from portal.api.resources import query
from portal.models import Organization
from portal.params import text_param
from portal.visibility import visible_or_404

from . import selectors, services
from .list_exports import application_filters
from .models import Application, ApplicationSection, Call


class CallSerializer(serializers.ModelSerializer):
    bureau = serializers.CharField(source="bureau.name", read_only=True)

    class Meta:
        model = Call
        fields = [
            "id",
            "bureau",
            "document_number",
            "title",
            "kind",
            "sub_industries",
            "description",
            "eligibility",
            "opens_at",
            "closes_at",
            "requires_recommendation",
            "status",
            "published_at",
        ]


@extend_schema_view(
    list=extend_schema(parameters=[query("kind", "the kind of call, e.g. leading_unit")])
)
class CallViewSet(ScopedReadViewSet):
    """Published and closed calls, for everyone (the public call list); staff also read their
    drafts by id."""

    serializer_class = CallSerializer
    lookup_url_kwarg = "call_pk"
    permission_classes = [permissions.AllowAny]

    def get_queryset(self) -> QuerySet[Call]:
        if self.action != "list":
            return Call.objects.select_related("bureau")
        calls = selectors.published_calls()
        kind = text_param(self.request.query_params, "kind", 32)
        return calls.filter(kind=kind) if kind else calls


class ApplicationSerializer(serializers.ModelSerializer):
    call = VisiblePrimaryKeyField(Call)
    organization = VisiblePrimaryKeyField(Organization)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    sections = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "id",
            "call",
            "organization",
            "organization_name",
            "status",
            "created_at",
            "updated_at",
            "submitted_at",
            "sections",
        ]
        read_only_fields = ["status", "created_at", "updated_at", "submitted_at"]

    def get_sections(self, application: Application) -> list[str]:
        return [s["key"] for s in selectors.book_for(application).sections]


@extend_schema_view(
    list=extend_schema(
        parameters=[
            query("call", "call id", OpenApiTypes.INT),
            query("status", "status code"),
            query("sub_industry", "sub-industry"),
            query("county", "the applicant's county bureau id", OpenApiTypes.INT),
            query("q", "organization name or credit code contains"),
        ]
    ),
    create=extend_schema(parameters=[IDEMPOTENCY_HEADER]),
)
class ApplicationViewSet(IdempotentCreateMixin, ScopedReadViewSet):
    """Application books: an organization's own (drafts included) and, for staff, the submitted
    books of their jurisdiction, filtered like the staff list."""

    serializer_class = ApplicationSerializer
    lookup_url_kwarg = "application_pk"
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[Application]:
        visibility = visibility_of(self.request)
        if self.action == "list" and (visibility.is_bureau_staff or visibility.is_operator):
            return selectors.staff_applications(**application_filters(self.request.query_params))
        if self.action == "list":
            return selectors.my_applications(visibility)
        return Application.objects.select_related("call", "organization")

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.application_start(
            visibility=visibility_of(self.request),
            call=serializer.validated_data["call"],
            organization=serializer.validated_data["organization"],
            actor=self.request.user,  # type: ignore[arg-type]
        )


class SectionSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True)
    version = serializers.IntegerField(
        min_value=0,
        max_value=2**31 - 1,
        help_text="The version the answers were based on; a stale version is refused (409).",
    )
    answers = serializers.DictField(
        help_text=(
            "The section's answers: field key → text (a list for multiple choice); a table as "
            '{"rows": [{column key: text}]}; rich text as {"html": ...}; a declaration as '
            '{"agreed": "yes", "signatory": ..., "signed_on": ...}.'
        )
    )


def form_data(kind: str, answers: dict[str, Any]) -> MultiValueDict:
    """The answers as the section form posts them, so the autosave service reads them unchanged
    (one way to store a section, one set of rules)."""
    data: MultiValueDict = MultiValueDict()
    if kind == "table":
        rows = answers.get("rows")
        rows = rows if isinstance(rows, list) else []
        data["row_count"] = str(len(rows))
        for index, row in enumerate(rows):
            if isinstance(row, dict):
                for column, value in row.items():
                    data[f"r{index}-{column}"] = "" if value is None else str(value)
        return data
    for name, value in answers.items():
        if isinstance(value, list):
            data.setlist(str(name), [str(v) for v in value])
        else:
            data[str(name)] = "" if value is None else str(value)
    return data


def _section_row(application: Application, key: str) -> ApplicationSection:
    row = ApplicationSection.objects.filter(application=application, key=key).first()
    if row is None:
        raise NotFound(_("There is no such section."))
    return row


SECTION_PARAMS = [
    OpenApiParameter("application_pk", OpenApiTypes.INT, OpenApiParameter.PATH),
    OpenApiParameter("section_key", OpenApiTypes.STR, OpenApiParameter.PATH),
]


@extend_schema(methods=["GET"], parameters=SECTION_PARAMS, responses=SectionSerializer)
@extend_schema(
    methods=["PUT"],
    parameters=SECTION_PARAMS,
    request=SectionSerializer,
    responses=SectionSerializer,
)
@api_view(["GET", "PUT"])
def application_section(request: Request, application_pk: str, section_key: str) -> Response:
    """One section's answers and version; ``PUT`` saves them as the book's autosave does."""
    application = visible_or_404(
        Application.objects.select_related("call", "organization"), pk=application_pk
    )
    row = _section_row(application, section_key[:64])
    if request.method == "PUT":
        payload = SectionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        book = selectors.book_for(application)
        if not book.has_section(row.key):
            raise NotFound(_("There is no such section."))
        # The service decides who may write (the applying organization's members) and when.
        row = services.application_save_section(
            visibility=visibility_of(request),
            application=application,
            key=row.key,
            post=form_data(book.section(row.key)["type"], payload.validated_data["answers"]),
            base_version=payload.validated_data["version"],
            actor=request.user,  # type: ignore[arg-type]
        )
    return Response({"key": row.key, "version": row.version, "answers": row.data})


def register() -> None:
    from django.urls import path

    from portal.api import registry

    registry.register("calls", CallViewSet, "api-call")
    registry.register("applications", ApplicationViewSet, "api-application")
    registry.register_path(
        lambda: path(
            "applications/<str:application_pk>/sections/<str:section_key>/",
            application_section,
            name="api-application-section",
        )
    )
