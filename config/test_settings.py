"""Settings for the test suite: the real settings, with a development key and fast hashing."""

import os

os.environ.setdefault("DEBUG", "true")

# Under pytest-xdist, each worker process has its own test database (Django adds a suffix);
# it gets its own Redis database too, so that two workers' groups ("event-1" in each) never
# hear each other. Set in the environment, so that processes the tests start inherit it.
_xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _xdist_worker.startswith("gw") and os.environ.get("REDIS_URL"):
    import re

    def _worker_redis(url: str, offset: int) -> str:
        match = re.match(r"^(redis://[^/]+)(?:/(\d+))?$", url)
        if not match:
            return url
        return f"{match.group(1)}/{(int(match.group(2) or 0) + offset) % 16}"

    os.environ["REDIS_URL"] = _worker_redis(os.environ["REDIS_URL"],
                                            1 + int(_xdist_worker[2:]))

from config.settings import *  # noqa: F403, E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MAILER_EMAIL_BACKEND = EMAIL_BACKEND  # what the notifier sends through (django-mailer)

# The browser tests fork a Daphne process from this one (Channels' live server). A connection
# pool would be inherited across the fork, and two processes would then talk over the same
# PostgreSQL sockets. Tests use plain connections; the pool is tested by the workers that
# the integration tests start with the real settings.
DATABASES["default"].get("OPTIONS", {}).pop("pool", None)  # noqa: F405
