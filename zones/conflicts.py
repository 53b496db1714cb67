"""Clashes: other demonstrations too close in space and time, and sensitive sites nearby.

A demonstration's *places* are its assembly point, its route, its dispersal point and its
zones that have not been withdrawn. Another demonstration clashes with it when

- their time windows overlap (``a.starts_at < b.ends_at`` and ``b.starts_at < a.ends_at``:
  one ending at 14:00 and the next starting at 14:00 only touch, and do not clash), and
- some place of one lies within the separation distance (``PARLEY_SEPARATION_METRES``,
  default 200 m) of some place of the other. Measuring from the route's line is the same as
  asking whether the route buffered by the separation distance reaches the other's places,
  without the buffer's polygonal approximation of its round ends.

The kind is ``overlap`` when their places meet (routes cross, a route runs through a zone,
two zones overlap), ``too_close`` otherwise. A counter-demonstration and the demonstration it
answers are always listed together, whatever the distance and the times (``counter`` true;
``overlap`` null when their times do not overlap): the unit separates them in any case.
A city-wide sensitive site (a ``sensitive_site`` zone of no demonstration, not withdrawn,
valid at some moment of the demonstration) within the separation distance of its places is
listed with kind ``sensitive_site`` (distance 0 when a place is inside it).
Withdrawn and cancelled demonstrations clash with nothing. A concluded one still has its
clashes read afterwards (the review), but no demonstration is told of a clash with one that
is over (concluded, withdrawn or cancelled): nothing is left to separate.

Who is told what
----------------
This module asks no permission. Police and city are told every clash. Anyone else (an
organiser, a reviewer) is told only of clashes with what they already see — the check is
*measured* only against it (``Within``, built by ``zones.selectors.clash_scope_for``), so
that nothing hidden can shape an answer: not its existence, times, distance or place. An
organiser moving a draft about and asking again and again learns nothing the public page and
her own demonstrations do not show.

How distances are measured, and why this way
--------------------------------------------
Coordinates are longitude/latitude (WGS 84), where a degree of longitude is 111 km at the
equator and 56 km at 60° latitude: distances in degrees are wrong away from the equator.
PostGIS could measure on the spheroid (``geography``), but SpatiaLite, the embedded default,
has no such type, and the two would then disagree in the last metres. So the database is only
asked a question both answer the same way and that cannot miss a clash: which places
intersect a box around the demonstration's places, widened by the separation distance
converted to degrees *generously* (a degree of latitude is at least 110.5 km anywhere; a
degree of longitude at least 111.3 km * cos(latitude), taken at the box's edge furthest from
the equator; then half as much again). That uses the spatial indexes (GiST on PostGIS), and
the time-window test uses the events' time index. The few candidates that remain are then
measured exactly, in Python with GEOS, after projecting them to an azimuthal equidistant
projection centred on the demonstration: distances from its centre are true on the ellipsoid,
and within the few kilometres of a city the error elsewhere is below a millimetre per
kilometre (the scale error at 10 km from the centre is 4e-7). The same coordinates give
the same metres on both databases. Straight segments are taken as straight in the projected
plane; over the length of a street the difference from a geodesic is negligible.
Whether places *meet* is decided on the coordinates as given, so that a route drawn exactly
through another's assembly point is an ``overlap`` and not a ``too_close`` at 10⁻⁹ m.

Not handled: places that straddle the antimeridian (no city does), and the poles.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.gis.gdal import CoordTransform, SpatialReference
from django.contrib.gis.geos import GEOSGeometry, Polygon
from django.db.models import Q, QuerySet

from events.models import Event
from events.workflow import CLOSED_STATES
from zones.models import Zone

#: Demonstrations that no longer take place, and so clash with nothing.
GONE = (Event.State.WITHDRAWN, Event.State.CANCELLED)
#: Demonstrations that are over: never listed as another's clash (``CLOSED_STATES``), and
#: the desk lists no clash of theirs (one definition for the event page and the desk).
OVER = tuple(sorted(CLOSED_STATES))
#: Places of a demonstration besides its zones.
PLACE_FIELDS = ("assembly_point", "route", "dispersal_point")

#: The shortest ground length of one degree of latitude (at the equator), in metres.
_MIN_METRES_PER_DEGREE_LAT = 110_574.0
#: One degree of longitude at the equator, in metres (times cos(latitude) elsewhere).
_METRES_PER_DEGREE_LON_AT_EQUATOR = 111_319.0
#: The search box is widened by the separation distance times this: generous on purpose.
_MARGIN = 1.5


class Kind:
    """The kinds of clash, as the API names them (docs/protocol.md)."""

    OVERLAP = "overlap"
    TOO_CLOSE = "too_close"
    SENSITIVE_SITE = "sensitive_site"


#: Every kind, in the order the API documents them (also the OpenAPI enum ``ConflictKindEnum``).
KINDS = (Kind.OVERLAP, Kind.TOO_CLOSE, Kind.SENSITIVE_SITE)


@dataclass(frozen=True)
class Within:
    """What a clash check may measure against, when that is not everything.

    Built for one person by ``zones.selectors.clash_scope_for``; each a query, read inside
    the check's own queries (hidden rows are never loaded, let alone measured).
    """

    #: The other demonstrations it may be measured against.
    events: QuerySet[Event]
    #: Of those, the ones whose own ``counter_to`` may count: a counter-demonstration known
    #: only from the public page does not say whom it answers.
    linked: QuerySet[Event]
    #: The zones it may be measured against: of those demonstrations, and sensitive sites.
    zones: QuerySet[Zone]


@dataclass(frozen=True)
class Clash:
    """One clash of a demonstration: with another demonstration, or with a sensitive site."""

    kind: str
    distance_m: float
    #: The other demonstration, or None for a sensitive site.
    event: Event | None = None
    #: The sensitive site, or None for another demonstration.
    site: Zone | None = None
    #: When both happen at once (None: a counter-demonstration at another time).
    overlap_starts_at: dt.datetime | None = None
    overlap_ends_at: dt.datetime | None = None
    #: One of the two is a counter-demonstration to the other.
    counter: bool = False


def separation_metres() -> float:
    return float(settings.PARLEY_SEPARATION_METRES)


# --- the database's part: candidates --------------------------------------------------------


def _places(event: Event, zones: Iterable[Zone]) -> list[GEOSGeometry]:
    """The demonstration's places in longitude/latitude: its points, route and zones."""
    places = [getattr(event, name) for name in PLACE_FIELDS if getattr(event, name)]
    return places + [zone.geometry for zone in zones]


def search_box(places: list[GEOSGeometry], metres: float) -> Polygon:
    """The places' bounding box, widened by at least ``metres`` on the ground on every side."""
    west = min(p.extent[0] for p in places)
    south = min(p.extent[1] for p in places)
    east = max(p.extent[2] for p in places)
    north = max(p.extent[3] for p in places)
    dlat = _MARGIN * metres / _MIN_METRES_PER_DEGREE_LAT
    # Longitude degrees shrink towards the poles: use the box's edge furthest from the equator.
    far_lat = min(89.0, max(abs(south - dlat), abs(north + dlat)))
    dlon = _MARGIN * metres / (_METRES_PER_DEGREE_LON_AT_EQUATOR * math.cos(math.radians(far_lat)))
    box = Polygon.from_bbox((max(-180.0, west - dlon), max(-90.0, south - dlat),
                             min(180.0, east + dlon), min(90.0, north + dlat)))
    box.srid = 4326
    return box


def _live_zones(within: Within | None = None) -> QuerySet[Zone]:
    zones = Zone.objects.exclude(status=Zone.Status.WITHDRAWN)
    return zones if within is None else zones.filter(pk__in=within.zones.values("pk"))


def _other_events(event: Event, within: Within | None) -> QuerySet[Event]:
    """The demonstrations besides ``event`` that are not over (and may be measured)."""
    others = Event.objects.exclude(pk=event.pk).exclude(state__in=OVER)
    return others if within is None else others.filter(pk__in=within.events.values("pk"))


def _same_time(starts_at: dt.datetime, ends_at: dt.datetime) -> Q:
    """Events whose window overlaps [starts_at, ends_at): touching ends do not count."""
    return Q(starts_at__lt=ends_at, ends_at__gt=starts_at)


def _counterparts(event: Event, within: Within | None = None) -> Q:
    """The demonstration this one answers, and those that answer it (whose link counts)."""
    q = Q(counter_to=event.pk)
    if within is not None:
        q &= Q(pk__in=within.linked.values("pk"))
    if event.counter_to_id:
        q |= Q(pk=event.counter_to_id)
    return q


def candidate_events(event: Event, places: list[GEOSGeometry], metres: float,
                     within: Within | None = None) -> list[Event]:
    """Other demonstrations that may clash: at the same time with a place in the search box,
    or counterparts. A superset of the clashes; ``measure`` decides."""
    box = search_box(places, metres)
    others = _other_events(event, within)
    timely = others.filter(_same_time(event.starts_at, event.ends_at))
    # Three index-driven questions asked in one round trip (UNION), rather than one OR over
    # a subquery, which would keep PostgreSQL from combining the spatial indexes.
    by_places = timely.filter(
        Q(assembly_point__intersects=box) | Q(route__intersects=box)
        | Q(dispersal_point__intersects=box)
    ).values_list("pk", flat=True).order_by()
    # From the zones in the box to their events (a join on the key), not from the events in
    # the time window to their zones: the box is the narrower question.
    by_zones = _live_zones(within).filter(
        event__isnull=False, geometry__intersects=box,
        event__starts_at__lt=event.ends_at, event__ends_at__gt=event.starts_at,
    ).exclude(event=event).exclude(event__state__in=OVER).values_list(
        "event_id", flat=True).order_by()
    counterparts = others.filter(_counterparts(event, within)).values_list(
        "pk", flat=True).order_by()
    ids = set(by_places.union(by_zones, counterparts))
    # The zones' events are asked again: a zone seen is no way to an event not seen.
    return list(others.filter(pk__in=ids).order_by("pk"))


def candidate_sites(event: Event, places: list[GEOSGeometry], metres: float,
                    within: Within | None = None) -> list[Zone]:
    """City-wide sensitive sites valid during the demonstration with a part in the box."""
    return list(
        _live_zones(within).filter(
            event__isnull=True, kind=Zone.Kind.SENSITIVE_SITE,
            geometry__intersects=search_box(places, metres),
        ).filter(
            Q(valid_from__isnull=True) | Q(valid_from__lt=event.ends_at),
            Q(valid_to__isnull=True) | Q(valid_to__gt=event.starts_at),
        ).order_by("pk")
    )


def zones_by_event(event_ids: Iterable[int], within: Within | None = None,
                   ) -> dict[int, list[Zone]]:
    """The zones (not withdrawn) of these demonstrations, in one query."""
    found: dict[int, list[Zone]] = {pk: [] for pk in event_ids}
    for zone in _live_zones(within).filter(event_id__in=list(found)).order_by("pk"):
        found[zone.event_id].append(zone)
    return found


# --- Python's part: metres ------------------------------------------------------------------


#: Projections made by this thread: a GDAL transformation must not be shared between threads.
_local = threading.local()


def _projection(lon: float, lat: float) -> CoordTransform:
    """From longitude/latitude to metres, azimuthal equidistant around (lon, lat)."""
    cache = getattr(_local, "projections", None)
    if cache is None:
        cache = _local.projections = {}
    transform = cache.get((lon, lat))
    if transform is None:
        if len(cache) >= 256:  # a city's worth of centres; forget them all now and then
            cache.clear()
        local = SpatialReference(
            f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m +no_defs"
        )
        transform = cache[(lon, lat)] = CoordTransform(SpatialReference(4326), local)
    return transform


class Ruler:
    """Measures ground distances, in metres, from one demonstration's places to others'."""

    def __init__(self, places: list[GEOSGeometry]) -> None:
        centre = places[0]  # the assembly point
        # Rounded to ~100 m so that the projections of nearby checks are reused; the
        # centre's exact position changes nothing measurable within a city.
        self._transform = _projection(round(centre.x, 3), round(centre.y, 3))
        self.places = places
        self._projected = [self.project(place) for place in places]

    def project(self, geometry: GEOSGeometry) -> GEOSGeometry:
        return geometry.transform(self._transform, clone=True)

    def measure(self, others: list[GEOSGeometry]) -> tuple[bool, float]:
        """(whether any place meets one of ``others``, the shortest distance in metres)."""
        if any(mine.intersects(other) for mine in self.places for other in others):
            return True, 0.0
        projected = [self.project(other) for other in others]
        return False, min(mine.distance(other) for mine in self._projected for other in projected)


def _overlap(a: Event, b: Event) -> tuple[dt.datetime | None, dt.datetime | None]:
    starts, ends = max(a.starts_at, b.starts_at), min(a.ends_at, b.ends_at)
    return (starts, ends) if starts < ends else (None, None)


def _is_counterpart(a: Event, b: Event, unlinked: Collection[int] = ()) -> bool:
    """``a`` answers ``b`` or ``b`` answers ``a`` (``b``'s own link ignored if in
    ``unlinked``)."""
    return a.counter_to_id == b.pk or (b.counter_to_id == a.pk and b.pk not in unlinked)


def clashes_among(
    event: Event,
    *,
    own_zones: list[Zone],
    others: Iterable[Event],
    others_zones: dict[int, list[Zone]],
    sites: Iterable[Zone],
    metres: float,
    unlinked: Collection[int] = (),
) -> list[Clash]:
    """Which of ``others`` and ``sites`` clash with ``event``, measured exactly.

    The candidates may be any superset of the clashes (all events, for the benchmark's naive
    check): every rule of the module docstring is applied here again. ``unlinked``: the ids
    of others whose own ``counter_to`` does not count (see ``Within.linked``).
    """
    ruler = Ruler(_places(event, own_zones))
    clashes = []
    for other in others:
        if other.pk == event.pk or other.state in OVER:
            continue
        counter = _is_counterpart(event, other, unlinked)
        starts, ends = _overlap(event, other)
        if starts is None and not counter:
            continue
        meets, distance = ruler.measure(_places(other, others_zones.get(other.pk, [])))
        if distance > metres and not counter:
            continue
        clashes.append(Clash(
            kind=Kind.OVERLAP if meets else Kind.TOO_CLOSE, distance_m=round(distance, 1),
            event=other, overlap_starts_at=starts, overlap_ends_at=ends, counter=counter,
        ))
    for site in sites:
        if (site.status == Zone.Status.WITHDRAWN
                or (site.valid_from and site.valid_from >= event.ends_at)
                or (site.valid_to and site.valid_to <= event.starts_at)):
            continue
        _, distance = ruler.measure([site.geometry])
        if distance > metres:
            continue
        clashes.append(Clash(
            kind=Kind.SENSITIVE_SITE, distance_m=round(distance, 1), site=site,
            overlap_starts_at=max(filter(None, (event.starts_at, site.valid_from))),
            overlap_ends_at=min(filter(None, (event.ends_at, site.valid_to))),
        ))
    return sorted(clashes, key=_order)


def _order(clash: Clash) -> tuple:
    """Sensitive sites after demonstrations; the nearest first; then by id."""
    thing = clash.event or clash.site
    return (clash.kind == Kind.SENSITIVE_SITE, clash.distance_m, thing.pk)


def clashes_of(event: Event, *, metres: float | None = None,
               within: Within | None = None) -> list[Clash]:
    """Every clash of ``event`` (no permission asked): index-driven candidates, then metres;
    with ``within``, only those with what it holds, measured only against that.

    A withdrawn or cancelled demonstration has none.
    """
    if event.state in GONE:
        return []
    metres = separation_metres() if metres is None else metres
    own_zones = zones_by_event([event.pk], within)[event.pk]
    places = _places(event, own_zones)
    others = candidate_events(event, places, metres, within)
    unlinked: set[int] = set()
    if within is not None:
        answering = [other.pk for other in others if other.counter_to_id == event.pk]
        unlinked = set(answering) - set(
            within.linked.filter(pk__in=answering).values_list("pk", flat=True))
    return clashes_among(
        event, own_zones=own_zones, others=others,
        others_zones=zones_by_event((other.pk for other in others), within),
        sites=candidate_sites(event, places, metres, within), metres=metres,
        unlinked=unlinked,
    )


def clashes_of_many(events: Iterable[Event], *, metres: float | None = None,
                    ) -> dict[int, list[Clash]]:
    """Every clash of each of ``events`` (no permission asked), by event id, in three queries
    however many events there are: for a page that lists many (the desk).

    The same clashes as ``clashes_of`` for each: the candidates are every demonstration
    at some time of the whole set (or a counterpart of one of them), their zones and the
    sensitive sites, read at once; the search box is then applied in Python, and
    ``clashes_among`` measures as always. Meant for the few dozen to few hundred
    demonstrations of the coming weeks: the caller caps how many it asks about.
    """
    events = list(events)
    found: dict[int, list[Clash]] = {event.pk: [] for event in events}
    active = [event for event in events if event.state not in GONE]
    if not active:
        return found
    metres = separation_metres() if metres is None else metres
    starts = min(event.starts_at for event in active)
    ends = max(event.ends_at for event in active)
    ids = {event.pk for event in active}
    answered = {event.counter_to_id for event in active if event.counter_to_id}
    others = list(
        Event.objects.exclude(state__in=OVER)
        .filter(_same_time(starts, ends) | Q(counter_to__in=ids) | Q(pk__in=answered))
        .order_by("pk")
    )
    zones = zones_by_event(other.pk for other in others)
    sites = list(
        _live_zones().filter(event__isnull=True, kind=Zone.Kind.SENSITIVE_SITE).filter(
            Q(valid_from__isnull=True) | Q(valid_from__lt=ends),
            Q(valid_to__isnull=True) | Q(valid_to__gt=starts),
        ).order_by("pk")
    )
    for event in active:
        own_zones = zones.get(event.pk, [])
        box = search_box(_places(event, own_zones), metres)
        nearby = [
            other for other in others
            if other.pk != event.pk and (
                _is_counterpart(event, other)
                or (other.starts_at < event.ends_at and event.starts_at < other.ends_at
                    and any(box.intersects(place)
                            for place in _places(other, zones.get(other.pk, []))))
            )
        ]
        found[event.pk] = clashes_among(
            event, own_zones=own_zones, others=nearby, others_zones=zones,
            sites=[site for site in sites if box.intersects(site.geometry)], metres=metres,
        )
    return found

