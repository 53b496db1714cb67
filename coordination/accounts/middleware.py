"""Middleware that guards signed-in sessions: the second factor (one place for pages, the
API and the admin) and the idle timeout.

Both come after ``AuthenticationMiddleware`` and django-otp's ``OTPMiddleware``.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from coordination.accounts.access import IDLE_LOGOUT_ATTRIBUTE
from coordination.accounts.security_log import security_event
from coordination.accounts.two_factor import has_second_factor, must_verify
from coordination.languages import supported_language

#: Where the session keeps the time of its last request (seconds since the epoch).
LAST_SEEN_KEY = "parley_last_seen"
#: The last-seen time is written at most this often, so that not every request writes the
#: session.
LAST_SEEN_RESOLUTION = 60


def _exempt_paths() -> tuple[str, ...]:
    """Paths an unverified user may still reach: the 2FA pages, logging in and out, the
    token endpoint (it asks for the code itself), language switching, static files (and the
    icon browsers ask for on every page), health."""
    return (
        reverse("two_factor_setup"), reverse("two_factor_verify"), reverse("login"),
        reverse("logout"), reverse("api:token"), "/i18n/", "/" + settings.STATIC_URL.lstrip("/"),
        reverse("healthz"), reverse("favicon"), reverse("service-worker"),
        reverse("web-manifest"),
    )


class TwoFactorMiddleware:
    """Until a user who must use a second factor has given it in this session, pages
    redirect to setting one up or to entering a code (``?next=`` keeps the way back), and
    session-authenticated API calls answer 403 ``{"detail"}``."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not user.is_verified():
            path = request.path_info
            admin = path.startswith("/admin/")
            if must_verify(user, admin=admin) and not path.startswith(_exempt_paths()):
                return self._refuse(request, user)
        return self.get_response(request)

    @staticmethod
    def _refuse(request: HttpRequest, user) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            return JsonResponse(
                {"detail": _("Two-factor authentication is required: enter the code from "
                             "your authenticator app first.")},
                status=403,
            )
        target = "two_factor_verify" if has_second_factor(user) else "two_factor_setup"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")


def idle_seconds() -> int:
    """``PARLEY_SESSION_IDLE_SECONDS``: a session unused this long is over (0: never)."""
    return int(getattr(settings, "PARLEY_SESSION_IDLE_SECONDS", 1800))


def session_idle_expired(session, now: float | None = None) -> bool:
    """Whether this session has been unused for longer than the idle timeout."""
    limit = idle_seconds()
    last = session.get(LAST_SEEN_KEY)
    if not limit or last is None:
        return False
    return (now or time.time()) - float(last) > limit


class IdleSessionMiddleware:
    """Logs out a session that made no request for ``PARLEY_SESSION_IDLE_SECONDS``; the
    request then goes on anonymously (pages ask to log in again, the API answers 403)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and idle_seconds():
            now = time.time()
            if session_idle_expired(request.session, now):
                security_event("idle_timeout", request=request, user=request.user,
                               success=True, reason="idle")
                # Only this browser's session ends: the person's API tokens stay.
                setattr(request, IDLE_LOGOUT_ATTRIBUTE, True)
                logout(request)
                messages.info(request, _("You were logged out after a period of inactivity."))
            else:
                last = request.session.get(LAST_SEEN_KEY)
                if last is None or now - float(last) >= LAST_SEEN_RESOLUTION:
                    request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


def session_may_connect(session, user) -> bool:
    """Whether a WebSocket may use this browser session: not idle too long, and with the
    second factor given if the user needs one. (Sync: call it in a thread.)"""
    from coordination.accounts.two_factor import session_is_verified

    if not getattr(user, "is_authenticated", False):
        return True  # anonymous: the consumer refuses it itself
    if session_idle_expired(session):
        return False
    return not must_verify(user) or session_is_verified(session, user)


class UserLanguageMiddleware:
    """Show a signed-in user Parley in the language of their own setting, whatever their
    cookie or browser says (``LocaleMiddleware`` has already chosen from those)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        own = supported_language(getattr(user, "language", "")) if user else None
        if own and user.is_authenticated:
            translation.activate(own)
            request.LANGUAGE_CODE = own
        return self.get_response(request)


#: The header that says whose answer a response is (static/pwa/service_worker_offline.js).
USER_HEADER = "X-Parley-User"


class OfflinePackUserMiddleware:
    """Say on every answer to a signed-in person (who has given their second factor if they
    owe one) whose it is: ``X-Parley-User: <id>``. The service worker keeps an answer for
    offline use only in that person's own caches, and drops everyone else's when it sees a
    new person (docs/phones.md, "What phones keep offline"). Knowing it from the answer
    itself, not from what a page said earlier, leaves no moment where one person's page
    could go into another's cache."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        # request.user after the view: a logout's answer is nobody's.
        verified = getattr(user, "is_verified", None)  # not on a user an API token set
        if user is not None and user.is_authenticated and (
                (verified is not None and verified()) or not must_verify(user)):
            response.headers[USER_HEADER] = str(user.pk)
        return response
