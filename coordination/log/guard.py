"""The database refuses to change the after-action log (docs/log.md: entries are never edited
or deleted).

Migration ``0004_log_append_only`` installs triggers on the log table:

- PostgreSQL: a row-level ``BEFORE UPDATE OR DELETE`` trigger that always raises, and a
  statement-level ``BEFORE TRUNCATE`` trigger that raises unless the session setting
  ``parley.log_flush`` is ``on``;
- SQLite: ``BEFORE UPDATE`` that always aborts, and ``BEFORE DELETE`` that aborts unless the
  SQL function ``parley_log_flush_allowed()`` returns 1.

The one way past them is :func:`log_flush_allowed`, for Django's ``flush`` (which empties *every*
table) in the test suite's teardown. Nothing in the application calls it. A database superuser can
still disable the triggers; the hash chain (``verify_log``) is what detects that.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db.backends.base.base import BaseDatabaseWrapper

MESSAGE = "the after-action log is append-only"
FLUSH_SETTING = "parley.log_flush"
SQLITE_FUNCTION = "parley_log_flush_allowed"

_state = threading.local()


def _sqlite_flush_allowed() -> int:
    return 1 if getattr(_state, "flush_allowed", False) else 0


def register_sqlite_function(sender, connection: BaseDatabaseWrapper, **kwargs) -> None:
    """``connection_created`` receiver: give every SQLite connection the function the DELETE
    trigger asks. (A connection without it, e.g. the sqlite3 shell, fails to delete at all.)"""
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FUNCTION, 0, _sqlite_flush_allowed)


@contextmanager
def log_flush_allowed(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Let Django's ``flush`` empty the log table on ``connection`` while inside the block.

    For the test suite only (transactional tests are reset with ``flush``); row-level UPDATE and
    DELETE stay refused on PostgreSQL even here.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', false)", [FLUSH_SETTING])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'off', false)", [FLUSH_SETTING])
    else:
        _state.flush_allowed = True
        try:
            yield
        finally:
            _state.flush_allowed = False
