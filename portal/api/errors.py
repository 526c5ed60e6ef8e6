"""Errors as JSON: ``{"code": stable, "message": in the caller's language, "errors": {...}}``.

Never an HTML page on an API path: DRF's exceptions, the services' ValidationError and
PermissionDenied, and Django's own 404/403/500 handlers on ``/api/`` all answer this shape.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

MESSAGES = {
    "not_found": lambda: _("Not found."),
    "permission_denied": lambda: _("You may not do this."),
    "server_error": lambda: _("The server could not answer; the error was recorded."),
}


def is_api_path(path: str) -> bool:
    return path.startswith("/api/")


def json_error(code: str, message: str, status_code: int, errors: Any = None) -> JsonResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    return JsonResponse(body, status=status_code, json_dumps_params={"ensure_ascii": False})


def django_error(request: HttpRequest, code: str, status_code: int) -> JsonResponse:
    """Django's handlers (an unmatched URL under /api/, a crash) in the API's error shape."""
    return json_error(code, MESSAGES[code](), status_code)


def _service_errors(error: DjangoValidationError) -> tuple[str, Any]:
    if hasattr(error, "error_dict"):
        errors = {
            field: [str(m) for m in messages] for field, messages in error.message_dict.items()
        }
        return _("Some fields are not valid."), errors
    messages = [str(m) for m in error.messages]
    return " ".join(messages), {"non_field_errors": messages}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        # A rule of a service refused the write: the same message the page shows.
        message, errors = _service_errors(exc)
        code = exc.code if getattr(exc, "code", None) else "invalid"
        status_code = status.HTTP_409_CONFLICT if code == "conflict" else 400
        return Response({"code": code, "message": message, "errors": errors}, status=status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(MESSAGES["not_found"]())
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(MESSAGES["permission_denied"]())
    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        body = {"code": "invalid", "message": _("Some fields are not valid."), "errors": exc.detail}
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        body = {"code": code, "message": str(exc.detail)}
    response.data = body
    return response
