"""People in an organization or a bureau's expert pool, managed by those responsible for them.

An organization's admin adds members (an existing account found by user name, email or mobile
phone, or a new account), changes their role and removes them; an organization always keeps at
least one admin. A new account gets a one-time password, shown once to whoever created it, and
must choose its own password at first login (docs/decisions.md: accounts created for others).
"""

import secrets
import string
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from . import account_sessions, audit
from .models import (
    ORGANIZATION_ROLES,
    Bureau,
    Membership,
    Organization,
    Role,
    User,
    phone_lookup_hash,
)
from .visibility import Visibility

# No look-alike characters: the password is read off a screen and typed once.
PASSWORD_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")
PASSWORD_LENGTH = 12


def temporary_password() -> str:
    while True:
        password = "".join(secrets.choice(PASSWORD_ALPHABET) for _i in range(PASSWORD_LENGTH))
        if any(c.isdigit() for c in password) and any(c.isalpha() for c in password):
            return password


def user_find(identifier: str) -> User | None:
    """The active account whose user name, email or mobile phone is ``identifier``, if exactly
    one account has it."""
    identifier = identifier.strip()
    if not identifier:
        return None
    matches = list(
        User.objects.filter(
            Q(username=identifier)
            | Q(email__iexact=identifier)
            | Q(phone_lookup=phone_lookup_hash(identifier)),
            is_active=True,
        )[:2]
    )
    return matches[0] if len(matches) == 1 else None


def account_create(
    *, username: str, full_name: str, phone: str = "", email: str = ""
) -> tuple[User, str]:
    """A new account with a one-time password it must change at first login."""
    user = User(
        username=username.strip(),
        full_name=full_name.strip(),
        phone=phone.strip(),
        email=email.strip(),
        must_change_password=True,
    )
    errors: dict[str, list[str]] = {}
    if not user.full_name:
        errors["full_name"] = [_("Enter the person's full name.")]
    if not (user.phone or user.email):
        errors["phone"] = [_("Enter a mobile phone number or an email address to reach them.")]
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    password = temporary_password()
    user.set_password(password)
    user.save()
    audit.record_for(user, action="account_created", actor=None, detail={"user": user.username})
    return user, password


def _person(
    *, identifier: str, username: str, full_name: str, phone: str, email: str
) -> tuple[User, str]:
    """An existing account (by ``identifier``) or a new one; the password is "" for an existing
    account."""
    if identifier.strip():
        user = user_find(identifier)
        if user is None:
            raise ValidationError(
                {
                    "identifier": _(
                        "No single active account has this user name, email or mobile phone. "
                        "Check it, or create a new account below."
                    )
                }
            )
        return user, ""
    if not username.strip():
        raise ValidationError(
            {"identifier": _("Name an existing account, or fill in a new account below.")}
        )
    return account_create(username=username, full_name=full_name, phone=phone, email=email)


# --- organization members ------------------------------------------------------------------------
def require_organization_admin(visibility: Visibility, organization: Organization) -> None:
    if not (visibility.is_operator or organization.pk in visibility.admin_organization_ids):
        raise PermissionDenied


def _admin_count(organization: Organization) -> int:
    return Membership.objects.filter(
        organization=organization, role=Role.ORG_ADMIN, user__is_active=True
    ).count()


@transaction.atomic
def member_add(
    *,
    visibility: Visibility,
    organization: Organization,
    role: str,
    actor: User,
    identifier: str = "",
    username: str = "",
    full_name: str = "",
    phone: str = "",
    email: str = "",
) -> tuple[Membership, str]:
    """Add a person to the organization: an existing account or a new one (its one-time password
    is returned, to be shown once)."""
    require_organization_admin(visibility, organization)
    if role not in ORGANIZATION_ROLES:
        raise ValidationError({"role": _("Choose member or organization admin.")})
    user, password = _person(
        identifier=identifier, username=username, full_name=full_name, phone=phone, email=email
    )
    if Membership.objects.filter(organization=organization, user=user).exists():
        raise ValidationError(
            {"identifier": _("%(user)s is already a member of this organization.") % {"user": user}}
        )
    membership = Membership.objects.create(user=user, role=role, organization=organization)
    audit.record_for(
        membership,
        action="member_added",
        actor=actor,
        organization=organization,
        bureau=organization.home_bureau,
        detail={"user": user.username, "role": role, "new_account": bool(password)},
    )
    return membership, password


@transaction.atomic
def member_role_set(
    *, visibility: Visibility, membership: Membership, role: str, actor: User
) -> Membership:
    organization = membership.organization
    if organization is None:
        raise PermissionDenied
    require_organization_admin(visibility, organization)
    if role not in ORGANIZATION_ROLES:
        raise ValidationError(_("Choose member or organization admin."))
    # Locked, so two admins demoting each other at once cannot leave nobody in charge.
    list(
        Membership.objects.select_for_update().filter(
            organization=organization, role=Role.ORG_ADMIN
        )
    )
    membership.refresh_from_db()
    if membership.role == role:
        return membership
    if membership.role == Role.ORG_ADMIN and _admin_count(organization) <= 1:
        raise ValidationError(
            _("An organization needs at least one admin: make someone else admin first.")
        )
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit.record_for(
        membership,
        action="member_role_changed",
        actor=actor,
        organization=organization,
        bureau=organization.home_bureau,
        detail={"user": membership.user.username, "from": before, "to": role},
    )
    return membership


@transaction.atomic
def member_remove(*, visibility: Visibility, membership: Membership, actor: User) -> None:
    organization = membership.organization
    if organization is None:
        raise PermissionDenied
    require_organization_admin(visibility, organization)
    list(
        Membership.objects.select_for_update().filter(
            organization=organization, role=Role.ORG_ADMIN
        )
    )
    if membership.role == Role.ORG_ADMIN and _admin_count(organization) <= 1:
        raise ValidationError(_("The last admin cannot be removed: make someone else admin first."))
    username = membership.user.username
    audit.record_for(
        membership,
        action="member_removed",
        actor=actor,
        organization=organization,
        bureau=organization.home_bureau,
        detail={"user": username, "role": membership.role},
    )
    membership.delete()


@transaction.atomic
def member_password_reset(
    *, visibility: Visibility, membership: Membership, actor: User
) -> tuple[User, str]:
    """A member forgot their password: their organization's admin gives them a new one-time
    password (shown once), ends their sessions, and they choose their own at next sign-in.

    Only for people who belong to this organization alone: an admin must not take over an account
    that also works for a bureau, an expert pool or another organization (the portal operator
    resets those).
    """
    organization = membership.organization
    if organization is None:
        raise PermissionDenied
    require_organization_admin(visibility, organization)
    user = User.objects.select_for_update().get(pk=membership.user_id)
    if user.pk == actor.pk:
        raise ValidationError(_("Change your own password on the password page."))
    # Across tenants on purpose: whether the person holds any other role (a yes/no, never shown),
    # which the admin's scope cannot see and must not decide on.
    roles_elsewhere = Membership.all_objects.filter(user_id=user.pk).exclude(
        organization_id=organization.pk
    )
    if roles_elsewhere.exists():
        raise ValidationError(
            _(
                "%(user)s also has a role elsewhere in the portal: ask the portal operator to "
                "reset their password."
            )
            % {"user": user}
        )
    password = temporary_password()
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    audit.record_for(
        membership,
        action="member_password_reset",
        actor=actor,
        organization=organization,
        bureau=organization.home_bureau,
        detail={"user": user.username},
    )
    # The new password changes the session hash: every session of theirs is signed out; the
    # rows recording them go too.
    account_sessions.sessions_end_others(user=user, current_session_key=None, reason="reset")
    return user, password


# --- a bureau's expert pool ------------------------------------------------------------------------
def require_pool_keeper(visibility: Visibility, bureau: Bureau) -> None:
    """Managers and admins of the bureau itself keep its pool (reviewers only use it)."""
    if not (
        visibility.is_operator
        or bureau.pk in visibility.bureau_ids_with({Role.BUREAU_MANAGER, Role.BUREAU_ADMIN})
    ):
        raise PermissionDenied


@transaction.atomic
def expert_pool_add(
    *,
    visibility: Visibility,
    bureau: Bureau,
    actor: User,
    identifier: str = "",
    username: str = "",
    full_name: str = "",
    phone: str = "",
    email: str = "",
) -> tuple[Membership, str]:
    """Put a person in the bureau's expert pool: an existing account or a new one."""
    require_pool_keeper(visibility, bureau)
    user, password = _person(
        identifier=identifier, username=username, full_name=full_name, phone=phone, email=email
    )
    if Membership.objects.filter(bureau=bureau, user=user, role=Role.EXPERT).exists():
        raise ValidationError(
            {"identifier": _("%(user)s is already in this bureau's expert pool.") % {"user": user}}
        )
    membership = Membership.objects.create(user=user, role=Role.EXPERT, bureau=bureau)
    audit.record_for(
        membership,
        action="expert_added",
        actor=actor,
        bureau=bureau,
        detail={"user": user.username, "new_account": bool(password)},
    )
    return membership, password


def expert_pool_remove(*, visibility: Visibility, membership: Membership, actor: User) -> None:
    """Take a person out of the pool. Their account and their past scores stay; they are no
    longer offered for new assignments of this bureau."""
    bureau = membership.bureau
    if bureau is None or membership.role != Role.EXPERT:
        raise PermissionDenied
    require_pool_keeper(visibility, bureau)
    audit.record_for(
        membership,
        action="expert_removed",
        actor=actor,
        bureau=bureau,
        detail={"user": membership.user.username},
    )
    membership.delete()


def password_changed(*, user: Any) -> None:
    """The person chose their own password: the one-time password is spent."""
    if getattr(user, "must_change_password", False):
        user.must_change_password = False
        user.save(update_fields=["must_change_password"])
