"""Personal API tokens (issue 13): created, listed and revoked by their owner.

A token is ``<prefix>.<secret>``; only the SHA-256 digest of the whole token is stored, so a
leaked database does not leak working tokens. The prefix is unique and names the token in the
list and the audit trail; it also finds the row without scanning every digest.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit
from .models import ApiToken, AuditEvent, User

EXPIRY_DAYS = (30, 90, 180, 365)
MAX_ACTIVE_TOKENS = 20


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_list(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


def token_create(
    *, user: User, name: str, scope: str, expires_in_days: int
) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the token itself, which is never stored."""
    name = name.strip()
    errors: dict[str, str] = {}
    if not name or len(name) > 100:
        errors["name"] = _("Give the token a name of at most 100 characters.")
    if scope not in ApiToken.Scope.values:
        errors["scope"] = _("Choose read only or read and write.")
    if expires_in_days not in EXPIRY_DAYS:
        errors["expires_in_days"] = _("Choose an expiry from the list.")
    now = timezone.now()
    active = ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=now)
    if active.count() >= MAX_ACTIVE_TOKENS:
        errors["name"] = _("You have %(count)d active tokens; revoke one first.") % {
            "count": MAX_ACTIVE_TOKENS
        }
    if errors:
        raise ValidationError(errors)
    prefix = secrets.token_hex(4)
    raw = f"{prefix}.{secrets.token_urlsafe(32)}"
    token = ApiToken(
        user=user,
        name=name,
        prefix=prefix,
        digest=digest(raw),
        scope=scope,
        expires_at=now + timedelta(days=expires_in_days),
    )
    token.save()
    audit.record_for(
        token,
        action="api_token_created",
        actor=user,
        detail={"prefix": prefix, "scope": scope, "expires_at": token.expires_at.isoformat()},
    )
    return token, raw


def token_revoke(*, user: User, token: ApiToken) -> ApiToken:
    """The owner revokes one of their tokens; it is refused from then on."""
    if token.user_id != user.pk:
        raise ValidationError(_("There is no such token."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record_for(
            token,
            action="api_token_revoked",
            actor=user,
            outcome=AuditEvent.Outcome.SUCCESS,
            detail={"prefix": token.prefix},
        )
    return token


def token_authenticate(raw: str) -> ApiToken | None:
    """The active token ``raw`` names, or None (unknown, revoked or expired)."""
    prefix, _dot, secret = raw.partition(".")
    if not prefix or not secret or len(raw) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.digest, digest(raw)):
        return None
    now = timezone.now()
    if not token.is_active(now) or not token.user.is_active:
        return None
    # At most one write a minute per token, so a busy integrator does not write on every call.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
