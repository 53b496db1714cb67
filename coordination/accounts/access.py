"""API tokens, and the one place where a person's access is taken back.

Tokens are django-rest-knox's: every login makes a new one (several devices at once), only
its hash is stored, and it expires ``PARLEY_TOKEN_TTL_SECONDS`` after the login.

Access is taken back at these moments, all of which end in :func:`revoke_all_access`:

- the person logs out of the site (not when an idle session times out: walking away from
  one browser is not logging out of every device);
- their password changes, by whatever path sets a new one: the password-change and reset
  pages, the admin, ``manage.py changepassword``, code;
- they are deactivated (``is_active`` becomes false on a save, from the admin or code).

One device revoking its own token (``DELETE /api/v1/auth/token/``) ends in
:func:`revoke_token`. Each of these, once its transaction has committed, sends
:data:`access_revoked`: whatever else must end at that moment (a person's open live
connections, say) listens to that one signal.

``QuerySet.update(is_active=False)`` sends no model signal: deactivate people with ``save()``.
"""

from __future__ import annotations

import datetime as dt
import logging
from enum import StrEnum

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import Signal
from django.utils import timezone
from knox.models import AuthToken

from coordination.accounts.security_log import security_event

logger = logging.getLogger(__name__)

#: Sent, after commit, whenever access is taken back: ``sender`` is the user model,
#: ``user`` the person, ``reason`` a :class:`Reason`, ``token_key`` the first characters of
#: the one revoked token (``Reason.TOKEN_REVOKED``) or ``None`` when every token went.
access_revoked = Signal()

#: Sent inside :func:`revoke_all_access`'s transaction, before it commits, with ``user`` and
#: ``reason``: whatever an app above must void in the same transaction as the tokens (the
#: live channel's WebSocket tickets not used yet: messaging/apps.py) listens here. A receiver
#: that raises undoes the whole revocation, as the revocation's own failure would.
revoking_access = Signal()

#: Set on a request whose session is ended by the idle timeout, not by the person.
IDLE_LOGOUT_ATTRIBUTE = "parley_idle_logout"


class Reason(StrEnum):
    """Why access was taken back."""

    LOGOUT = "logout"
    PASSWORD_CHANGED = "password_changed"
    DEACTIVATED = "deactivated"
    TOKEN_REVOKED = "token_revoked"


def token_ttl() -> dt.timedelta:
    """How long a new token lasts (``PARLEY_TOKEN_TTL_SECONDS``)."""
    return dt.timedelta(seconds=settings.PARLEY_TOKEN_TTL_SECONDS)


@transaction.atomic
def issue_token(*, user) -> tuple[str, dt.datetime]:
    """A new API token for ``user`` and when it expires. Their other tokens go on working
    (each device has its own); those already expired are cleared away."""
    AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    instance, token = AuthToken.objects.create(user=user, expiry=token_ttl())
    return token, instance.expiry


@transaction.atomic
def revoke_token(token: AuthToken, *, request=None) -> None:
    """Revoke this one token (the device that sent it logs out); the person's other tokens
    and sessions go on."""
    user, key = token.user, token.token_key
    token.delete()
    security_event("token_revoked", request=request, user=user, success=True,
                   reason=str(Reason.TOKEN_REVOKED))
    _announce(user, Reason.TOKEN_REVOKED, token_key=key)


@transaction.atomic
def revoke_all_access(user, *, reason: Reason, request=None) -> int:
    """Revoke every API token of ``user`` and void their WebSocket tickets not yet used;
    log it, and announce it with :data:`access_revoked` after commit. Returns how many
    tokens there were."""
    revoked, _by_model = AuthToken.objects.filter(user=user).delete()
    revoking_access.send(sender=user.__class__, user=user, reason=reason)
    security_event("access_revoked", request=request, user=user, success=True,
                   reason=str(reason))
    _announce(user, reason)
    return revoked


def _announce(user, reason: Reason, *, token_key: str | None = None) -> None:
    def send() -> None:
        for receiver, error in access_revoked.send_robust(
                sender=user.__class__, user=user, reason=reason, token_key=token_key):
            # The access is already gone; a listener that failed must not undo the answer.
            if error is not None:
                logger.error("access_revoked receiver %r failed", receiver, exc_info=error)

    transaction.on_commit(send)


# --- The moments ---------------------------------------------------------------------------
# Receivers only recognise the moment; revoke_all_access does the work.


def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None and not getattr(request, IDLE_LOGOUT_ATTRIBUTE, False):
        revoke_all_access(user, reason=Reason.LOGOUT, request=request)


def _before_user_saved(sender, instance, raw: bool, update_fields, **kwargs) -> None:
    # Whether this save deactivates the person is only known before it: was the stored
    # row active? Asked only when the instance being saved is inactive.
    instance._parley_deactivating = bool(
        not raw and instance.pk is not None and not instance.is_active
        and (update_fields is None or "is_active" in update_fields)
        and sender._default_manager.filter(pk=instance.pk, is_active=True).exists()
    )


def _after_user_saved(sender, instance, created: bool, raw: bool, update_fields,
                      **kwargs) -> None:
    deactivating = instance.__dict__.pop("_parley_deactivating", False)
    if raw or created:
        return
    # set_password() keeps the new raw password in _password until the save is done (the
    # same mark Django's password_changed() hook is called on); a rehash at login clears it.
    new_password = getattr(instance, "_password", None) is not None and (
        update_fields is None or "password" in update_fields)
    if deactivating:
        revoke_all_access(instance, reason=Reason.DEACTIVATED)
    elif new_password:
        revoke_all_access(instance, reason=Reason.PASSWORD_CHANGED)


def connect() -> None:
    """Connect the moments above (``CoordinationConfig.ready``)."""
    user_model = get_user_model()
    user_logged_out.connect(_logged_out, dispatch_uid="parley.access.logged_out")
    pre_save.connect(_before_user_saved, sender=user_model,
                     dispatch_uid="parley.access.before_user_saved")
    post_save.connect(_after_user_saved, sender=user_model,
                      dispatch_uid="parley.access.after_user_saved")
