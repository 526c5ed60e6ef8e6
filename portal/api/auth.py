"""Who calls the API: a personal token (``Authorization: Bearer <token>``) or the browser's
session; what a token may do (its scope); how often (a rate per token)."""

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, permissions, throttling
from rest_framework.request import Request

from .. import audit
from ..models import ApiToken
from ..tokens import token_authenticate

KEYWORDS = ("bearer", "token")


class TokenAuthentication:
    """A personal API token from the portal's token page (issue 13). Unknown, revoked and
    expired tokens answer 401 alike, so a caller learns nothing about other people's tokens."""

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = request.headers.get("Authorization", "")
        keyword, _space, raw = header.strip().partition(" ")
        if keyword.lower() not in KEYWORDS:
            return None
        token = token_authenticate(raw.strip())
        if token is None:
            raise exceptions.AuthenticationFailed(
                _("The API token is unknown, revoked or expired."), code="invalid_token"
            )
        audit.bind_api_token(user_id=token.user_id, api_token_id=token.pk)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class TokenScope(permissions.BasePermission):
    """A read-only token may only read; a session (the browser) may do what the pages allow."""

    message = _("This API token may only read; create a read-and-write token to change data.")
    code = "read_only_token"

    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth
        if isinstance(token, ApiToken) and request.method not in permissions.SAFE_METHODS:
            return token.scope == ApiToken.Scope.READ_WRITE
        return True


class ApiRateThrottle(throttling.SimpleRateThrottle):
    """One budget per token (and per user for the browser, per address for the public), kept in
    the shared cache so every web process counts against the same number."""

    scope = "api"

    def get_rate(self) -> str:
        return str(settings.API_RATE_LIMIT)

    def allow_request(self, request: Any, view: Any) -> bool:
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Any, view: Any) -> str:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return f"throttle_{self.scope}_{ident}"


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """The token in the OpenAPI schema: an HTTP bearer scheme."""

    target_class = "portal.api.auth.TokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer"}
