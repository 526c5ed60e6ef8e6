"""Helpers the pages for calls and books share."""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest

from portal.models import Role
from portal.visibility import visible_or_404

from ..models import (
    Application,
)

CALL_MANAGERS = (Role.BUREAU_MANAGER, Role.BUREAU_ADMIN)


def _errors(error: ValidationError) -> list[str]:
    return error.messages


def _require_valid(form: Any) -> None:
    """A small form posted from a detail page: its problems become one message there."""
    if not form.is_valid():
        raise ValidationError(
            [f"{form.fields[f].label}: {e}" for f, errs in form.errors.items() for e in errs]
        )


def _load(request: HttpRequest, application_pk: int) -> Application:
    return visible_or_404(
        Application.objects.select_related(
            "call", "call__template", "call__bureau", "organization", "organization__home_bureau"
        ),
        pk=application_pk,
    )


def _is_member(request: HttpRequest, application: Application) -> bool:
    return application.organization_id in request.visibility.organization_ids
