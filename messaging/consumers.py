"""The live channel of an event (docs/protocol.md, "The live channel").

The consumer stays thin: it checks frames, asks ``messaging.services`` to write and
``messaging.selectors`` to read, and relays what the channel layer announces. Correctness
never depends on the channel layer: every client's stream is rebuilt from the database on
subscribe, and any gap seen in live traffic is filled from the database too.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import random
from collections import Counter

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from coordination.broadcast import event_group, user_group
from coordination.errors import RateLimited
from coordination.languages import language_for
from coordination.parties import Role
from events.selectors import get_event_for
from messaging import limits, metrics, presence, selectors, services
from messaging.auth import credentials_hold
from messaging.frames import in_language
from messaging.models import Channel, Message
from messaging.threads import in_thread
from messaging.writer import writer_for

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_MEMBER = 4403
CLOSE_NO_SUCH_EVENT = 4404
CLOSE_TOO_MANY_CONNECTIONS = 4429
MAX_INT = 2**31 - 1
#: Client frames waiting to be handled; more at once are refused with ``rate_limited``.
INBOX_FRAMES = 100
#: Frames of one connection read but not yet answered. Sends among them are stored side by
#: side (in one batch when they are for the same channel); beyond this many, the connection
#: reads no more until the oldest is answered.
FRAMES_IN_FLIGHT = 20
#: Refusals that count against the sender's rate limit: the client's fault, not the server's
#: (``unavailable``) nor the limit's own answer.
REFUSALS_COUNTED = frozenset({"bad_frame", "too_large", "forbidden", "invalid"})



# Stands in the inbox for a frame over PARLEY_FRAME_MAX_BYTES (answered ``too_large``).
_TOO_LARGE = object()


def _frame_size(text_data: str | None, bytes_data: bytes | None) -> int:
    if text_data is not None:
        return len(text_data.encode("utf-8", "surrogatepass"))
    return len(bytes_data or b"")

class ConnectionClosed(Exception):
    """The connection was closed while handling a frame; nothing more to say."""


class FrameError(Exception):
    """A frame refused with an ``error`` frame; the connection stays open."""

    def __init__(self, code: str, detail: str, client_id=None) -> None:
        super().__init__(detail)
        self.code, self.detail, self.client_id = code, detail, client_id


def admission(user, event_id: int):
    """``(event, None)`` if ``user`` may be connected to the event's channel, else
    ``(None, close_code)``."""
    if not user.is_authenticated:
        return None, CLOSE_UNAUTHENTICATED
    user.refresh_from_db(fields=["is_active", "role"])
    if not user.is_active:
        return None, CLOSE_UNAUTHENTICATED
    try:
        event = get_event_for(user, event_id)
    except Http404:
        return None, CLOSE_NO_SUCH_EVENT
    if not event.memberships.filter(user_id=user.pk).exists():
        return None, CLOSE_NOT_MEMBER
    return event, None


def readmission(scope, user, event_id: int, *, reason: str | None = None) -> int | None:
    """For an open connection, asked again from the database: None if ``user`` may stay
    connected to the event's channel, else the close code: 4401 when they are deactivated
    or what opened the connection no longer signs them in (``credentials_hold``), 4403 when
    they may no longer be there (removed from the event, say)."""
    user.refresh_from_db(fields=["is_active", "role", "password"])
    if not user.is_active or not credentials_hold(scope, user, reason=reason):
        return CLOSE_UNAUTHENTICATED
    _event, refusal = admission(user, event_id)
    if refusal is None:
        return None
    return CLOSE_UNAUTHENTICATED if refusal == CLOSE_UNAUTHENTICATED else CLOSE_NOT_MEMBER


def admit(user, event_id: int, connection: str):
    """``admission``, and for someone admitted their presence recorded: one trip to a
    database thread for a connecting client. ``(event, None, online)`` or
    ``(None, close_code, None)``; ``online`` is who is connected now, them included."""
    event, refusal = admission(user, event_id)
    if refusal is not None:
        return None, refusal, None
    try:
        return event, None, presence.join(event_id, user=user, connection=connection)
    except presence.TooManyConnections:
        return None, CLOSE_TOO_MANY_CONNECTIONS, None


def _int_field(content: dict, name: str, *, default=None, minimum=0) -> int:
    value = content.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_INT:
        raise FrameError("invalid", _("“%(name)s” must be a whole number from %(min)s to "
                                      "%(max)s.") % {"name": name, "min": minimum, "max": MAX_INT})
    return value


def _channel_field(content: dict) -> str:
    channel = content.get("channel")
    if channel not in ("all", "officials"):
        raise FrameError("invalid", _("“channel” must be “all” or “officials”."))
    return channel


def _validation_detail(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


class EventChannelConsumer(AsyncWebsocketConsumer):
    """One person's connection to one event's live channel."""

    async def dispatch(self, message) -> None:
        # Channels closes stale database connections before every handler, on the one
        # thread the whole process shares; with hundreds of connections that thread becomes
        # the bottleneck. Our database work runs through ``in_thread``, which does that
        # clean-up on its own threads.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        self.event_id = int(self.scope["url_route"]["kwargs"]["event_id"])
        self.user = self.scope["user"]
        self.joined = False
        self.event, refusal, online = await in_thread(admit, first=True)(
            self.user, self.event_id, self.channel_name
        )
        if refusal is not None:
            # Accept, then close at once with our code and no data: a bare HTTP 403 would
            # not tell the client why.
            await self.accept()
            await self.close(code=refusal)
            return
        # The connection's language, for its whole life: activated in this task's context,
        # so the tasks started below and their database threads inherit it.
        self.language = language_for(self.user, _header(self.scope, b"accept-language"))
        translation.activate(self.language)
        self.is_official = self.user.role in (Role.POLICE, Role.CITY)
        # seq of the last message sent to this client, per subscribed channel
        self.delivered: dict[str, int] = {}
        # notifications that arrived ahead of a missing seq, and the tasks that fill gaps
        self.ahead: dict[str, dict[int, str]] = {}
        self.gap_fillers: dict[str, asyncio.Task] = {}
        self.delivery_lock = asyncio.Lock()
        self.reminded_at: dict[int, dt.datetime] = {}
        self.rooms: dict[str, Channel] = {}  # the event's channels, read once
        self.subscribing: Counter[str] = Counter()  # subscribes on their way, per channel
        # Client frames wait here and are handled in order by their own task, so that a
        # write waiting for the database never holds up the notifications of this connection.
        self.inbox: asyncio.Queue = asyncio.Queue(maxsize=INBOX_FRAMES)
        self.frame_handler: asyncio.Task | None = None
        self.answerer: asyncio.Task | None = None
        self.closing = False  # closed by us, the server not yet told: read nothing more
        # The person's own group too: told when their access is taken back anywhere.
        self.groups_joined = [event_group(self.event_id), user_group(self.user.pk)]
        if self.is_official:
            self.groups_joined.append(event_group(self.event_id, officials=True))
        try:
            for group in self.groups_joined:
                await self.channel_layer.group_add(group, self.channel_name)
            await self.accept()
        except BaseException:
            await in_thread(presence.leave)(self.event_id, connection=self.channel_name)
            raise
        self.joined = True
        # The announcement of this arrival went to the group before this connection was in
        # it: who is here, this connection included, is told here.
        await self._send_json({"type": "presence", "online": online})
        self.housekeeping = asyncio.create_task(self._housekeeping())
        # Frames are read by one task and answered, in the order they came, by another:
        # a client may have several sends on their way to the database at once.
        self.answers: asyncio.Queue = asyncio.Queue(maxsize=FRAMES_IN_FLIGHT)
        self.answerer = asyncio.create_task(self._answer_frames())
        self.frame_handler = asyncio.create_task(self._handle_frames())

    async def disconnect(self, code) -> None:
        if not getattr(self, "joined", False):
            return
        self.joined = False
        self.housekeeping.cancel()
        self.frame_handler.cancel()
        self.answerer.cancel()
        for task in self.gap_fillers.values():
            task.cancel()
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        try:
            await in_thread(presence.leave)(
                self.event_id, connection=self.channel_name
            )
        except DatabaseError:
            logger.warning("Could not record that %s left", self.channel_name, exc_info=True)

    # --- frames from the client -------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None) -> None:
        if not self.joined or self.closing:
            return
        if _frame_size(text_data, bytes_data) > settings.PARLEY_FRAME_MAX_BYTES:
            # Up to 1 MiB reaches here: queue a marker, not the frame, so that a burst of
            # large frames cannot fill the worker's memory while it waits its turn.
            text_data, bytes_data = _TOO_LARGE, None
        try:
            self.inbox.put_nowait((text_data, bytes_data))
        except asyncio.QueueFull:
            await self._error("rate_limited", _("Too many frames at once: wait for the "
                                                "answers before sending more."))

    async def _handle_frames(self) -> None:
        try:
            while True:
                text_data, bytes_data = await self.inbox.get()
                work, client_id = await self._read_frame(text_data, bytes_data)
                try:
                    await self.answers.put((work, client_id))
                except asyncio.CancelledError:
                    work.close()  # the connection is closing: never to be answered
                    raise
        except (asyncio.CancelledError, ConnectionClosed):
            pass

    async def _read_frame(self, text_data, bytes_data) -> tuple:
        """``(work, client_id)``: the work that answers the frame, to be awaited in order.

        A send is handed to its channel's writer here, as soon as it is read, so that the
        sends of one connection are stored in the order they came, several at a time; its
        answer waits for the answers of the frames before it.
        """
        client_id = None
        try:
            try:
                content = self._parse(text_data, bytes_data)
            except FrameError:
                self._refuse_if_throttled()
                raise
            if isinstance(content.get("client_id"), str):
                client_id = content["client_id"]
            frame_type = content.get("type")
            if frame_type != "ping":
                self._refuse_if_throttled()
            if frame_type == "send":
                return self._answer_send(await self._submit_send(content)), client_id
            if frame_type == "subscribe":
                return await self._start_subscribe(content), client_id
            # Only a string can name a frame type (a list or an object is not hashable).
            handler = {
                "ack": self._ack, "ping": self._ping,
            }.get(frame_type) if isinstance(frame_type, str) else None
            if handler is None:
                raise FrameError("bad_frame", _("Unknown frame type. Use subscribe, send, "
                                                "ack or ping."))
            return handler(content), client_id
        except ConnectionClosed:
            raise
        except Exception as exc:  # answered, in its turn, by _answer_frames
            return _raising(exc), client_id

    def _refuse_if_throttled(self) -> None:
        """Refuse every frame of someone who has had too many refused lately: a flood of bad
        frames is throttled like a flood of messages (``messaging.limits``)."""
        if limits.is_throttled(self.user.pk):
            raise services.rate_limited()

    async def _answer_frames(self) -> None:
        try:
            while True:
                work, client_id = await self.answers.get()
                await self._answer(work, client_id)
        except (asyncio.CancelledError, ConnectionClosed):
            pass
        finally:
            while not self.answers.empty():  # never started: close them quietly
                self.answers.get_nowait()[0].close()

    async def _answer(self, work, client_id) -> None:
        """Run ``work``; whatever refused the frame becomes an ``error`` frame."""
        try:
            await work
        except ConnectionClosed:
            raise
        except FrameError as exc:
            await self._error(exc.code, exc.detail, exc.client_id or client_id)
        except ValidationError as exc:
            code = "too_large" if "too_large" in _codes(exc) else "invalid"
            await self._error(code, _validation_detail(exc), client_id)
        except PermissionDenied as exc:
            await self._error("forbidden", str(exc) or _("Not allowed."), client_id)
        except RateLimited as exc:
            await self._error("rate_limited", exc.message, client_id)
        except DatabaseError:
            logger.exception("Database unavailable while handling a frame")
            await self._error("unavailable", _("The service is briefly unavailable; send "
                                               "again with the same client_id."), client_id)
        except Exception:
            # Never a stack trace to the client, never a dead connection.
            logger.exception("Unexpected error while handling a frame")
            await self._error("invalid", _("This frame could not be handled."), client_id)

    def _parse(self, text_data, bytes_data) -> dict:
        raw = text_data if text_data is not None else bytes_data
        if raw is _TOO_LARGE:
            raise FrameError("too_large", _("A frame may have at most %(max)s bytes.")
                             % {"max": settings.PARLEY_FRAME_MAX_BYTES})
        try:
            content = json.loads(raw)
        except (TypeError, ValueError, RecursionError):
            raise FrameError("bad_frame", _("A frame is one JSON object.")) from None
        if not isinstance(content, dict):
            raise FrameError("bad_frame", _("A frame is one JSON object."))
        return content

    async def _ping(self, content: dict) -> None:
        await self._send_json({"type": "pong"})

    async def _start_subscribe(self, content: dict):
        """The work that answers a ``subscribe``, its replay already being read.

        A resuming client sends its subscribes together (police and city read two
        channels): their replays are read side by side, each ahead of the worker's other
        database work, and answered in turn. A second subscribe to a channel whose first is
        still on its way waits for it, so that what a channel has delivered never goes back.
        """
        channel = _channel_field(content)
        after_seq = _int_field(content, "after_seq", default=0)
        reading = None if self.subscribing[channel] else await self._begin_replay(channel,
                                                                                 after_seq)
        self.subscribing[channel] += 1
        return self._subscribe(channel, after_seq, reading)

    async def _begin_replay(self, channel: str, after_seq: int) -> asyncio.Future:
        # Joined the groups at connect, before reading: anything committed from now on is
        # either in this replay or announced after it. Announcements that arrive during the
        # replay wait in ``ahead``; those already replayed are dropped by seq.
        async with self.delivery_lock:
            self.delivered.pop(channel, None)
            self.ahead[channel] = {}
        reading = asyncio.ensure_future(in_thread(selectors.start_replay, first=True)(
            self.user, self.event_id, channel, after_seq=after_seq
        ))
        # Read even if the connection closes before its turn: no "never retrieved" noise.
        reading.add_done_callback(lambda done: done.cancelled() or done.exception())
        return reading

    async def _subscribe(self, channel: str, after_seq: int, reading) -> None:
        try:
            if reading is None:
                reading = await self._begin_replay(channel, after_seq)
            await self._replay(channel, after_seq, await reading)
        finally:
            self.subscribing[channel] -= 1

    async def _replay(self, channel: str, after_seq: int, start) -> None:
        if start is None:
            self.ahead.pop(channel, None)
            raise FrameError("forbidden", _("You cannot read this channel."))
        if after_seq > 0:
            metrics.resumed()
        head, frames = start.head, start.frames
        while frames:
            for frame in frames:
                await self._send_json(frame)
            metrics.message_delivered(len(frames))
            if frames[-1]["seq"] >= head:
                break
            frames = await in_thread(selectors.message_frames_between, first=True)(
                self.event_id, channel, after_seq=frames[-1]["seq"], up_to=head
            )
        # Acknowledgements of messages the client already had, given while it was away.
        for frame in start.acked:
            await self._send_json(frame)
        async with self.delivery_lock:
            self.delivered[channel] = head
            await self._send_json({"type": "subscribed", "channel": channel, "head_seq": head})
            await self._flush(channel)
        self._fill_gap_if_needed(channel)

    async def _submit_send(self, content: dict) -> asyncio.Future:
        """Check a ``send`` frame and hand it to its channel's writer."""
        channel = _channel_field(content)
        client_id = content.get("client_id")
        reply_to = content.get("reply_to")
        if reply_to is not None:
            reply_to = _int_field(content, "reply_to", minimum=1)
        kind = content.get("kind", "message")
        if not isinstance(kind, str):
            raise FrameError("invalid", _("“kind” must be message, instruction or alert."))
        draft = services.MessageDraft(sender=self.user, kind=kind, body=content.get("body"),
                                      client_id=client_id, reply_to=reply_to,
                                      standard_instruction=content.get("standard_instruction"))
        # Checked before it joins a batch with other people's messages: a draft that cannot
        # be stored is refused to its sender alone.
        services.validate_draft(draft)
        # The event as of connecting is enough here: whether the channel is still open is
        # decided by the service on the event's current row, inside its transaction.
        return writer_for(self.event, await self._room(channel)).submit(draft)

    async def _answer_send(self, stored: asyncio.Future) -> None:
        try:
            message, _created = await stored
        except (PermissionDenied, Http404):
            await self._recheck_membership()  # closes with 4403 if no longer a member
            raise
        await self._send_json({"type": "sent", "client_id": str(message.client_id),
                               "id": message.pk, "seq": message.seq})

    async def _room(self, channel: str) -> Channel:
        room = self.rooms.get(channel)
        if room is None:
            room = self.rooms[channel] = await in_thread(services.get_channel)(self.event,
                                                                              channel)
        return room

    async def _ack(self, content: dict) -> None:
        message_id = _int_field(content, "message_id", minimum=1)
        try:
            await in_thread(self._ack_sync)(message_id)
        except (PermissionDenied, FrameError):
            await self._recheck_membership()
            raise

    def _ack_sync(self, message_id: int) -> None:
        message = (
            Message.objects.select_related("channel__event")
            .filter(pk=message_id, channel__event_id=self.event_id).first()
        )
        if message is None or not self.user.has_perm("messaging.read_channel", message.channel):
            raise FrameError("invalid", _("No such message."))
        services.acknowledge_message(message, user=self.user)

    # --- notifications from the channel layer -----------------------------------------

    async def access_changed(self, message: dict) -> None:
        """Someone's access changed (``coordination.broadcast.access_changed``): removed from
        this event, deactivated, signed out, a password or token gone. If it is this
        connection's person, ask the database again, and close if they may no longer be
        here; every worker holding one of their connections does the same at once."""
        if message.get("user") not in (None, self.user.pk) or not self.joined:
            return
        with contextlib.suppress(ConnectionClosed):
            await self._recheck_membership(reason=message.get("reason"))

    async def parley_notify(self, event: dict) -> None:
        """A notification from ``coordination.broadcast``: the frame, already as text."""
        if event["frame"] == "message":
            # A standard instruction comes in every language: this connection's, if there.
            variants = event.get("variants")
            text = variants.get(self.language, event["text"]) if variants else event["text"]
            await self._deliver_message(event["channel"], event["seq"], text)
        else:
            await self.send(text_data=event["text"])

    async def _deliver_message(self, channel: str, seq: int, text: str) -> None:
        """Send each ``seq`` of a channel once, in order.

        Notifications from several workers can overtake each other. One that arrives ahead
        of a missing ``seq`` waits briefly for it; if it does not come (a notification was
        lost), the gap is read from the database.
        """
        if channel not in self.ahead:
            return  # not subscribed: a later subscribe replays it
        last = self.delivered.get(channel)
        if last is not None and seq <= last:
            return  # already sent
        if last == seq - 1 and not self.ahead[channel] and not self.delivery_lock.locked():
            self.delivered[channel] = seq  # the usual case: the next one, nothing waiting
            await self.send(text_data=text)
            metrics.message_delivered()
            return
        self.ahead[channel][seq] = text
        if last is None:
            return  # the replay is running: sent after it
        async with self.delivery_lock:
            await self._flush(channel)
        self._fill_gap_if_needed(channel)

    def _fill_gap_if_needed(self, channel: str) -> None:
        if self.ahead.get(channel) and channel not in self.gap_fillers:
            self.gap_fillers[channel] = asyncio.create_task(self._fill_gap_later(channel))

    async def _flush(self, channel: str) -> None:
        if channel not in self.delivered:
            return
        ahead = self.ahead[channel]
        while self.delivered[channel] + 1 in ahead:
            self.delivered[channel] += 1
            await self.send(text_data=ahead.pop(self.delivered[channel]))
            metrics.message_delivered()
        for stale in [s for s in ahead if s <= self.delivered[channel]]:
            del ahead[stale]

    async def _fill_gap_later(self, channel: str) -> None:
        try:
            while self.ahead.get(channel):
                await asyncio.sleep(settings.PARLEY_GAP_WAIT_SECONDS)
                ahead = self.ahead.get(channel)
                if not ahead or channel not in self.delivered:
                    break  # nothing missing, or a new subscribe replays it all
                await self._catch_up(channel, up_to=max(ahead))
        except asyncio.CancelledError:
            pass
        except DatabaseError:
            logger.warning("Could not fill a gap: database unavailable", exc_info=True)
        finally:
            self.gap_fillers.pop(channel, None)

    async def _catch_up(self, channel: str, *, up_to: int) -> None:
        """Send from the database what this client has not had yet, up to ``up_to``."""
        # Read without holding the delivery lock: live frames keep flowing meanwhile.
        frames = await in_thread(selectors.message_frames_between)(
            self.event_id, channel, after_seq=self.delivered[channel], up_to=up_to,
        )
        async with self.delivery_lock:
            if channel not in self.delivered:
                return  # a new subscribe replays it all
            for item in frames:
                if item["seq"] == self.delivered[channel] + 1:
                    self.delivered[channel] = item["seq"]
                    await self._send_json(item)
                    metrics.message_delivered()
            await self._flush(channel)

    async def _catch_up_if_behind(self) -> None:
        """The safety net for a notification lost with none after it to reveal the gap (the
        channel layer was down, say): compare with the channel's head in the database."""
        for channel in list(self.delivered):
            if channel in self.gap_fillers:
                continue  # a gap is being filled already
            head = await in_thread(selectors.head_seq)(self.event_id, channel)
            if channel in self.delivered and head > self.delivered[channel]:
                await self._catch_up(channel, up_to=head)

    # --- housekeeping -----------------------------------------------------------------

    async def _housekeeping(self) -> None:
        """Keep presence fresh, re-check membership, catch up on anything missed, remind of
        unacknowledged alerts."""
        tick = max(0.2, min(settings.PARLEY_MEMBERSHIP_CHECK_SECONDS,
                            settings.PARLEY_ALERT_REMINDER_SECONDS,
                            settings.PARLEY_CATCH_UP_SECONDS))
        last_check = last_catch_up = asyncio.get_running_loop().time()
        try:
            # Spread the checks of many connections over the interval: hundreds of
            # connections opened together must not all query the database in the same second.
            await asyncio.sleep(random.uniform(0, tick))  # noqa: S311
            while True:
                await asyncio.sleep(tick)
                now = asyncio.get_running_loop().time()
                try:
                    if now - last_check >= settings.PARLEY_MEMBERSHIP_CHECK_SECONDS:
                        last_check = now
                        await self._recheck_membership()
                        await in_thread(presence.refresh)(
                            self.event_id, connection=self.channel_name
                        )
                    if now - last_catch_up >= settings.PARLEY_CATCH_UP_SECONDS:
                        last_catch_up = now
                        await self._catch_up_if_behind()
                    await self._remind()
                except DatabaseError:
                    logger.warning("Housekeeping skipped: database unavailable", exc_info=True)
        except (asyncio.CancelledError, ConnectionClosed):
            pass

    async def _recheck_membership(self, *, reason: str | None = None) -> None:
        """Close a connection whose user may no longer be here (``readmission``): 4403 when
        removed, 4401 when deactivated or signed out."""
        refusal = await in_thread(readmission)(self.scope, self.user, self.event_id,
                                               reason=reason)
        if refusal is not None:
            await self._close(refusal)
            raise ConnectionClosed

    async def _close(self, code: int) -> None:
        """Close now; frames still waiting are dropped (whatever a send among them asks
        would be refused all the same: the storing transaction asks again)."""
        if self.closing:
            return
        self.closing = True
        for task in (self.frame_handler, self.answerer):
            if task is not asyncio.current_task():
                task.cancel()
        await self.close(code=code)

    async def _remind(self) -> None:
        if not self.delivered:
            return
        interval = dt.timedelta(seconds=settings.PARLEY_ALERT_REMINDER_SECONDS)
        now = timezone.now()
        frames = await in_thread(selectors.pending_alerts)(
            self.event_id, list(self.delivered), user=self.user, sent_before=now - interval
        )
        for frame in frames:
            last = self.reminded_at.get(frame["id"])
            if last is None or now - last >= interval:
                self.reminded_at[frame["id"]] = now
                await self._send_json({"type": "reminder", "message": frame})

    # --- helpers ----------------------------------------------------------------------

    async def _send_json(self, content: dict) -> None:
        if content.get("standard_instruction"):
            content = in_language(content, self.language)
        await self.send(text_data=json.dumps(content, ensure_ascii=False))

    async def _error(self, code: str, detail: str, client_id=None) -> None:
        if code in REFUSALS_COUNTED:
            limits.note_refusal(self.user.pk)
        frame = {"type": "error", "code": code, "detail": str(detail)}
        if client_id is not None:
            frame["client_id"] = client_id
        await self._send_json(frame)


def _header(scope: dict, name: bytes) -> str | None:
    """A header of the handshake, or None."""
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _codes(exc: ValidationError) -> set:
    errors = (
        [e for errors in exc.error_dict.values() for e in errors]
        if hasattr(exc, "error_dict") else exc.error_list
    )
    return {getattr(e, "code", None) for e in errors}


async def _raising(exc: BaseException) -> None:
    """Work that refuses a frame, in its turn."""
    raise exc
