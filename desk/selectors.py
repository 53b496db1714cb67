"""The unit's desk: what police and city work from every day. Reads only.

The desk sits at the top of the import graph (docs/architecture.md): it reads from events, zones and
messaging, and nothing in the coordination core (parties, log, broadcast) imports it.
Every section is read in a fixed number of queries, however many demonstrations there are,
and capped so that a busy month stays a readable page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, DateTimeField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from coordination.log.kinds import LogKind
from coordination.models import LogEntry
from events.models import Event
from events.selectors import (
    events_visible_to,
    registrations_awaiting_city,
    registrations_awaiting_organiser,
)
from messaging.models import Message
from messaging.presence import online_in_events
from messaging.selectors import awaiting_acknowledgement, instructions_awaiting_acknowledgement
from zones.conflicts import OVER, clashes_of_many
from zones.models import Incident, Zone
from zones.selectors import zone_versions_awaiting

#: The most demonstrations listed in the coming weeks; the rest are counted.
MAX_EVENTS = 200
#: The most demonstrations whose clashes are worked out (the soonest ones).
MAX_CLASH_EVENTS = 100
#: The most registrations listed as waiting for review; the rest are counted.
MAX_WAITING = 100
#: The most live demonstrations shown in detail.
MAX_LIVE = 50

#: The order of the states on the desk: what needs attention first.
STATE_ORDER = (
    Event.State.LIVE, Event.State.AGREED, Event.State.UNDER_REVIEW, Event.State.SUBMITTED,
    Event.State.CHANGES_REQUESTED, Event.State.CONCLUDED,
)
#: Demonstrations that no longer take place: listed apart.
GONE = (Event.State.WITHDRAWN, Event.State.CANCELLED)
WAITING = (Event.State.SUBMITTED, Event.State.UNDER_REVIEW)


@dataclass
class StateGroup:
    """The demonstrations of the window in one state."""

    state: str
    label: str
    events: list[Event]


@dataclass
class Upcoming:
    """Demonstrations of today and the coming weeks, grouped by state."""

    starts: dt.datetime
    ends: dt.datetime
    groups: list[StateGroup]
    gone: list[Event]
    more: int  # in the window but beyond MAX_EVENTS

    @property
    def until(self) -> dt.datetime:
        """The last moment of the window (``ends`` is the midnight after it)."""
        return self.ends - dt.timedelta(microseconds=1)

    @property
    def events(self) -> list[Event]:
        """Those that still take place, soonest first."""
        return sorted((e for g in self.groups for e in g.events),
                      key=lambda e: (e.starts_at, e.pk))


@dataclass
class LiveEvent:
    """A live demonstration: what is not acknowledged yet, who is online, incidents."""

    event: Event
    unacknowledged: list[dict] = field(default_factory=list)
    online: list[dict] = field(default_factory=list)
    incidents: int = 0


def window(*, now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """From the start of today (local time) to the end of the day ``PARLEY_DESK_DAYS_AHEAD``
    days ahead."""
    today = timezone.localtime(now or timezone.now()).replace(
        hour=0, minute=0, second=0, microsecond=0)
    return today, today + dt.timedelta(days=settings.PARLEY_DESK_DAYS_AHEAD + 1)


def upcoming(user, *, now: dt.datetime | None = None, limit: int = MAX_EVENTS) -> Upcoming:
    """The demonstrations ``user`` sees that take place (at least partly) from today to the
    end of the window, drafts left out, by state; withdrawn and cancelled ones apart."""
    starts, ends = window(now=now)
    events = list(
        events_visible_to(user).exclude(state=Event.State.DRAFT)
        .filter(ends_at__gte=starts, starts_at__lt=ends)
        .order_by("starts_at", "pk")[:limit + 1]
    )
    more = 0
    if len(events) > limit:
        events = events[:limit]
        more = (events_visible_to(user).exclude(state=Event.State.DRAFT)
                .filter(ends_at__gte=starts, starts_at__lt=ends).count() - limit)
    by_state: dict[str, list[Event]] = {}
    for event in events:
        by_state.setdefault(event.state, []).append(event)
    groups = [StateGroup(state, Event.State(state).label, by_state[state])
              for state in STATE_ORDER if state in by_state]
    gone = [event for event in events if event.state in GONE]
    return Upcoming(starts=starts, ends=ends, groups=groups, gone=gone, more=more)


def waiting_for_review(user, *, limit: int = MAX_WAITING) -> tuple[list[Event], int]:
    """Registrations submitted or under review, the longest waiting first, and how many
    more there are beyond ``limit``.

    Each carries ``submitted_at``: when it was last submitted, from the log (a registration
    sent back for changes waits again from its new submission). ``updated_at`` would not do:
    it moves whenever anything about the event changes.
    """
    last_submitted = (
        LogEntry.objects.filter(event=OuterRef("pk"), kind=LogKind.EVENT_TRANSITION,
                                data__to=Event.State.SUBMITTED)
        .order_by("-seq").values("at")[:1]
    )
    waiting = (
        events_visible_to(user).filter(state__in=WAITING)
        .annotate(submitted_at=Coalesce(Subquery(last_submitted, output_field=DateTimeField()),
                                        "created_at"))
        .order_by("submitted_at", "pk")
    )
    found = list(waiting[:limit + 1])
    if len(found) <= limit:
        return found, 0
    return found[:limit], waiting.count() - limit


def clashes(user, events: list[Event], *, limit: int = MAX_CLASH_EVENTS) -> list[dict]:
    """The clashes of the first ``limit`` of ``events`` (soonest first), each pair once.

    A clash names the other demonstration or the sensitive site only when ``user`` may see
    it, as on an event's page (zones.selectors.clashes_as_seen_by).
    """
    # Those that are over clash with nothing, as on the event page (zones.conflicts.OVER).
    events = [event for event in events if event.state not in OVER][:limit]
    listed = {event.pk for event in events}
    seen: set[tuple] = set()
    shown = []
    found = clashes_of_many(events)
    for event in events:
        for clash in found[event.pk]:
            other, site = clash.event, clash.site
            if other is not None:
                key = ("event", *sorted((event.pk, other.pk)))
                if other.pk in listed and key in seen:
                    continue  # already listed from the other side
            else:
                key = ("site", event.pk, site.pk)
            seen.add(key)
            shown.append({
                "event": event,
                "other": other if other is not None
                and user.has_perm("events.view_event", other) else None,
                "site": site if site is not None
                and user.has_perm("zones.view_zone", site) else None,
                "kind": clash.kind,
                "distance_m": clash.distance_m,
                "overlap_starts_at": clash.overlap_starts_at,
                "overlap_ends_at": clash.overlap_ends_at,
                "counter": clash.counter,
            })
    return shown


def live(user, *, limit: int = MAX_LIVE) -> list[LiveEvent]:
    """Live demonstrations ``user`` sees, with their instructions and alerts that someone
    has not acknowledged yet, who is online (stale connections left out) and how many
    incidents were reported. Message bodies are not read: the desk shows that an instruction
    is waiting, and links to the event's channel for those who may read it."""
    events = list(
        events_visible_to(user).filter(state=Event.State.LIVE).order_by("starts_at", "pk")
        [:limit]
    )
    if not events:
        return []
    ids = [event.pk for event in events]
    unacknowledged = awaiting_acknowledgement(ids)
    online = online_in_events(ids)
    incidents = dict(
        Incident.objects.filter(event_id__in=ids).order_by().values_list("event_id")
        .annotate(n=Count("pk")).values_list("event_id", "n")
    )
    return [
        LiveEvent(event=event, unacknowledged=unacknowledged[event.pk],
                  online=online[event.pk], incidents=incidents.get(event.pk, 0))
        for event in events
    ]


#: The most items of each kind listed as waiting for someone; the rest are counted.
MAX_WAITING_FOR_YOU = 50


@dataclass
class WaitingForYou:
    """What waits for one person: zone versions to agree, instructions and alerts to
    acknowledge, for the city registrations to review and for organisers registrations the
    city sent back; each list capped, ``count`` the whole number."""

    zones: list[Zone]
    instructions: list[Message]
    registrations: list[Event]
    count: int
    sent_back: list[Event] = field(default_factory=list)

    @property
    def more(self) -> int:
        """How many wait beyond those listed."""
        return (self.count - len(self.zones) - len(self.instructions)
                - len(self.registrations) - len(self.sent_back))


def _capped(queryset: QuerySet, limit: int) -> tuple[list, int]:
    """The first ``limit`` of ``queryset`` and how many it has in all."""
    found = list(queryset[:limit + 1])
    if len(found) <= limit:
        return found, len(found)
    return found[:limit], queryset.count()


def waiting_for(user, *, limit: int = MAX_WAITING_FOR_YOU) -> WaitingForYou:
    """Everything that waits for ``user`` to act (each selector asks only about ``user``'s
    own demonstrations and role): the desk and the organisers' list of demonstrations show
    it as "Waiting for you"."""
    zones, zone_count = _capped(zone_versions_awaiting(user), limit)
    instructions, instruction_count = _capped(instructions_awaiting_acknowledgement(user), limit)
    registrations, registration_count = _capped(registrations_awaiting_city(user), limit)
    sent_back, sent_back_count = _capped(registrations_awaiting_organiser(user), limit)
    return WaitingForYou(zones=zones, instructions=instructions, registrations=registrations,
                         sent_back=sent_back,
                         count=zone_count + instruction_count + registration_count
                         + sent_back_count)


def desk_of(user, *, now: dt.datetime | None = None) -> dict:
    """Everything the desk page shows, for ``user`` (police or city: the view asks)."""
    coming = upcoming(user, now=now)
    waiting, more_waiting = waiting_for_review(user)
    return {
        "upcoming": coming,
        "waiting": waiting,
        "more_waiting": more_waiting,
        "clashes": clashes(user, coming.events),
        "clash_limit": MAX_CLASH_EVENTS,
        "live": live(user),
        "waiting_for_you": waiting_for(user),
        "now": now or timezone.now(),
    }
