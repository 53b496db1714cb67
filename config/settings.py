"""Parley settings: everything comes from environment variables.

The embedded default (no variables set) is a SpatiaLite file under ``var/`` and the in-memory
channel layer. Production sets ``DATABASE_URL=postgis://…``, ``REDIS_URL``, ``SECRET_KEY``,
``ALLOWED_HOSTS`` and ``DEBUG=false``; see docs/deployment.md.
"""

import ipaddress
import re
from pathlib import Path
from urllib.parse import urlsplit

import csp.constants as _csp
import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config import security as _security
from coordination.moments import valid_time_zone as _valid_time_zone

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

_DEV_SECRET_KEY = "django-insecure-parley-development-only"
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
if DEBUG:
    SECRET_KEY = SECRET_KEY or _DEV_SECRET_KEY
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]"]
else:
    # Refuse to start half-configured: a production deployment must say who it is.
    if not SECRET_KEY or SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a long random value when DEBUG is off "
            "(see docs/deployment.md)."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS must list this site's host names when DEBUG is off "
            "(see docs/deployment.md)."
        )
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
#: Old keys still accepted for signed data (sessions, password-reset links) while a new
#: SECRET_KEY rolls out: comma-separated, newest first (docs/operations.md).
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

# One app per line, in the order Django loads them: their templates, translations, admin
# modules and ready() hooks go by it (django-axes, for one, must connect its failed-login
# receiver before Parley's security log does, or a lockout is logged as a bad password).
# Django's own, then the libraries, then Parley's apps.
INSTALLED_APPS = [
    "daphne",  # before staticfiles, so runserver is Daphne's
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.forms",  # its widget templates, for FORM_RENDERER below
    "rules.apps.AutodiscoverRulesConfig",
    "channels",
    "leaflet",
    "rest_framework",
    "knox",  # API tokens: hashed at rest, one per login, each with its expiry
    "rest_framework_gis",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",  # Content-Security-Policy (its system checks; the header is the middleware's)
    "mailer",  # the e-mail queue ("E-mail notifications" below)
    "django_prometheus",  # metrics ("Observability" below)
    "django_otp",  # second factor ("Accounts hardening" below)
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",  # login throttling ("Accounts hardening" below)
    # Parley's apps, one per layer, lowest first (the layers: pyproject.toml, importlinter).
    "coordination",
    "events",
    "zones",
    "messaging",
    "desk",
    "review",
    "public",
    "privacy",
    "push",  # Web Push to members' phones: reads across messaging, zones and events
    "config",  # only for the demo commands (load_demo_data), which use every app
]

# Outermost first: a request passes down this list and its response back up. Why each one
# sits where it does is pinned, rule by rule, in tests/site/test_middleware_order.py.
MIDDLEWARE = [
    # Every error answer under /api/ is JSON, whichever layer below gave it (a refused host,
    # a CSRF failure, a 404 or 500 page).
    "config.api.JsonErrorsMiddleware",
    # Each request's id and its log line, for every request, even those answered early.
    "config.observability.RequestIdMiddleware",
    # /metrics for Prometheus, before the host check and the HTTPS redirect: it is scraped
    # by the worker's internal address over plain HTTP (config/metrics.py).
    "config.metrics.MetricsEndpointMiddleware",
    # django-prometheus times everything from here down to its After middleware.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # HTTPS redirect and security headers (HSTS, nosniff, referrer policy) before anything
    # else answers, static files included.
    "django.middleware.security.SecurityMiddleware",
    # Static files, with those headers but without session, user or database work.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language from the cookie or the browser; before CommonMiddleware, whose slash
    # redirect resolves URLs in the active language.
    "django.middleware.locale.LocaleMiddleware",
    # The API reads and writes times in UTC ("Z"); pages in the city's time zone.
    "config.api.ApiTimesInUtcMiddleware",
    # The host check (ALLOWED_HOSTS) and the slash redirect.
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # request.user, from the session.
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in user's own language setting wins over the cookie and the browser's, for
    # everything below (the idle-timeout message, the two-factor refusal).
    "coordination.accounts.middleware.UserLanguageMiddleware",
    # request.user.is_verified(): has this session given its second factor?
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Says whose answer each response is, for the service worker's offline caches.
    "coordination.accounts.middleware.OfflinePackUserMiddleware",
    # Logs out an idle session (and says so with a message): before the second-factor check,
    # so an idle session ends rather than being asked for a code.
    "coordination.accounts.middleware.IdleSessionMiddleware",
    # Refuses pages and the API to a user who owes a second factor (needs is_verified()).
    "coordination.accounts.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes asks: turns the login view's lockout into the lockout answer
    # (429), which every middleware above then sees like any other response.
    "axes.middleware.AxesMiddleware",
]

# Widgets render through TEMPLATES (so with templates/ first): Parley's copy of
# leaflet/widget.html starts its map without an inline script (Content-Security-Policy).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
DATABASES = {
    "default": env.db(
        "DATABASE_URL", default=f"spatialite:///{VAR_DIR / 'parley.sqlite3'}"
    ),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Several test runs may share a machine: each can name its own test database.
_TEST_DB = env.str("PARLEY_TEST_DB", default="parley")
if "spatialite" in DATABASES["default"]["ENGINE"]:
    # A file, not memory: browser tests run Daphne in another process.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{_TEST_DB}.sqlite3")}
    # IMMEDIATE: a transaction takes the write lock when it starts, so two writers queue
    # (up to the timeout) instead of one failing with "database is locked" mid-way.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_{_TEST_DB}"}
    # A connection pool (psycopg-pool): under ASGI every sync call may run on another
    # thread, so per-thread persistent connections would leak; a pool hands them back.
    if env.bool("DATABASE_POOL", default=True):
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN", default=2),
            "max_size": env.int("DATABASE_POOL_MAX", default=30),
            "timeout": env.int("DATABASE_POOL_TIMEOUT", default=10),
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
SPATIALITE_LIBRARY_PATH = "mod_spatialite"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channel layer ------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
#: ``pubsub`` (default): Redis publish/subscribe; a notification reaches each worker once and
#: the worker hands it to its own connections, so fan-out costs one Redis message per worker,
#: not one per connection. Pub/sub keeps nothing for a worker that is away, which is fine
#: here: the database is the source of truth and clients resume from it. ``lists``: channels
#: -redis's list-based layer (one Redis message per connection), kept for comparison.
CHANNEL_LAYER = env.str("CHANNEL_LAYER", default="pubsub")
if REDIS_URL:
    _redis_host = {
        "address": REDIS_URL,
        # redis-py's default pool (100 connections) is too small for a busy worker.
        "max_connections": env.int("REDIS_MAX_CONNECTIONS", default=1000),
    }
    if CHANNEL_LAYER == "pubsub":
        CHANNEL_LAYERS = {"default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [_redis_host]},
        }}
    elif CHANNEL_LAYER == "lists":
        CHANNEL_LAYERS = {"default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # Raised from 100: a busy event must not have notifications dropped.
            "CONFIG": {"hosts": [_redis_host], "capacity": 1500, "expiry": 60},
        }}
    else:
        raise ImproperlyConfigured("CHANNEL_LAYER must be “pubsub” or “lists”.")
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Accounts -----------------------------------------------------------------------------
AUTH_USER_MODEL = "coordination.User"
AUTHENTICATION_BACKENDS = [
    # django-axes refuses a locked-out username+address before any other backend sees the
    # password (docs/security.md, "Hardening: accounts").
    "coordination.accounts.auth_backends.LoginThrottleBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "events:list"
LOGOUT_REDIRECT_URL = "login"

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="parley@localhost")
# Notifications are queued in the database (django-mailer's queue) in the transaction of the
# action that causes them; `manage.py run_notifier` sends them through EMAIL_URL's back-end
# and retries failures with back-off, so a slow or broken mail server never holds up or
# breaks an action (docs/operations.md, "E-mail notifications").
MAILER_EMAIL_BACKEND = EMAIL_CONFIG["EMAIL_BACKEND"]
#: A mail server that stops answering fails the attempt after this long (then it is retried).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
MAILER_USE_FILE_LOCK = False  # row locks keep two notifiers from sending one e-mail twice
MAILER_ERROR_HANDLER = "coordination.notifications.defer_failed_delivery"
# Its log of attempts keeps no copy of the e-mails (addresses, alert texts): sent is sent.
MAILER_EMAIL_LOG_MESSAGE_DATA = False
#: A message that failed this many retries stays deferred (visible in the admin), unsent.
MAILER_EMAIL_MAX_RETRIES = env.int("PARLEY_EMAIL_MAX_RETRIES", default=20)
#: The first retry of failed e-mail waits this long; each failed retry doubles the wait…
PARLEY_EMAIL_RETRY_SECONDS = env.float("PARLEY_EMAIL_RETRY_SECONDS", default=60)
#: …up to this.
PARLEY_EMAIL_RETRY_MAX_SECONDS = env.float("PARLEY_EMAIL_RETRY_MAX_SECONDS", default=3600)
#: The notifier looks for work this often.
PARLEY_NOTIFIER_INTERVAL_SECONDS = env.float("PARLEY_NOTIFIER_INTERVAL_SECONDS", default=5)
#: An alert or instruction that a member has not acknowledged this long after it was sent,
#: while they are not connected to the demonstration's channel, is e-mailed to them (once).
PARLEY_UNACKNOWLEDGED_EMAIL_SECONDS = env.float("PARLEY_UNACKNOWLEDGED_EMAIL_SECONDS",
                                                default=300)
# --- Web Push (push/, docs/phones.md "Web Push") ---
#: The VAPID private key (RFC 8292) that signs every push: PEM, or the raw P-256 private
#: number in base64url. Without it (and without the file below) push is off.
PARLEY_VAPID_PRIVATE_KEY = env.str("PARLEY_VAPID_PRIVATE_KEY", default="")
#: Where ``make run`` keeps the key it generated once (manage.py vapid_keys), read when the
#: variable above is empty.
PARLEY_VAPID_PRIVATE_KEY_FILE = env.str("PARLEY_VAPID_PRIVATE_KEY_FILE",
                                        default=str(BASE_DIR / "var" / "vapid-private.pem"))
#: Who the push services may contact about our pushes: a mailto: or https: address.
PARLEY_VAPID_SUBJECT = env.str("PARLEY_VAPID_SUBJECT",
                               default=f"mailto:{DEFAULT_FROM_EMAIL}")
if not PARLEY_VAPID_SUBJECT.startswith(("mailto:", "https://")):
    raise ImproperlyConfigured("PARLEY_VAPID_SUBJECT is a mailto: or https:// address.")
#: The notifier looks for things to push this often (it also sets its loop's pace).
PARLEY_PUSH_INTERVAL_SECONDS = env.float("PARLEY_PUSH_INTERVAL_SECONDS", default=1.0)
#: A push the push service refused for a while (5xx, 429, no answer) is retried after this
#: long, the wait doubling after each failure…
PARLEY_PUSH_RETRY_SECONDS = env.float("PARLEY_PUSH_RETRY_SECONDS", default=5.0)
#: …up to this…
PARLEY_PUSH_RETRY_MAX_SECONDS = env.float("PARLEY_PUSH_RETRY_MAX_SECONDS", default=300.0)
#: …and given up after this many attempts.
PARLEY_PUSH_MAX_ATTEMPTS = env.int("PARLEY_PUSH_MAX_ATTEMPTS", default=8)
#: A push not delivered this long after the thing happened is dropped: too old to matter
#: (also the TTL the push service is given).
PARLEY_PUSH_TTL_SECONDS = env.int("PARLEY_PUSH_TTL_SECONDS", default=3600)
#: Pushes sent side by side by one notifier.
PARLEY_PUSH_THREADS = env.int("PARLEY_PUSH_THREADS", default=32)
#: Accept push endpoints on private, loopback or link-local addresses (and plain http on
#: loopback). Only for development and tests: the notifier POSTs to these addresses, so in
#: production they would let anyone aim it at the city's own network (SSRF).
#: The browsers' push services a subscription may name (a host, or the domain it is under):
# Chrome, Edge (its Android app), Samsung Internet and Opera (Firebase Cloud Messaging),
# Firefox (Mozilla autopush), Safari (Apple), Edge on Windows (WNS). Only these: the notifier
# must not be aimed at anyone's own server (docs/phones.md, "Web Push").
PARLEY_PUSH_SERVICES = env.list("PARLEY_PUSH_SERVICES", default=[
    "fcm.googleapis.com", "push.services.mozilla.com", "push.apple.com", "notify.windows.com",
])
#: A person turns notifications on on at most this many phones by demonstrations.
PARLEY_PUSH_MAX_SUBSCRIPTIONS_PER_PERSON = env.int("PARLEY_PUSH_MAX_SUBSCRIPTIONS_PER_PERSON",
                                                   default=50)
PARLEY_PUSH_ALLOW_PRIVATE_ENDPOINTS = env.bool("PARLEY_PUSH_ALLOW_PRIVATE_ENDPOINTS",
                                               default=DEBUG)

#: The address people reach Parley at, for the links in e-mails.
PARLEY_SITE_URL = env.str("PARLEY_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
#: The tagging entity (RFC 4151: a domain the city held on a date) under which the public
#: feeds' permanent ids are minted, e.g. ``parley.example.org,2026``. A setting, not the
#: request's host, so that an id never changes with the address a reader used.
PARLEY_TAG_AUTHORITY = env.str(
    "PARLEY_TAG_AUTHORITY",
    default=f"{urlsplit(PARLEY_SITE_URL).hostname},2026",
)
if not re.fullmatch(
        r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?,\d{4}(-\d{2}(-\d{2})?)?",
        PARLEY_TAG_AUTHORITY):
    raise ImproperlyConfigured("PARLEY_TAG_AUTHORITY is a domain name and a date, as in "
                               "parley.example.org,2026 (RFC 4151).")
#: Who the public Atom feed names as its author (RFC 4287 requires one).
PARLEY_FEED_AUTHOR = env.str("PARLEY_FEED_AUTHOR", default="Parley")

# --- Languages ----------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
#: The city's time zone (an IANA name): every page, e-mail, PDF and feed shows moments in it,
#: and the forms read the times typed in it (coordination/moments.py). A name this machine
#: does not know stops the start.
try:
    TIME_ZONE = _valid_time_zone(env.str("PARLEY_TIME_ZONE", default="UTC"))
except ValueError as _error:
    raise ImproperlyConfigured(str(_error)) from None
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Security -----------------------------------------------------------------------------
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
#: Behind nginx (deploy/): trust its X-Forwarded-Proto and X-Forwarded-For.
BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Django's defaults, said aloud because docs/security.md promises them: scripts cannot read
# the session cookie; neither cookie rides along on another site's cross-site POST; browsers
# must not guess a response's type.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
# GDAL 3.6 (Debian 12) is older than Django 5.2 would like; it works for everything here.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# --- REST API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "coordination.accounts.api_auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    # DRF's three, with a JSON parser that refuses bodies nested too deeply (400, not 500).
    "DEFAULT_PARSER_CLASSES": ["config.parsers.JSONParser", "rest_framework.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
    "DEFAULT_PAGINATION_CLASS": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
#: An API token expires this many seconds after the login that made it (django-rest-knox;
#: coordination/accounts/access.py).
PARLEY_TOKEN_TTL_SECONDS = env.int("PARLEY_TOKEN_TTL_SECONDS", default=12 * 3600)
if PARLEY_TOKEN_TTL_SECONDS <= 0:
    raise ImproperlyConfigured("PARLEY_TOKEN_TTL_SECONDS must be a positive number of seconds.")
REST_KNOX = {
    "TOKEN_TTL": __import__("datetime").timedelta(seconds=PARLEY_TOKEN_TTL_SECONDS),
    "AUTH_HEADER_PREFIX": "Token",  # what clients already send
    "AUTO_REFRESH": False,  # a token ends when it said it would, however busy
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Parley API",
    "DESCRIPTION": "Coordination of planned demonstrations between organisers, police and city.",
    "VERSION": "1",
    # 3.1: its schemas are JSON Schema, where null is a type (config/openapi.py).
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The docs page's scripts come from our own static files, never a CDN.
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"ConflictKindEnum": "zones.conflicts.KINDS"},
    # Every operation documents the error answers it can give (config/openapi.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "config.openapi.document_errors"],
}

# --- Maps ---------------------------------------------------------------------------------
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (env.float("MAP_CENTER_LAT", default=39.9612),
                       env.float("MAP_CENTER_LON", default=-82.9988)),
    "DEFAULT_ZOOM": env.int("MAP_ZOOM", default=14),
    "MIN_ZOOM": 3,
    "MAX_ZOOM": 19,
    "TILES": [
        (
            "",
            env.str("MAP_TILES_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
            {
                "attribution": env.str(
                    "MAP_TILES_ATTRIBUTION", default="© OpenStreetMap contributors"
                ),
                "maxZoom": 19,
            },
        )
    ],
    "RESET_VIEW": False,
    "NO_GLOBALS": False,
}

# --- Content-Security-Policy (django-csp; docs/security.md, "Hardening") -----------------
#: Where map tiles come from: pages show them (img-src); the service worker fetches them to
#: keep the ones a person looked at (its own connect-src, config/urls.py).
MAP_TILE_SOURCES = [source for source in (
    _security.tile_source(tiles[1]) for tiles in LEAFLET_CONFIG["TILES"]) if source]
# No inline script or style anywhere: maps start from static/js/leaflet_init.js
# (templates/leaflet/), page data comes in json_script blocks and data- attributes. Only the
# API docs page relaxes it (config/urls.py). 'self' also covers this site's ws:/wss:.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_csp.SELF],
        "script-src": [_csp.SELF],
        "style-src": [_csp.SELF],
        "img-src": [_csp.SELF, "data:", *MAP_TILE_SOURCES],
        "font-src": [_csp.SELF],
        "connect-src": [_csp.SELF, *([] if DEBUG else _security.websocket_sources(ALLOWED_HOSTS))],
        "frame-ancestors": [_csp.NONE],
        "object-src": [_csp.NONE],
        "base-uri": [_csp.SELF],
        "form-action": [_csp.SELF],
        # Said outright rather than left to default-src: the service worker (/sw.js, and the
        # scripts it imports) and the web app manifest come from this site only.
        "worker-src": [_csp.SELF],
        "manifest-src": [_csp.SELF],
    },
}

# --- Parley -------------------------------------------------------------------------------
PARLEY_REFERENCE_PREFIX = env.str("PARLEY_REFERENCE_PREFIX", default="PAR")
#: Demonstrations (and sensitive sites) closer than this, in metres on the ground, clash.
PARLEY_SEPARATION_METRES = env.float("PARLEY_SEPARATION_METRES", default=200.0)
#: The most positions (vertices, counting each ring's closing one) a zone's shape may have.
PARLEY_ZONE_MAX_VERTICES = env.int("PARLEY_ZONE_MAX_VERTICES", default=5000)
#: The desk (desk/selectors.py) lists demonstrations from today to this many days ahead.
PARLEY_DESK_DAYS_AHEAD = env.int("PARLEY_DESK_DAYS_AHEAD", default=21)
#: Changes the desk hears about within this many seconds are announced together, once.
PARLEY_DESK_COALESCE_SECONDS = env.float("PARLEY_DESK_COALESCE_SECONDS", default=0.5)
#: A demonstration may be marked live only from this many hours before its start, and an
#: agreed one starting within them is "on the day": its page becomes the operations screen
#: (events.workflow.too_early, events.selectors.is_on_the_day).
PARLEY_LIVE_WINDOW_HOURS = env.int("PARLEY_LIVE_WINDOW_HOURS", default=24)

# --- The live channel (docs/protocol.md, "Limits"; all overridable) ------------------------
PARLEY_MESSAGE_MAX_CHARS = env.int("PARLEY_MESSAGE_MAX_CHARS", default=4000)
PARLEY_FRAME_MAX_BYTES = env.int("PARLEY_FRAME_MAX_BYTES", default=64 * 1024)
PARLEY_RATE_LIMIT_MESSAGES = env.int("PARLEY_RATE_LIMIT_MESSAGES", default=20)
PARLEY_RATE_LIMIT_SECONDS = env.int("PARLEY_RATE_LIMIT_SECONDS", default=10)
PARLEY_TICKET_SECONDS = env.int("PARLEY_TICKET_SECONDS", default=60)
PARLEY_ALERT_REMINDER_SECONDS = env.float("PARLEY_ALERT_REMINDER_SECONDS", default=120)
PARLEY_MEMBERSHIP_CHECK_SECONDS = env.float("PARLEY_MEMBERSHIP_CHECK_SECONDS", default=30)
PARLEY_PRESENCE_STALE_SECONDS = env.float("PARLEY_PRESENCE_STALE_SECONDS", default=90)
#: Open live-channel connections one person may have, counted across every worker.
PARLEY_MAX_CONNECTIONS_PER_USER = env.int("PARLEY_MAX_CONNECTIONS_PER_USER", default=20)
#: How long a notification that overtook another waits for it before the gap is read from
#: the database.
PARLEY_GAP_WAIT_SECONDS = env.float("PARLEY_GAP_WAIT_SECONDS", default=1.0)
#: How often a live connection compares what it has sent with the database, to catch up on
#: a notification the channel layer lost with none after it (e.g. while Redis restarted).
PARLEY_CATCH_UP_SECONDS = env.float("PARLEY_CATCH_UP_SECONDS", default=10)
#: Threads per worker process for the live channel's database work (PostgreSQL).
PARLEY_DATABASE_THREADS = env.int("PARLEY_DATABASE_THREADS", default=2)
#: Adds an unauthenticated bare-broadcast WebSocket for bench/fanout.py. Never in production:
#: ``check --deploy`` warns when it is on (messaging/checks.py).
PARLEY_BENCH_ENDPOINTS = env.bool("PARLEY_BENCH_ENDPOINTS", default=False)

# --- Records and privacy (docs/privacy.md) --------------------------------------------------
#: Days a demonstration's records are kept at least after it ends (concluded, withdrawn or
#: cancelled). Nothing is deleted automatically: what happens afterwards is the city's
#: procedure (docs/privacy.md).
PARLEY_RETENTION_DAYS = env.int("PARLEY_RETENTION_DAYS", default=730)

# --- Observability (docs/operations.md) ----------------------------------------------------
#: Query counts and durations per database, from django-prometheus's database wrappers.
if env.bool("PARLEY_DATABASE_METRICS", default=True):
    DATABASES["default"]["ENGINE"] = {
        "django.contrib.gis.db.backends.postgis": "django_prometheus.db.backends.postgis",
        "django.contrib.gis.db.backends.spatialite": "django_prometheus.db.backends.spatialite",
    }.get(DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"])
PARLEY_METRICS_PATH = "/metrics"
#: Who may read /metrics without a token: addresses or networks, for direct (unproxied)
#: connections only.
PARLEY_METRICS_ALLOWED_IPS = env.list("PARLEY_METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
#: With it set, ``Authorization: Bearer <token>`` may read /metrics from anywhere.
PARLEY_METRICS_TOKEN = env.str("PARLEY_METRICS_TOKEN", default="")
for _network in PARLEY_METRICS_ALLOWED_IPS:
    try:
        ipaddress.ip_network(_network.strip(), strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(f"PARLEY_METRICS_ALLOWED_IPS: {_error}") from None
#: ``json``: one JSON object per line, for log collectors (the default with DEBUG off);
#: ``text``: for people (the default with DEBUG on, as in ``make run``).
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured("LOG_FORMAT must be “json” or “text”.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Each line carries its request's id and the like (config/observability.py).
    "filters": {"context": {"()": "config.observability.LogContextFilter"}},
    "formatters": {
        "json": {"()": "config.observability.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(context)s%(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT,
                    "filters": ["context"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "channels_redis": {"level": "WARNING"},
        # django-mailer names every recipient at INFO; Parley's notifier logs counts and
        # failures.
        "mailer": {"level": "WARNING"},
        # Logins, failed logins, logouts, second-factor checks (coordination/security_log.py).
        "parley.security": {"level": "INFO"},
        # Axes says every reset at INFO; its lockouts come at WARNING.
        "axes": {"level": "WARNING"},
    },
}

# --- Accounts hardening (docs/security.md, "Hardening: accounts") --------------------------
# Two-factor authentication (django-otp: an authenticator app, recovery codes), an idle
# timeout, and login throttling (django-axes); their middleware and apps are listed above.
#: Roles that must use a second factor (comma-separated; empty: nobody is obliged to).
PARLEY_2FA_ROLES = [r for r in env.list("PARLEY_2FA_ROLES",
                                         default=["police", "city", "reviewer"]) if r]
#: The name authenticator apps show beside the account.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Parley")
#: A session that makes no request for this many seconds is logged out (0: never).
PARLEY_SESSION_IDLE_SECONDS = env.int("PARLEY_SESSION_IDLE_SECONDS", default=1800)
#: After this many failed logins for one username from one address, that pair is locked…
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
#: …for this many minutes.
AXES_COOLOFF_TIME = __import__("datetime").timedelta(
    minutes=env.float("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_LOCKOUT_CALLABLE = "coordination.accounts.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
if BEHIND_TLS_PROXY:
    # The client's address is the last one the proxy (nginx) appended.
    AXES_IPWARE_PROXY_COUNT = env.int("AXES_IPWARE_PROXY_COUNT", default=1)
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
