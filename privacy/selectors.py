"""What Parley records about a demonstration, for its organisers: the reads behind the page
"What Parley records about your event" (``privacy/views.py``).

Counts and values only, read from the database as it is; the explanations (who sees what)
live in the template, where they are translated.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from coordination.log import format_timestamp
from coordination.log.kinds import LogKind, label_of
from coordination.models import LogEntry
from events.models import Event
from messaging.models import Acknowledgement, Channel, KeyMoment, Message
from review.models import ReviewerNote
from zones.models import Incident, Zone, ZoneAgreement, ZoneVersion

#: The states in which a demonstration is over: the retention period runs from then.
ENDED_STATES = (Event.State.CONCLUDED, Event.State.WITHDRAWN, Event.State.CANCELLED)

#: The registration fields, in the order of the form, as the page lists them.
REGISTRATION_FIELDS = (
    "title", "kind", "counter_to", "organisation", "description", "expected_attendance",
    "stewards", "starts_at", "ends_at", "assembly_point", "assembly_point_name", "route",
    "dispersal_point", "dispersal_point_name", "amplified_sound", "accessibility_needs",
    "languages", "contact_name", "contact_phone", "contact_email", "public",
)
CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email")


@dataclass(frozen=True)
class Field:
    """One registration field as entered: ``value`` is already text; ``when`` a moment
    (the template formats it in the reader's language)."""

    name: str
    label: str
    value: str
    when: dt.datetime | None = None
    is_contact: bool = False


@dataclass(frozen=True)
class ChannelCount:
    name: str
    label: str
    messages: int
    acknowledgements: int


@dataclass(frozen=True)
class EventRecords:
    """What is kept about one demonstration, for a reader who may see all of it."""

    event: Event
    fields: list[Field]
    log_entries: int
    #: (kind, what it records in words, count), most frequent first.
    log_kinds: list[tuple[str, str, int]]
    #: The channels the reader reads, with their counts.
    channels: list[ChannelCount]
    #: Whether the reader reads the officials' channel (its counts are then in ``channels``).
    reads_officials: bool
    zones: int
    zone_versions: int
    zone_agreements: int
    incidents: int
    #: Key moments among the messages of ``channels``.
    key_moments: int
    #: None for a reader who does not read the review (organisers): notes are not theirs.
    reviewer_notes: int | None
    members: list[dict]
    #: When the demonstration ended (concluded, withdrawn or cancelled); None while it has not.
    ended_at: dt.datetime | None
    retention_days: int
    #: Presence (who is online) is forgotten this long after a connection is lost at most.
    presence_seconds: int
    #: The date until which the records are kept at least: from ``ended_at``, or, while the
    #: demonstration has not ended, from its planned end (so it is an estimate).
    kept_until: dt.date
    kept_until_is_estimate: bool


def _point(value) -> str:
    return f"{value.y:.5f}, {value.x:.5f}" if value is not None else "—"


def _field(event: Event, name: str) -> Field:
    label = str(Event._meta.get_field(name).verbose_name)
    if name in ("assembly_point", "dispersal_point"):
        label = _("%(field)s (latitude, longitude)") % {"field": label}
    value = getattr(event, name)
    when = None
    if name in ("starts_at", "ends_at"):
        when, text = value, format_timestamp(value)
    elif name in ("assembly_point", "dispersal_point"):
        text = _point(value)
    elif name == "route":
        text = (_("%(points)d points") % {"points": len(value.coords)}) if value else "—"
    elif name == "kind":
        text = str(event.get_kind_display())
    elif name == "counter_to":
        text = value.reference if value is not None else "—"
    elif name == "languages":
        text = ", ".join(value or []) or "—"
    elif isinstance(value, bool):
        text = _("yes") if value else _("no")
    else:
        text = str(value) if value not in (None, "") else "—"
    return Field(name=name, label=label, value=text, when=when,
                 is_contact=name in CONTACT_FIELDS)


def ended_at(event: Event) -> dt.datetime | None:
    """When the demonstration was concluded, withdrawn or cancelled, from its log."""
    if event.state not in ENDED_STATES:
        return None
    entry = (LogEntry.objects.filter(event=event, kind=LogKind.EVENT_TRANSITION,
                                     data__to=event.state)
             .order_by("-seq").values_list("at", flat=True).first())
    return entry or event.updated_at


def kept_until(event: Event) -> tuple[dt.date, bool]:
    """(the date until which ``event``'s records are kept at least, whether it is an
    estimate because the demonstration has not ended yet)."""
    end = ended_at(event)
    estimate = end is None
    if end is None:
        end = event.ends_at
    return (end + dt.timedelta(days=settings.PARLEY_RETENTION_DAYS)).date(), estimate


def records_of(event: Event, *, reader) -> EventRecords:
    """What Parley keeps about ``event``, as its organisers (or city staff) may read it.
    Channels the reader does not read are not counted for them."""
    kinds = Counter(LogEntry.objects.filter(event=event).values_list("kind", flat=True))
    # Whoever reads the log reads every message in it; others, the channels they read.
    reads_log = reader.has_perm("events.view_event_log", event)
    channels = []
    reads_officials = False
    for channel in Channel.objects.filter(event=event).order_by("pk"):
        if not (reads_log or reader.has_perm("messaging.read_channel", channel)):
            continue
        if channel.name == Channel.Name.OFFICIALS:
            reads_officials = True
        channels.append(ChannelCount(
            name=channel.name, label=str(channel.get_name_display()),
            messages=Message.objects.filter(channel=channel).count(),
            acknowledgements=Acknowledgement.objects.filter(message__channel=channel).count(),
        ))
    end = ended_at(event)
    until, estimate = kept_until(event)
    return EventRecords(
        event=event,
        fields=[_field(event, name) for name in REGISTRATION_FIELDS],
        log_entries=sum(kinds.values()),
        log_kinds=[(kind, label_of(kind), count) for kind, count
                   in sorted(kinds.items(), key=lambda item: (-item[1], item[0]))],
        channels=channels,
        reads_officials=reads_officials,
        zones=Zone.objects.filter(event=event).count(),
        zone_versions=ZoneVersion.objects.filter(zone__event=event).count(),
        zone_agreements=ZoneAgreement.objects.filter(zone__event=event).count(),
        incidents=Incident.objects.filter(event=event).count(),
        key_moments=KeyMoment.objects.filter(
            message__channel__event=event,
            message__channel__name__in=[c.name for c in channels]).count(),
        reviewer_notes=ReviewerNote.objects.filter(event=event).count() if reads_log else None,
        members=[{"name": m.user.display_name, "role": m.get_role_display()}
                 for m in event.memberships.select_related("user").order_by("added_at", "pk")],
        ended_at=end,
        retention_days=settings.PARLEY_RETENTION_DAYS,
        presence_seconds=round(settings.PARLEY_PRESENCE_STALE_SECONDS),
        kept_until=until,
        kept_until_is_estimate=estimate,
    )
