"""Production settings for ``bench/public.py``'s workers, with one difference: static file
addresses are not looked up in a collected manifest (the benchmark fetches no static files,
and collecting them would write into the checkout)."""

from config.settings import *  # noqa: F403
from config.settings import STORAGES

STORAGES = {**STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
