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
from collections.abc import Callable
from dataclasses import dataclass

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
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
    ``desk.consumers``). ``user_id``: only that person's connections ask (the
    notice went to a group of several people's); ``reason`` and ``token_key``: as
    ``coordination.accounts.access.access_revoked`` gives them."""
    return {"type": "access.changed", "reason": reason, "user": user_id,
            "token_key": token_key}



@dataclass(frozen=True)
class Echo:
    """What another group hears because of a notification (see ``listen``): ``message`` to
    ``group``. With ``coalesce_seconds``, equal echoes within that time go out once, at its
    end, so that a busy channel does not flood their listeners."""

    group: str
    message: dict
    coalesce_seconds: float | None = None


#: Told of every notification (``listen``); each answers what another group should hear.
_listeners: list[Callable[[int, dict], Echo | None]] = []


def listen(listener: Callable[[int, dict], Echo | None]) -> None:
    """Have ``listener(event_id, payload)`` hear of every notification of an event and answer
    an ``Echo`` for another group, or None. For the apps above the core, which
    connect their listener in their ``AppConfig.ready``; the core itself knows none of them."""
    if listener not in _listeners:
        _listeners.append(listener)


def _echoes(event_id: int, payload: dict) -> list[Echo]:
    echoes = []
    for listener in _listeners:
        try:
            echo = listener(event_id, payload)
        except Exception:  # a listener's mistake must not cost the event its notification
            logger.exception("Broadcast listener %r failed", listener)
            continue
        if echo is not None:
            echoes.append(echo)
    return echoes


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


class _Coalescer:
    """The coalesced echoes of one server process and one delay: whatever comes within
    ``seconds`` goes out once per distinct (group, message), at the end of that time."""

    def __init__(self, outbox: _Outbox, seconds: float) -> None:
        self.outbox = outbox
        self.seconds = seconds
        self.pending: dict[tuple[str, str], Echo] = {}  # a dict keeps the order they came
        self.scheduled = False

    def put(self, echo: Echo) -> None:  # runs on the loop
        self.pending[(echo.group, json.dumps(echo.message, sort_keys=True))] = echo
        if not self.scheduled:
            self.scheduled = True
            self.outbox.loop.call_later(self.seconds, self.flush)

    def flush(self) -> None:
        self.scheduled = False
        pending, self.pending = self.pending, {}
        for echo in pending.values():
            self.outbox.put(echo.group, echo.message)


_outboxes: dict[int, _Outbox] = {}
_coalescers: dict[tuple[int, float], _Coalescer] = {}


def _outbox_of(loop: asyncio.AbstractEventLoop) -> _Outbox:
    outbox = _outboxes.get(id(loop))
    if outbox is None or outbox.loop is not loop:
        outbox = _outboxes[id(loop)] = _Outbox(loop)
    return outbox


def _coalescer_of(loop: asyncio.AbstractEventLoop, seconds: float) -> _Coalescer:
    coalescer = _coalescers.get((id(loop), seconds))
    if coalescer is None or coalescer.outbox.loop is not loop:
        coalescer = _coalescers[(id(loop), seconds)] = _Coalescer(_outbox_of(loop), seconds)
    return coalescer


def _echo_on(loop: asyncio.AbstractEventLoop, echo: Echo) -> None:  # runs on the loop
    if echo.coalesce_seconds is None:
        _outbox_of(loop).put(echo.group, echo.message)
    else:
        _coalescer_of(loop, echo.coalesce_seconds).put(echo)


def send_now(event_id: int, payload: dict, *, officials: bool = False,
             variants: dict[str, dict] | None = None) -> None:
    """Deliver ``payload`` to the event's group now (use ``broadcast_on_commit``).

    Inside the server, the send is handed to the server's event loop without waiting for it:
    the database thread that committed goes back to work at once. Elsewhere (a management
    command, a test) it is sent before returning.

    Every notification passes here, so this is also where the listeners (``listen``) hear of
    it and their echoes go out.

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
    echoes = _echoes(event_id, payload)
    loop = _server_loop()
    if loop is not None:
        loop.call_soon_threadsafe(_outbox_of(loop).put, group, message)
        for echo in echoes:
            loop.call_soon_threadsafe(_echo_on, loop, echo)
        return
    try:
        async_to_sync(layer.group_send)(group, message)
        for echo in echoes:
            async_to_sync(layer.group_send)(echo.group, echo.message)
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
    """Receiver of ``coordination.accounts.access.access_revoked`` (sent after commit): every open
    connection of ``user``, on every worker, asks again whether it may stay open."""
    send_to_group(user_group(user.pk),
                  access_changed(reason=str(reason), user_id=user.pk, token_key=token_key))


def broadcast_on_commit(event_id: int, payload: dict, *, officials: bool = False,
                        variants: dict[str, dict] | None = None) -> None:
    """Tell the event's connected clients (or only its officials) about ``payload`` once the
    transaction commits (``variants``: see ``send_now``)."""
    transaction.on_commit(lambda: send_now(event_id, payload, officials=officials,
                                           variants=variants))
