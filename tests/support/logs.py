"""Tampering with the after-action log behind the application's back, as someone with direct
database access would: the append-only triggers switched off for a moment."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import json
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


def _written_as_the_api_writes_it(at: dt.datetime) -> str:
    text = at.astimezone(dt.UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def rewrite_log(event, *, seq: int, data: dict) -> None:
    """Replace the ``data`` of entry ``seq`` of ``event``'s log and recompute the hash of that
    entry and of every one after it, with the triggers disabled: what someone with write
    access to the database would do to rewrite the record so that the chain verifies again.

    The hashes are computed here from the published recipe (docs/log.md), not with
    Parley's code: the attacker needs nothing from the application.
    """
    rows = list(LogEntry.objects.filter(event=event).order_by("seq")
                .values_list("pk", "seq", "at", "actor", "kind", "data", "hash"))
    previous = "0" * 64
    changes = []
    for pk, entry_seq, at, actor, kind, entry_data, stored_hash in rows:
        if entry_seq < seq:
            previous = stored_hash
            continue
        if entry_seq == seq:
            entry_data = data
        canonical = json.dumps(
            {"seq": entry_seq, "at": _written_as_the_api_writes_it(at), "actor": actor,
             "kind": kind, "data": entry_data},
            sort_keys=True, separators=(",", ":"), ensure_ascii=False,
        )
        previous = hashlib.sha256((previous + "\n" + canonical).encode("utf-8")).hexdigest()
        changes.append((pk, entry_data, previous))
    with triggers_disabled():
        for pk, entry_data, new_hash in changes:
            raw(f"UPDATE {TABLE} SET data = %s, hash = %s WHERE id = %s",
                [json.dumps(entry_data), new_hash, pk])


def cut_log(event, *, keep: int) -> None:
    """Delete every entry of ``event``'s log after the first ``keep``, triggers disabled: a
    log cut short is still a valid chain."""
    with triggers_disabled():
        raw(f"DELETE FROM {TABLE} WHERE event_id = %s AND seq > %s", [event.pk, keep])


def last_entry(event) -> LogEntry:
    """The newest entry of ``event``'s log."""
    return LogEntry.objects.filter(event=event).order_by("-seq").first()
