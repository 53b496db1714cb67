"""The one place that talks to the channel layer: notifications, always after commit.

The database is the source of truth; the channel layer only tells connected clients that
something changed. A notification that cannot be delivered (Redis down) is logged, never
raised: clients catch up from the database when they resume.
"""

import asyncio
import contextvars
import json
import logging
import os

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from coordination.metrics import channel_layer_error

logger = logging.getLogger(__name__)


def event_group(event_id: int, *, officials: bool = False) -> str:
    """The channel-layer group of everyone connected to one event, or of its officials."""
    return f"event-{event_id}-officials" if officials else f"event-{event_id}"


def user_group(user_id: int) -> str:
    """The channel-layer group of every open connection of one person (live channels and
    desks alike), told when that person's access is taken back."""
    return f"user-{user_id}"


def access_changed(*, reason: str | None = None, user_id: int | None = None,
                   token_key: str | None = None) -> dict:
    """The notice that someone's access changed: each connection it reaches asks the
    database again whether it may stay open (``messaging.consumers``,
    ``coordination.desk_consumer``). ``user_id``: only that person's connections ask (the
    notice went to a group of several people's); ``reason`` and ``token_key``: as
    ``coordination.access.access_revoked`` gives them."""
    return {"type": "access.changed", "reason": reason, "user": user_id,
            "token_key": token_key}


#: The channel-layer group of every open desk (coordination/desk_consumer.py).
DESK_GROUP = "desk"
#: Frames whose news changes what the desk shows (besides instructions and alerts, below).
DESK_FRAMES = frozenset({"state", "zone", "acked", "presence"})
#: Kinds of message the desk lists until everyone has acknowledged them.
DESK_MESSAGE_KINDS = frozenset({"instruction", "alert"})


def desk_news(payload: dict) -> str | None:
    """What the desk should hear about ``payload`` (its frame type), or None if nothing."""
    what = payload.get("type")
    if not isinstance(what, str):
        return None
    if what == "message":
        return what if payload.get("kind") in DESK_MESSAGE_KINDS else None
    if what in DESK_FRAMES or what.startswith("incident"):
        return what
    return None


def desk_changed(event_id: int, what: str) -> dict:
    """The desk's notification: metadata only, never a message's body or a person's name,
    since every police officer and city official sees the desk, member of the event or not."""
    return {"type": "desk.changed", "event": event_id, "what": what}


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
        # A context of its own: the drainer serves every connection of the process, so it
        # must not carry the log ids (config/observability.py) of whoever started it.
        self.loop.create_task(self._drain(group), context=contextvars.Context())

    async def _drain(self, group: str) -> None:
        layer = get_channel_layer()
        queue = self.queues[group]
        try:
            while queue:
                message = queue.pop(0)
                try:
                    await layer.group_send(group, message)
                except Exception:
                    channel_layer_error()
                    logger.warning("Could not deliver a notification to %s", group,
                                   exc_info=True)
        finally:
            del self.queues[group]


class _DeskNews:
    """The desk's notifications of one server process, coalesced: whatever happens within
    ``PARLEY_DESK_COALESCE_SECONDS`` goes out once per (event, frame type) at the end of
    that time, so a busy channel (presence, acknowledgements) does not flood every desk."""

    def __init__(self, outbox: _Outbox) -> None:
        self.outbox = outbox
        self.pending: dict[tuple[int, str], None] = {}  # a dict keeps the order they came
        self.scheduled = False

    def put(self, event_id: int, what: str) -> None:  # runs on the loop
        self.pending[(event_id, what)] = None
        if not self.scheduled:
            self.scheduled = True
            self.outbox.loop.call_later(settings.PARLEY_DESK_COALESCE_SECONDS, self.flush)

    def flush(self) -> None:
        self.scheduled = False
        pending, self.pending = self.pending, {}
        for event_id, what in pending:
            self.outbox.put(DESK_GROUP, desk_changed(event_id, what))


_outboxes: dict[int, _Outbox] = {}
_desk_news: dict[int, _DeskNews] = {}


def _outbox_of(loop: asyncio.AbstractEventLoop) -> _Outbox:
    outbox = _outboxes.get(id(loop))
    if outbox is None or outbox.loop is not loop:
        outbox = _outboxes[id(loop)] = _Outbox(loop)
    return outbox


def _desk_news_of(loop: asyncio.AbstractEventLoop) -> _DeskNews:
    news = _desk_news.get(id(loop))
    if news is None or news.outbox.loop is not loop:
        news = _desk_news[id(loop)] = _DeskNews(_outbox_of(loop))
    return news


def send_now(event_id: int, payload: dict, *, officials: bool = False,
             variants: dict[str, dict] | None = None) -> None:
    """Deliver ``payload`` to the event's group now (use ``broadcast_on_commit``).

    Inside the server, the send is handed to the server's event loop without waiting for it:
    the database thread that committed goes back to work at once. Elsewhere (a management
    command, a test) it is sent before returning.

    Every notification passes here, so this is also where the desk hears, in a few words
    (``desk_changed``), about the changes it shows.

    ``variants``: the payload as readers of other languages receive it, by language code (a
    standard instruction's text); each is serialised once too, and a connection whose
    language is among them relays that one instead.
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
    if variants:
        message["variants"] = {code: json.dumps(variant, ensure_ascii=False)
                               for code, variant in variants.items()}
    what = desk_news(payload)
    loop = _server_loop()
    if loop is not None:
        loop.call_soon_threadsafe(_outbox_of(loop).put, group, message)
        if what is not None:
            loop.call_soon_threadsafe(_desk_news_of(loop).put, event_id, what)
        return
    try:
        async_to_sync(layer.group_send)(group, message)
        if what is not None:
            async_to_sync(layer.group_send)(DESK_GROUP, desk_changed(event_id, what))
    except Exception:
        channel_layer_error()
        logger.warning("Could not notify event %s of %s", event_id, payload.get("type"),
                       exc_info=True)


def send_to_group(group: str, message: dict) -> None:
    """Deliver a channel-layer ``message`` to ``group`` now (use
    ``send_to_group_on_commit`` inside a transaction); as ``send_now``, handed to the
    server's event loop when there is one, never raised when the layer is down."""
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _server_loop()
    if loop is not None:
        loop.call_soon_threadsafe(_outbox_of(loop).put, group, message)
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        channel_layer_error()
        logger.warning("Could not deliver %s to %s", message.get("type"), group,
                       exc_info=True)


def send_to_group_on_commit(group: str, message: dict) -> None:
    """``send_to_group`` once the transaction commits."""
    transaction.on_commit(lambda: send_to_group(group, message))


def announce_access_revoked(sender, *, user, reason, token_key=None, **kwargs) -> None:
    """Receiver of ``coordination.access.access_revoked`` (sent after commit): every open
    connection of ``user``, on every worker, asks again whether it may stay open."""
    send_to_group(user_group(user.pk),
                  access_changed(reason=str(reason), user_id=user.pk, token_key=token_key))


def broadcast_on_commit(event_id: int, payload: dict, *, officials: bool = False,
                        variants: dict[str, dict] | None = None) -> None:
    """Tell the event's connected clients (or only its officials) about ``payload`` once the
    transaction commits (``variants``: see ``send_now``)."""
    transaction.on_commit(lambda: send_now(event_id, payload, officials=officials,
                                           variants=variants))
