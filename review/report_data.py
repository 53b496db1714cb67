"""What the after-action report of a demonstration says, read from the database.

``report_of(event, reader=...)`` gathers plain data (a ``Report``); ``review/report.py``
prints it and reads nothing itself. The review layer sits at the top of the import graph:
it reads events, zones, messaging and the log.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.gis.geos import LineString, Point
from django.db.models import Count
from django.utils import timezone

from coordination.log import verify_event_log
from coordination.log.kinds import LogKind
from coordination.models import LogEntry
from coordination.parties import Role
from events.models import Event
from messaging.models import CHANNEL_ROLES, Acknowledgement, Channel, KeyMoment, Message
from review.timeline import timeline_rows
from zones.briefing import Agreement, BriefingZone, Contact
from zones.history import zones_at
from zones.models import EVENT_PARTIES, Incident, Zone, ZoneAgreement

#: How much of a message body or note the timeline prints: a line or two of the table.
SHORT_TEXT = 160


@dataclass(frozen=True)
class Acknowledger:
    """One person's acknowledgement of an instruction or alert."""

    name: str
    role_label: str
    at: dt.datetime
    seconds: float


@dataclass(frozen=True)
class AckedMessage:
    """An instruction or alert, who acknowledged it and how fast, and who never did."""

    seq: int
    channel_label: str
    kind_label: str
    sender: str
    sender_role_label: str
    sent_at: dt.datetime
    body: str
    acknowledgements: Sequence[Acknowledger] = ()
    #: Members of the channel (other than the sender) with no acknowledgement on record.
    never_acknowledged: Sequence[str] = ()

    @property
    def median_seconds(self) -> float | None:
        seconds = [a.seconds for a in self.acknowledgements]
        return statistics.median(seconds) if seconds else None

    @property
    def max_seconds(self) -> float | None:
        return max((a.seconds for a in self.acknowledgements), default=None)


@dataclass(frozen=True)
class IncidentRow:
    happened_at: dt.datetime
    recorded_at: dt.datetime
    severity: str
    severity_label: str
    description: str
    reported_by: str


@dataclass(frozen=True)
class KeyMomentRow:
    sent_at: dt.datetime
    sender: str
    sender_role_label: str
    channel_label: str
    body: str
    note: str
    marked_by: str


@dataclass(frozen=True)
class ZoneRow:
    """A zone of the demonstration as it ended: its number of versions and agreements."""

    label: str
    kind_label: str
    version: int
    versions: int
    agreements: int
    status_label: str


@dataclass(frozen=True)
class TimelineRow:
    seq: int
    at: dt.datetime
    #: When it happened, where that differs from when it was recorded (an incident).
    happened_at: dt.datetime | None
    actor: str  # "Name (role)"
    kind: str
    summary: str


@dataclass(frozen=True)
class Report:
    """Everything the after-action report prints, already filtered for its reader."""

    reference: str
    title: str
    kind_label: str
    state_label: str
    organisation: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    expected_attendance: int
    stewards: int
    assembly_point: Point
    route: LineString | None
    dispersal_point: Point | None
    #: When the log says the demonstration went live and was concluded (None if it never did).
    went_live_at: dt.datetime | None
    concluded_at: dt.datetime | None
    #: (role label, count), in the order organisers, police, city.
    messages_by_party: Sequence[tuple[str, int]]
    #: (kind label, count).
    messages_by_kind: Sequence[tuple[str, int]]
    acked_messages: Sequence[AckedMessage]
    incidents: Sequence[IncidentRow]
    key_moments: Sequence[KeyMomentRow]
    zones: Sequence[ZoneRow]
    zone_versions: int
    zone_agreements: int
    #: The zones agreed by all three parties when the demonstration was concluded (or now).
    final_zones: Sequence[BriefingZone]
    timeline: Sequence[TimelineRow]
    log_valid: bool
    log_entries: int
    log_first_bad_seq: int | None
    log_last_hash: str
    #: None when the reader may not see the organisers' contact details.
    contact: Contact | None = None
    generated_at: dt.datetime = field(default_factory=timezone.now)

    @property
    def messages_total(self) -> int:
        return sum(count for _label, count in self.messages_by_party)

    @property
    def duration(self) -> dt.timedelta | None:
        """From going live to conclusion, as the log records them."""
        if self.went_live_at is None or self.concluded_at is None:
            return None
        return self.concluded_at - self.went_live_at

    @property
    def all_ack_seconds(self) -> list[float]:
        return [a.seconds for m in self.acked_messages for a in m.acknowledgements]


def _role_label(role: str | None) -> str:
    try:
        return str(Role(role).label)
    except ValueError:
        return role or ""


def _short(text: str, limit: int = SHORT_TEXT) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _channel_label(name: str | None) -> str:
    try:
        return str(Channel.Name(name).label)
    except ValueError:
        return name or ""


def _kind_label(kind: str | None) -> str:
    try:
        return str(Zone.Kind(kind).label)
    except ValueError:
        return kind or ""


def _transitions(event: Event) -> tuple[dt.datetime | None, dt.datetime | None]:
    """When the demonstration first went live and when it was concluded, from its log."""
    went_live = concluded = None
    transitions = LogEntry.objects.filter(event=event, kind=LogKind.EVENT_TRANSITION)
    for entry in transitions.order_by("seq"):
        to = (entry.data or {}).get("to")
        if to == Event.State.LIVE and went_live is None:
            went_live = entry.at
        elif to == Event.State.CONCLUDED:
            concluded = entry.at
    return went_live, concluded


def _acked_messages(event: Event) -> list[AckedMessage]:
    audiences: dict[str, list] = {}
    memberships = list(event.memberships.select_related("user"))
    for name, roles in CHANNEL_ROLES.items():
        audiences[name] = [m.user for m in memberships if m.role in roles]
    acks: dict[int, list[Acknowledgement]] = {}
    for ack in (Acknowledgement.objects.filter(message__channel__event=event)
                .select_related("user").order_by("at", "pk")):
        acks.setdefault(ack.message_id, []).append(ack)
    rows = []
    messages = (Message.objects.filter(channel__event=event,
                                       kind__in=[Message.Kind.INSTRUCTION, Message.Kind.ALERT])
                .select_related("sender", "channel").order_by("sent_at", "pk"))
    for message in messages:
        done = acks.get(message.pk, [])
        acked_by = {a.user_id for a in done}
        rows.append(AckedMessage(
            seq=message.seq, channel_label=_channel_label(message.channel.name),
            kind_label=str(message.get_kind_display()), sender=message.sender.display_name,
            sender_role_label=_role_label(message.sender.role), sent_at=message.sent_at,
            body=_short(message.body),
            acknowledgements=[Acknowledger(
                name=a.user.display_name, role_label=_role_label(a.user.role), at=a.at,
                seconds=round((a.at - message.sent_at).total_seconds(), 1)) for a in done],
            never_acknowledged=[u.display_name for u in audiences.get(message.channel.name, [])
                                if u.pk != message.sender_id and u.pk not in acked_by],
        ))
    return rows


def _final_zones(event: Event, cutoff: dt.datetime | None) -> list[BriefingZone]:
    """The zones agreed by every party as the demonstration ended (``cutoff``; None: as
    things stand now), read as the replay reads the past (``zones.history.zones_at``)."""
    when = cutoff or timezone.now()
    agreed = [z for z in zones_at(event, when) if z.status == Zone.Status.AGREED]
    agreements: dict[tuple[int, int], list[ZoneAgreement]] = {}
    for agreement in (ZoneAgreement.objects.filter(zone__event=event, at__lte=when)
                      .select_related("user", "version").order_by("at", "pk")):
        agreements.setdefault((agreement.zone_id, agreement.version.number), []).append(agreement)
    return [
        BriefingZone(
            number=number, kind=z.version.kind, kind_label=_kind_label(z.version.kind),
            label=z.label, conditions=z.version.conditions, valid_from=z.version.valid_from,
            valid_to=z.version.valid_to, geometry=z.version.geometry,
            agreements=tuple(Agreement(party=_role_label(a.party), name=a.user.display_name,
                                       at=a.at)
                             for a in agreements.get((z.zone_id, z.version.number), [])),
        )
        for number, z in enumerate(agreed, start=1)
    ]


def report_of(event: Event, *, reader) -> Report:
    """What the after-action report of ``event`` prints for ``reader`` (who may read its
    log). The organisers' contact appears only where ``events.view_event_contacts`` allows."""
    went_live_at, concluded_at = _transitions(event)
    messages = Message.objects.filter(channel__event=event)
    by_role = Counter(dict(messages.values_list("sender__role").annotate(n=Count("pk"))
                           .values_list("sender__role", "n")))
    by_kind = Counter(dict(messages.values_list("kind").annotate(n=Count("pk"))
                           .values_list("kind", "n")))
    zones = list(Zone.objects.filter(event=event).order_by("pk")
                 .annotate(n_versions=Count("versions", distinct=True),
                           n_agreements=Count("agreements", distinct=True)))
    # The review page's words for each entry (review/timeline.py), so that the paper and
    # the screen say the same; a message's body or an incident's description follows, cut.
    entries = LogEntry.objects.filter(event=event).order_by("seq").only(
        "seq", "at", "actor", "kind", "data")
    timeline = [
        TimelineRow(seq=row.seq, at=row.at, happened_at=row.happened_at,
                    actor=f"{row.actor_name} ({row.party_label})", kind=row.kind,
                    summary=f"{row.description} {_short(row.text)}".strip())
        for row in timeline_rows(event, entries.iterator(chunk_size=2000))
    ]
    verification = verify_event_log(event.pk)
    last_hash = (LogEntry.objects.filter(event=event).order_by("-seq")
                 .values_list("hash", flat=True).first()) or ""
    with_contacts = reader.has_perm("events.view_event_contacts", event)
    return Report(
        reference=event.reference, title=event.title, kind_label=event.get_kind_display(),
        state_label=event.get_state_display(), organisation=event.organisation,
        starts_at=event.starts_at, ends_at=event.ends_at,
        expected_attendance=event.expected_attendance, stewards=event.stewards,
        assembly_point=event.assembly_point, route=event.route,
        dispersal_point=event.dispersal_point,
        went_live_at=went_live_at, concluded_at=concluded_at,
        messages_by_party=[(_role_label(role), by_role.get(role, 0)) for role in EVENT_PARTIES],
        messages_by_kind=[(str(label), by_kind.get(kind, 0))
                          for kind, label in Message.Kind.choices],
        acked_messages=_acked_messages(event),
        incidents=[IncidentRow(happened_at=i.happened_at, recorded_at=i.recorded_at,
                               severity=i.severity, severity_label=i.get_severity_display(),
                               description=i.description, reported_by=i.reported_by.display_name)
                   for i in Incident.objects.filter(event=event).select_related("reported_by")
                   .order_by("happened_at", "pk")],
        key_moments=[KeyMomentRow(sent_at=k.message.sent_at, sender=k.message.sender.display_name,
                                  sender_role_label=_role_label(k.message.sender.role),
                                  channel_label=_channel_label(k.message.channel.name),
                                  body=_short(k.message.body, 400), note=k.note,
                                  marked_by=k.marked_by.display_name)
                     for k in KeyMoment.objects.filter(message__channel__event=event)
                     .select_related("message__sender", "message__channel", "marked_by")
                     .order_by("message__sent_at", "pk")],
        zones=[ZoneRow(label=z.label, kind_label=z.get_kind_display(), version=z.version,
                       versions=z.n_versions, agreements=z.n_agreements,
                       status_label=z.get_status_display()) for z in zones],
        zone_versions=sum(z.n_versions for z in zones),
        zone_agreements=sum(z.n_agreements for z in zones),
        final_zones=_final_zones(event, concluded_at),
        timeline=timeline,
        log_valid=verification.valid, log_entries=verification.entries,
        log_first_bad_seq=verification.first_bad_seq, log_last_hash=last_hash,
        contact=Contact(name=event.contact_name, phone=event.contact_phone,
                        email=event.contact_email) if with_contacts else None,
    )
