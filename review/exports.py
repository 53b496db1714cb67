"""The after-action log as files a third party can check (docs/log.md).

Both formats hold every entry of one event, in ``seq`` order, with its ``hash``, and are written
as a stream: entries are read from the database in chunks, so a log of 100,000 entries never sits
in memory. The algorithm, the columns and a stand-alone verification script are in docs/log.md.

CSV columns (``CSV_HEADER``):

``seq, at, actor_id, actor_name, actor_role, kind, data, hash, actor, happened_at``

- ``actor_id`` / ``actor_name`` / ``actor_role``: the actor snapshot spelled out for people
  (empty for the system);
- ``data`` and ``actor``: JSON text (``actor`` is ``null`` for the system): to recompute a hash,
  parse these two and take ``seq`` (a whole number), ``at`` and ``kind`` as they are;
- ``happened_at``: when the thing happened, where that differs from ``at`` by a second or more
  (else empty; ``coordination.log.happened_at_text``); it is copied from ``data``, so the hash
  already covers it.

A cell that a spreadsheet would take for a formula (one that starts with ``=``, ``+``, ``-``,
``@``, ``|``, ``%``, a tab or a carriage return: an actor's name such as ``=HYPERLINK(…)``) is
written with a ``'`` in front (``defusedcsv``, plus tab and carriage return, which it leaves).
Only the columns for people can start so: ``data`` and ``actor``, which the hash covers, are
JSON text (``{…}`` or ``null``), and ``seq``, ``at``, ``kind`` and ``hash`` never do, so a row
still verifies.

JSON Lines: one object per line, ``{"seq", "at", "actor", "kind", "data", "hash"}``, plus
``"happened_at"`` on the entries where it differs from ``at``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from defusedcsv import csv

from coordination.log import format_timestamp, happened_at_text
from coordination.models import LogEntry

CSV_HEADER = ["seq", "at", "actor_id", "actor_name", "actor_role", "kind", "data", "hash",
              "actor", "happened_at"]
CHUNK_SIZE = 2000
FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "jsonl": ("application/x-ndjson; charset=utf-8", "jsonl"),
}

Row = tuple[int, str, Any, str, Any, str]


def _json(value: Any) -> str:
    """JSON as the hash writes it (sorted keys, no spaces, characters unescaped)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def log_rows(event_id: int, *, chunk_size: int | None = None) -> Iterator[Row]:
    """``(seq, at, actor, kind, data, hash)`` of every entry of an event, in order, with ``at``
    as the API writes it; read in chunks, without building model instances."""
    rows = (
        LogEntry.objects.filter(event_id=event_id).order_by("seq")
        .values_list("seq", "at", "actor", "kind", "data", "hash")
        .iterator(chunk_size=chunk_size or CHUNK_SIZE)
    )
    for seq, at, actor, kind, data, hash_ in rows:
        yield seq, format_timestamp(at), actor, kind, data, hash_


class _Line:
    """A file-like object whose ``write`` hands back what it was given (for ``csv.writer``)."""

    def write(self, text: str) -> str:
        return text


def _inert(value: Any) -> Any:
    """``value``, with a ``'`` in front if it starts with a tab or a carriage return: some
    spreadsheets skip those and run the formula after them. (``defusedcsv`` escapes the
    other formula starts.)"""
    if isinstance(value, str) and value[:1] in ("\t", "\r"):
        return "'" + value
    return value


def csv_lines(rows: Iterable[Row]) -> Iterator[str]:
    """The CSV export, one line (header first) at a time, no cell a spreadsheet formula."""
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield writer.writerow(CSV_HEADER)
    for seq, at, actor, kind, data, hash_ in rows:
        person = actor if isinstance(actor, dict) else {}
        yield writer.writerow([_inert(cell) for cell in (
            seq, at, person.get("id", ""), person.get("name", ""), person.get("role", ""),
            kind, _json(data), hash_, _json(actor), happened_at_text(at, data) or "",
        )])


def jsonl_lines(rows: Iterable[Row]) -> Iterator[str]:
    """The JSON Lines export, one entry per line."""
    for seq, at, actor, kind, data, hash_ in rows:
        entry = {"seq": seq, "at": at, "actor": actor, "kind": kind, "data": data,
                 "hash": hash_}
        happened_at = happened_at_text(at, data)
        if happened_at is not None:
            entry["happened_at"] = happened_at
        yield json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n"


def export_lines(event_id: int, export_format: str) -> Iterator[str]:
    """The lines of one event's log in ``export_format`` (``csv`` or ``jsonl``)."""
    lines = csv_lines if export_format == "csv" else jsonl_lines
    return lines(log_rows(event_id))


def in_chunks(lines: Iterable[str], size: int = 64 * 1024) -> Iterator[bytes]:
    """UTF-8 bytes in pieces of about ``size``: fewer, larger writes to the client."""
    buffer = io.StringIO()
    length = 0
    for line in lines:
        buffer.write(line)
        length += len(line)
        if length >= size:
            yield buffer.getvalue().encode("utf-8")
            buffer = io.StringIO()
            length = 0
    if length:
        yield buffer.getvalue().encode("utf-8")
