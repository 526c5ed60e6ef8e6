"""Abuse limits on the doors anyone can knock on (等保 2.0 三级 应用安全; OWASP ASVS L2 V11.1).

A fixed-window counter in the default cache (Redis when ``REDIS_URL`` is set, so every web
process shares it; local memory otherwise). Each limited view names its rules: a scope, what the
counter is keyed by (the client's address, the account typed in, the notice), how many hits a
window allows and how long the window is. The numbers are settings (``PORTAL_RATE_LIMITS``), so
an operator tunes them without a release. An answer over a limit is the portal's own 429 page in
the user's language, with ``Retry-After``; the first refusal of a window is audited, the rest
are not (a flood must not flood the audit trail too).

Per-account login failures are Axes' job (the lockout); the login limits here bound the number
of attempts, failed or not, from one address and against one account name.
"""

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from . import audit
from .models import AuditEvent

KeyFunction = Callable[[HttpRequest, dict[str, Any]], str | None]

# scope -> (hits allowed, window in seconds). Overridden per scope by settings.PORTAL_RATE_LIMITS.
DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    # A county bureau's office shares one NAT address (see AXES_LOCKOUT_PARAMETERS): generous.
    "login_ip": (60, 10 * 60),
    "login_account": (20, 10 * 60),
    "register_ip": (10, 60 * 60),
    "verify_ip": (60, 10 * 60),
    "objection_ip": (10, 60 * 60),
    "objection_ip_notice": (3, 24 * 60 * 60),
    # Every objector together on one notice: a distributed flood still ends here.
    "objection_notice": (200, 60 * 60),
}

# Namespaces the counters; tests give each test its own so counts never leak between tests.
KEY_PREFIX = "ratelimit"


@dataclass(frozen=True)
class Rule:
    scope: str
    key: KeyFunction
    methods: tuple[str, ...] = ("POST",)


@dataclass(frozen=True)
class Refusal:
    scope: str
    retry_after: int


def limits(scope: str) -> tuple[int, int]:
    configured = getattr(settings, "PORTAL_RATE_LIMITS", {}) or {}
    allowed, window = configured.get(scope, DEFAULT_LIMITS[scope])
    return int(allowed), int(window)


def _digest(value: str) -> str:
    # Keys stay short and printable whatever was typed (NUL, 5,000 characters, markup).
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def hit(scope: str, key: str) -> Refusal | None:
    """Count one hit of ``key`` in ``scope``; a refusal once the window's allowance is spent."""
    allowed, window = limits(scope)
    now = int(time.time())
    start = now - now % window
    cache_key = f"{KEY_PREFIX}:{scope}:{_digest(key)}:{start}"
    # add() is atomic in Redis and local memory: the first hit creates the counter.
    cache.add(cache_key, 0, timeout=window + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add() and incr(): this hit opens a new window
        cache.set(cache_key, 1, timeout=window + 1)
        count = 1
    if count <= allowed:
        return None
    refusal = Refusal(scope=scope, retry_after=max(1, start + window - now))
    if count == allowed + 1:
        audit.record(
            action="rate_limited",
            outcome=AuditEvent.Outcome.DENIED,
            detail={"scope": scope},
        )
    return refusal


def client_address(request: HttpRequest, kwargs: dict[str, Any]) -> str | None:
    return audit.client_ip(request) or "unknown"


def posted_username(request: HttpRequest, kwargs: dict[str, Any]) -> str | None:
    name = request.POST.get("username", "")
    return name.strip().casefold()[:150] or None


def address_and(kwarg: str) -> KeyFunction:
    """The client's address together with the object the URL names (e.g. one notice)."""

    def key(request: HttpRequest, kwargs: dict[str, Any]) -> str | None:
        return f"{client_address(request, kwargs)}|{kwargs.get(kwarg)}"

    return key


def url_object(kwarg: str) -> KeyFunction:
    def key(request: HttpRequest, kwargs: dict[str, Any]) -> str | None:
        return str(kwargs.get(kwarg))

    return key


def check(request: HttpRequest, rules: Iterable[Rule], kwargs: dict[str, Any]) -> Refusal | None:
    """Every rule that applies counts the hit; the longest wait of any refusal is answered."""
    refusals = []
    for rule in rules:
        if request.method not in rule.methods:
            continue
        key = rule.key(request, kwargs)
        if key is None:
            continue
        refusal = hit(rule.scope, key)
        if refusal is not None:
            refusals.append(refusal)
    return max(refusals, key=lambda refusal: refusal.retry_after, default=None)


def too_many_requests(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    minutes = max(1, (refusal.retry_after + 59) // 60)
    response = render(request, "429.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(refusal.retry_after)
    return response


def limited(*rules: Rule) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Wraps a view: a request over any of ``rules`` gets the 429 page instead of the view."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            refusal = check(request, rules, kwargs)
            if refusal is not None:
                return too_many_requests(request, refusal)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


@checks.register(checks.Tags.security)
def check_configured_scopes(**kwargs: Any) -> list[checks.CheckMessage]:
    """A misspelt scope in ``PORTAL_RATE_LIMITS`` would silently leave the default in force."""
    unknown = sorted(set(getattr(settings, "PORTAL_RATE_LIMITS", {}) or {}) - set(DEFAULT_LIMITS))
    return [
        checks.Error(
            f"PORTAL_RATE_LIMITS names unknown scopes: {', '.join(unknown)}",
            hint=f"Known scopes: {', '.join(DEFAULT_LIMITS)}",
            id="portal.E101",
        )
    ] * bool(unknown)


audit.register_actions({"rate_limited": _("refused: too many requests")})
