"""The API's resources, registered by each app from ``AppConfig.ready()`` (the core imports no
app), and the versioned root that lists them."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, include, path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.routers import SimpleRouter


@dataclass(frozen=True)
class Resource:
    prefix: str
    viewset: Any
    basename: str


RESOURCES: list[Resource] = []
EXTRA_PATHS: list[Callable[[], URLPattern]] = []


def register(prefix: str, viewset: Any, basename: str) -> None:
    """One resource under ``/api/v1/<prefix>/`` (URL names ``<basename>-list``/``-detail``)."""
    if not any(r.prefix == prefix for r in RESOURCES):
        RESOURCES.append(Resource(prefix, viewset, basename))


def register_path(make: Callable[[], URLPattern]) -> None:
    """A route that is not a list or a detail (an action on a sub-object); ``make`` returns the
    ``path()`` relative to ``/api/v1/``."""
    EXTRA_PATHS.append(make)


@extend_schema(
    responses=inline_serializer(
        "ApiRoot",
        fields={"version": serializers.CharField(), "resources": serializers.DictField()},
    )
)
@api_view(["GET"])
@permission_classes([permissions.AllowAny])
def root(request: Request) -> Response:
    """The resources of version 1, each with the address of its list."""
    resources = {
        r.prefix: reverse(f"{r.basename}-list", request=request)
        for r in sorted(RESOURCES, key=lambda r: r.prefix)
    }
    return Response({"version": "1", "resources": resources})


def urlpatterns() -> list[Any]:
    router = SimpleRouter()
    for resource in RESOURCES:
        router.register(resource.prefix, resource.viewset, basename=resource.basename)
    return [
        path("", root, name="api-root"),
        *[make() for make in EXTRA_PATHS],
        path("", include(router.urls)),
    ]
