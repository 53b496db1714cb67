"""Every write of the live channel: stored and logged in one transaction, announced after.

The WebSocket consumer and the HTTP fallback both call these, so a message sent either way
obeys the same rules and gets the same answer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from coordination.broadcast import broadcast_on_commit
from coordination.errors import RateLimited
from coordination.log import lock_for_log, record
from events.models import Event
from messaging.frames import acked_frame, message_frame
from messaging.models import Acknowledgement, Channel, ConnectionTicket, Message


def get_channel(event: Event, name: str) -> Channel:
    """The event's channel called ``name``, created on first use."""
    if name not in Channel.Name.values:
        raise ValidationError({"channel": [_("Unknown channel: use “all” or “officials”.")]},
                              code="invalid")
    channel = Channel.objects.filter(event=event, name=name).first()
    if channel is None:
        try:
            with transaction.atomic():
                channel = Channel.objects.create(event=event, name=name)
        except IntegrityError:  # created by a concurrent sender: read theirs
            channel = Channel.objects.get(event=event, name=name)
    channel.event = event
    return channel


def _validate_message(*, kind: str, body, client_id) -> uuid.UUID:
    errors: dict[str, list] = {}
    if kind not in Message.Kind.values:
        errors["kind"] = [_("Kind must be “message”, “instruction” or “alert”.")]
    if not isinstance(body, str) or not body.strip():
        errors["body"] = [_("Write a message.")]
    elif len(body) > settings.PARLEY_MESSAGE_MAX_CHARS:
        raise ValidationError({"body": ValidationError(
            _("A message may have at most %(max)s characters.")
            % {"max": settings.PARLEY_MESSAGE_MAX_CHARS}, code="too_large",
        )})
    try:
        parsed = uuid.UUID(str(client_id))
    except (TypeError, ValueError, AttributeError):
        parsed = None
        errors["client_id"] = [_("client_id must be a UUID chosen by the client.")]
    if errors:
        raise ValidationError(errors, code="invalid")
    return parsed


def _check_rate(sender) -> None:
    """At most N messages per window per person, counted in the database so that every
    worker process agrees."""
    since = timezone.now() - dt.timedelta(seconds=settings.PARLEY_RATE_LIMIT_SECONDS)
    recent = Message.objects.filter(sender=sender, sent_at__gte=since).count()
    if recent >= settings.PARLEY_RATE_LIMIT_MESSAGES:
        raise RateLimited(
            _("Slow down: at most %(n)s messages every %(s)s seconds.")
            % {"n": settings.PARLEY_RATE_LIMIT_MESSAGES, "s": settings.PARLEY_RATE_LIMIT_SECONDS}
        )


def send_message(
    *, event: Event, sender, channel: str | Channel, kind: str, body, client_id, reply_to=None,
) -> tuple[Message, bool]:
    """Store a message with its channel's next ``seq`` and its log entry; announce it after
    commit. Returns ``(message, created)``: the same ``client_id`` from the same sender
    returns the first message again and stores nothing.

    ``channel`` is the channel's name, or the ``Channel`` of ``event`` if the caller holds it
    already (a live connection does).
    """
    parsed_id = _validate_message(kind=kind, body=body, client_id=client_id)
    room = channel if isinstance(channel, Channel) else get_channel(event, channel)
    reply = None
    if reply_to is not None:
        reply = Message.objects.filter(pk=reply_to if isinstance(reply_to, int) else -1,
                                       channel=room).first()
        if reply is None:
            raise ValidationError({"reply_to": [_("No such message in this channel.")]},
                                  code="invalid")
    try:
        _check_rate(sender)
        return _store_message(room, sender=sender, kind=kind, body=body,
                              client_id=parsed_id, reply=reply), True
    except (IntegrityError, RateLimited):
        # The same client_id again (a retry, or a race between two connections): the first
        # result stands, and nothing new is stored. The unique constraint decides.
        existing = Message.objects.filter(sender=sender, client_id=parsed_id).first()
        if existing is None:
            raise
        return existing, False


@transaction.atomic
def _store_message(room: Channel, *, sender, kind, body, client_id, reply) -> Message:
    # The event's row first, locked as for its log: the writes of one event go one after
    # another, and the permission is asked on the event as it is now, so a message is never
    # stored in a channel its sender has just been removed from, or that has just closed.
    # Then the channel's row, to number the message. Nothing takes them in the other order.
    room.event = lock_for_log(Event, room.event_id)
    if not sender.has_perm("messaging.post_in_channel", room):
        if sender.has_perm("messaging.read_channel", room):
            raise PermissionDenied(_("This demonstration is over: its channel is read-only."))
        raise PermissionDenied(_("You cannot write in this channel."))
    message = Message.objects.create(
        channel=room, seq=room.take_next_seq(), sender=sender, kind=kind, body=body,
        client_id=client_id, reply_to=reply, sent_at=timezone.now(),
    )
    record(room.event, locked=True, actor=sender, kind="message.sent", data={
        "message_id": message.pk, "channel": room.name, "seq": message.seq, "kind": kind,
        "body": body, "client_id": str(client_id), "reply_to": reply.pk if reply else None,
    })
    broadcast_on_commit(room.event_id, message_frame(message, new=True),
                        officials=room.name == Channel.Name.OFFICIALS)
    return message


def acknowledge_message(message: Message, *, user) -> tuple[Acknowledgement, bool]:
    """Record that ``user`` has read an instruction or alert; idempotent."""
    if not message.needs_acknowledgement:
        raise ValidationError({"message_id": [_("Only instructions and alerts are "
                                                "acknowledged.")]}, code="invalid")
    if message.sender_id == user.pk:
        raise ValidationError({"message_id": [_("You sent this message yourself.")]},
                              code="invalid")
    if not user.has_perm("messaging.acknowledge_message", message):
        raise PermissionDenied(_("You cannot acknowledge this message."))
    existing = Acknowledgement.objects.filter(message=message, user=user).first()
    if existing is not None:
        return existing, False
    try:
        return _store_ack(message, user), True
    except IntegrityError:
        return Acknowledgement.objects.get(message=message, user=user), False


@transaction.atomic
def _store_ack(message: Message, user) -> Acknowledgement:
    event = message.channel.event
    ack = Acknowledgement.objects.create(message=message, user=user, at=timezone.now())
    record(event, actor=user, kind="message.acknowledged", data={
        "message_id": message.pk, "channel": message.channel.name, "seq": message.seq,
        "seconds_to_acknowledge": round((ack.at - message.sent_at).total_seconds(), 3),
    })
    broadcast_on_commit(event.pk, acked_frame(ack),
                        officials=message.channel.name == Channel.Name.OFFICIALS)
    return ack


def issue_ticket(*, user) -> tuple[str, dt.datetime]:
    """A single-use ticket for a non-browser WebSocket client, valid for a minute."""
    key = secrets.token_urlsafe(32)
    expires_at = timezone.now() + dt.timedelta(seconds=settings.PARLEY_TICKET_SECONDS)
    ConnectionTicket.objects.create(
        key_hash=hashlib.sha256(key.encode()).hexdigest(), user=user, expires_at=expires_at
    )
    return key, expires_at


@transaction.atomic
def redeem_ticket(key: str):
    """The ticket's user, if the ticket is valid and unused; the ticket is then spent."""
    if not key or len(key) > 200:
        return None
    ticket = (
        ConnectionTicket.objects.select_for_update().select_related("user")
        .filter(key_hash=hashlib.sha256(key.encode()).hexdigest()).first()
    )
    now = timezone.now()
    if ticket is None or ticket.used_at is not None or ticket.expires_at <= now:
        return None
    ticket.used_at = now
    ticket.save(update_fields=["used_at"])
    return ticket.user if ticket.user.is_active else None
