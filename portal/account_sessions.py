"""A user's signed-in browsers: recorded at login, listed to their owner, ended on demand.

Session hygiene of issue 14 (等保 2.0 三级 身份鉴别 / 访问控制; OWASP ASVS V3.3): a user sees
their other sessions (browser, IP address, last seen) and ends them; every session of a user ends
when their password changes (except the one that changed it) and when an operator resets their
second factor. Django's session store keeps the sessions; ``UserSession`` maps them to users.
"""

from datetime import timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from . import audit
from .models import AuditEvent, User, UserSession

# The session's "last seen" time kept in the session itself, so the row is written at most
# once per PORTAL_SESSION_TOUCH_SECONDS and not on every request.
TOUCHED_KEY = "portal_session_touched"


def _store(session_key: str) -> Any:
    engine = import_module(settings.SESSION_ENGINE)
    return engine.SessionStore(session_key=session_key)


def _alive_after() -> Any:
    """Rows not seen within the idle timeout (plus the touch interval) belong to dead sessions."""
    return timezone.now() - timedelta(
        seconds=settings.SESSION_COOKIE_AGE + settings.PORTAL_SESSION_TOUCH_SECONDS
    )


def _describe(request: Any) -> dict[str, Any]:
    return {
        "ip_address": audit.client_ip(request),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:255],
    }


def session_record(*, request: Any, user: User) -> None:
    """Map the request's (new) session to ``user``; forget the user's sessions that died idle."""
    session = request.session
    if session.session_key is None:
        session.save()
    UserSession.objects.filter(user=user, last_seen_at__lt=_alive_after()).delete()
    UserSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={"user": user, "last_seen_at": timezone.now(), **_describe(request)},
    )
    session[TOUCHED_KEY] = int(timezone.now().timestamp())


def session_touch(*, request: Any) -> None:
    """Refresh the "last seen" of the request's session, at most every few minutes."""
    session = request.session
    now = int(timezone.now().timestamp())
    if now - int(session.get(TOUCHED_KEY, 0)) < settings.PORTAL_SESSION_TOUCH_SECONDS:
        return
    if session.session_key is None:
        return
    session[TOUCHED_KEY] = now
    updated = UserSession.objects.filter(
        session_key=session.session_key, user_id=request.user.pk
    ).update(last_seen_at=timezone.now(), **_describe(request))
    if not updated:
        # A session that began before sessions were recorded: record it now.
        session_record(request=request, user=request.user)


def session_rekeyed(*, old_key: str | None, new_key: str | None) -> None:
    """Django gave the session a new key (after a password change): the row follows it."""
    if old_key and new_key and old_key != new_key:
        UserSession.objects.filter(session_key=old_key).update(session_key=new_key)


def sessions_of(user: Any) -> QuerySet[UserSession]:
    """The user's live sessions, newest use first (only their own: not tenant data)."""
    return UserSession.objects.filter(user_id=user.pk, last_seen_at__gte=_alive_after())


def _end(rows: QuerySet[UserSession]) -> int:
    keys = list(rows.values_list("session_key", flat=True))
    for key in keys:
        _store(key).delete()
    rows.filter(session_key__in=keys).delete()
    return len(keys)


def session_end(*, user: Any, session_id: int, current_session_key: str | None) -> None:
    """The user ends one of their other sessions (their own only: another's is a 404)."""
    rows = UserSession.objects.filter(user_id=user.pk, pk=session_id).exclude(
        session_key=current_session_key or ""
    )
    if not rows.exists():
        raise Http404
    _end(rows)
    audit.record_for(
        user, action="session_ended", actor=user, detail={"sessions": 1, "reason": "user"}
    )


def sessions_end_others(*, user: Any, current_session_key: str | None, reason: str) -> int:
    """End every session of ``user`` but the current one (after a password change, or on demand).

    Sessions created before rows were recorded are ended too by Django itself: a password change
    changes the session hash every other session carries.
    """
    rows = UserSession.objects.filter(user_id=user.pk).exclude(
        session_key=current_session_key or ""
    )
    count = _end(rows)
    audit.record(
        action="session_ended",
        outcome=AuditEvent.Outcome.SUCCESS,
        actor_id=user.pk,
        username=user.get_username(),
        object_type=user._meta.label_lower,
        object_id=str(user.pk),
        detail={"sessions": count, "reason": reason},
    )
    return count


def sessions_end_all(*, user: Any) -> int:
    """End every session of ``user`` (their second factor was reset by an operator)."""
    return _end(UserSession.objects.filter(user_id=user.pk))


def _on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        session_record(request=request, user=user)


def _on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and getattr(request, "session", None) is not None:
        key = request.session.session_key
        if key:
            UserSession.objects.filter(session_key=key).delete()


def connect_signals() -> None:
    user_logged_in.connect(_on_login, dispatch_uid="portal.account_sessions.login")
    user_logged_out.connect(_on_logout, dispatch_uid="portal.account_sessions.logout")
