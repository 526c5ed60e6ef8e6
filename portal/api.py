"""REST API (v1). Same visibility as the pages: querysets run inside the request's scope."""

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from . import personal_data, selectors
from .models import Organization
from .params import text_param
from .visibility import visible_or_404


class OrganizationSerializer(serializers.ModelSerializer):
    home_bureau = serializers.CharField(source="home_bureau.name", read_only=True)
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


class OrganizationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = OrganizationSerializer
    lookup_url_kwarg = "organization_pk"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return selectors.organization_list(search=text_param(self.request.query_params, "q"))

    def get_object(self):
        return visible_or_404(self.get_queryset(), pk=self.kwargs["organization_pk"])


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    full_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.DictField())


@extend_schema(responses=MeSerializer)
@api_view(["GET"])
def me(request: Request) -> Response:
    visibility = request._request.visibility.resolve()
    if not visibility.is_authenticated:
        raise Http404
    roles = [
        {"role": role, "bureau_id": bureau_id, "organization_id": organization_id}
        for role, bureau_id, organization_id in sorted(visibility.roles, key=str)
    ]
    return Response(
        {"username": request.user.username, "full_name": request.user.full_name, "roles": roles}
    )
