"""The live channel of an event (docs/protocol.md, "The live channel").

The consumer is glue: it admits a connection (``messaging.admission``), reads frames with
``messaging.protocol``, asks ``messaging.services`` to write and ``messaging.selectors`` to
read, and sends each channel's messages in order as ``messaging.delivery`` decides;
``messaging.upkeep`` keeps the connection up meanwhile (presence, membership, catch-up).
Correctness never depends on the channel layer: every client's stream is rebuilt from the
database on subscribe, and any gap seen in live traffic is filled from the database too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _

from coordination.broadcast import event_group, user_group
from coordination.languages import language_for
from coordination.parties import Role
from messaging import limits, metrics, presence, protocol, selectors, services
from messaging.admission import admit, readmission
from messaging.delivery import ChannelStreams
from messaging.frames import acked_frame
from messaging.inflight import ConnectionClosed, FramesInFlight, Work
from messaging.models import Channel, Message
from messaging.threads import in_thread
from messaging.upkeep import Upkeep
from messaging.writer import writer_for

logger = logging.getLogger(__name__)


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
        self.streams = ChannelStreams()
        self.sending = asyncio.Lock()  # what is sent of a channel goes out in seq order
        self.rooms: dict[str, Channel] = {}  # the event's channels, read once
        self.closing = False  # closed by us, the server not yet told: read nothing more
        # The person's own group too: told when their access is taken back anywhere.
        self.groups_joined = [event_group(self.event_id), user_group(self.user.pk)]
        if self.user.role in (Role.POLICE, Role.CITY):
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
        await self._send_frame(protocol.presence_frame(online))
        self.upkeep = Upkeep(
            event_id=self.event_id, connection=self.channel_name, user=self.user,
            language=self.language, streams=self.streams, send_frame=self._send_frame,
            send_texts=self._send_texts, recheck_membership=self._recheck_membership)
        # Frames are read by one task and answered, in the order they came, by another: a
        # client may have several sends on their way to the database at once, and a write
        # waiting for the database never holds up the notifications of this connection.
        self.frames = FramesInFlight(read=self._read_frame, refuse=self._refuse)

    async def disconnect(self, code) -> None:
        if not getattr(self, "joined", False):
            return
        self.joined = False
        self.frames.stop()
        self.upkeep.stop()
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        try:
            await in_thread(presence.leave)(self.event_id, connection=self.channel_name)
        except DatabaseError:
            logger.warning("Could not record that %s left", self.channel_name, exc_info=True)

    # --- frames from the client -------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None) -> None:
        if not self.joined or self.closing:
            return
        raw = protocol.received(text_data, bytes_data,
                                max_bytes=settings.PARLEY_FRAME_MAX_BYTES)
        if not self.frames.put(raw):
            await self._refuse(protocol.too_many_frames())

    async def _read_frame(self, raw) -> Work:
        """``(work, answer_to)``: the work that answers the frame, to be awaited in order.

        A send is handed to its channel's writer here, as soon as it is read, so that the
        sends of one connection are stored in the order they came, several at a time; its
        answer waits for the answers of the frames before it.
        """
        frame = protocol.read_frame(raw, max_bytes=settings.PARLEY_FRAME_MAX_BYTES)
        # A flood of bad frames is throttled like a flood of messages (messaging.limits).
        if not protocol.is_ping(frame) and limits.is_throttled(self.user.pk):
            frame = protocol.refusal_for(services.rate_limited(), frame.answer_to)
        try:
            match frame:
                case protocol.Refusal():
                    return self._refuse(frame), frame.answer_to
                case protocol.Send():
                    return self._answer_send(await self._submit_send(frame)), frame.answer_to
                case protocol.Subscribe():
                    return await self._start_subscribe(frame), frame.answer_to
                case protocol.Ack():
                    return self._ack(frame.message_id), frame.answer_to
                case protocol.Ping():
                    return self._send_frame(protocol.PONG), frame.answer_to
        except ConnectionClosed:
            raise
        except Exception as exc:  # answered, in its turn, like any refusal
            return self._refuse(protocol.refusal_for(exc, frame.answer_to)), frame.answer_to

    async def _start_subscribe(self, frame: protocol.Subscribe):
        """The work that answers a ``subscribe``, its replay already being read.

        A resuming client sends its subscribes together (police and city read two
        channels): their replays are read side by side, each ahead of the worker's other
        database work, and answered in turn. A second subscribe to a channel whose first is
        still on its way waits for it, so that what a channel has delivered never goes back.
        """
        first = not self.streams.subscribing[frame.channel]
        reading = await self._begin_replay(frame) if first else None
        self.streams.subscribing[frame.channel] += 1
        return self._subscribe(frame, reading)

    async def _begin_replay(self, frame: protocol.Subscribe) -> asyncio.Future:
        # Joined the groups at connect, before reading: anything committed from now on is
        # either in this replay or announced after it (and held back until its end).
        async with self.sending:
            self.streams.replay_started(frame.channel)
        reading = asyncio.ensure_future(in_thread(selectors.start_replay, first=True)(
            self.user, self.event_id, frame.channel, after_seq=frame.after_seq
        ))
        # Read even if the connection closes before its turn: no "never retrieved" noise.
        reading.add_done_callback(lambda done: done.cancelled() or done.exception())
        return reading

    async def _subscribe(self, frame: protocol.Subscribe, reading) -> None:
        channel = frame.channel
        try:
            if reading is None:  # the first subscribe to this channel is answered now
                reading = await self._begin_replay(frame)
            start = await reading
            if start is None:
                self.streams.replay_refused(channel)
                raise protocol.Refused("forbidden", _("You cannot read this channel."))
            if frame.after_seq > 0:
                metrics.resumed()
            frames = start.frames
            while frames:
                for message in frames:
                    await self._send_frame(message)
                metrics.message_delivered(len(frames))
                if frames[-1]["seq"] >= start.head:
                    break
                frames = await in_thread(selectors.message_frames_between, first=True)(
                    self.event_id, channel, after_seq=frames[-1]["seq"], up_to=start.head
                )
            for acked in start.acked:  # acknowledgements given while the client was away
                await self._send_frame(acked)
            async with self.sending:
                held = self.streams.replayed(channel, start.head)
                await self._send_frame(protocol.subscribed_frame(channel, start.head))
                await self._send_texts(held, locked=True)
            self.upkeep.fill_gap_if_needed(channel)
        finally:
            self.streams.subscribing[channel] -= 1

    async def _submit_send(self, frame: protocol.Send) -> asyncio.Future:
        """Hand a ``send`` to its channel's writer."""
        draft = services.MessageDraft(
            sender=self.user, kind=frame.kind, body=frame.body, client_id=frame.client_id,
            reply_to=frame.reply_to, standard_instruction=frame.standard_instruction)
        # Checked before it joins a batch with other people's messages: a draft that cannot
        # be stored is refused to its sender alone.
        services.validate_draft(draft)
        room = self.rooms.get(frame.channel)
        if room is None:
            room = self.rooms[frame.channel] = await in_thread(services.get_channel)(
                self.event, frame.channel)
        # The event as of connecting is enough here: whether the channel is still open is
        # decided by the service on the event's current row, inside its transaction.
        return writer_for(self.event, room).submit(draft)

    async def _answer_send(self, stored: asyncio.Future) -> None:
        try:
            message, _created = await stored
        except (PermissionDenied, Http404):
            await self._recheck_membership()  # closes with 4403 if no longer a member
            raise
        await self._send_frame(protocol.sent_frame(message))

    async def _ack(self, message_id: int) -> None:
        try:
            repeated = await in_thread(self._ack_sync)(message_id)
        except (PermissionDenied, protocol.Refused):
            await self._recheck_membership()
            raise
        if repeated is not None:
            # Already acknowledged (a retry from an outbox, another tab): nobody else needs
            # telling, but the asker waits for an answer before it lets go of its copy.
            await self._send_frame(repeated)

    def _ack_sync(self, message_id: int) -> dict | None:
        """Acknowledge; the ``acked`` frame of the first acknowledgement if it was a repeat."""
        message = (
            Message.objects.select_related("channel__event")
            .filter(pk=message_id, channel__event_id=self.event_id).first()
        )
        if message is None or not self.user.has_perm("messaging.read_channel", message.channel):
            raise protocol.Refused("invalid", _("No such message."))
        ack, created = services.acknowledge_message(message, user=self.user)
        return None if created else acked_frame(ack)

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
        """A notification from ``coordination.broadcast``: the frame, already as text. A
        message goes out once, in ``seq`` order (``ChannelStreams.arrived``)."""
        if event["frame"] != "message":
            await self.send(text_data=event["text"])
            return
        # A standard instruction comes in every language: this connection's, if there.
        variants = event.get("variants")
        text = variants.get(self.language, event["text"]) if variants else event["text"]
        await self._send_texts(self.streams.arrived(event["channel"], event["seq"], text))
        self.upkeep.fill_gap_if_needed(event["channel"])

    # --- membership -------------------------------------------------------------------

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
        self.frames.stop()
        await self.close(code=code)

    # --- sending ----------------------------------------------------------------------

    async def _send_frame(self, frame: dict) -> None:
        await self.send(text_data=protocol.encode(frame, self.language))

    async def _send_texts(self, texts: list[str], *, locked: bool = False) -> None:
        """Send messages of a channel in the order ``self.streams`` gave them: one batch
        after another, never interleaved."""
        if not texts:
            return
        async with contextlib.nullcontext() if locked else self.sending:
            for text in texts:
                await self.send(text_data=text)
        metrics.message_delivered(len(texts))

    async def _refuse(self, refusal: protocol.Refusal) -> None:
        if refusal.counted:
            limits.note_refusal(self.user.pk)
        await self._send_frame(protocol.error_frame(refusal))


def _header(scope: dict, name: bytes) -> str | None:
    """A header of the handshake, or None."""
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None
