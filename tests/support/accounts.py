"""Logging people in for tests, second factor included: the one helper every test uses.

``log_in(client, user)`` force-logs-in and, for anyone who needs a second factor, gives the
user a real confirmed authenticator and marks the session verified with it, exactly as the
two-factor page does. ``totp_code(user)`` is what the user's app would show now.
"""

from __future__ import annotations

import time

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from coordination.accounts.two_factor import DEVICE_NAME, must_verify


def authenticator_of(user) -> TOTPDevice:
    """The user's confirmed authenticator, made if they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)


def totp_code(user_or_device) -> str:
    """The code the user's authenticator app shows now — or, if that one was used already
    (a code counts once), the next one, which the server accepts within its tolerance."""
    device = user_or_device if isinstance(user_or_device, TOTPDevice) \
        else authenticator_of(user_or_device)
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.time += device.step * (device.last_t + 1 - totp.t())
    return f"{totp.token():0{device.digits}d}"


def verify_session(client, user) -> None:
    """Record in ``client``'s session that ``user`` gave their second factor."""
    device = authenticator_of(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def log_in(client, user, *, verified: bool = True):
    """Log ``user`` in on ``client`` (Django's test client); second factor given unless
    ``verified=False``. Returns the client."""
    client.force_login(user)
    if verified and (must_verify(user) or user.is_staff):
        verify_session(client, user)
    return client


def api_token(user) -> str:
    """A new API token of ``user``, as logging in to the API (``POST /api/v1/auth/token/``)
    gives one; in async tests: ``await sync_to_async(api_token)(user)``."""
    from coordination.accounts.access import issue_token

    return issue_token(user=user)[0]
