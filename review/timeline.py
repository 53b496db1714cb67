"""Reads of the after-action review: the timeline of an event's log, its key moments, its
reviewer notes and the history the replay slides through.

Review layer: it reads from every app (events, zones, messaging), so nothing in the
coordination core (parties, log) imports it. The log holds everything that happened; this
module only selects from it and puts it into words.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coordination.log import format_timestamp, geometry_from_log, happened_at_of
from coordination.log.kinds import LogGroup, LogKind, Say, Slot, group_of, kinds_in
from coordination.models import LogEntry
from coordination.parties import Role
from events.models import Event
from messaging.models import Channel, KeyMoment, Message
from review.models import ReviewerNote
from zones.history import zone_history
from zones.models import Incident, Zone
from zones.styles import KIND_COLOURS

#: Who acted: a role, or the system (an entry with no actor).
SYSTEM = "system"
PARTIES: dict[str, Any] = {
    Role.ORGANISER: Role.ORGANISER.label, Role.POLICE: Role.POLICE.label,
    Role.CITY: Role.CITY.label, SYSTEM: gettext_lazy("System"),
}
#: Messages the replay loads at most (the newest beyond it are left out, and it says so).
REPLAY_MESSAGE_LIMIT = 5000
#: Longest text of one detail of an entry on the page.
DETAIL_MAX_CHARS = 300


# --- the timeline --------------------------------------------------------------------------

def timeline_entries(
    event: Event,
    *,
    groups: Iterable[str] = (),
    parties: Iterable[str] = (),
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    search: str = "",
) -> QuerySet[LogEntry]:
    """The event's log entries in order, narrowed by kind group, by the actor's party, by
    the time they were recorded and by a text search.

    The search looks, case-insensitively, in the kind, the actor's name and the entry's data
    (message bodies, incident descriptions, notes, zone labels, usernames …): the named text
    fields by key (exact for any alphabet on both databases) and the whole data as text for
    the rest.
    """
    entries = LogEntry.objects.filter(event=event).order_by("seq")
    groups = [g for g in groups if g in LogGroup.values]
    if groups:
        entries = entries.filter(kind__in=[kind for group in groups for kind in kinds_in(group)])
    parties = [p for p in parties if p in PARTIES]
    if parties:
        by_party = Q(actor__role__in=[p for p in parties if p != SYSTEM])
        if SYSTEM in parties:
            by_party |= Q(actor__isnull=True)
        entries = entries.filter(by_party)
    if since is not None:
        entries = entries.filter(at__gte=since)
    if until is not None:
        entries = entries.filter(at__lte=until)
    search = (search or "").strip()
    if search:
        entries = entries.annotate(data_text=Cast("data", TextField())).filter(
            Q(kind__icontains=search) | Q(actor__name__icontains=search)
            | Q(data__body__icontains=search) | Q(data__description__icontains=search)
            | Q(data__note__icontains=search) | Q(data__label__icontains=search)
            | Q(data__username__icontains=search) | Q(data_text__icontains=search)
        )
    return entries


@dataclass
class TimelineRow:
    """One entry of the log as the timeline shows it."""

    seq: int
    at: dt.datetime
    happened_at: dt.datetime | None  # only when it differs from ``at``
    actor_name: str
    party: str  # a role, or "system"
    party_label: str
    kind: str
    group: str
    description: str
    text: str = ""  # a message body or an incident description, shown as written
    details: list[tuple[str, str]] = field(default_factory=list)
    key_moment: bool = False

    @property
    def anchor(self) -> str:
        return f"entry-{self.seq}"


def _state_label(value: Any) -> str:
    try:
        return str(Event.State(value).label)
    except ValueError:
        return str(value)


def _role_label(value: Any) -> str:
    try:
        return str(Role(value).label)
    except ValueError:
        return str(value)


def _zone_name(zone_id: Any, labels: dict[int, str]) -> str:
    label = labels.get(zone_id, "")
    if label:
        return _("zone %(id)s “%(label)s”") % {"id": zone_id, "label": label}
    return _("zone %(id)s") % {"id": zone_id}


def format_duration(seconds: Any) -> str:
    """A time to acknowledge in words: ``4.2 s``, ``3 min 5 s``, ``2 h 10 min``."""
    try:
        seconds = float(seconds)
    except (TypeError, ValueError):
        return "?"
    if seconds < 60:
        return _("%(seconds)s s") % {"seconds": f"{seconds:.1f}"}
    whole = round(seconds)
    if whole < 3600:
        return _("%(minutes)s min %(seconds)s s") % {"minutes": whole // 60,
                                                      "seconds": whole % 60}
    return _("%(hours)s h %(minutes)s min") % {"hours": whole // 3600,
                                               "minutes": whole % 3600 // 60}


def _sayers(zone_labels: dict[int, str]) -> dict[Say, Callable[[Any, dict], Any]]:
    """How each kind of value of an entry's data is said: ``(value, whole data) → words``."""
    channels = dict(Channel.Name.choices)
    message_kinds = dict(Message.Kind.choices)
    severities = dict(Incident.Severity.choices)
    return {
        Say.AS_WRITTEN: lambda value, data: "" if value is None else value,
        Say.STATE: lambda value, data: _state_label(value),
        Say.ROLE: lambda value, data: _role_label(value),
        Say.ZONE: lambda value, data: _zone_name(value, zone_labels),
        Say.CHANNEL: lambda value, data: channels.get(value, value),
        Say.MESSAGE_KIND: lambda value, data: message_kinds.get(value, value),
        Say.MESSAGE: lambda value, data: _message_ref(data),
        Say.SEVERITY: lambda value, data: severities.get(value, value),
        Say.DURATION: lambda value, data: format_duration(value),
        Say.FIELD_NAMES: lambda value, data: ", ".join(sorted(data)),
        Say.INSTRUCTION: lambda value, data: value.get("label", value.get("id")),
        Say.INSTRUCTION_TEXTS: lambda value, data: " — ".join(
            f"{code}: {text}" for code, text in
            (value.get("texts") if isinstance(value.get("texts"), dict) else {}).items()),
    }


def _describe(entry: LogEntry, sayers: dict[Say, Callable[[Any, dict], Any]],
              ) -> tuple[str, str, frozenset[str]]:
    """(description, text shown as written, data keys the description already says), in the
    words ``coordination.log.kinds`` gives each kind."""
    data = entry.data if isinstance(entry.data, dict) else {}
    if entry.kind not in LogKind.values:
        return _("Recorded “%(kind)s”.") % {"kind": entry.kind}, "", frozenset()
    sentence = LogKind(entry.kind).words.sentence_for(data)

    def say(slot: Slot) -> Any:
        return sayers[slot.say](data.get(slot.key) if slot.key else data, data)

    description = str(sentence.text) % {name: say(slot) for name, slot in sentence.slots.items()}
    text = (say(sentence.shown) or "") if sentence.shown is not None else ""
    return description, str(text), sentence.said


def _message_ref(data: dict) -> str:
    if data.get("seq") is not None:
        return f"#{data['seq']}"
    return f"{data.get('message_id', '?')}"


def _detail_value(key: str, value: Any) -> str:
    # Older entries keep a shape as GeoJSON text, newer ones as an object: both are a shape.
    if key in ("geometry", "location", "route", "assembly_point", "dispersal_point"):
        return _("(a shape on the map)") if geometry_from_log(value) is not None else "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                           sort_keys=True)
    if len(text) > DETAIL_MAX_CHARS:
        text = text[:DETAIL_MAX_CHARS] + "…"
    return text


def timeline_rows(event: Event, entries: Iterable[LogEntry]) -> list[TimelineRow]:
    """The entries (a page of ``timeline_entries()``) in words."""
    entries = list(entries)
    sayers = _sayers(dict(Zone.objects.filter(event=event).values_list("pk", "label")))
    marked = set(
        KeyMoment.objects.filter(message__channel__event=event).values_list("message_id",
                                                                            flat=True)
    )
    rows = []
    for entry in entries:
        data = entry.data if isinstance(entry.data, dict) else {}
        description, text, said = _describe(entry, sayers)
        happened_at = happened_at_of(entry)
        actor = entry.actor or {}
        party = actor.get("role") or SYSTEM
        rows.append(TimelineRow(
            seq=entry.seq, at=entry.at, happened_at=happened_at,
            actor_name=actor.get("name") or str(PARTIES[SYSTEM]),
            party=party, party_label=str(PARTIES.get(party, party)),
            kind=entry.kind, group=group_of(entry.kind), description=description, text=text,
            details=[(key, _detail_value(key, value)) for key, value in sorted(data.items())
                     if key not in said],
            key_moment=entry.kind == LogKind.MESSAGE_SENT and data.get("message_id") in marked,
        ))
    return rows


@dataclass
class KeyMomentRow:
    """A marked message as the head of the timeline shows it."""

    message_id: int
    seq: int | None  # the log entry of the message, to link to its row
    sent_at: dt.datetime
    sender_name: str
    sender_role: str
    channel: str
    kind: str
    body: str
    note: str
    marked_by: str
    marked_at: dt.datetime
    page: int | None = None  # the page of the unfiltered timeline that holds its row


def key_moments(event: Event, *, per_page: int) -> list[KeyMomentRow]:
    """The messages of ``event`` marked as key moments now, in the order they were sent,
    each with the page (``per_page`` entries each) of the whole timeline that shows it."""
    marks = list(
        KeyMoment.objects.filter(message__channel__event=event)
        .select_related("message__sender", "message__channel", "marked_by")
        .order_by("message__sent_at", "message_id")
    )
    seqs: dict[int, int] = {}
    if marks:
        for entry in LogEntry.objects.filter(
            event=event, kind=LogKind.MESSAGE_SENT,
            data__message_id__in=[mark.message_id for mark in marks],
        ).only("seq", "data"):
            seqs[entry.data.get("message_id")] = entry.seq
    channels = dict(Channel.Name.choices)
    kinds = dict(Message.Kind.choices)
    return [
        KeyMomentRow(
            message_id=mark.message_id, seq=seqs.get(mark.message_id),
            sent_at=mark.message.sent_at, sender_name=mark.message.sender.display_name,
            sender_role=_role_label(mark.message.sender.role),
            channel=str(channels.get(mark.message.channel.name, mark.message.channel.name)),
            kind=str(kinds.get(mark.message.kind, mark.message.kind)),
            body=mark.message.body, note=mark.note,
            marked_by=mark.marked_by.display_name, marked_at=mark.marked_at,
            # The log is numbered 1, 2, 3 …: entry n is on page (n - 1) // per_page + 1.
            page=(seqs[mark.message_id] - 1) // per_page + 1 if mark.message_id in seqs
            else None,
        )
        for mark in marks
    ]


def reviewer_notes(event: Event) -> QuerySet[ReviewerNote]:
    """The reviewer notes of ``event``, oldest first, with their authors."""
    return ReviewerNote.objects.filter(event=event).select_related("author").order_by(
        "written_at", "pk")


# --- the replay --------------------------------------------------------------------------

def _geojson(geometry) -> dict | None:
    return json.loads(geometry.geojson) if geometry else None


def _time(value: dt.datetime | None) -> str | None:
    return format_timestamp(value) if value is not None else None


def replay_span(event: Event) -> tuple[dt.datetime, dt.datetime]:
    """From the event's first log entry (its registration) to its conclusion; a
    demonstration that is not concluded is replayed up to now."""
    first = LogEntry.objects.filter(event=event).order_by("seq").values_list("at",
                                                                           flat=True).first()
    start = first or event.created_at
    end = None
    if event.state == Event.State.CONCLUDED:
        end = (LogEntry.objects.filter(event=event, kind=LogKind.EVENT_TRANSITION,
                                       data__to=Event.State.CONCLUDED)
               .order_by("-seq").values_list("at", flat=True).first())
    return start, end or timezone.now()


def replay_history(event: Event, *, message_limit: int = REPLAY_MESSAGE_LIMIT) -> dict:
    """Everything the replay slides through, read once: the event's places, every version of
    every zone with when it was proposed and agreed, the incidents, and the messages of both
    channels (the first ``message_limit``). The page picks what stood at each moment itself
    (the rules are in ``zones.history``)."""
    start, end = replay_span(event)
    zones = [
        {
            "id": record.zone_id, "label": record.label,
            "withdrawn_at": _time(record.withdrawn_at),
            "versions": [
                {"number": v.number, "kind": v.kind, "conditions": v.conditions,
                 "geometry": _geojson(v.geometry), "valid_from": _time(v.valid_from),
                 "valid_to": _time(v.valid_to), "proposed_at": _time(v.proposed_at),
                 "agreed_at": _time(v.agreed_at)}
                for v in record.versions
            ],
        }
        for record in zone_history(event)
    ]
    incidents = [
        {"id": incident.pk, "happened_at": _time(incident.happened_at),
         "recorded_at": _time(incident.recorded_at), "severity": incident.severity,
         "description": incident.description, "location": _geojson(incident.location),
         "reported_by": {"id": incident.reported_by.pk,
                         "name": incident.reported_by.display_name,
                         "role": incident.reported_by.role}}
        for incident in Incident.objects.filter(event=event).select_related("reported_by")
        .order_by("happened_at", "pk")
    ]
    messages = (Message.objects.filter(channel__event=event)
                .select_related("sender", "channel").order_by("sent_at", "pk"))
    total = messages.count()
    marked = set(KeyMoment.objects.filter(message__channel__event=event)
                 .values_list("message_id", flat=True))
    message_rows = [
        {"id": m.pk, "channel": m.channel.name, "seq": m.seq, "kind": m.kind, "body": m.body,
         "sender": {"id": m.sender.pk, "name": m.sender.display_name, "role": m.sender.role},
         "sent_at": _time(m.sent_at), "key_moment": m.pk in marked}
        for m in messages[:message_limit]
    ]
    # Nothing recorded may fall outside the slider (an incident reported after the end, a
    # message of a demonstration concluded since).
    moments = [start, end]
    moments += [parse_datetime(i["happened_at"]) for i in incidents]
    moments += [parse_datetime(m["sent_at"]) for m in message_rows]
    moments += [parse_datetime(v["proposed_at"]) for z in zones for v in z["versions"]]
    return {
        "event": {"id": event.pk, "reference": event.reference, "title": event.title,
                  "state": event.state, "starts_at": _time(event.starts_at),
                  "ends_at": _time(event.ends_at)},
        "start": _time(min(moments)), "end": _time(max(moments)),
        "places": {name: _geojson(getattr(event, name))
                   for name in ("assembly_point", "route", "dispersal_point")
                   if getattr(event, name)},
        "zones": zones,
        "incidents": incidents,
        "messages": {"count": total, "truncated": total > len(message_rows),
                     "results": message_rows},
        "colours": KIND_COLOURS,
        "kinds": {value: str(label) for value, label in Zone.Kind.choices},
        "statuses": {value: str(label) for value, label in Zone.Status.choices},
        "severities": {value: str(label) for value, label in Incident.Severity.choices},
        "channels": {value: str(label) for value, label in Channel.Name.choices},
        "message_kinds": {value: str(label) for value, label in Message.Kind.choices},
        "roles": {value: str(label) for value, label in Role.choices},
    }
