"""What one connection has been sent of each channel it reads, in ``seq`` order, once.

A connection's stream of a channel is rebuilt from the database on subscribe (the replay)
and then kept up by the channel layer's notifications. Notifications from several workers can
overtake each other, or be lost: one that arrives ahead of a missing ``seq`` is held back
until the gap is filled, by the missing notification or from the database.

``ChannelStreams`` only decides; it sends nothing and reads nothing, so the consumer
(``messaging.consumers``, and its ``messaging.upkeep`` for what is read from the database)
sends what it returns, and tests drive it without a server
(tests/messaging/test_delivery.py).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class ChannelStreams:
    """One connection's channels: for each, the ``seq`` last sent and what waits ahead."""

    #: seq of the last message sent, per channel whose replay is done
    delivered: dict[str, int] = field(default_factory=dict)
    #: notifications that arrived ahead of a missing seq (or during the replay), as text
    ahead: dict[str, dict[int, str]] = field(default_factory=dict)
    #: subscribes on their way, per channel
    subscribing: Counter[str] = field(default_factory=Counter)

    # --- subscribing ------------------------------------------------------------------

    def replay_started(self, channel: str) -> None:
        """A (new) replay of ``channel`` begins: what arrives from now on waits for its end,
        and what it replays is not sent twice."""
        self.delivered.pop(channel, None)
        self.ahead[channel] = {}

    def replay_refused(self, channel: str) -> None:
        """The person may not read ``channel``: nothing of it is held for them."""
        self.ahead.pop(channel, None)

    def replayed(self, channel: str, head: int) -> list[str]:
        """The replay has sent everything up to ``head``: what arrived meanwhile and follows
        on, to send after it."""
        self.delivered[channel] = head
        return self._flush(channel)

    def channels(self) -> list[str]:
        """The channels whose replay is done: live now."""
        return list(self.delivered)

    # --- live notifications -----------------------------------------------------------

    def arrived(self, channel: str, seq: int, text: str) -> list[str]:
        """A notification of message ``seq``: what to send now, in order (often just it;
        nothing when it comes ahead of a gap, is a repeat, or the channel is not read)."""
        if channel not in self.ahead:
            return []  # not subscribed: a later subscribe replays it
        last = self.delivered.get(channel)
        if last is not None and seq <= last:
            return []  # already sent
        if last == seq - 1 and not self.ahead[channel]:
            self.delivered[channel] = seq  # the usual case: the next one, nothing waiting
            return [text]
        self.ahead[channel][seq] = text
        if last is None:
            return []  # the replay is running: sent after it
        return self._flush(channel)

    def has_gap(self, channel: str) -> bool:
        """Whether something of ``channel`` is held back, waiting for a missing ``seq``."""
        return bool(self.ahead.get(channel))

    def gap(self, channel: str) -> tuple[int, int] | None:
        """``(after_seq, up_to)`` to read from the database to fill the gap of a live
        ``channel``; None if nothing is missing or a replay will send it all."""
        ahead = self.ahead.get(channel)
        if not ahead or channel not in self.delivered:
            return None
        return self.delivered[channel], max(ahead)

    def behind(self, channel: str, head: int) -> tuple[int, int] | None:
        """``(after_seq, up_to)`` if the channel's ``head`` in the database is past what was
        sent: notifications were lost with none after them to reveal the gap."""
        last = self.delivered.get(channel)
        if last is None or head <= last:
            return None
        return last, head

    def caught_up(self, channel: str, frames: Iterable[tuple[int, str]]) -> list[str]:
        """Messages read from the database, ``(seq, text)`` in order: what to send of them and
        of what they release, in order."""
        if channel not in self.delivered:
            return []  # a new subscribe replays it all
        out = []
        for seq, text in frames:
            if seq == self.delivered[channel] + 1:
                self.delivered[channel] = seq
                out.append(text)
        return out + self._flush(channel)

    def _flush(self, channel: str) -> list[str]:
        ahead, out = self.ahead[channel], []
        while self.delivered[channel] + 1 in ahead:
            self.delivered[channel] += 1
            out.append(ahead.pop(self.delivered[channel]))
        for stale in [s for s in ahead if s <= self.delivered[channel]]:
            del ahead[stale]
        return out


@dataclass
class Reminders:
    """When this connection last reminded its person of each alert not yet acknowledged."""

    reminded_at: dict[int, dt.datetime] = field(default_factory=dict)

    def due(self, pending: Iterable[dict], *, now: dt.datetime, interval: dt.timedelta
            ) -> list[dict]:
        """Of the ``pending`` alert frames, those to remind of now (never reminded, or not
        within ``interval``); they count as reminded."""
        due = []
        for frame in pending:
            last = self.reminded_at.get(frame["id"])
            if last is None or now - last >= interval:
                self.reminded_at[frame["id"]] = now
                due.append(frame)
        return due
