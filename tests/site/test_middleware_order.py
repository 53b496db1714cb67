"""The order of the middleware is part of Parley's security: a request passes down the list
(outermost first) and its response back up, so what a middleware can see, refuse or mark
depends on where it sits. ``MIDDLEWARE`` in config/settings.py is one literal list; this
pins it, and says why each middleware that guards something sits where it does.

Changing the stack means changing ``THE_STACK`` below too — and reading the rules under it.
"""

from __future__ import annotations

import pytest
from django.conf import settings

JSON_ERRORS = "config.api.JsonErrorsMiddleware"
REQUEST_ID = "config.observability.RequestIdMiddleware"
METRICS = "config.metrics.MetricsEndpointMiddleware"
PROMETHEUS_BEFORE = "django_prometheus.middleware.PrometheusBeforeMiddleware"
SECURITY = "django.middleware.security.SecurityMiddleware"
WHITENOISE = "whitenoise.middleware.WhiteNoiseMiddleware"
SESSION = "django.contrib.sessions.middleware.SessionMiddleware"
LOCALE = "django.middleware.locale.LocaleMiddleware"
API_UTC = "config.api.ApiTimesInUtcMiddleware"
COMMON = "django.middleware.common.CommonMiddleware"
CSRF = "django.middleware.csrf.CsrfViewMiddleware"
AUTHENTICATION = "django.contrib.auth.middleware.AuthenticationMiddleware"
USER_LANGUAGE = "coordination.accounts.middleware.UserLanguageMiddleware"
OTP = "django_otp.middleware.OTPMiddleware"
MESSAGES = "django.contrib.messages.middleware.MessageMiddleware"
OFFLINE_PACK_USER = "coordination.accounts.middleware.OfflinePackUserMiddleware"
IDLE_SESSION = "coordination.accounts.middleware.IdleSessionMiddleware"
TWO_FACTOR = "coordination.accounts.middleware.TwoFactorMiddleware"
FRAME_OPTIONS = "django.middleware.clickjacking.XFrameOptionsMiddleware"
CSP = "csp.middleware.CSPMiddleware"
PROMETHEUS_AFTER = "django_prometheus.middleware.PrometheusAfterMiddleware"
AXES = "axes.middleware.AxesMiddleware"

#: The whole stack, outermost first.
THE_STACK = [
    JSON_ERRORS,
    REQUEST_ID,
    METRICS,
    PROMETHEUS_BEFORE,
    SECURITY,
    WHITENOISE,
    SESSION,
    LOCALE,
    API_UTC,
    COMMON,
    CSRF,
    AUTHENTICATION,
    USER_LANGUAGE,
    OTP,
    MESSAGES,
    OFFLINE_PACK_USER,
    IDLE_SESSION,
    TWO_FACTOR,
    FRAME_OPTIONS,
    CSP,
    PROMETHEUS_AFTER,
    AXES,
]

#: (outer, inner, why the outer one must come first).
RULES = [
    (JSON_ERRORS, REQUEST_ID,
     "Outermost: every error answer under /api/ becomes JSON, whichever layer gave it — a "
     "host refused by CommonMiddleware, a CSRF failure, Django's 404 and 500 pages."),
    (REQUEST_ID, METRICS,
     "Every request gets its id and its log line, even one answered before the view (the "
     "/metrics scrape, a static file, a redirect to HTTPS or to the second factor)."),
    (METRICS, SECURITY,
     "/metrics is scraped by the worker's internal address over plain HTTP: it must be "
     "answered before the HTTPS redirect (config/metrics.py checks who may read it)."),
    (METRICS, COMMON,
     "/metrics is scraped by an address that is not in ALLOWED_HOSTS: it must be answered "
     "before CommonMiddleware checks the host."),
    (PROMETHEUS_BEFORE, SECURITY,
     "django-prometheus times and counts everything between its Before and After halves."),
    (SECURITY, WHITENOISE,
     "The HTTPS redirect and the security headers (HSTS, nosniff, referrer policy) apply to "
     "static files too; WhiteNoise asks to come straight after SecurityMiddleware."),
    (WHITENOISE, SESSION,
     "Static files are served without loading a session or a user."),
    (SESSION, LOCALE,
     "LocaleMiddleware comes after the session, as Django asks."),
    (LOCALE, COMMON,
     "CommonMiddleware's slash redirect resolves URLs in the active language."),
    (SESSION, CSRF,
     "The CSRF check may keep its token in the session (CSRF_USE_SESSIONS)."),
    (CSRF, AUTHENTICATION,
     "Django's own order: the CSRF check does not need the user."),
    (SESSION, AUTHENTICATION,
     "The signed-in user comes from the session."),
    (AUTHENTICATION, USER_LANGUAGE,
     "A user's own language setting needs request.user."),
    (LOCALE, USER_LANGUAGE,
     "A signed-in user's own language setting wins over the cookie and the browser's, which "
     "LocaleMiddleware has chosen from."),
    (USER_LANGUAGE, IDLE_SESSION,
     "The idle-timeout message is written in the user's language, chosen before they are "
     "logged out."),
    (USER_LANGUAGE, TWO_FACTOR,
     "The second-factor refusal (the API's 403) is in the user's language."),
    (AUTHENTICATION, OTP,
     "django-otp wraps request.user with is_verified(), so the user must be there."),
    (SESSION, MESSAGES,
     "Messages that do not fit in the cookie are kept in the session."),
    (OTP, OFFLINE_PACK_USER,
     "Whose answer it is (X-Parley-User) counts a user who owes a second factor only once "
     "given: django-otp's is_verified() must be there."),
    (OFFLINE_PACK_USER, IDLE_SESSION,
     "An answer to a session the idle timeout ended is nobody's: the header is read from "
     "request.user after the inner middlewares have logged it out."),
    (MESSAGES, IDLE_SESSION,
     "The idle timeout says, with a message, why it logged someone out."),
    (AUTHENTICATION, IDLE_SESSION,
     "The idle timeout logs out the signed-in user."),
    (IDLE_SESSION, TWO_FACTOR,
     "An idle session is logged out rather than asked for its second factor."),
    (OTP, TWO_FACTOR,
     "The second-factor check asks request.user.is_verified(), which django-otp adds."),
    (TWO_FACTOR, FRAME_OPTIONS,
     "Every page that a user owing a second factor may not see is refused before any view "
     "runs; the header middlewares only decorate the view's answer."),
    (TWO_FACTOR, CSP,
     "Every page that a user owing a second factor may not see is refused before any view "
     "runs; the header middlewares only decorate the view's answer."),
    (PROMETHEUS_AFTER, AXES,
     "django-axes asks to be last: it turns the login view's lockout into the lockout answer "
     "(429), which every middleware above — the metrics, the CSP and frame headers, the "
     "request id, the JSON errors — then sees like any other response."),
]


def test_the_middleware_stack_is_exactly_the_reviewed_one():
    assert settings.MIDDLEWARE == THE_STACK


def test_axes_is_the_innermost_middleware():
    assert settings.MIDDLEWARE[-1] == AXES


@pytest.mark.parametrize(("outer", "inner", "why"), RULES,
                         ids=[f"{o.rsplit('.', 1)[1]}-before-{i.rsplit('.', 1)[1]}"
                              for o, i, _ in RULES])
def test_each_guard_sits_where_it_must(outer, inner, why):
    stack = settings.MIDDLEWARE
    assert stack.index(outer) < stack.index(inner), why


def test_the_login_throttle_sees_a_password_before_any_other_backend():
    """django-axes refuses a locked-out username and address before the password is even
    checked (docs/security.md, "Hardening: accounts")."""
    assert settings.AUTHENTICATION_BACKENDS[0] == (
        "coordination.accounts.auth_backends.LoginThrottleBackend")


def test_the_lockout_is_marked_before_the_security_log_hears_of_the_failure():
    """django-axes's failed-login receiver marks a request it locked out; Parley's security
    log reads that mark, so axes must hear of the failure first (it is listed before
    Parley's apps in INSTALLED_APPS)."""
    from django.contrib.auth.signals import user_login_failed

    names = [receiver().__module__ for _key, receiver, *_rest in user_login_failed.receivers]

    assert names.index("axes.signals") < names.index("coordination.accounts.security_log")
