"""Group commit for the live channel: the sends one worker process receives for the same
channel are stored together.

While one batch is being written, the sends that arrive meanwhile wait and go together in
the next: one transaction (one lock, one commit, one read of the log's head) for all of
them. At a quiet time a batch holds one message and nothing waits; under load, a worker
stores many messages for the price of few.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from events.models import Event
from messaging import services
from messaging.models import Channel
from messaging.services import MessageDraft
from messaging.threads import in_thread

#: At most this many messages in one transaction.
BATCH_SIZE = 50


@dataclass(eq=False)
class ChannelWriter:
    """Stores the messages of one channel for this process, a batch at a time."""

    event: Event
    room: Channel
    waiting: list[tuple[MessageDraft, asyncio.Future]] = field(default_factory=list)
    running: bool = False
    task: asyncio.Task | None = None  # kept: the loop holds only a weak reference

    def submit(self, draft: MessageDraft) -> asyncio.Future:
        """Queue ``draft`` to be stored, in the order submitted; the future gets
        ``(message, created)`` as ``services.send_message()`` returns it, or the exception
        that refused it. A connection may submit several before the first is stored: they
        then go together in one batch."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.waiting.append((draft, future))
        if not self.running:
            self.running = True
            self.task = loop.create_task(self._write())
        return future

    async def send(self, draft: MessageDraft):
        """Store ``draft`` and wait for it: see ``submit()``."""
        return await self.submit(draft)

    async def _write(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting[:BATCH_SIZE], self.waiting[BATCH_SIZE:]
                drafts = [draft for draft, _future in batch]
                try:
                    results = await in_thread(services.send_messages)(
                        event=self.event, channel=self.room, drafts=drafts
                    )
                except Exception as exc:  # e.g. the database is unavailable: all of them
                    results = [services.Refused(draft, exc) for draft in drafts]
                for (_draft, future), result in zip(batch, results, strict=True):
                    if future.done():
                        continue  # its connection has gone; the client will ask again
                    match result:
                        case services.Stored(message=message, created=created):
                            future.set_result((message, created))
                        case services.Refused(reason=reason):
                            future.set_exception(reason)
        finally:
            self.running = False
            _writers.pop((id(asyncio.get_running_loop()), self.room.pk), None)


_writers: dict[tuple[int, int], ChannelWriter] = {}


def writer_for(event: Event, room: Channel) -> ChannelWriter:
    """This process's writer for ``room`` (a channel of ``event``)."""
    key = (id(asyncio.get_running_loop()), room.pk)
    writer = _writers.get(key)
    if writer is None:
        writer = _writers[key] = ChannelWriter(event=event, room=room)
    return writer
