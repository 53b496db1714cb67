"""Refused frames count against their sender's rate limit.

A frame the live channel refuses (not JSON, unknown type, text that cannot be stored, an
unknown message…) stores nothing, so the database cannot count it as it counts messages.
This worker process counts them here instead, over the same sliding window: a flood of bad
frames is then throttled like a flood of good ones, and a person's refused frames add to the
messages they sent when their next message is checked (``messaging.services``).

Counted per worker process, in memory: a person whose connections are spread over N workers
gets at most N times the allowance of refused frames, each of which costs no database work.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from django.conf import settings

_lock = threading.Lock()  # the event loop writes, the database threads read
_refused: dict[int, deque[float]] = {}


def _window() -> float:
    return float(settings.PARLEY_RATE_LIMIT_SECONDS)


def _forget_old(times: deque[float], now: float) -> None:
    while times and now - times[0] >= _window():
        times.popleft()


def note_refusal(user_id: int) -> None:
    """Count one refused frame of ``user_id``'s, now."""
    now = time.monotonic()
    with _lock:
        times = _refused.setdefault(user_id, deque())
        _forget_old(times, now)
        times.append(now)
        # Nobody needs more than the limit counted: beyond it they are throttled anyway.
        while len(times) > settings.PARLEY_RATE_LIMIT_MESSAGES:
            times.popleft()


def refusals(user_id: int) -> int:
    """How many of ``user_id``'s frames this process refused within the rate-limit window."""
    now = time.monotonic()
    with _lock:
        times = _refused.get(user_id)
        if times is None:
            return 0
        _forget_old(times, now)
        if not times:
            del _refused[user_id]
            return 0
        return len(times)


def is_throttled(user_id: int) -> bool:
    """Whether ``user_id`` has had as many frames refused within the window as the rate
    limit allows messages: every frame of theirs is then refused with ``rate_limited``."""
    return refusals(user_id) >= settings.PARLEY_RATE_LIMIT_MESSAGES
