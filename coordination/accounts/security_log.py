"""Every login, failed login, logout and second-factor check goes to the ``parley.security``
logger as one structured record (``extra={"security": {...}}``, also spelled out in the
message), never to an event's after-action log, which is about one demonstration."""

from __future__ import annotations

import logging

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

logger = logging.getLogger("parley.security")

#: Long user agents are cut to this many characters.
USER_AGENT_CHARS = 120


def _client(request) -> tuple[str, str]:
    if request is None:
        return "", ""
    meta = getattr(request, "META", {})
    ip = getattr(request, "axes_ip_address", None) or meta.get("REMOTE_ADDR", "")
    return ip or "", meta.get("HTTP_USER_AGENT", "")[:USER_AGENT_CHARS]


def security_event(action: str, *, request=None, user=None, username: str = "",
                   success: bool, reason: str = "") -> None:
    """Log one account event: who, from where, what, and why it failed."""
    ip, agent = _client(request)
    record = {
        "action": action,
        "username": getattr(user, "username", None) or username or "",
        "role": getattr(user, "role", "") or "",
        "ip": ip,
        "user_agent": agent,
        "success": success,
        "reason": reason,
        "path": getattr(request, "path", "") if request is not None else "",
    }
    text = " ".join(f"{key}={value!r}" for key, value in record.items())
    logger.log(logging.INFO if success else logging.WARNING, "%s %s", action, text,
               extra={"security": record})


def log_two_factor(request, user, *, success: bool, reason: str) -> None:
    security_event("two_factor", request=request, user=user, success=success, reason=reason)


@receiver(user_logged_in, dispatch_uid="parley.security.logged_in")
def _logged_in(sender, request, user, **kwargs) -> None:
    security_event("login", request=request, user=user, success=True, reason="password")


@receiver(user_login_failed, dispatch_uid="parley.security.login_failed")
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Axes marks the request when it refused because of a lockout.
    locked = bool(getattr(request, "axes_locked_out", False))
    username = str(credentials.get("username", ""))[:150]
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username).only("username", "role").first()
    security_event("login", request=request, user=user, username=username, success=False,
                   reason="locked_out" if locked else "bad_credentials")


@receiver(user_logged_out, dispatch_uid="parley.security.logged_out")
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        security_event("logout", request=request, user=user, success=True)
