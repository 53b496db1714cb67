"""Tampering with the after-action log behind the application's back, as someone with direct
database access would: the append-only triggers switched off for a moment."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

from coordination.models import LogEntry

TABLE = LogEntry._meta.db_table
_migration = importlib.import_module("coordination.migrations.0004_log_append_only")


@contextmanager
def triggers_disabled() -> Iterator[None]:
    """Inside the block the log table accepts UPDATE and DELETE (as a superuser could make it)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Rows written earlier in this test's transaction still have deferred foreign-key
            # checks queued; ALTER TABLE refuses to run with those pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
        else:
            for statement in _migration.SQLITE_BACKWARD:
                cursor.execute(statement)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            else:
                for statement in _migration.SQLITE_FORWARD:
                    cursor.execute(statement)


def raw(sql: str, params: list | None = None) -> None:
    """Run SQL on the test database as it comes, with no application code in between."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def tamper(sql: str, params: list | None = None) -> None:
    """Change the log table with its triggers disabled."""
    with triggers_disabled():
        raw(sql, params)
