"""A live connection's frames in flight: read as they come, answered in the order they came.

One task reads each frame and starts its work (a send goes to its channel's writer at once,
so that one connection's sends are stored side by side, several at a time); another awaits
the works one after another, so the answers keep the frames' order. Neither holds up the
notifications the connection relays meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from messaging.protocol import Refusal, refusal_for

#: Client frames waiting to be read; more at once are refused with ``rate_limited``.
INBOX_FRAMES = 100
#: Frames read but not yet answered. Beyond this many, no more are read until the oldest
#: is answered.
FRAMES_IN_FLIGHT = 20

#: ``(work, answer_to)``: the coroutine that answers a frame, and the client_id its refusal
#: would carry.
Work = tuple[Coroutine[Any, Any, None], str | None]


class ConnectionClosed(Exception):
    """Raised by a frame's work when the connection has closed: nothing more to read or
    answer."""


class FramesInFlight:
    """The frames of one connection, between ``put()`` and their answer."""

    def __init__(self, *, read: Callable[[Any], Awaitable[Work]],
                 refuse: Callable[[Refusal], Awaitable[None]]) -> None:
        self.read, self.refuse = read, refuse
        self.inbox: asyncio.Queue = asyncio.Queue(maxsize=INBOX_FRAMES)
        self.answers: asyncio.Queue = asyncio.Queue(maxsize=FRAMES_IN_FLIGHT)
        self.reader = asyncio.create_task(self._read_frames())
        self.answerer = asyncio.create_task(self._answer_frames())

    def put(self, raw) -> bool:
        """Queue a frame; False if too many are waiting already."""
        try:
            self.inbox.put_nowait(raw)
        except asyncio.QueueFull:
            return False
        return True

    def stop(self) -> None:
        """Read and answer no more (but let the calling task, if it is one of them, finish
        what it is doing)."""
        for task in (self.reader, self.answerer):
            if task is not asyncio.current_task():
                task.cancel()

    async def _read_frames(self) -> None:
        try:
            while True:
                work, answer_to = await self.read(await self.inbox.get())
                try:
                    await self.answers.put((work, answer_to))
                except asyncio.CancelledError:
                    work.close()  # the connection is closing: never to be answered
                    raise
        except (asyncio.CancelledError, ConnectionClosed):
            pass

    async def _answer_frames(self) -> None:
        try:
            while True:
                work, answer_to = await self.answers.get()
                try:
                    await work
                except ConnectionClosed:
                    raise
                except Exception as exc:  # whatever refused the frame: an ``error`` frame
                    await self.refuse(refusal_for(exc, answer_to))
        except (asyncio.CancelledError, ConnectionClosed):
            pass
        finally:
            while not self.answers.empty():  # never started: close them quietly
                self.answers.get_nowait()[0].close()
