"""Reading the live channel: replay, gaps and pending alerts, straight from the database."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef

from messaging.frames import message_frames
from messaging.models import Acknowledgement, Channel, Message

REPLAY_BATCH = 500


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
