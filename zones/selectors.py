"""Reading zones: what each person may see (zones, and clashes), and the filters of the API."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.contrib.gis.geos import Polygon
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from coordination.parties import Role
from events.models import Event
from events.selectors import events_visible_to, public_events_queryset
from events.workflow import CLOSED_STATES
from zones.conflicts import Within, clashes_of
from zones.models import EVENT_PARTIES, Zone, ZoneAgreement, ZoneVersion

if TYPE_CHECKING:
    from zones.briefing import Briefing


def _with_agreements(zones: QuerySet[Zone]) -> QuerySet[Zone]:
    """Zones with what their Features show read in a fixed number of queries."""
    return zones.select_related("event").prefetch_related(
        Prefetch("agreements", queryset=ZoneAgreement.objects.select_related("version", "user"))
    )


def zones_visible_to(user) -> QuerySet[Zone]:
    """Every zone ``user`` may see, city-wide: the zones of the demonstrations they may see,
    and, for police, city and reviewers, the city-wide layer."""
    zones = _with_agreements(Zone.objects.all())
    if not user.is_authenticated or not user.is_active:
        return zones.none()
    if user.role in (Role.POLICE, Role.CITY):
        return zones
    if user.role == Role.REVIEWER:
        return zones.filter(Q(event__isnull=True) | Q(event__state=Event.State.CONCLUDED))
    return zones.filter(event__memberships__user=user)


def public_zones(zones: QuerySet[Zone]) -> QuerySet[Zone]:
    """Of ``zones`` (of public demonstrations), those the public page shows: the agreed
    ones, in their agreed shape. A zone being changed is off the public map until agreed."""
    return zones.filter(status=Zone.Status.AGREED)


def clash_scope_for(user, event: Event) -> Within | None:
    """What the clashes of ``event`` may be measured against for ``user`` (who may see it).

    None — everything — for police and city (``zones.view_all_conflicts``): they are told of
    every clash, named. Anyone else only of clashes with what they already see: the
    demonstrations they may open and the public ones (the public page's own selection, so
    the two cannot drift apart), the zones they may open and the public demonstrations'
    agreed zones, and sensitive sites only if they may see the city-wide layer. A public
    demonstration's ``counter_to`` is not on the public page, so it counts only for those
    who may open that demonstration.
    """
    if user.has_perm("zones.view_all_conflicts", event):
        return None
    public = public_events_queryset()
    seen = events_visible_to(user)
    return Within(
        events=Event.objects.filter(Q(pk__in=seen.values("pk"))
                                    | Q(pk__in=public.values("pk"))),
        linked=seen,
        zones=Zone.objects.filter(
            Q(pk__in=zones_visible_to(user).values("pk"))
            | Q(pk__in=public_zones(Zone.objects.filter(event__in=public.values("pk")))
                .values("pk"))
        ),
    )


def clashes_as_seen_by(user, event: Event) -> list[dict]:
    """The clashes of ``event`` that ``user`` may be told of (the caller may see ``event``;
    ``zones.view_conflicts``), as the API lists them.

    Only clashes with what ``user`` already sees (``clash_scope_for``), so each names the
    other demonstration (id, reference, title) or the sensitive site (id, label). No contact
    details are ever part of a clash.
    """
    shown = []
    for clash in clashes_of(event, within=clash_scope_for(user, event)):
        other, site = clash.event, clash.site
        shown.append({
            "event": other.pk if other else None,
            "reference": other.reference if other else None,
            "title": other.title if other else None,
            "kind": clash.kind,
            "distance_m": clash.distance_m,
            "overlap": None if clash.overlap_starts_at is None else {
                "starts_at": clash.overlap_starts_at, "ends_at": clash.overlap_ends_at,
            },
            "counter": clash.counter,
            "zone": site.pk if site else None,
            "label": site.label if site else None,
        })
    return shown


def zones_of_event(event: Event) -> QuerySet[Zone]:
    """The zones of one demonstration (the caller has been allowed to see it)."""
    return _with_agreements(Zone.objects.filter(event=event)).order_by("pk")


def zone_as_shown(pk: int) -> Zone:
    """The zone with what its Feature shows, as it is now (no permission asked)."""
    return _with_agreements(Zone.objects.all()).get(pk=pk)


def get_zone_for(user, pk) -> Zone:
    """The zone, if ``user`` may see it; otherwise 404, exactly as if it did not exist."""
    try:
        zone = _with_agreements(Zone.objects.all()).get(pk=int(pk))
    except (Zone.DoesNotExist, TypeError, ValueError):
        raise Http404(_("No such zone.")) from None
    if not user.has_perm("zones.view_zone", zone):
        raise Http404(_("No such zone."))
    return zone


def filter_zones(
    zones: QuerySet[Zone],
    *,
    bbox: tuple[float, float, float, float] | None = None,
    active_at: dt.datetime | None = None,
    kind: list[str] | None = None,
    status: list[str] | None = None,
) -> QuerySet[Zone]:
    """Narrow zones to a longitude/latitude box, a moment, kinds and statuses.

    A zone is active at ``t`` when ``valid_from <= t < valid_to`` (an open end counts as
    always) and it has not been withdrawn.
    """
    if bbox:
        box = Polygon.from_bbox(bbox)
        box.srid = 4326
        zones = zones.filter(geometry__intersects=box)
    if active_at:
        zones = zones.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=active_at),
            Q(valid_to__isnull=True) | Q(valid_to__gt=active_at),
        ).exclude(status=Zone.Status.WITHDRAWN)
    if kind:
        zones = zones.filter(kind__in=kind)
    if status:
        zones = zones.filter(status__in=status)
    # No DISTINCT: one membership per person and event, so no zone is listed twice.
    return zones.order_by("pk")


def versions_of(zone: Zone) -> QuerySet[ZoneVersion]:
    """Every version of a zone, oldest first, with its agreements."""
    return (
        ZoneVersion.objects.filter(zone=zone)
        .select_related("zone", "zone__event")
        .prefetch_related(Prefetch("agreements",
                                   queryset=ZoneAgreement.objects.select_related("user")))
        .order_by("number")
    )


def current_agreements(zone: Zone) -> list[ZoneAgreement]:
    """The agreements to the zone's current version, in the order they were given."""
    agreements = [a for a in zone.agreements.all() if a.version.number == zone.version]
    return sorted(agreements, key=lambda a: (a.at, a.pk))


def version_status(version: ZoneVersion) -> str:
    """An old version is ``superseded``; the current one has the zone's status."""
    if version.number < version.zone.version:
        return Zone.Status.SUPERSEDED
    return version.zone.status


def briefing_of(event: Event, *, reader) -> Briefing:
    """What the briefing sheet of ``event`` prints for ``reader`` (who may see the event).

    Only agreed zones are drawn — the sheet is what was agreed; the others are counted.
    Contact details appear only where ``events.view_event_contacts`` allows, and city-wide
    sensitive sites near the demonstration only for readers allowed to see them.
    """
    from zones.briefing import Agreement, Briefing, BriefingZone, Contact, Member

    def as_briefing_zone(number: int, zone: Zone) -> BriefingZone:
        return BriefingZone(
            number=number, kind=zone.kind, kind_label=str(zone.get_kind_display()),
            label=zone.label, conditions=zone.conditions, valid_from=zone.valid_from,
            valid_to=zone.valid_to, geometry=zone.geometry,
            agreements=tuple(Agreement(party=str(Role(a.party).label),
                                       name=a.user.display_name, at=a.at)
                             for a in current_agreements(zone)),
        )

    zones = list(zones_of_event(event).exclude(status=Zone.Status.WITHDRAWN))
    agreed = [zone for zone in zones if zone.status == Zone.Status.AGREED]
    shapes = [g for g in (event.assembly_point, event.route, event.dispersal_point) if g]
    shapes += [zone.geometry for zone in agreed]
    # The sites an officer must know about around the demonstration (a few hundred metres
    # beyond its places), at its time.
    margin = 0.005
    nearby = filter_zones(zones_visible_to(reader).filter(event__isnull=True), bbox=(
        max(-180.0, min(g.extent[0] for g in shapes) - margin),
        max(-90.0, min(g.extent[1] for g in shapes) - margin),
        min(180.0, max(g.extent[2] for g in shapes) + margin),
        min(90.0, max(g.extent[3] for g in shapes) + margin),
    ))
    sites = [site for site in nearby
             if _active_during(site, event.starts_at, event.ends_at)
             and reader.has_perm("zones.view_zone", site)]
    with_contacts = reader.has_perm("events.view_event_contacts", event)
    order = {party: i for i, party in enumerate(EVENT_PARTIES)}
    memberships = sorted(event.memberships.select_related("user"),
                         key=lambda m: (order.get(m.role, 9), m.added_at, m.pk))
    return Briefing(
        reference=event.reference, title=event.title, kind_label=event.get_kind_display(),
        state_label=event.get_state_display(), organisation=event.organisation,
        starts_at=event.starts_at, ends_at=event.ends_at,
        expected_attendance=event.expected_attendance, stewards=event.stewards,
        amplified_sound=event.amplified_sound, assembly_point=event.assembly_point,
        assembly_point_name=event.assembly_point_name,
        dispersal_point_name=event.dispersal_point_name,
        route=event.route, dispersal_point=event.dispersal_point,
        zones=[as_briefing_zone(n, zone) for n, zone in enumerate(agreed, start=1)],
        sensitive_sites=[as_briefing_zone(0, site) for site in sites],
        zones_not_agreed=len(zones) - len(agreed),
        members=[Member(name=m.user.display_name, role_label=str(Role(m.role).label),
                        email=(m.user.email or None) if with_contacts else None)
                 for m in memberships],
        contact=Contact(name=event.contact_name, phone=event.contact_phone,
                        email=event.contact_email) if with_contacts else None,
    )


def _active_during(zone: Zone, starts_at: dt.datetime, ends_at: dt.datetime) -> bool:
    """The zone is in force at some moment between ``starts_at`` and ``ends_at``."""
    return ((zone.valid_from is None or zone.valid_from < ends_at)
            and (zone.valid_to is None or zone.valid_to > starts_at)
            and zone.status != Zone.Status.WITHDRAWN)


def zone_versions_awaiting(user) -> QuerySet[Zone]:
    """The zones whose current version waits for ``user``'s agreement: proposed zones of the
    open demonstrations ``user`` is a member of, that nobody of ``user``'s party has agreed
    yet (an agreement is a party's: one of its people agrees for all). Oldest first, with
    their event; none for reviewers or anyone who is not a party."""
    if not user.is_authenticated or not user.is_active or user.role not in EVENT_PARTIES:
        return Zone.objects.none()
    agreed_by_party = ZoneAgreement.objects.filter(
        zone=OuterRef("pk"), version__number=OuterRef("version"), party=user.role)
    return (
        Zone.objects.filter(status=Zone.Status.PROPOSED, event__memberships__user=user)
        .exclude(event__state__in=CLOSED_STATES)
        .filter(~Exists(agreed_by_party))
        .select_related("event").order_by("updated_at", "pk")
    )
