"""Two-factor login (issue 14, item 1; 等保 2.0 三级 身份鉴别 8.1.4.1: two or more authentication
techniques for administrators and staff; OWASP ASVS V2.7/V2.8).

django-otp does the cryptography: a TOTP device (RFC 6238) enrolled by scanning a QR code, and a
static device holding single-use recovery codes. This module decides who must use them, keeps
the "remember this browser" cookie, and holds the write use cases (enrol, regenerate recovery
codes, disable, operator reset), each audited.

Who must: bureau staff, experts and portal operators (and any Django staff account). Enterprise
users may enrol; once they have, the second step is asked of them too.
"""

import hashlib
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import account_sessions, audit
from .models import AuditEvent, Role, User
from .visibility import Visibility

RECOVERY_DEVICE_NAME = "recovery"
AUTHENTICATOR_DEVICE_NAME = "authenticator"
REMEMBER_COOKIE = "portal_otp_remember"
REMEMBER_SALT = "portal.two_factor.remember"
# Roles whose holders must pass a second factor (issue 14: bureau staff, experts, operators).
REQUIRED_ROLES = frozenset(
    {Role.BUREAU_REVIEWER, Role.BUREAU_MANAGER, Role.BUREAU_ADMIN, Role.EXPERT, Role.OPERATOR}
)


# --- policy ---------------------------------------------------------------------------------
def is_required(user: Any, visibility: Visibility | Any) -> bool:
    """Whether ``user`` may not work without a second factor."""
    if getattr(user, "is_staff", False) or getattr(user, "is_superuser", False):
        return True
    return any(role in REQUIRED_ROLES for role, _b, _o in visibility.roles)


def authenticator_of(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).order_by("pk").first()


def is_enrolled(user: Any) -> bool:
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()


def recovery_codes_left(user: Any) -> int:
    return StaticToken.objects.filter(
        device__user_id=user.pk, device__name=RECOVERY_DEVICE_NAME
    ).count()


# --- enrolment --------------------------------------------------------------------------------
def pending_authenticator(*, user: Any) -> TOTPDevice:
    """The not yet confirmed authenticator the enrol page shows (one per user, reused)."""
    device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name=AUTHENTICATOR_DEVICE_NAME, confirmed=False
        )
    return device


def qr_code_svg(device: TOTPDevice) -> SafeString:
    """The otpauth:// URL as an inline SVG, drawn on the server (no CDN, no script)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    svg = image.to_string(encoding="unicode")
    # Our own drawing of a URL built from the device's key: nothing user-typed goes in.
    return mark_safe(svg)  # noqa: S308


def secret_for_typing(device: TOTPDevice) -> str:
    """The key in base32, grouped by four, for authenticators typed in by hand."""
    import base64

    text = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def _new_recovery_codes(user: Any) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _i in range(settings.PORTAL_OTP_RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def two_factor_enrol(*, user: User, device_id: int, token: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending authenticator with a code it shows; returns it and fresh recovery
    codes (shown once). A wrong code raises ValidationError (and counts toward the throttle)."""
    device = TOTPDevice.objects.filter(user_id=user.pk, pk=device_id, confirmed=False).first()
    if device is None:
        raise ValidationError(_("This enrolment has expired. Scan the new QR code."))
    # Outside a transaction on purpose: a wrong code's throttle count and audit record stay.
    if verify_token(user, device.persistent_id, _clean(token)) is None:
        audit.record_for(
            user,
            action="two_factor_enrol_failed",
            actor=user,
            outcome=AuditEvent.Outcome.FAILURE,
        )
        raise ValidationError(
            _("The code does not match. Check the time on your phone and type the current code.")
        )
    with transaction.atomic():
        # One authenticator per user: a new one replaces the old.
        TOTPDevice.objects.filter(user_id=user.pk).exclude(pk=device.pk).delete()
        device.refresh_from_db()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        audit.record_for(user, action="two_factor_enrolled", actor=user)
    return device, codes


@transaction.atomic
def recovery_codes_regenerate(*, user: User) -> list[str]:
    """New recovery codes; the old ones stop working."""
    if not is_enrolled(user):
        raise PermissionDenied
    codes = _new_recovery_codes(user)
    audit.record_for(user, action="recovery_codes_generated", actor=user)
    return codes


def _delete_devices(user: Any) -> None:
    TOTPDevice.objects.filter(user_id=user.pk).delete()
    StaticDevice.objects.filter(user_id=user.pk).delete()


@transaction.atomic
def two_factor_disable(*, user: User, visibility: Visibility) -> None:
    """An enterprise user who enrolled by choice turns the second factor off again."""
    if is_required(user, visibility):
        raise PermissionDenied
    _delete_devices(user)
    audit.record_for(user, action="two_factor_disabled", actor=user)


@transaction.atomic
def two_factor_reset(*, actor: User, user: User) -> int:
    """An operator removes a user's second factor (a lost phone): the user enrols again at the
    next login, and every session of theirs ends. Returns the number of sessions ended."""
    if not Visibility.for_user(actor).is_operator:
        raise PermissionDenied
    _delete_devices(user)
    ended = account_sessions.sessions_end_all(user=user)
    audit.record_for(
        user,
        action="two_factor_reset",
        actor=actor,
        detail={"user": user.get_username(), "sessions_ended": ended},
    )
    return ended


# --- the second step ------------------------------------------------------------------------
def _clean(token: str) -> str:
    return "".join(token.split()).replace("-", "").lower()


def verify(*, request: HttpRequest, token: str) -> str:
    """Check a code from the authenticator or a recovery code and mark the session verified.

    Returns the method that passed (``"totp"`` or ``"recovery_code"``); raises ValidationError
    with a message for the person otherwise. A recovery code works once (django-otp deletes it).
    """
    user = request.user
    code = _clean(token)
    if not code:
        raise ValidationError(_("Type the code shown by your authenticator app."))
    if code.isdigit():
        devices = TOTPDevice.objects.filter(user_id=user.pk, confirmed=True)
        method = "totp"
    else:
        devices = StaticDevice.objects.filter(user_id=user.pk, confirmed=True)
        method = "recovery_code"
    for device in devices:
        allowed, _details = device.verify_is_allowed()
        if not allowed:
            audit.record(action="two_factor_failed", outcome=AuditEvent.Outcome.DENIED)
            raise ValidationError(
                _("Too many wrong codes. Wait a minute, then type the current code.")
            )
        verified = verify_token(user, device.persistent_id, code)
        if verified is not None:
            otp_login(request, verified)
            audit.record(
                action="two_factor_verified",
                outcome=AuditEvent.Outcome.SUCCESS,
                detail={"method": method},
            )
            return method
    audit.record(
        action="two_factor_failed", outcome=AuditEvent.Outcome.FAILURE, detail={"method": method}
    )
    raise ValidationError(
        _("The code is wrong or has already been used. Type the current code, or a recovery code.")
    )


# --- remembered browsers ----------------------------------------------------------------------
def _fingerprint(device: TOTPDevice) -> str:
    # Bound to the device's key: a new enrolment or a reset forgets every remembered browser.
    return hashlib.sha256(f"{device.pk}:{device.key}".encode()).hexdigest()[:16]


def remember(*, response: HttpResponse, request: HttpRequest, device: Any) -> None:
    """A signed cookie that spares this browser the second step for PORTAL_OTP_REMEMBER_DAYS."""
    if not isinstance(device, TOTPDevice):
        device = authenticator_of(request.user)
    if device is None:
        return
    response.set_cookie(
        REMEMBER_COOKIE,
        signing.dumps({"user": request.user.pk, "key": _fingerprint(device)}, salt=REMEMBER_SALT),
        max_age=settings.PORTAL_OTP_REMEMBER_DAYS * 24 * 3600,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def verify_remembered(*, request: HttpRequest) -> bool:
    """Mark the session verified if this browser carries a valid, unexpired remember cookie."""
    try:
        value = signing.loads(
            request.COOKIES.get(REMEMBER_COOKIE, ""),
            salt=REMEMBER_SALT,
            max_age=settings.PORTAL_OTP_REMEMBER_DAYS * 24 * 3600,
        )
    except signing.BadSignature:
        return False
    if not isinstance(value, dict) or value.get("user") != request.user.pk:
        return False
    device = authenticator_of(request.user)
    if device is None or _fingerprint(device) != value.get("key"):
        return False
    otp_login(request, device)
    audit.record(
        action="two_factor_verified",
        outcome=AuditEvent.Outcome.SUCCESS,
        detail={"method": "remembered_browser"},
    )
    return True
