"""What the city-wide map shows at one moment: the demonstrations taking place then, and
which of them clash — with each other or with a sensitive site — at that moment.

The zones in force come from the zones API (``GET /api/v1/zones/?active_at=``); this module
adds what that API does not answer: demonstrations *happening* at a moment (the events API
filters by start only) and the clashes among them, measured by ``zones.conflicts``.
Behaviour of the page: ``static/zones/city_map.js``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.gis.geos import GeometryCollection
from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer, GeometrySerializerMethodField

from events.models import Event
from events.selectors import events_visible_to, filter_events
from zones import conflicts
from zones.models import Zone
from zones.selectors import filter_zones
from zones.styles import (
    ASSEMBLY_POINT_COLOUR,
    CLASH_COLOUR,
    DISPERSAL_POINT_COLOUR,
    KIND_COLOURS,
    ROUTE_COLOUR,
)

#: Not on the map: a draft is not yet a plan anyone was asked about, and a withdrawn or
#: cancelled demonstration does not take place.
NOT_ON_MAP = (Event.State.DRAFT, Event.State.WITHDRAWN, Event.State.CANCELLED)
#: How far ahead the page's slider reaches, in days, and its step in minutes.
SLIDER_DAYS = 7
SLIDER_STEP_MINUTES = 30


def events_happening_at(user, at: dt.datetime,
                        bbox: tuple[float, float, float, float] | None = None
                        ) -> QuerySet[Event]:
    """The demonstrations ``user`` may see that are under way at ``at``
    (``starts_at <= at < ends_at``), drafts, withdrawn and cancelled ones left out."""
    events = events_visible_to(user).filter(starts_at__lte=at, ends_at__gt=at)
    events = events.exclude(state__in=NOT_ON_MAP)
    if bbox:
        events = filter_events(events, bbox=bbox)
    return events.order_by("starts_at", "pk")


def _places(event: Event, zones: list[Zone]) -> list:
    """The demonstration's points, route and zones (as ``zones.conflicts`` counts them)."""
    points = [g for g in (event.assembly_point, event.route, event.dispersal_point) if g]
    return points + [zone.geometry for zone in zones]


@dataclass(frozen=True)
class MapClash:
    """A clash at the chosen moment: two demonstrations, or one and a sensitive site."""

    kind: str
    distance_m: float
    event: int
    other_event: int | None = None
    site: int | None = None
    counter: bool = False

    def as_json(self) -> dict:
        if self.site is not None:
            return {"kind": self.kind, "distance_m": self.distance_m,
                    "events": [self.event], "zone": self.site, "counter": False}
        return {"kind": self.kind, "distance_m": self.distance_m,
                "events": [self.event, self.other_event], "zone": None,
                "counter": self.counter}


def clashes_at(events: list[Event], at: dt.datetime, *, metres: float | None = None
               ) -> list[MapClash]:
    """The clashes among ``events`` (all under way at ``at``) and with the sensitive sites in
    force at ``at``: each pair of demonstrations once.

    Every event here is under way at ``at``, so their times overlap; what is left is the
    distance, which ``zones.conflicts`` measures exactly. Each event is only measured against
    the others whose places touch its search box (the same box that module searches the
    database with), so a busy day stays cheap.
    """
    metres = conflicts.separation_metres() if metres is None else metres
    zones = conflicts.zones_by_event(event.pk for event in events)
    sites = list(filter_zones(
        Zone.objects.filter(event__isnull=True, kind=Zone.Kind.SENSITIVE_SITE), active_at=at
    ))
    boxes = {}
    for event in events:
        places = _places(event, zones[event.pk])
        boxes[event.pk] = (places, conflicts.search_box(places, metres))
    found: list[MapClash] = []
    for event in events:
        places, box = boxes[event.pk]
        near = [other for other in events
                if other.pk > event.pk  # each pair once
                # A counter-demonstration and its target clash at any distance.
                and (other.pk == event.counter_to_id or other.counter_to_id == event.pk
                     or any(box.intersects(place) for place in boxes[other.pk][0]))]
        near_sites = [site for site in sites if box.intersects(site.geometry)]
        for clash in conflicts.clashes_among(
            event, own_zones=zones[event.pk], others=near, others_zones=zones,
            sites=near_sites, metres=metres,
        ):
            found.append(MapClash(
                kind=clash.kind, distance_m=clash.distance_m, event=event.pk,
                other_event=clash.event.pk if clash.event else None,
                site=clash.site.pk if clash.site else None, counter=clash.counter,
            ))
    return found


class MapEventSerializer(GeoFeatureModelSerializer):
    """A demonstration on the city-wide map: its places as one GeometryCollection (assembly
    point, route, dispersal point, in that order). Never its contact details."""

    places = GeometrySerializerMethodField()
    url = serializers.SerializerMethodField()
    kind_label = serializers.CharField(source="get_kind_display")
    state_label = serializers.CharField(source="get_state_display")

    class Meta:
        model = Event
        geo_field = "places"
        fields = ["id", "reference", "title", "kind", "kind_label", "state", "state_label",
                  "starts_at", "ends_at", "expected_attendance", "counter_to", "url"]

    @extend_schema_field(OpenApiTypes.OBJECT)  # described in zones/city_map_api.py
    def get_places(self, event: Event) -> GeometryCollection:
        places = GeometryCollection(*[g for g in (event.assembly_point, event.route,
                                                  event.dispersal_point) if g])
        places.srid = 4326
        return places

    def get_url(self, event: Event) -> str:
        return event.get_absolute_url()


def city_map_data(user, at: dt.datetime,
                  bbox: tuple[float, float, float, float] | None = None) -> dict:
    """What the map draws for ``at``, apart from the zones: the demonstrations under way and
    their clashes (``user`` is police or city: they see every demonstration and site)."""
    events = list(events_happening_at(user, at, bbox))
    clashes = clashes_at(events, at)
    clashing = {pk for clash in clashes for pk in clash.as_json()["events"]}
    collection = MapEventSerializer(events, many=True).data
    for feature in collection["features"]:
        feature["properties"]["clashes"] = feature["id"] in clashing
    return {"at": at, "events": collection, "clashes": [c.as_json() for c in clashes]}


def page_config(user, at: dt.datetime) -> dict:
    """The configuration of the city-wide map page (``json_script`` → ``city_map.js``)."""
    return {
        "at": at,
        "slider_days": SLIDER_DAYS,
        "slider_step_minutes": SLIDER_STEP_MINUTES,
        "events_url": reverse("api:city-map"),
        "zones_url": reverse("api:zone-list"),
        "kinds": {value: str(label) for value, label in Zone.Kind.choices},
        "statuses": {value: str(label) for value, label in Zone.Status.choices},
        "states": {value: str(label) for value, label in Event.State.choices},
        "colours": {"kinds": KIND_COLOURS, "assembly_point": ASSEMBLY_POINT_COLOUR,
                    "dispersal_point": DISPERSAL_POINT_COLOUR, "route": ROUTE_COLOUR,
                    "clash": CLASH_COLOUR},
    }
