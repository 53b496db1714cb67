"""What is pushed, to whom, in which words: composed from the event log.

Each notifier round reads the log entries written since its cursor (``compose_pushes``): an
alert or instruction sent, a zone proposed or changed into a new version (it awaits the
parties' agreement), a demonstration's change of state. For each, every member it concerns
who has no open connection to the demonstration gets one ``PushDelivery`` per subscription
of theirs, its payload written in their language. Reading the log keeps the hot paths (the
channel's writer, the map) untouched: they already write these entries in their transaction.

Entries can become visible out of id order (two transactions commit in the other order), so
the cursor only passes entries older than ``SETTLED``; the ones after it that were already
composed are remembered (``PushScanned``) and a delivery's key is unique per subscription, so
that each thing is pushed once to each subscription however many rounds or notifiers see it.

A payload holds nothing of anyone's contact details, and a push about the officials' channel
goes only to those who read it (``CHANNEL_ROLES``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core import signing
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from coordination.languages import language_for
from coordination.log.kinds import LogKind
from coordination.models import LogEntry
from events.models import Event, EventMembership
from events.workflow import CLOSED_STATES
from messaging.models import CHANNEL_ROLES, Acknowledgement, Message, Presence, text_in
from push.keys import push_enabled
from push.models import PushCursor, PushDelivery, PushScanned
from push.selectors import idle_subscriptions, subscriptions_for
from zones.models import Zone, ZoneAgreement

#: The log entries that may make a push.
KINDS = (LogKind.MESSAGE_SENT, LogKind.ZONE_CREATED, LogKind.ZONE_CHANGED,
         LogKind.EVENT_TRANSITION)
#: The cursor passes only entries older than this: any transaction that wrote an entry with
#: a lower id has committed (or given up) by then.
SETTLED = dt.timedelta(seconds=30)
#: Entries older than this are not pushed about (a notifier started after a long stop does
#: not push history).
HORIZON = dt.timedelta(minutes=10)
#: At most this many entries composed per round; the rest in the next.
BATCH = 200
#: What signs the acknowledgement a notification's button gives (push/api.py).
ACK_SALT = "push.acknowledge"


def compose_pushes(*, now: dt.datetime | None = None) -> int:
    """Compose the pushes for what was logged since the last round; returns how many
    deliveries were queued. Nothing while push is off (no VAPID key)."""
    if not push_enabled():
        return 0
    now = now or timezone.now()
    cursor, _created = PushCursor.objects.get_or_create(name="log")
    done = set(PushScanned.objects.values_list("entry_id", flat=True))
    entries = list(
        LogEntry.objects.filter(id__gt=cursor.last_id, kind__in=KINDS, at__gte=now - HORIZON)
        .exclude(id__in=done).select_related("event").order_by("id")[:BATCH]
    )
    queued = 0
    for entry in entries:
        queued += _compose(entry, now=now)
    PushScanned.objects.bulk_create([PushScanned(entry_id=entry.pk) for entry in entries],
                                    ignore_conflicts=True)
    settled = (LogEntry.objects.filter(id__gt=cursor.last_id, at__lt=now - SETTLED)
               .order_by("-id").values_list("id", flat=True).first())
    if settled is not None:
        if len(entries) == BATCH:
            settled = min(settled, entries[-1].pk)
        PushCursor.objects.filter(name="log", last_id__lt=settled).update(last_id=settled)
        PushScanned.objects.filter(entry_id__lte=settled).delete()
    return queued


def _compose(entry: LogEntry, *, now: dt.datetime) -> int:
    event = entry.event
    if event.state in CLOSED_STATES and entry.kind != LogKind.EVENT_TRANSITION:
        return 0
    if entry.kind == LogKind.MESSAGE_SENT:
        return _compose_message(entry, event, now=now)
    if entry.kind in (LogKind.ZONE_CREATED, LogKind.ZONE_CHANGED):
        return _compose_zone(entry, event, now=now)
    if entry.kind == LogKind.EVENT_TRANSITION:
        return _compose_state(entry, event, now=now)
    return 0


def _members(event: Event, *, roles: Iterable[str], besides: int | None) -> list:
    """The event's active members of ``roles`` (not ``besides``) with no open connection."""
    fresh = timezone.now() - dt.timedelta(seconds=settings.PARLEY_PRESENCE_STALE_SECONDS)
    online = set(Presence.objects.filter(event=event, last_seen__gte=fresh)
                 .values_list("user_id", flat=True))
    return [
        membership.user
        for membership in EventMembership.objects.filter(
            event=event, user__is_active=True, user__role__in=list(roles),
        ).select_related("user").order_by("pk")
        if membership.user_id != besides and membership.user_id not in online
    ]


def _queue(entry: LogEntry, event: Event, people: list, *, key: str, now: dt.datetime,
           write, message_id: int | None = None) -> int:
    """One delivery per live subscription of ``people``, its payload written by ``write()``
    in the owner's language."""
    if not people:
        return 0
    by_id = {person.pk: person for person in people}
    words: dict[str, dict] = {}
    deliveries = []
    expires_at = entry.at + dt.timedelta(seconds=settings.PARLEY_PUSH_TTL_SECONDS)
    if expires_at <= now:
        return 0
    endpoints: set[str] = set()
    subscriptions = subscriptions_for(people, event)
    idle = idle_subscriptions(subscriptions, now=now)
    for subscription in subscriptions:
        if subscription.endpoint in endpoints:
            continue  # a browser following this event and "all of mine" hears it once
        endpoints.add(subscription.endpoint)
        if subscription.created_at > entry.at:
            continue  # a phone hears of what happens after it was turned on
        language = language_for(by_id[subscription.user_id])
        if language not in words:
            with translation.override(language):
                words[language] = write(language)
        payload = {
            "event": event.pk, "reference": event.reference, "url": event.get_absolute_url(),
            "tag": f"parley-{event.pk}-{key}", "lang": language, **words[language],
        }
        if subscription.pk in idle:
            # Its session idled out: that something happened, not what (nor its ack).
            with translation.override(language):
                payload["body"] = _("Open Parley and log in again to read it.")
        elif message_id is not None:
            payload["message_id"] = message_id
            payload["ack_token"] = signing.dumps({"s": subscription.pk, "m": message_id},
                                                 salt=ACK_SALT)
        deliveries.append(PushDelivery(subscription=subscription, key=key, payload=payload,
                                       next_attempt_at=now, expires_at=expires_at))
    created = PushDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    return len(created)


def _compose_message(entry: LogEntry, event: Event, *, now: dt.datetime) -> int:
    data = entry.data
    if data.get("kind") not in (Message.Kind.ALERT, Message.Kind.INSTRUCTION):
        return 0
    channel = data.get("channel", "all")
    people = _members(event, roles=CHANNEL_ROLES.get(channel, ()), besides=entry.actor_user_id)
    acknowledged = set(Acknowledgement.objects.filter(message_id=data["message_id"])
                       .values_list("user_id", flat=True))
    people = [person for person in people if person.pk not in acknowledged]
    texts = (data.get("standard_instruction") or {}).get("texts")

    def write(language: str) -> dict:
        if data["kind"] == Message.Kind.ALERT:
            title = _("Alert: %(event)s") % {"event": event.title}
        else:
            title = _("Instruction: %(event)s") % {"event": event.title}
        return {"kind": data["kind"], "title": title,
                "body": text_in(texts, language) if texts else data.get("body", ""),
                "ack_label": _("Acknowledge")}

    return _queue(entry, event, people, key=f"message-{data['message_id']}", now=now,
                  write=write, message_id=data["message_id"])


def _compose_zone(entry: LogEntry, event: Event, *, now: dt.datetime) -> int:
    data = entry.data
    if entry.kind == LogKind.ZONE_CHANGED and not data.get("new_version"):
        return 0
    zone = Zone.objects.filter(pk=data.get("zone")).first()
    if zone is None or zone.version != data.get("version") or zone.status != Zone.Status.PROPOSED:
        return 0  # changed again, agreed or withdrawn since: that entry speaks for it
    agreed = set(ZoneAgreement.objects.filter(zone=zone, version__number=zone.version)
                 .values_list("party", flat=True))
    parties = [party for party in zone.parties if party not in agreed]
    people = _members(event, roles=parties, besides=entry.actor_user_id)
    changed = entry.kind == LogKind.ZONE_CHANGED

    def write(language: str) -> dict:
        name = zone.label or Zone.Kind(zone.kind).label
        if changed:
            body = _("The zone “%(zone)s” was changed and awaits your agreement.")
        else:
            body = _("The zone “%(zone)s” was proposed and awaits your agreement.")
        return {"kind": "zone", "title": event.title, "body": body % {"zone": name}}

    return _queue(entry, event, people, key=f"zone-{zone.pk}-v{zone.version}", now=now,
                  write=write)


def state_sentence(state: str) -> str:
    """A demonstration's new state, as a sentence to its members (in the active language)."""
    sentences = {
        Event.State.DRAFT: _("The demonstration is a draft again."),
        Event.State.SUBMITTED: _("The demonstration has been submitted."),
        Event.State.UNDER_REVIEW: _("The demonstration is now under review."),
        Event.State.CHANGES_REQUESTED: _("Changes to the demonstration have been requested."),
        Event.State.AGREED: _("The demonstration has been agreed."),
        Event.State.LIVE: _("The demonstration is now live."),
        Event.State.CONCLUDED: _("The demonstration has concluded."),
        Event.State.WITHDRAWN: _("The demonstration has been withdrawn."),
        Event.State.CANCELLED: _("The demonstration has been cancelled."),
    }
    return sentences.get(state, "")


def _compose_state(entry: LogEntry, event: Event, *, now: dt.datetime) -> int:
    to = entry.data.get("to", "")
    people = _members(event, roles=CHANNEL_ROLES["all"], besides=entry.actor_user_id)

    def write(language: str) -> dict:
        return {"kind": "state", "state": to, "title": event.title, "body": state_sentence(to)}

    return _queue(entry, event, people, key=f"state-{entry.pk}", now=now, write=write)
