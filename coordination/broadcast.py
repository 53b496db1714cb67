"""The one place that talks to the channel layer: notifications, always after commit.

The database is the source of truth; the channel layer only tells connected clients that
something changed. A notification that cannot be delivered (Redis down) is logged, never
raised: clients catch up from the database when they resume.
"""

import asyncio
import json
import logging
import os

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def event_group(event_id: int, *, officials: bool = False) -> str:
    """The channel-layer group of everyone connected to one event, or of its officials."""
    return f"event-{event_id}-officials" if officials else f"event-{event_id}"


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The ASGI server's event loop, when this thread does sync work on its behalf."""
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    pid = getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None)
    if loop is not None and pid == os.getpid() and loop.is_running():
        return loop
    return None


class _Outbox:
    """Notifications of one server process. Those for the same group go out one after
    another, in the order their transactions committed, so that clients rarely see them out
    of order; different groups go out side by side."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queues: dict[str, list[dict]] = {}

    def put(self, group: str, message: dict) -> None:  # runs on the loop
        queue = self.queues.get(group)
        if queue is not None:
            queue.append(message)  # its drainer is already running
            return
        self.queues[group] = [message]
        self.loop.create_task(self._drain(group))

    async def _drain(self, group: str) -> None:
        layer = get_channel_layer()
        queue = self.queues[group]
        try:
            while queue:
                message = queue.pop(0)
                try:
                    await layer.group_send(group, message)
                except Exception:
                    logger.warning("Could not deliver a notification to %s", group,
                                   exc_info=True)
        finally:
            del self.queues[group]


_outboxes: dict[int, _Outbox] = {}


def send_now(event_id: int, payload: dict, *, officials: bool = False) -> None:
    """Deliver ``payload`` to the event's group now (use ``broadcast_on_commit``).

    Inside the server, the send is handed to the server's event loop without waiting for it:
    the database thread that committed goes back to work at once. Elsewhere (a management
    command, a test) it is sent before returning.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    group = event_group(event_id, officials=officials)
    # Serialised once here, not once per recipient; the consumers relay the text as it is.
    message = {
        "type": "parley.notify",
        "frame": payload.get("type"),
        "channel": payload.get("channel"),
        "seq": payload.get("seq"),
        "text": json.dumps(payload, ensure_ascii=False),
    }
    loop = _server_loop()
    if loop is not None:
        outbox = _outboxes.get(id(loop))
        if outbox is None or outbox.loop is not loop:
            outbox = _outboxes[id(loop)] = _Outbox(loop)
        loop.call_soon_threadsafe(outbox.put, group, message)
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        logger.warning("Could not notify event %s of %s", event_id, payload.get("type"),
                       exc_info=True)


def broadcast_on_commit(event_id: int, payload: dict, *, officials: bool = False) -> None:
    """Tell the event's connected clients (or only its officials) about ``payload`` once the
    transaction commits."""
    transaction.on_commit(lambda: send_now(event_id, payload, officials=officials))
