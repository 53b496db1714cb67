"""Reading the live channel: replay, gaps and pending alerts, straight from the database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

from coordination.parties import actor_of
from events.models import EventMembership
from events.selectors import get_event_for
from events.workflow import CLOSED_STATES
from messaging.frames import acked_frame, message_frames
from messaging.models import CHANNEL_ROLES, Acknowledgement, Channel, Message, StandardInstruction
from messaging.services import get_channel

REPLAY_BATCH = 500


@dataclass(frozen=True)
class ReplayStart:
    """What a subscribe sends first: the channel's ``head`` now, the first messages after
    the client's ``after_seq`` (more are read while ``frames`` end before ``head``), and the
    acknowledgements of older messages that it may have missed."""

    head: int
    frames: list[dict]
    acked: list[dict]


def start_replay(user, event_id: int, channel_name: str, *, after_seq: int
                 ) -> ReplayStart | None:
    """The start of a subscribe's replay, read in one go (one trip to a database thread: a
    client resuming on a busy worker waits for one, not four); None if ``user`` may not
    read the channel."""
    channel = get_channel(get_event_for(user, event_id), channel_name)
    if not user.has_perm("messaging.read_channel", channel):
        return None
    head = head_seq(event_id, channel_name)
    frames = (message_frames_between(event_id, channel_name, after_seq=after_seq, up_to=head)
              if after_seq < head else [])
    acked = ack_frames_since(event_id, channel_name, after_seq=min(after_seq, head))
    return ReplayStart(head=head, frames=frames, acked=acked)


def head_seq(event_id: int, channel_name: str) -> int:
    """The ``seq`` of the channel's newest message (0 when it has none)."""
    return (
        Channel.objects.filter(event_id=event_id, name=channel_name)
        .values_list("last_seq", flat=True).first()
        or 0
    )


def message_frames_between(
    event_id: int, channel_name: str, *, after_seq: int, up_to: int | None = None,
    limit: int = REPLAY_BATCH,
) -> list[dict]:
    """Frames of the messages with ``after_seq < seq <= up_to``, in order, at most ``limit``."""
    messages = Message.objects.filter(
        channel__event_id=event_id, channel__name=channel_name, seq__gt=after_seq
    )
    if up_to is not None:
        messages = messages.filter(seq__lte=up_to)
    messages = messages.select_related("sender", "channel__event").order_by("seq")[:limit]
    return message_frames(messages)


def ack_frames_since(event_id: int, channel_name: str, *, after_seq: int,
                     limit: int = 1000) -> list[dict]:
    """``acked`` frames that a client resuming after ``after_seq`` may have missed: the
    acknowledgements of messages up to ``after_seq`` given since that message was sent.

    Acknowledgements have no ``seq`` of their own; the client saw every acknowledgement
    given before the message ``after_seq`` reached it, so later ones are enough (a few may
    come twice: clients merge them by person).
    """
    if after_seq <= 0:
        return []
    in_channel = {"channel__event_id": event_id, "channel__name": channel_name}
    since = (Message.objects.filter(seq=after_seq, **in_channel)
             .values_list("sent_at", flat=True).first())
    if since is None:
        return []
    acks = (
        Acknowledgement.objects.filter(
            message__channel__event_id=event_id, message__channel__name=channel_name,
            message__seq__lte=after_seq, at__gte=since,
        )
        .select_related("user").order_by("at", "pk")[:limit]
    )
    return [acked_frame(ack) for ack in acks]


def pending_alerts(
    event_id: int, channel_names, *, user, sent_before: dt.datetime
) -> list[dict]:
    """Alerts ``user`` has not acknowledged yet (not their own), sent before a moment."""
    acked = Acknowledgement.objects.filter(message=OuterRef("pk"), user=user)
    messages = (
        Message.objects.filter(
            channel__event_id=event_id, channel__name__in=list(channel_names),
            kind=Message.Kind.ALERT, sent_at__lte=sent_before,
        )
        .exclude(sender=user)
        .filter(~Exists(acked))
        .select_related("sender", "channel__event")
        .order_by("channel__name", "seq")[:50]
    )
    return message_frames(messages)


def awaiting_acknowledgement(event_ids, *, limit: int = 200) -> dict[int, list[dict]]:
    """The instructions and alerts of these events that someone has not acknowledged yet,
    by event id, oldest first, each as ``{"message", "awaiting": [actor, ...]}``.

    "Someone" is as on the channel: every active member of the event whose role reads the
    channel, except the sender. At most ``limit`` of the newest instructions and alerts are
    looked at. Three queries, however many events; the bodies are not read.
    """
    found: dict[int, list[dict]] = {pk: [] for pk in event_ids}
    if not found:
        return found
    messages = list(
        Message.objects.filter(
            channel__event_id__in=list(found),
            kind__in=[Message.Kind.INSTRUCTION, Message.Kind.ALERT],
        )
        .select_related("sender", "channel").defer("body")
        .order_by("-sent_at", "-pk")[:limit]
    )
    if not messages:
        return found
    acked: dict[int, set[int]] = {message.pk: set() for message in messages}
    for message_id, user_id in Acknowledgement.objects.filter(
        message__in=messages
    ).values_list("message_id", "user_id"):
        acked[message_id].add(user_id)
    members: dict[int, list] = {pk: [] for pk in found}
    for membership in (
        EventMembership.objects.filter(event_id__in=list(found), user__is_active=True)
        .select_related("user").order_by("pk")
    ):
        members[membership.event_id].append(membership.user)
    for message in reversed(messages):  # oldest first
        done = acked[message.pk] | {message.sender_id}
        roles = CHANNEL_ROLES[message.channel.name]
        awaiting = [actor_of(user) for user in members[message.channel.event_id]
                    if user.role in roles and user.pk not in done]
        if awaiting:
            found[message.channel.event_id].append({"message": message, "awaiting": awaiting})
    return found


def standard_instructions(*, include_inactive: bool = False) -> list[StandardInstruction]:
    """The standard instructions, in their order; only those in use unless
    ``include_inactive``."""
    found = StandardInstruction.objects.all()
    if not include_inactive:
        found = found.filter(active=True)
    return list(found)


def channel_languages(event) -> dict:
    """Who reads what, shown next to the channel: the languages the organisers asked for
    (the event's ``languages``) and each member's own setting (``""``: follows their
    browser)."""
    members = (
        EventMembership.objects.filter(event=event, user__is_active=True)
        .select_related("user").order_by("user__role", "pk")
    )
    return {
        "event": list(event.languages or []),
        "members": [{"id": m.user.pk, "name": m.user.display_name, "role": m.user.role,
                     "language": m.user.language} for m in members],
    }


def instructions_awaiting_acknowledgement(user) -> QuerySet[Message]:
    """The instructions and alerts ``user`` has not acknowledged yet, oldest first: those of
    the channels they read (member of an open demonstration, their role among the channel's
    readers), not their own. Each with its channel, event and sender; the body not read."""
    if not user.is_authenticated or not user.is_active:
        return Message.objects.none()
    channels = [name for name, roles in CHANNEL_ROLES.items() if user.role in roles]
    acked = Acknowledgement.objects.filter(message=OuterRef("pk"), user=user)
    return (
        Message.objects.filter(
            kind__in=[Message.Kind.INSTRUCTION, Message.Kind.ALERT],
            channel__name__in=channels, channel__event__memberships__user=user,
        )
        .exclude(sender=user).exclude(channel__event__state__in=CLOSED_STATES)
        .filter(~Exists(acked))
        .select_related("sender", "channel__event").defer("body", "texts")
        .order_by("sent_at", "pk")
    )
