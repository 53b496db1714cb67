"""Settings for the test suite: the real settings, with a development key and fast hashing."""

import os

os.environ.setdefault("DEBUG", "true")

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MAILER_EMAIL_BACKEND = EMAIL_BACKEND  # what the notifier sends through (django-mailer)

# The browser tests fork a Daphne process from this one (Channels' live server). A connection
# pool would be inherited across the fork, and two processes would then talk over the same
# PostgreSQL sockets. Tests use plain connections; the pool is tested by the workers that
# the integration tests start with the real settings.
DATABASES["default"].get("OPTIONS", {}).pop("pool", None)  # noqa: F405
