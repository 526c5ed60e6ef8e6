"""Password rules and the lockout page (等保 2.0 三级 身份鉴别; OWASP ASVS L2 V2)."""

from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def character_classes(password: str) -> int:
    return sum(
        [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
    )


class CharacterClassValidator:
    """At least ``min_classes`` of: lower-case, upper-case, digits, symbols."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return ngettext(
            "Your password must mix at least %(count)d kind of character: lower-case letters, upper-case letters, digits, symbols.",
            "Your password must mix at least %(count)d kinds of characters: lower-case letters, upper-case letters, digits, symbols.",
            self.min_classes,
        ) % {"count": self.min_classes}


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's, with its refusal in our catalogue: Django 5.2 changed the message's wording and
    its Chinese catalogue still has the old one, so the refusal came out in English."""

    def get_error_message(self) -> str:
        return ngettext(
            "This password is too short. It must contain at least %(count)d character.",
            "This password is too short. It must contain at least %(count)d characters.",
            self.min_length,
        ) % {"count": self.min_length}


def lockout_response(
    request: Any, response: Any = None, credentials: Any = None, *args: Any, **kwargs: Any
) -> Any:
    """Axes calls this once an account is locked: the login page again, with the reason."""
    from django.conf import settings

    from .forms import LoginForm

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = _(
        "Too many failed attempts: this account is locked for %(minutes)d minutes. "
        "Try again later or ask your administrator to unlock it."
    ) % {"minutes": minutes}
    return render(
        request,
        "registration/login.html",
        {"form": LoginForm(request), "lockout_message": message},
        status=403,
    )
