"""What anyone may know without logging in: the public page and its feeds (docs/public.md).

A demonstration is public when its organisers left it listed (``Event.public``) and it is
``agreed`` or ``live``, or ``concluded`` in the last seven days, or ``cancelled`` in the last
seven days after it had been agreed (so that people who planned around it hear it is off).
Drafts, registrations under review, withdrawn demonstrations and unlisted ones never appear.

Of a public demonstration, this module reads only what may be published: its reference,
title, kind, state, times and places, its *agreed* zones (kind, times, conditions) and the
description only when the organisers chose to publish it. Never the organisation, contact
details, members, messages, incidents, notes or any reason given for a decision: those
fields are simply never read here (``only()``), so no page or feed can show them by mistake.

Which demonstrations and zones are public is decided in one place each,
``events.selectors.public_events_queryset`` and ``zones.selectors.public_zones``, which the
clash check also asks: it tells organisers of nothing the public page does not show.

Notices ("changes as they happen") are built from the after-action log's entry *kinds* and
a few of their structured values (the state moved to, a zone's id and status) — never from
free text written by a person; their wording is Parley's own and translated. The notice that a
demonstration was concluded carries the receipt of its log at that moment (the entry's ``seq``
and ``hash``, docs/log.md "Receipts"): published, it is a copy of the record's state that
nobody holding the database can take back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.gis.geos import GEOSGeometry
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    Max,
    Q,
    Sum,
)
from django.db.models.fields.json import KT
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from coordination.log import Receipt
from coordination.log.kinds import LogKind, public_notice_kinds
from coordination.models import LogEntry
from events.models import Event
from events.selectors import AWAITING_AGREEMENT, public_events_queryset
from zones.models import Zone
from zones.selectors import public_zones

S = Event.State

#: The states in which a listed demonstration is drawn on the map and in the GeoJSON.
ON_THE_MAP = (S.AGREED, S.LIVE, S.CONCLUDED)
#: The newest notices shown at the top of the page and in the Atom feed.
LATEST_NOTICES = 50
#: Fields of a demonstration that an ``event.changed`` entry may name and that the public
#: sees (its times and places); a change of anything else is not news to the public.
PUBLIC_CHANGES = ["starts_at", "ends_at", "assembly_point", "route", "dispersal_point",
                  "kind", "title", "assembly_point_name", "dispersal_point_name"]
#: Fields of an Event read for the public; nothing else is ever loaded.
PUBLIC_FIELDS = ("pk", "reference", "title", "kind", "state", "starts_at", "ends_at",
                 "assembly_point", "route", "dispersal_point", "publish_description",
                 "assembly_point_name", "dispersal_point_name",
                 "description", "updated_at")


class NoticeKind:
    """What a notice says happened (its wording: ``Notice.text``)."""

    AGREED = "agreed"
    LIVE = "live"
    CONCLUDED = "concluded"
    CANCELLED = "cancelled"
    CHANGED = "changed"
    UNDER_REVIEW = "under_review"
    ZONE_AGREED = "zone_agreed"
    ZONE_CHANGED = "zone_changed"
    ZONE_WITHDRAWN = "zone_withdrawn"


@dataclass(frozen=True)
class PublicZone:
    """An agreed zone as the public sees it: what it is for, when and on what conditions."""

    pk: int
    kind: str
    conditions: str
    geometry: GEOSGeometry
    valid_from: dt.datetime | None
    valid_to: dt.datetime | None

    @property
    def kind_label(self) -> str:
        return str(Zone.Kind(self.kind).label) if self.kind in Zone.Kind.values else self.kind


@dataclass(frozen=True)
class Notice:
    """One public change, worded by Parley: ``what`` (a ``NoticeKind``), the zone kind for
    zone notices. ``id`` is the log entry's, so a notice keeps its address over time."""

    id: int
    event_pk: int
    reference: str
    title: str
    at: dt.datetime
    what: str
    zone_kind: str = ""
    #: The log's head at this notice: only for "concluded" (the record as it was closed).
    receipt: Receipt | None = None

    @property
    def text(self) -> str:
        """The notice in the active language."""
        zone = (str(Zone.Kind(self.zone_kind).label) if self.zone_kind in Zone.Kind.values
                else self.zone_kind)
        texts = {
            NoticeKind.AGREED: _("Agreed: the demonstration will take place as shown here."),
            NoticeKind.LIVE: _("Under way now."),
            NoticeKind.CONCLUDED: _("Concluded."),
            NoticeKind.CANCELLED: _("Cancelled: the demonstration will not take place."),
            NoticeKind.CHANGED: _("Its times or places changed: this page shows them as they "
                                  "are now."),
            NoticeKind.UNDER_REVIEW: _("Changes under review: the organisers asked to change "
                                       "it, and the city has yet to agree. Until then it is "
                                       "off the map, and its times and places may change."),
            NoticeKind.ZONE_AGREED: _("Zone agreed: %(zone)s.") % {"zone": zone},
            NoticeKind.ZONE_CHANGED: _("Zone being changed: %(zone)s. It is off the map until "
                                       "it is agreed again.") % {"zone": zone},
            NoticeKind.ZONE_WITHDRAWN: _("Zone withdrawn: %(zone)s.") % {"zone": zone},
        }
        return texts.get(self.what, "")

    @property
    def receipt_text(self) -> str:
        """The receipt in words, in the active language ("" for notices without one)."""
        if self.receipt is None:
            return ""
        return _("Receipt of the record at its conclusion: %(receipt)s (entry:hash). Anyone "
                 "can check later that the record of this demonstration still holds this "
                 "entry with this hash.") % {"receipt": self.receipt.text}

    @property
    def description(self) -> str:
        """The notice with its receipt, where it has one (feed entries)."""
        return " ".join(part for part in (self.text, self.receipt_text) if part)

    @property
    def headline(self) -> str:
        """The notice with the demonstration it is about (feed entry titles)."""
        return _("%(reference)s “%(title)s”: %(notice)s") % {
            "reference": self.reference, "title": self.title, "notice": self.text}


@dataclass
class PublicEvent:
    """A public demonstration: only what may be published."""

    pk: int
    reference: str
    title: str
    kind: str
    state: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    assembly_point: GEOSGeometry
    route: GEOSGeometry | None
    dispersal_point: GEOSGeometry | None
    description: str  # empty unless the organisers chose to publish it
    updated_at: dt.datetime
    zones: list[PublicZone] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)  # oldest first
    #: What the organisers call the places; shown instead of coordinates when given.
    assembly_point_name: str = ""
    dispersal_point_name: str = ""

    @property
    def anchor(self) -> str:
        """The id of its section on the public page (``/public/#PAR-2026-0042``)."""
        return self.reference

    @property
    def kind_label(self) -> str:
        return str(Event.Kind(self.kind).label)

    @property
    def changes_under_review(self) -> bool:
        """Amended after it was agreed, and not yet agreed again (only such demonstrations
        are public in these states, ``public_events_queryset``)."""
        return self.state in AWAITING_AGREEMENT

    @property
    def state_label(self) -> str:
        if self.changes_under_review:
            return _("Changes under review")
        return str(S(self.state).label)

    @property
    def on_the_map(self) -> bool:
        return self.state in ON_THE_MAP

    @property
    def receipt(self) -> Receipt | None:
        """The receipt of its log at its conclusion, once concluded."""
        if self.state != S.CONCLUDED:
            return None
        receipts = [n.receipt for n in self.notices if n.receipt is not None]
        return receipts[-1] if receipts else None


def public_version(*, now: dt.datetime | None = None) -> str:
    """A short fingerprint of everything the public page and feeds show, in two aggregate
    queries: it changes whenever a public demonstration or one of its zones is saved (every
    state change, edit, zone agreement and withdrawal saves one), and when a demonstration
    joins or leaves the public set (its count and the sum of its ids change). The language
    is part of it: the page and feeds are worded in it."""
    events = public_events_queryset(now=now)
    shown = events.aggregate(n=Count("pk"), ids=Sum("pk"), last=Max("updated_at"))
    zones = Zone.objects.filter(event__in=events.values("pk")).aggregate(
        n=Count("pk"), last=Max("updated_at"))
    material = "|".join(str(value) for value in (
        shown["n"], shown["ids"], shown["last"], zones["n"], zones["last"], get_language(),
    ))
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def public_events(*, now: dt.datetime | None = None) -> list[PublicEvent]:
    """Every public demonstration with its agreed zones and notices, soonest first, in four
    queries whatever their number."""
    rows = list(public_events_queryset(now=now).only(*PUBLIC_FIELDS).order_by("starts_at", "pk"))
    events = {
        row.pk: PublicEvent(
            pk=row.pk, reference=row.reference, title=row.title, kind=row.kind,
            state=row.state, starts_at=row.starts_at, ends_at=row.ends_at,
            assembly_point=row.assembly_point, route=row.route,
            dispersal_point=row.dispersal_point,
            assembly_point_name=row.assembly_point_name,
            dispersal_point_name=row.dispersal_point_name,
            description=row.description if row.publish_description else "",
            updated_at=row.updated_at,
        )
        for row in rows
    }
    if not events:
        return []
    zones = (public_zones(Zone.objects.filter(event_id__in=events.keys()))
             .only("pk", "event_id", "kind", "conditions", "geometry", "valid_from", "valid_to")
             .order_by("pk"))
    for zone in zones:
        events[zone.event_id].zones.append(PublicZone(
            pk=zone.pk, kind=zone.kind, conditions=zone.conditions, geometry=zone.geometry,
            valid_from=zone.valid_from, valid_to=zone.valid_to,
        ))
    for notice in _notices(events):
        events[notice.event_pk].notices.append(notice)
    return list(events.values())


def latest_notices(events: list[PublicEvent], *, limit: int = LATEST_NOTICES) -> list[Notice]:
    """The newest notices of ``events``, newest first."""
    notices = [notice for event in events for notice in event.notices]
    return sorted(notices, key=lambda n: (n.at, n.id), reverse=True)[:limit]


#: Log entry kinds a notice may come from (``public_notice`` in coordination/log/kinds.py).
_NOTICE_SOURCES = public_notice_kinds()
_STATE_NOTICES = {S.AGREED: NoticeKind.AGREED, S.LIVE: NoticeKind.LIVE,
                  S.CONCLUDED: NoticeKind.CONCLUDED, S.CANCELLED: NoticeKind.CANCELLED}


def _truthy(value) -> bool:
    # A JSON true read by KT() is "true" on PostgreSQL and 1 on SQLite.
    return value in (True, 1, "1", "true", "True")


def _notices(events: dict[int, PublicEvent]) -> list[Notice]:
    """The public notices of ``events``, oldest first per demonstration.

    Read from the log's entry kinds and a few structured values only (``to``, ``from``,
    ``status``, ``zone``, ``new_version`` and whether a change touched a public field), never
    the entries' text. Nothing before a demonstration was first agreed is news: its notices
    start with "agreed". A zone's change or withdrawal is news only once it had been agreed.
    """
    zone_kinds = dict(Zone.objects.filter(event_id__in=events.keys())
                      .values_list("pk", "kind"))
    entries = (
        LogEntry.objects.filter(event_id__in=events.keys(), kind__in=_NOTICE_SOURCES)
        .annotate(
            to=KT("data__to"), status=KT("data__status"), zone=KT("data__zone"),
            new_version=KT("data__new_version"),
            public_change=ExpressionWrapper(Q(data__has_any_keys=PUBLIC_CHANGES),
                                            output_field=BooleanField()),
        )
        .order_by("event_id", "seq")
        .values_list("pk", "event_id", "at", "kind", "to", "status", "zone", "new_version",
                     "public_change", "seq", "hash")
    )
    notices: list[Notice] = []
    published: set[int] = set()
    # Demonstrations amended in a way the public sees, until agreed again.
    changed_publicly: set[int] = set()
    ever_agreed: dict[int, set[int]] = defaultdict(set)  # event → zones agreed at some time
    agreed_now: set[int] = set()  # zones whose current version is agreed
    for (pk, event_pk, at, kind, to, status, zone, new_version, public_change,
         seq, hash_) in entries:
        event = events[event_pk]

        def notice(what: str, zone_kind: str = "", *, _event=event, _pk=pk, _at=at,
                   receipt: Receipt | None = None) -> None:
            notices.append(Notice(id=_pk, event_pk=_event.pk, reference=_event.reference,
                                  title=_event.title, at=_at, what=what, zone_kind=zone_kind,
                                  receipt=receipt))

        zone_pk = int(zone) if zone not in (None, "") else None
        if kind == LogKind.EVENT_TRANSITION:
            if to == S.AGREED:
                published.add(event_pk)
            if to == S.AGREED and event_pk in changed_publicly:
                # Agreed again after an amendment of its times or places.
                changed_publicly.discard(event_pk)
                notice(NoticeKind.CHANGED)
            elif event_pk in published and to in _STATE_NOTICES:
                notice(_STATE_NOTICES[to], receipt=Receipt(seq=seq, hash=hash_, at=at)
                       if to == S.CONCLUDED else None)
        elif kind == LogKind.ZONE_AGREED:
            if status == Zone.Status.AGREED and zone_pk:
                ever_agreed[event_pk].add(zone_pk)
                agreed_now.add(zone_pk)
                if event_pk in published:
                    notice(NoticeKind.ZONE_AGREED, zone_kinds.get(zone_pk, ""))
        elif kind == LogKind.ZONE_CHANGED:
            if _truthy(new_version) and zone_pk in agreed_now:
                agreed_now.discard(zone_pk)
                if event_pk in published:
                    notice(NoticeKind.ZONE_CHANGED, zone_kinds.get(zone_pk, ""))
        elif kind == LogKind.ZONE_WITHDRAWN:
            agreed_now.discard(zone_pk)
            if event_pk in published and zone_pk in ever_agreed[event_pk]:
                notice(NoticeKind.ZONE_WITHDRAWN, zone_kinds.get(zone_pk, ""))
        elif kind == LogKind.EVENT_AMENDED and event_pk in published:
            if public_change:
                changed_publicly.add(event_pk)
            notice(NoticeKind.UNDER_REVIEW)
        elif kind == LogKind.EVENT_CHANGED and event_pk in published and public_change:
            notice(NoticeKind.CHANGED)
    return notices
