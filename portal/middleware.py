from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from . import account_sessions, audit, two_factor
from .models import AuditEvent
from .scoping import visibility_scope
from .visibility import RequestVisibility


class DefaultLanguageMiddleware:
    """Simplified Chinese unless the user chose another language with the switcher (or, on the
    API, asked for one with Accept-Language).

    Unlike Django's LocaleMiddleware the browser's Accept-Language is ignored: a government
    portal opens in Chinese for everyone, and English is an explicit choice stored in a cookie.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen not in self.supported and request.path.startswith("/api/"):
            # An API caller has no switcher: its Accept-Language chooses (issue 13).
            chosen = translation.get_language_from_request(request)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language())
        translation.deactivate()
        return response


class ContentSecurityPolicyMiddleware:
    """Every asset is vendored and served from this origin, so nothing else may load or run."""

    POLICY = "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            # Django admin sets a few inline style attributes.
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.POLICY)
        return response


class VisibilityMiddleware:
    """Opens the user's visibility scope around the view and records access denials."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.visibility = RequestVisibility(request)  # type: ignore[attr-defined]
        token = audit.bind_request(request)
        try:
            with visibility_scope(request.visibility):  # type: ignore[attr-defined]
                return self.get_response(request)
        finally:
            audit.unbind_request(token)

    def process_exception(self, request: HttpRequest, exception: Exception) -> Any:
        if isinstance(exception, PermissionDenied):
            audit.record(action="access_denied", outcome=AuditEvent.Outcome.DENIED)
        return None


class PasswordChangeRequiredMiddleware:
    """An account created with a one-time password chooses its own before anything else."""

    ALLOWED_NAMES = frozenset({"password-change", "logout", "set-language"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "must_change_password", False)
            and not request.path.startswith(settings.STATIC_URL or "/static/")
        ):
            match = getattr(request, "resolver_match", None) or _resolve(request.path_info)
            if match is None or match.url_name not in self.ALLOWED_NAMES:
                return redirect("password-change")
        return self.get_response(request)


def _resolve(path: str) -> Any:
    from django.urls import Resolver404, resolve

    try:
        return resolve(path)
    except Resolver404:
        return None


class SecondFactorMiddleware:
    """Staff pass a second factor before any page (issue 14; 等保 2.0 三级 身份鉴别).

    A signed-in user whose session is not verified is sent to verify (they have an authenticator)
    or to enrol (they must have one and have none). Bureau staff, experts, operators and Django
    staff must; an enterprise user who enrolled by choice is asked too. The Django admin is
    behind this like every page. API requests get a 403 instead of a redirect; a request that
    authenticates with an API token has no session user here, so it never meets this check.
    """

    ALLOWED_NAMES = frozenset(
        {"two-factor-verify", "two-factor-setup", "logout", "set-language", "healthz"}
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or user.is_verified()
            or request.path.startswith(settings.STATIC_URL or "/static/")
        ):
            return self.get_response(request)
        match = _resolve(request.path_info)
        name = match.url_name if match is not None else None
        if name in self.ALLOWED_NAMES or (
            name == "password-change" and getattr(user, "must_change_password", False)
        ):
            return self.get_response(request)
        enrolled = two_factor.is_enrolled(user)
        if enrolled and two_factor.verify_remembered(request=request):
            return self.get_response(request)
        if not enrolled and not two_factor.is_required(user, request.visibility):  # type: ignore[attr-defined]
            return self.get_response(request)
        return self._refuse(request, "two-factor-verify" if enrolled else "two-factor-setup")

    def _refuse(self, request: HttpRequest, target: str) -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": _("Verify your second factor in the browser before using the API.")},
                status=403,
            )
        url = reverse(target)
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        return redirect(url)


class SessionTrackingMiddleware:
    """Keeps the "last seen" of the user's session for their sessions page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            account_sessions.session_touch(request=request)
        return self.get_response(request)
