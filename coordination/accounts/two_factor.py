"""Two-factor authentication (TOTP, with single-use recovery codes) for the accounts that hold
sensitive data: police, city and reviewers (``PARLEY_2FA_ROLES``), staff on the admin, and
any organiser who chose to set it up.

The one question everybody asks is :func:`must_verify`; the one place that enforces it for
pages and the API is ``coordination.accounts.middleware.TwoFactorMiddleware``, for WebSockets
``messaging.auth.websocket_security``, for API tokens ``coordination.accounts.api.TokenView``.
"""

from __future__ import annotations

import secrets

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

#: The name both devices of a user carry; a user has at most one of each.
DEVICE_NAME = "parley"
RECOVERY_CODES = 10


def two_factor_roles() -> list[str]:
    """Roles that must use a second factor (``PARLEY_2FA_ROLES``; empty turns it off)."""
    return list(getattr(settings, "PARLEY_2FA_ROLES", ["police", "city", "reviewer"]))


def requires_two_factor(user) -> bool:
    """Whether this user's role obliges them to use a second factor."""
    return bool(getattr(user, "is_authenticated", False)
                and getattr(user, "role", None) in two_factor_roles())


def confirmed_totp_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_second_factor(user) -> bool:
    """Whether the user has set up an authenticator (required or by choice)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def must_verify(user, *, admin: bool = False) -> bool:
    """Whether this signed-in user must prove a second factor before going on: their role
    requires it, they chose it (an organiser who set it up), or they are staff on the admin."""
    if not getattr(user, "is_authenticated", False):
        return False
    if requires_two_factor(user) or (admin and user.is_staff):
        return True
    return has_second_factor(user)


def pending_totp_device(user) -> TOTPDevice:
    """The unconfirmed authenticator being set up (one per user, reused on reload)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def secret_of(device: TOTPDevice) -> str:
    """The device's key in base32, as authenticator apps take it when typed in."""
    from base64 import b32encode

    return b32encode(device.bin_key).decode("ascii").rstrip("=")


def qr_code_svg(text: str) -> str:
    """An SVG image (markup, no script) of a QR code of ``text``."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


@transaction.atomic
def confirm_totp_device(user, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the authenticator being set up if ``code`` is right: then it replaces any
    earlier one and fresh recovery codes are returned (to show once). ``None`` if wrong."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
    if not device.verify_token(_clean(code)):
        return None
    TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return new_recovery_codes(user)


@transaction.atomic
def new_recovery_codes(user, count: int = RECOVERY_CODES) -> list[str]:
    """Replace the user's recovery codes with ``count`` new single-use ones."""
    static, _created = StaticDevice.objects.get_or_create(
        user=user, name=DEVICE_NAME, defaults={"confirmed": True}
    )
    static.token_set.all().delete()
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(2)}" for _ in range(count)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=code) for code in codes)
    return codes


def _clean(code: str) -> str:
    return "".join((code or "").split()).lower()


def verify_code(user, code: str) -> Device | None:
    """The device that accepts ``code``: the authenticator's current code, or a recovery
    code (used up by this). ``None`` if neither does (each failure slows the next try)."""
    code = _clean(code)
    if not code:
        return None
    # Six digits are the authenticator's; recovery codes have letters and a dash. Asking
    # only the one device keeps a mistyped code from slowing down both.
    model = TOTPDevice if code.isdigit() else StaticDevice
    with transaction.atomic():
        device = model.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is not None and device.verify_token(code):
            return device
    return None


def session_is_verified(session, user) -> bool:
    """Whether ``session`` records a second factor of ``user`` (for WebSockets, which do
    not pass through django-otp's middleware)."""
    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    if not persistent_id:
        return False
    device = Device.from_persistent_id(persistent_id)
    return bool(device is not None and device.user_id == user.pk and device.confirmed)
