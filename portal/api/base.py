"""What every API resource shares: lookups that answer 404 for foreign objects, creates that
honour an ``Idempotency-Key``, and the visibility of the request."""

import json
from typing import Any

from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from ..models import IdempotencyKey
from ..visibility import Visibility, visible_or_404

IDEMPOTENCY_HEADER = OpenApiParameter(
    name="Idempotency-Key",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique string of at most 255 characters. Sending the same key again returns the "
        "object created the first time instead of creating another."
    ),
)


def visibility_of(request: Request) -> Visibility:
    return request._request.visibility.resolve()  # type: ignore[attr-defined]


class ScopedReadViewSet(viewsets.ReadOnlyModelViewSet):
    """A list and a detail of rows the caller sees; anything else, foreign or missing, is 404.

    ``get_queryset`` is a visibility-scoped selector; the detail looks the row up in it."""

    lookup_value_regex = "[^/]+"

    def get_object(self) -> Any:
        obj = visible_or_404(self.get_queryset(), pk=self.kwargs[self.lookup_url_kwarg])
        self.check_object_permissions(self.request, obj)
        return obj


class IdempotentCreateMixin(mixins.CreateModelMixin):
    """``POST`` with an ``Idempotency-Key`` header creates at most one object per key and user.

    The key row is written in the same transaction as the object, under a row lock, so a retry
    racing the first request waits for it and then returns its answer; a refused create stores
    nothing, so the caller can correct the input and send the same key again."""

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return super().create(request, *args, **kwargs)
        if len(key) > 255 or not key.isprintable():
            raise exceptions.ValidationError(
                {
                    "Idempotency-Key": [
                        _("The idempotency key must be at most 255 printable characters.")
                    ]
                }
            )
        with transaction.atomic():
            record, created = IdempotencyKey.objects.select_for_update().get_or_create(
                user=request.user, key=key, defaults={"path": request.path[:255]}
            )
            if not created:
                if record.path != request.path[:255] or record.status_code is None:
                    raise exceptions.ValidationError(
                        {
                            "Idempotency-Key": [
                                _("This idempotency key was already used for another request.")
                            ]
                        }
                    )
                response = Response(record.body, status=record.status_code)
                response["Idempotent-Replayed"] = "true"
                return response
            response = super().create(request, *args, **kwargs)
            record.status_code = response.status_code
            record.body = json.loads(JSONRenderer().render(response.data))
            record.save(update_fields=["status_code", "body"])
        return response


class VisiblePrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A reference to a row by id, resolved inside the request's visibility scope when the
    input is validated: a row the caller cannot see "does not exist", exactly like a missing one.
    """

    def __init__(self, model: type[Model], **kwargs: Any) -> None:
        self.model = model
        super().__init__(queryset=model.objects.none(), **kwargs)  # type: ignore[attr-defined]

    def get_queryset(self) -> QuerySet[Any]:
        return self.model.objects.all()  # type: ignore[attr-defined]
