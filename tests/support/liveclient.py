"""A scripted live-channel client that does what the page does: resume from the last seq.

Used by the multi-worker integration tests (and usable by benchmarks). It authenticates with
single-use tickets, as a non-browser client must, and keeps every message frame it receives
so that tests can check for gaps and duplicates.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus


class ResumingClient:
    """Connects to ``ws_base``/ws/events/<id>/, subscribes, and reconnects on any drop."""

    def __init__(self, ws_base: str, event_id: int, get_ticket: Callable[[], Awaitable[str]],
                 *, channel: str = "all", name: str = "client") -> None:
        self.ws_base, self.event_id, self.get_ticket = ws_base, event_id, get_ticket
        self.channel, self.name = channel, name
        self.seqs: list[int] = []
        self.frames: list[dict] = []
        self.connections = 0
        self.subscribed = asyncio.Event()
        self._new_frame = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._ws = None

    @property
    def last_seq(self) -> int:
        return self.seqs[-1] if self.seqs else 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def drop(self) -> None:
        """Cut the connection as a flaky network would; the client resumes by itself."""
        if self._ws is not None:
            await self._ws.close()

    async def send(self, frame: dict) -> None:
        await self._ws.send(json.dumps(frame))

    async def wait_for(self, predicate: Callable[[ResumingClient], bool], timeout: float):
        """Wait until ``predicate(self)`` holds, re-checking on every new frame."""
        async def waiter():
            while not predicate(self):
                self._new_frame.clear()
                await self._new_frame.wait()
        await asyncio.wait_for(waiter(), timeout)

    async def _run(self) -> None:
        delay = 0.05
        while True:
            try:
                ticket = await self.get_ticket()
                url = f"{self.ws_base}/ws/events/{self.event_id}/?ticket={ticket}"
                async with connect(url, proxy=None, open_timeout=5) as ws:
                    self._ws = ws
                    self.connections += 1
                    await ws.send(json.dumps({"type": "subscribe", "channel": self.channel,
                                              "after_seq": self.last_seq}))
                    delay = 0.05
                    async for raw in ws:
                        self._handle(json.loads(raw))
            except asyncio.CancelledError:
                raise
            except (OSError, ConnectionClosed, InvalidHandshake, InvalidStatus, TimeoutError):
                pass
            self.subscribed.clear()
            self._ws = None
            await asyncio.sleep(delay)  # back-off between reconnection attempts
            delay = min(delay * 2, 1.0)

    def _handle(self, frame: dict) -> None:
        self.frames.append(frame)
        if frame["type"] == "message" and frame["channel"] == self.channel:
            self.seqs.append(frame["seq"])
        elif frame["type"] == "subscribed" and frame["channel"] == self.channel:
            self.subscribed.set()
        self._new_frame.set()
