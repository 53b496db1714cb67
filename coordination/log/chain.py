"""Appending to and verifying the after-action log (docs/log.md).

    canonical = json.dumps({"seq", "at", "actor", "kind", "data"}, sort_keys=True,
                           separators=(",", ":"), ensure_ascii=False)
    hash      = sha256((previous_hash + "\\n" + canonical).encode("utf-8")).hexdigest()
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from coordination.models import LogEntry
from coordination.parties import actor_of

GENESIS_HASH = "0" * 64
# The key of an entry's data that says when the thing happened, where it was recorded later.
HAPPENED_AT = "happened_at"
# Closer than this to the entry's ``at``, ``happened_at`` is the same moment (stored "now").
HAPPENED_AT_MIN_DIFFERENCE = dt.timedelta(seconds=1)


def format_timestamp(value: dt.datetime) -> str:
    """A timestamp as the API and the exports write it: ISO 8601 in UTC with a ``Z``."""
    text = value.astimezone(dt.UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def parse_timestamp(text: str) -> dt.datetime:
    """The inverse of :func:`format_timestamp` (any ISO 8601 text with an offset or ``Z``)."""
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"timestamp without a time zone: {text!r}")
    return value


def happened_at_text(at: str, data: Any) -> str | None:
    """The ``happened_at`` an entry's data carries, as written there, when it differs from the
    entry's ``at`` (ISO 8601 text) by at least ``HAPPENED_AT_MIN_DIFFERENCE``; None otherwise."""
    value = data.get(HAPPENED_AT) if isinstance(data, dict) else None
    if not isinstance(value, str) or not value:
        return None
    try:
        if abs(parse_timestamp(value) - parse_timestamp(at)) < HAPPENED_AT_MIN_DIFFERENCE:
            return None
    except ValueError:
        pass  # not a timestamp: shown as written (the hash covers it all the same)
    return value


def happened_at_of(entry: LogEntry) -> dt.datetime | None:
    """When the thing an entry records happened, if that is not when it was recorded.

    Entries keep ``at`` = the moment they were recorded. A record made later (an incident
    reported after the fact) carries the moment itself in its data as ``happened_at``
    (ISO 8601 UTC, :func:`format_timestamp`): being in ``data``, the hash covers it. Reported
    "now", it differs from ``at`` only by the time it took to store: under
    ``HAPPENED_AT_MIN_DIFFERENCE`` that counts as the same moment (None).
    """
    text = happened_at_text(format_timestamp(entry.at), entry.data)
    if text is None:
        return None
    try:
        return parse_timestamp(text)
    except ValueError:
        return None


def canonical_json(*, seq: int, at: str, actor: dict | None, kind: str, data: Any) -> str:
    """The canonical text of an entry that its hash covers."""
    return json.dumps(
        {"seq": seq, "at": at, "actor": actor, "kind": kind, "data": data},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )


def chain_hash(previous_hash: str, canonical: str) -> str:
    """The hash of an entry, chained to the previous one."""
    return hashlib.sha256((previous_hash + "\n" + canonical).encode("utf-8")).hexdigest()


def entry_hash(entry: LogEntry, previous_hash: str) -> str:
    """Recompute an entry's hash from its stored fields."""
    canonical = canonical_json(
        seq=entry.seq, at=format_timestamp(entry.at), actor=entry.actor,
        kind=entry.kind, data=entry.data,
    )
    return chain_hash(previous_hash, canonical)


def lock_for_log(model: type[models.Model], pk: int,
                 fields: Sequence[str] | None = None) -> models.Model:
    """The row ``pk`` of ``model`` (an event), locked until the transaction ends, as
    ``record()`` locks it: for a caller that must decide on the row as it is now before
    writing to its log. ``fields``: read only these (and the key)."""
    # NO KEY: rows that merely refer to the event (members, messages) may still be written.
    rows = model._default_manager.select_for_update(no_key=True)
    if fields is not None:
        rows = rows.only(*fields)
    return rows.get(pk=pk)


def record(event: models.Model, *, actor, kind: str, data: dict | None = None,
           locked: bool = False) -> LogEntry:
    """Append an entry to ``event``'s log, inside the caller's transaction; ``kind``: a
    ``coordination.log.kinds.LogKind``, whose words every reader of the log takes.

    Must run inside ``transaction.atomic()``: the entry and the change it records commit
    together or not at all. The event's row is locked so that ``seq`` and the chain stay
    gapless when several workers write to the same event; ``locked``: the caller already
    holds that lock (``lock_for_log()``) in this transaction.
    """
    return record_many(event, [(actor, kind, data)], locked=locked)[0]


def record_many(event: models.Model, entries: Sequence[tuple[Any, str, dict | None]], *,
                locked: bool = False) -> list[LogEntry]:
    """Append several ``(actor, kind, data)`` entries to ``event``'s log in one go, in
    order, as ``record()`` appends one."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record() must be called inside transaction.atomic()")
    if not locked:
        # The model is taken from the instance: the log imports no app.
        manager = type(event)._default_manager
        manager.select_for_update(no_key=True).filter(pk=event.pk).values_list("pk")[:1].get()
    last = (
        LogEntry.objects.filter(event_id=event.pk).order_by("-seq").values("seq", "hash").first()
    )
    seq = last["seq"] if last else 0
    previous_hash = last["hash"] if last else GENESIS_HASH
    # Microseconds kept, as every database here stores them; the JSON round trip makes the
    # stored data exactly what was hashed.
    at = timezone.now()
    rows = []
    for actor, kind, data in entries:
        seq += 1
        snapshot = actor_of(actor)
        clean_data = json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))
        canonical = canonical_json(
            seq=seq, at=format_timestamp(at), actor=snapshot, kind=kind, data=clean_data
        )
        previous_hash = chain_hash(previous_hash, canonical)
        rows.append(LogEntry(
            event_id=event.pk, seq=seq, at=at, actor_user=actor if snapshot else None,
            actor=snapshot, kind=kind, data=clean_data, hash=previous_hash,
        ))
    if len(rows) == 1:
        rows[0].save(force_insert=True)
        return rows
    return LogEntry.objects.bulk_create(rows)


@dataclass(frozen=True)
class Verification:
    """The result of checking one log: ``first_bad_seq`` is None when it verifies."""

    valid: bool
    entries: int
    first_bad_seq: int | None

    def as_dict(self) -> dict:
        return {"valid": self.valid, "entries": self.entries, "first_bad_seq": self.first_bad_seq}


def verify_entries(entries: Iterable[LogEntry]) -> Verification:
    """Check that entries, in order, are numbered 1, 2, 3 … and that every hash chains."""
    return verify_rows((e.seq, e.at, e.actor, e.kind, e.data, e.hash) for e in entries)


def verify_rows(rows: Iterable[tuple[int, dt.datetime, Any, str, Any, str]]) -> Verification:
    """:func:`verify_entries` over ``(seq, at, actor, kind, data, hash)`` tuples (no model
    instances: a log of 100,000 entries verifies in a few seconds)."""
    previous_hash = GENESIS_HASH
    count = 0
    first_bad: int | None = None
    for expected_seq, (seq, at, actor, kind, data, stored_hash) in enumerate(rows, start=1):
        count += 1
        if first_bad is not None:
            continue
        if seq != expected_seq:
            # A missing or inserted entry: the first position that is wrong is the bad one.
            first_bad = min(expected_seq, seq)
            continue
        canonical = canonical_json(seq=seq, at=format_timestamp(at), actor=actor, kind=kind,
                                   data=data)
        if chain_hash(previous_hash, canonical) != stored_hash:
            first_bad = seq
            continue
        previous_hash = stored_hash
    return Verification(valid=first_bad is None, entries=count, first_bad_seq=first_bad)


def verify_event_log(event_id: int) -> Verification:
    """Verify the whole log of one event, reading it in chunks."""
    rows = LogEntry.objects.filter(event_id=event_id).order_by("seq").values_list(
        "seq", "at", "actor", "kind", "data", "hash"
    )
    return verify_rows(rows.iterator(chunk_size=2000))


# --- receipts ------------------------------------------------------------------------------
#
# The chain proves the order of a log, not that it is the log that was written: whoever can
# write the database can rewrite a log and recompute every hash. A receipt — an entry's
# ``seq`` and ``hash``, kept by someone outside the database (an e-mail, a page, the public
# feed) — anchors it: the log still holds that entry with that hash, or it was rewritten at or
# before that entry (docs/log.md, "Receipts").

RECEIPT_FORMAT = "SEQ:HASH"
_RECEIPT = re.compile(r"^\s*(\d+)\s*:\s*([0-9a-fA-F]{64})\s*$")


@dataclass(frozen=True)
class Receipt:
    """Entry ``seq`` of a log had ``hash`` (recorded ``at``): the log's head at one moment.
    A log without entries has the head ``seq`` 0, the genesis hash, ``at`` None."""

    seq: int
    hash: str
    at: dt.datetime | None = None

    @property
    def text(self) -> str:
        """The receipt as ``verify_log --receipt`` and the review page take it."""
        return f"{self.seq}:{self.hash}"

    @property
    def at_text(self) -> str | None:
        return format_timestamp(self.at) if self.at else None

    def as_dict(self) -> dict:
        return {"seq": self.seq, "hash": self.hash, "at": self.at_text}


def receipt_of(entry: LogEntry) -> Receipt:
    """The receipt of one entry: the log's head just after it was written."""
    return Receipt(seq=entry.seq, hash=entry.hash, at=entry.at)


def log_head(event_id: int) -> Receipt:
    """The current head of an event's log (its last entry), in one query."""
    last = (LogEntry.objects.filter(event_id=event_id).order_by("-seq")
            .values("seq", "hash", "at").first())
    return Receipt(**last) if last else Receipt(seq=0, hash=GENESIS_HASH)


def parse_receipt(text: str) -> Receipt:
    """``"SEQ:HASH"`` (``seq`` ≥ 1, 64 hex digits) as a :class:`Receipt`; ``ValueError``
    naming the expected form otherwise."""
    match = _RECEIPT.match(text or "")
    if not match or int(match[1]) < 1:
        raise ValueError(f"{text!r} is not a receipt: write it as {RECEIPT_FORMAT}, the entry's "
                         "number (1 or more), a colon and its 64-digit hash.")
    return Receipt(seq=int(match[1]), hash=match[2].lower())


@dataclass(frozen=True)
class ReceiptResult:
    """One receipt checked against a log. When it does not hold, the log was changed at or
    before ``first_bad_seq``; ``holds_up_to`` is the last seq a receipt showed intact (0 if
    none), so the change lies after it."""

    receipt: Receipt
    holds: bool
    first_bad_seq: int | None = None
    holds_up_to: int = 0
    #: Why it does not hold: "chain" (the chain itself breaks at ``first_bad_seq``),
    #: "missing" (the log ends before the receipt's entry) or "hash" (the entry has another
    #: hash: the log was rewritten at or before it).
    reason: str = ""


@dataclass(frozen=True)
class ReceiptCheck:
    """Receipts checked against a log, with the plain verification of its whole chain."""

    verification: Verification
    results: list[ReceiptResult]

    @property
    def holds(self) -> bool:
        """Every receipt holds (the chain after the last one may still be broken)."""
        return all(result.holds for result in self.results)

    @property
    def valid(self) -> bool:
        """Every receipt holds and the whole chain verifies."""
        return self.holds and self.verification.valid

    @property
    def first_bad_seq(self) -> int | None:
        """The first seq where the log no longer holds what a receipt or the chain says."""
        found = [r.first_bad_seq for r in self.results if not r.holds]
        if not self.verification.valid:
            found.append(self.verification.first_bad_seq)
        return min(found) if found else None


def check_receipts(event_id: int, receipts: Iterable[Receipt]) -> ReceiptCheck:
    """Does ``event_id``'s log still hold each receipt's entry with that hash?

    The whole chain is verified first: a receipt holds only where the chain holds up to its
    entry, and the stored hash of that entry is the receipt's. A receipt whose entry is
    missing names the first missing seq. A rewrite that recomputed every hash leaves no
    trace in the chain; it is found by the first receipt at or after the rewritten entry,
    and every receipt before it that still holds narrows down where (``holds_up_to``).
    """
    receipts = sorted(set(receipts), key=lambda r: (r.seq, r.hash))
    verification = verify_event_log(event_id)
    stored = dict(LogEntry.objects.filter(event_id=event_id, seq__in=[r.seq for r in receipts])
                  .values_list("seq", "hash"))
    results = []
    holds_up_to = 0
    for receipt in receipts:
        if (verification.first_bad_seq is not None
                and verification.first_bad_seq <= receipt.seq):
            result = ReceiptResult(receipt, False, verification.first_bad_seq, holds_up_to,
                                   "chain")
        elif receipt.seq not in stored:
            result = ReceiptResult(receipt, False, verification.entries + 1, holds_up_to,
                                   "missing")
        elif stored[receipt.seq] != receipt.hash:
            result = ReceiptResult(receipt, False, receipt.seq, holds_up_to, "hash")
        else:
            result = ReceiptResult(receipt, True, holds_up_to=holds_up_to)
            holds_up_to = receipt.seq
        results.append(result)
    return ReceiptCheck(verification=verification, results=results)
