"""The frames of the live channel (docs/protocol.md), built from what the database holds."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings

from coordination.log import format_timestamp
from coordination.parties import actor_of
from messaging.models import (
    CHANNEL_ROLES,
    REFERENCE_LANGUAGE,
    Acknowledgement,
    KeyMoment,
    Message,
    text_in,
)


def audience_of(channel) -> list:
    """Everyone who reads ``channel``: its event's members whose role the channel admits."""
    return [
        membership.user
        for membership in channel.event.memberships.select_related("user").order_by("pk")
        if membership.user.is_active and membership.user.role in CHANNEL_ROLES[channel.name]
    ]


def message_frames(messages: Iterable[Message], *, new: bool = False) -> list[dict]:
    """Message frames with their acknowledgements.

    ``acks`` lists who has acknowledged (``{"user", "at"}``); ``awaiting`` who has not yet
    (instructions and alerts only; everyone in the channel but the sender); ``key_moment``
    is null, or ``{"note", "marked_by", "marked_at"}`` when city staff marked the message as
    a key moment (messaging/key_moments.py). ``new``: the messages were just stored, so
    nobody has acknowledged or marked them yet.

    ``standard_instruction`` is null, or ``{"id", "texts"}`` for a standard instruction;
    its ``body`` here is the English text: ``in_language()`` gives each reader theirs.
    """
    messages = list(messages)
    if not messages:
        return []
    acks: dict[int, list[Acknowledgement]] = defaultdict(list)
    key_moments: dict[int, KeyMoment] = {}
    if not new:
        for ack in Acknowledgement.objects.filter(message__in=messages).select_related("user"):
            acks[ack.message_id].append(ack)
        key_moments = {
            moment.message_id: moment
            for moment in KeyMoment.objects.filter(message__in=messages)
            .select_related("marked_by")
        }
    audiences: dict[int, list] = {}
    frames = []
    for message in messages:
        frame = {
            "type": "message",
            "channel": message.channel.name,
            "id": message.pk,
            "seq": message.seq,
            "kind": message.kind,
            "body": message.body,
            "sender": actor_of(message.sender),
            "sent_at": format_timestamp(message.sent_at),
            "client_id": str(message.client_id),
            "reply_to": message.reply_to_id,
            "acks": [{"user": actor_of(a.user), "at": format_timestamp(a.at)}
                     for a in acks[message.pk]],
            "awaiting": [],
            "key_moment": _key_moment(key_moments.get(message.pk)),
            "standard_instruction": (
                {"id": message.standard_instruction_id, "texts": message.texts}
                if message.standard_instruction_id is not None else None
            ),
        }
        if message.needs_acknowledgement:
            if message.channel_id not in audiences:
                audiences[message.channel_id] = audience_of(message.channel)
            audience = audiences[message.channel_id]
            done = {a.user_id for a in acks[message.pk]} | {message.sender_id}
            frame["awaiting"] = [actor_of(u) for u in audience if u.pk not in done]
        frames.append(frame)
    return frames


def _key_moment(moment: KeyMoment | None) -> dict | None:
    if moment is None:
        return None
    return {"note": moment.note, "marked_by": actor_of(moment.marked_by),
            "marked_at": format_timestamp(moment.marked_at)}


def message_frame(message: Message, *, new: bool = False) -> dict:
    """One message frame."""
    return message_frames([message], new=new)[0]


def acked_frame(ack: Acknowledgement) -> dict:
    return {"type": "acked", "message_id": ack.message_id, "user": actor_of(ack.user),
            "at": format_timestamp(ack.at)}


def in_language(frame: dict, language: str | None) -> dict:
    """``frame`` as a reader of ``language`` receives it: a standard instruction's ``body``
    is its text in that language (English when it has none). Other frames, free text
    included, are returned as they are."""
    instruction = frame.get("standard_instruction")
    if not instruction:
        return frame
    body = text_in(instruction["texts"], language)
    return frame if body == frame.get("body") else {**frame, "body": body}


def language_variants(frame: dict) -> dict[str, dict] | None:
    """The ``frame`` of a standard instruction as each language reads it, for the broadcast
    (every connection picks its own without further work); None for any other frame."""
    if not frame.get("standard_instruction"):
        return None
    return {code: in_language(frame, code) for code, _name in settings.LANGUAGES
            if code != REFERENCE_LANGUAGE}
