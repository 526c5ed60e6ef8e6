"""The demo's authenticators. Staff personas come enrolled with a key derived from their login, so
a first visitor signs in without a phone; ``manage.py demo_code <login>`` shows the current code.
Only the devices made here answer: the command never shows the code of a real enrolment."""

import hashlib

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal import two_factor
from portal.models import User
from portal.visibility import Visibility

DEVICE_NAME = "demo authenticator"


def demo_key(username: str) -> str:
    """The demo device's key (hex, 20 bytes), derived from the login."""
    return hashlib.sha256(f"portal demo authenticator {username}".encode()).hexdigest()[:40]


def enrol_demo_staff() -> list[str]:
    """Give every persona who needs a second factor a confirmed demo authenticator (idempotent).
    Must run as the system (inside ``scopes_disabled()``)."""
    enrolled = []
    for user in User.objects.order_by("username"):
        if two_factor.is_required(user, Visibility.for_user(user)):
            TOTPDevice.objects.get_or_create(
                user=user,
                name=DEVICE_NAME,
                defaults={"key": demo_key(user.username), "confirmed": True},
            )
            enrolled.append(user.username)
    return enrolled


def current_code(username: str) -> str | None:
    """The code the demo authenticator of ``username`` shows now; None without one."""
    device = TOTPDevice.objects.filter(
        user__username=username, name=DEVICE_NAME, key=demo_key(username), confirmed=True
    ).first()
    if device is None:
        return None
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return str(totp.token()).zfill(device.digits)
