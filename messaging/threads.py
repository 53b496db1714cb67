"""Where the live channel's database work runs."""

import functools
from concurrent.futures import ThreadPoolExecutor

from channels.db import DatabaseSyncToAsync
from django.conf import settings
from django.db import connection


def in_thread(func):
    """Run ``func`` in a worker thread with its own database connection.

    On PostgreSQL, a pool of threads: Channels' default (``thread_sensitive``) puts the
    database work of every connection of the process on one shared thread, one query after
    another. SQLite (the embedded mode) has one writer at a time anyway: there it keeps the
    one thread.
    """
    if connection.vendor == "sqlite":
        return DatabaseSyncToAsync(func, thread_sensitive=True)
    return DatabaseSyncToAsync(func, thread_sensitive=False, executor=_database_threads())


@functools.cache
def _database_threads() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=settings.PARLEY_DATABASE_THREADS,
                              thread_name_prefix="parley-db")
