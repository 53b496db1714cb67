"""E-mails to members about alerts and instructions they have not acknowledged while they
were not connected (queued, in each member's language; coordination/notifications.py sends
them). ``manage.py run_notifier`` runs the scan every few seconds."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from coordination.languages import language_for
from coordination.models import EmailNotice
from coordination.notifications import queue_email, site_url
from coordination.parties import Role
from events.models import EventMembership
from events.workflow import CLOSED_STATES
from messaging.models import CHANNEL_ROLES, Acknowledgement, Message, Presence, text_in

#: Older alerts and instructions are not e-mailed about: a notifier started for the first
#: time (or after a long stop) does not mail people about history.
HORIZON = dt.timedelta(days=1)


def _key(message_id: int, user_id: int) -> str:
    return f"unacknowledged:{message_id}:{user_id}"


def _text_for(message: Message, recipient) -> str:
    """The message as ``recipient`` reads it in the channel: a standard instruction in their
    language, anything else as written."""
    if message.texts:
        return text_in(message.texts, language_for(recipient))
    return message.body


def queue_unacknowledged_emails(*, now: dt.datetime | None = None) -> int:
    """Queue one e-mail to each member who must acknowledge an alert or instruction, has not
    done so ``PARLEY_UNACKNOWLEDGED_EMAIL_SECONDS`` after it was sent, and is not connected
    to its demonstration's channel now; returns how many were queued.

    Who must acknowledge is as on the channel (messaging/selectors.awaiting_acknowledgement):
    every active member whose role reads the channel, except the sender. Each person gets at
    most one e-mail per message, ever (an ``EmailNotice`` records it with the queued e-mail).
    """
    now = now or timezone.now()
    due = now - dt.timedelta(seconds=settings.PARLEY_UNACKNOWLEDGED_EMAIL_SECONDS)
    messages = list(
        Message.objects.filter(
            kind__in=[Message.Kind.ALERT, Message.Kind.INSTRUCTION],
            sent_at__lte=due, sent_at__gte=due - HORIZON,
        )
        .exclude(channel__event__state__in=CLOSED_STATES)
        .select_related("channel__event", "sender").order_by("sent_at", "pk")
    )
    if not messages:
        return 0
    event_ids = {message.channel.event_id for message in messages}
    members: dict[int, list] = {pk: [] for pk in event_ids}
    for membership in (EventMembership.objects.filter(event_id__in=event_ids,
                                                      user__is_active=True)
                       .select_related("user").order_by("pk")):
        members[membership.event_id].append(membership.user)
    acknowledged = set(Acknowledgement.objects.filter(message__in=messages)
                       .values_list("message_id", "user_id"))
    fresh = now - dt.timedelta(seconds=settings.PARLEY_PRESENCE_STALE_SECONDS)
    online = set(Presence.objects.filter(event_id__in=event_ids, last_seen__gte=fresh)
                 .values_list("event_id", "user_id"))
    candidates = {
        (message, person)
        for message in messages
        for person in members[message.channel.event_id]
        if person.role in CHANNEL_ROLES[message.channel.name]
        and person.pk != message.sender_id
        and (message.pk, person.pk) not in acknowledged
        and (message.channel.event_id, person.pk) not in online
        and person.email
    }
    already = set(EmailNotice.objects.filter(
        key__in=[_key(message.pk, person.pk) for message, person in candidates]
    ).values_list("key", flat=True))
    queued = 0
    for message, person in sorted(candidates, key=lambda pair: (pair[0].sent_at,
                                                                 pair[0].pk, pair[1].pk)):
        key = _key(message.pk, person.pk)
        if key in already:
            continue
        event = message.channel.event
        queued += queue_email(
            person, subject_template="email/unacknowledged_subject.txt",
            body_template="email/unacknowledged_body.txt", once_key=key,
            context={
                "event": event,
                "kind": message.kind,
                "body": _text_for(message, person),
                "sender_party": Role(message.sender.role).label,
                "sent_at": message.sent_at,  # written in the recipient's language
                "link": site_url(event.get_absolute_url()),
            },
        )
    return queued
