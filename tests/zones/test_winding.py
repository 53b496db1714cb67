"""Zones are GeoJSON the way RFC 7946 (3.1.6) asks: every outline counter-clockwise, every
hole clockwise, however they were drawn; and zone lists say they are GeoJSON
(``application/geo+json``) while JSON clients still get JSON."""

from __future__ import annotations

import importlib
import json

import pytest
from django.apps import apps
from django.contrib.gis.geos import Polygon

from tests.support.public import agreed
from tests.support.zones import (
    LAT,
    LON,
    event_zones_url,
    feature,
    geos,
    make_zone,
    polygons_in,
    winding_problems,
    zone_url,
)
from zones import services
from zones.geometry import parse_zone_geometry, rfc7946_wound
from zones.models import Zone, ZoneVersion

pytestmark = pytest.mark.django_db


def clockwise_square(lon: float, lat: float, size: float) -> list:
    east, north = round(lon + size, 7), round(lat + size, 7)
    return [[lon, lat], [lon, north], [east, north], [east, lat], [lon, lat]]


def counterclockwise_square(lon: float, lat: float, size: float) -> list:
    return list(reversed(clockwise_square(lon, lat, size)))


#: An outline drawn clockwise around a hole drawn counter-clockwise: both the wrong way.
BACKWARDS_WITH_A_HOLE = {"type": "Polygon", "coordinates": [
    clockwise_square(LON, LAT, 0.004), counterclockwise_square(LON + 0.001, LAT + 0.001, 0.001),
]}
BACKWARDS_PAIR = {"type": "MultiPolygon", "coordinates": [
    [clockwise_square(LON + 0.01, LAT, 0.001)], [clockwise_square(LON + 0.02, LAT, 0.001)],
]}


def test_the_checker_finds_an_outline_or_a_hole_wound_the_wrong_way():
    assert winding_problems(BACKWARDS_WITH_A_HOLE) == [
        "polygon 1: the outline runs clockwise", "polygon 1: hole 1 runs counter-clockwise"]
    assert len(winding_problems({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": BACKWARDS_PAIR, "properties": {}}]})) == 2


def test_a_shape_drawn_backwards_is_wound_the_right_way_and_keeps_its_positions():
    drawn = parse_zone_geometry(BACKWARDS_WITH_A_HOLE)

    wound = rfc7946_wound(drawn)

    assert winding_problems(json.loads(wound.geojson)) == []
    assert wound.equals(drawn) and wound.area == pytest.approx(drawn.area)
    assert sorted(wound[0].coords) == sorted(drawn[0].coords)
    assert wound.srid == 4326
    # GEOS's normalize() is not this: it winds outlines clockwise.
    normalized = drawn.clone()
    normalized.normalize()
    assert winding_problems(json.loads(normalized.geojson))


@pytest.fixture
def backwards_world(alice, bob, carol, api):
    """Alice's agreed march with two zones drawn backwards (one with a hole, one of two
    parts) and agreed by all three parties, and a sensitive site drawn backwards."""
    from events import services as events

    event = agreed(alice, carol, title="March for the library")
    events.add_member(event, username=bob.username, actor=carol)
    ids = []
    for shape in (BACKWARDS_WITH_A_HOLE, BACKWARDS_PAIR):
        response = api(bob).post(event_zones_url(event), feature(shape, kind="first_aid"))
        assert response.status_code == 201, response.json()
        ids.append(response.json()["id"])
    for zone_id in ids:
        for person in (alice, bob, carol):
            assert api(person).post(zone_url(zone_id, "agreements/"),
                                    {"version": 1}).status_code in (200, 201)
    site = api(carol).post("/api/v1/zones/", feature(
        {"type": "Polygon", "coordinates": [clockwise_square(LON - 0.01, LAT, 0.001)]},
        kind="sensitive_site", label="Hospital"))
    assert site.status_code == 201, site.json()
    return {"event": event, "zones": ids, "site": site.json()["id"]}


def test_every_geojson_parley_gives_is_wound_as_rfc_7946_asks(backwards_world, bob, carol, api):
    event, (holed, pair), site = (backwards_world["event"], backwards_world["zones"],
                                  backwards_world["site"])
    answers = {
        "event's zones": api(bob).get(event_zones_url(event)),
        "event's zones file": api(bob).get(f"/api/v1/events/{event.pk}/zones.geojson"),
        "city-wide zones": api(carol).get("/api/v1/zones/"),
        "city-wide zones file": api(carol).get("/api/v1/zones.geojson"),
        "one zone": api(bob).get(zone_url(holed)),
        "a zone's versions": api(bob).get(zone_url(pair, "versions/")),
        "a sensitive site": api(carol).get(zone_url(site)),
        "public GeoJSON": api().get("/public/events.geojson"),
        "after-action replay": api(carol).get(f"/api/v1/events/{event.pk}/replay/"),
    }
    for name, response in answers.items():
        assert response.status_code == 200, name
        document = response.json()
        assert polygons_in(document), name
        assert winding_problems(document) == [], name
    city_map = api(carol).get("/api/v1/city-map/")
    assert city_map.status_code == 200
    assert winding_problems(city_map.json()) == []
    # What is stored, and each version kept, is wound too.
    for zone in Zone.objects.all():
        assert winding_problems(json.loads(zone.geometry.geojson)) == []
    for version in ZoneVersion.objects.all():
        assert winding_problems(json.loads(version.geometry.geojson)) == []


def test_the_same_shape_sent_the_other_way_round_is_no_new_version(alices_event, bob, carol):
    zone = make_zone(alices_event, carol)
    backwards = geos({"type": "Polygon",
                      "coordinates": [clockwise_square(LON, LAT, 0.001)]})
    assert zone.geometry.equals(backwards)

    zone = services.change_zone(zone, actor=bob, geometry=backwards)

    assert zone.version == 1


def test_zone_lists_are_served_as_geojson_and_as_json_to_who_asks_for_json(
        alices_event, bob, api):
    make_zone(alices_event, bob)
    url = event_zones_url(alices_event)

    plain = api(bob).get(url)
    as_json = api(bob).get(url, HTTP_ACCEPT="application/json")
    refused = api(bob).get(url, {"bbox": "not a box"})

    assert plain["Content-Type"] == "application/geo+json"
    assert as_json["Content-Type"] == "application/json"
    assert plain.json() == as_json.json()
    assert plain.json()["type"] == "FeatureCollection"
    assert refused.status_code == 400
    assert refused["Content-Type"] == "application/json"  # an error is not GeoJSON
    assert api(bob).get("/api/v1/zones/")["Content-Type"] == "application/geo+json"


def test_the_migration_winds_the_shapes_stored_before(alices_event, carol):
    zone = make_zone(alices_event, carol)
    backwards = Polygon(clockwise_square(LON, LAT, 0.001), srid=4326)
    # As an older Parley stored it: the shape as it was sent.
    Zone.objects.filter(pk=zone.pk).update(geometry=backwards)
    ZoneVersion.objects.filter(zone=zone).update(geometry=backwards)
    updated_at = Zone.objects.get(pk=zone.pk).updated_at
    migration = importlib.import_module("zones.migrations.0003_rfc7946_winding")

    migration.wind_stored_shapes(apps, None)

    stored = Zone.objects.get(pk=zone.pk)
    assert stored.geometry[0].is_counterclockwise
    assert stored.geometry.equals(backwards)
    assert stored.updated_at == updated_at
    assert ZoneVersion.objects.get(zone=zone).geometry[0].is_counterclockwise


def test_one_zone_and_the_incidents_are_served_as_geojson_too(agreed_event, bob, api):
    """An outside check found a zone's own address and the incidents answering
    ``application/json`` while the zone lists said ``application/geo+json``."""
    zone = make_zone(agreed_event, bob)
    incidents = f"/api/v1/events/{agreed_event.pk}/incidents/"

    one = api(bob).get(f"/api/v1/zones/{zone.pk}/")
    listed = api(bob).get(incidents)

    assert one.status_code == 200 and one["Content-Type"] == "application/geo+json"
    assert one.json()["type"] == "Feature"
    assert listed.status_code == 200 and listed["Content-Type"] == "application/geo+json"
    assert listed.json()["type"] == "FeatureCollection"
    missing = api(bob).get("/api/v1/zones/999999/")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/json"
