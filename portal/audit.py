"""The audit trail: who did what, when, from where, with what outcome (等保 2.0 安全审计).

Writes use ``Model.save()`` (the base manager), so an event can be recorded outside any
visibility scope, e.g. for a failed login. The request's actor, IP and path come from a context
variable the middleware sets; services never receive the request.
"""

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.utils.translation import gettext_lazy as _

from . import audit_chain
from .models import AuditEvent, Bureau, Organization


@dataclass(frozen=True)
class RequestContext:
    user_id: int | None
    ip_address: str | None
    path: str
    username: str = ""
    api_token_id: int | None = None


_request_context: ContextVar[RequestContext | None] = ContextVar("audit_request", default=None)


def client_ip(request: Any) -> str | None:
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or None


def bind_request(request: Any) -> Any:
    user = getattr(request, "user", None)
    context = RequestContext(
        user_id=user.pk if user is not None and user.is_authenticated else None,
        ip_address=client_ip(request),
        path=request.path[:255],
        username=user.get_username() if user is not None and user.is_authenticated else "",
    )
    return _request_context.set(context)


def unbind_request(token: Any) -> None:
    _request_context.reset(token)


def bind_api_token(*, user_id: int, api_token_id: int) -> None:
    """An API request authenticated by a personal token: every event recorded for the rest of the
    request names the user and the token (issue 13). The middleware's reset ends it."""
    context = _request_context.get()
    if context is not None:
        _request_context.set(
            RequestContext(
                user_id=user_id,
                ip_address=context.ip_address,
                path=context.path,
                api_token_id=api_token_id,
            )
        )


# What each action code means, for the audit page (codes are stable; labels are translations).
# The core registers its own; each app registers its actions from ``AppConfig.ready()``.
ACTION_LABELS: dict[str, Any] = {}


def register_actions(labels: dict[str, Any]) -> None:
    ACTION_LABELS.update(labels)


def action_label(code: str) -> str:
    return str(ACTION_LABELS.get(code, code))


def record(
    *,
    action: str,
    outcome: str,
    actor_id: int | None = None,
    username: str = "",
    bureau: Bureau | None = None,
    organization: Organization | None = None,
    object_type: str = "",
    object_id: str = "",
    detail: dict[str, Any] | None = None,
    request: Any = None,
) -> AuditEvent:
    context = _request_context.get()
    ip_address = client_ip(request) if request is not None else None
    path = request.path[:255] if request is not None else ""
    detail = dict(detail or {})
    if context is not None:
        if actor_id is None or actor_id == context.user_id:
            username = username or context.username
        actor_id = actor_id if actor_id is not None else context.user_id
        ip_address = ip_address or context.ip_address
        path = path or context.path
        if context.api_token_id is not None:
            detail.setdefault("api_token", context.api_token_id)
    event = AuditEvent(
        actor_id=actor_id,
        username=username[:150],
        ip_address=ip_address,
        action=action,
        outcome=outcome,
        object_type=object_type,
        object_id=object_id[:64],
        path=path,
        bureau=bureau,
        organization=organization,
        detail=detail,
    )
    # Chained and appended under the chain's lock (portal.audit_chain).
    return audit_chain.append(event)


def record_for(
    subject: Any,
    *,
    action: str,
    actor: Any,
    bureau: Bureau | None = None,
    organization: Organization | None = None,
    detail: dict[str, Any] | None = None,
    outcome: str = AuditEvent.Outcome.SUCCESS,
) -> AuditEvent:
    """The audit record of a use case on ``subject``: its type and id come from the row itself."""
    return record(
        action=action,
        outcome=outcome,
        actor_id=getattr(actor, "pk", None),
        username=actor.get_username() if hasattr(actor, "get_username") else "",
        bureau=bureau,
        organization=organization,
        object_type=subject._meta.label_lower,
        object_id=str(subject.pk),
        detail=detail,
    )


def _on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(
        action="login",
        outcome=AuditEvent.Outcome.SUCCESS,
        actor_id=user.pk,
        username=user.get_username(),
        request=request,
    )


def _on_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    record(
        action="login",
        outcome=AuditEvent.Outcome.FAILURE,
        username=str(credentials.get("username", "")),
        request=request,
    )


def _on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(
            action="logout",
            outcome=AuditEvent.Outcome.SUCCESS,
            actor_id=user.pk,
            username=user.get_username(),
            request=request,
        )


def _on_locked_out(
    sender: Any, request: Any, username: str, ip_address: str, **kwargs: Any
) -> None:
    record(
        action="login_locked",
        outcome=AuditEvent.Outcome.DENIED,
        username=username or "",
        request=request,
    )


def connect_signals() -> None:
    from axes.signals import user_locked_out

    user_logged_in.connect(_on_login, dispatch_uid="portal.audit.login")
    user_login_failed.connect(_on_login_failed, dispatch_uid="portal.audit.login_failed")
    user_logged_out.connect(_on_logout, dispatch_uid="portal.audit.logout")
    user_locked_out.connect(_on_locked_out, dispatch_uid="portal.audit.locked_out")


register_actions(
    {
        "access_denied": _("access denied"),
        "login": _("logged in"),
        "login_locked": _("account locked"),
        "logout": _("logged out"),
        "password_changed": _("password changed"),
        "membership_granted": _("role granted"),
        "account_created": _("account created with a one-time password"),
        "member_added": _("member added"),
        "member_role_changed": _("member's role changed"),
        "member_removed": _("member removed"),
        "member_password_reset": _("member given a new one-time password"),
        "expert_added": _("expert added to the pool"),
        "expert_removed": _("expert removed from the pool"),
        "records_imported": _("list imported"),
        "organization_registered": _("organization registered"),
        "organization_recorded": _("organization recorded by its code"),
        "organization_updated": _("organization profile updated"),
        "seal_uploaded": _("seal uploaded"),
        "reminder_policy_set": _("reminder policy set"),
        "exported": _("table exported"),
        "export_requested": _("export requested"),
        "export_written": _("export written"),
        "two_factor_enrolled": _("second factor enrolled"),
        "two_factor_enrol_failed": _("second factor enrolment failed"),
        "two_factor_verified": _("second factor passed"),
        "two_factor_failed": _("second factor failed"),
        "two_factor_disabled": _("second factor turned off"),
        "two_factor_reset": _("second factor reset by an operator"),
        "recovery_codes_generated": _("recovery codes generated"),
        "session_ended": _("sessions ended"),
        "file_downloaded": _("private file downloaded"),
        "personal_data_revealed": _("personal data shown unmasked"),
        "personal_data_viewed": _("own personal data viewed"),
        "api_token_created": _("API token created"),
        "api_token_revoked": _("API token revoked"),
    }
)
