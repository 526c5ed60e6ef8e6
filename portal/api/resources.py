"""The core's API resources: organizations, the caller, deadlines and the inbox. Same
visibility as the pages: querysets run inside the request's scope."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from .. import deadlines, list_exports, personal_data, selectors
from ..models import Deadline, Notification, Organization
from ..params import text_param
from .base import ScopedReadViewSet, visibility_of


def query(name: str, description: str, kind: Any = OpenApiTypes.STR) -> OpenApiParameter:
    return OpenApiParameter(name=name, type=kind, location="query", description=description)


class OrganizationSerializer(serializers.ModelSerializer):
    home_bureau = serializers.CharField(source="home_bureau.name", read_only=True, allow_null=True)
    # Personal information: the API masks it for everyone; the page reveals it to those who
    # need it, audited (portal.personal_data).
    contact_phone = serializers.SerializerMethodField()

    @extend_schema_field(str)
    def get_contact_phone(self, organization: Organization) -> str:
        return personal_data.mask_phone(organization.contact_phone)

    class Meta:
        model = Organization
        fields = [
            "id",
            "uscc",
            "name",
            "kind",
            "home_bureau",
            "address",
            "contact_name",
            "contact_phone",
        ]


@extend_schema_view(list=extend_schema(parameters=[query("q", "name or credit code contains")]))
class OrganizationViewSet(ScopedReadViewSet):
    serializer_class = OrganizationSerializer
    lookup_url_kwarg = "organization_pk"

    def get_queryset(self) -> QuerySet[Organization]:
        return selectors.organization_list(search=text_param(self.request.query_params, "q"))


class DeadlineSerializer(serializers.ModelSerializer):
    bureau = serializers.CharField(source="bureau.name", read_only=True, allow_null=True)
    kind_label = serializers.SerializerMethodField()

    class Meta:
        model = Deadline
        fields = ["id", "kind", "kind_label", "title", "due_at", "status", "bureau"]

    def get_kind_label(self, deadline: Deadline) -> str:
        return str(deadlines.kind_label(deadline.kind))


@extend_schema_view(
    list=extend_schema(
        parameters=[query("show", "upcoming (the default) or past, as on the deadline page")]
    )
)
class DeadlineViewSet(ScopedReadViewSet):
    """The deadlines of the caller's jurisdiction (bureau staff), as on the deadline page."""

    serializer_class = DeadlineSerializer
    lookup_url_kwarg = "deadline_pk"

    def get_queryset(self) -> QuerySet[Deadline]:
        visibility = visibility_of(self.request)
        if self.action == "list":
            if not (visibility.is_bureau_staff or visibility.is_operator):
                raise PermissionDenied
            filters = list_exports.deadline_filters(self.request.query_params)
            return list_exports.deadline_list(**filters)
        return Deadline.objects.select_related("bureau")


class NotificationSerializer(serializers.ModelSerializer):
    title = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "link", "created_at", "read_at"]

    def get_title(self, notification: Notification) -> str:
        return deadlines.render(notification)[0]

    def get_body(self, notification: Notification) -> str:
        return deadlines.render(notification)[1]


@extend_schema_view(list=extend_schema(parameters=[query("unread", "1 for unread messages only")]))
class InboxViewSet(ScopedReadViewSet):
    """The caller's in-app messages, in the caller's language."""

    serializer_class = NotificationSerializer
    lookup_url_kwarg = "notification_pk"

    def get_queryset(self) -> QuerySet[Notification]:
        qs = Notification.objects.filter(user_id=self.request.user.pk)
        if self.action == "list" and text_param(self.request.query_params, "unread") == "1":
            qs = qs.filter(read_at__isnull=True)
        return qs


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    full_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.DictField())


@extend_schema(responses=MeSerializer)
@api_view(["GET"])
def me(request: Request) -> Response:
    visibility = visibility_of(request)
    if not visibility.is_authenticated:
        raise Http404
    roles = [
        {"role": role, "bureau_id": bureau_id, "organization_id": organization_id}
        for role, bureau_id, organization_id in sorted(visibility.roles, key=str)
    ]
    return Response(
        {"username": request.user.username, "full_name": request.user.full_name, "roles": roles}
    )
