"""A shape that is not a proper zone is refused with a 400 that names the problem, offers a
repaired shape where GEOS can make one, and saves nothing — the same on SpatiaLite and
PostGIS, because the checks run in GEOS, not in the database.
"""

import json

import pytest
from django.contrib.gis.geos import LineString, Polygon
from django.core.exceptions import ValidationError

from coordination.models import LogEntry
from tests.support.zones import (
    LAT,
    LON,
    event_zones_url,
    feature,
    geos,
    square,
    winding_problems,
)
from zones import services
from zones.geometry import parse_zone_geometry
from zones.models import Zone, ZoneVersion

#: A bow tie: the outline crosses itself in the middle.
BOWTIE = {"type": "Polygon", "coordinates": [[
    [LON, LAT], [LON + 0.001, LAT + 0.001], [LON + 0.001, LAT], [LON, LAT + 0.001], [LON, LAT],
]]}
UNCLOSED = {"type": "Polygon", "coordinates": [square()["coordinates"][0][:-1]]}
OVERLAPPING = {"type": "MultiPolygon", "coordinates": [
    square(size=0.002)["coordinates"], square(LON + 0.001, LAT + 0.001, 0.002)["coordinates"],
]}
HOLE_OUTSIDE = {"type": "Polygon", "coordinates": [
    square()["coordinates"][0], square(LON + 0.01, LAT + 0.01, 0.0005)["coordinates"][0],
]}
#: Three positions on one line (numbers that binary floating point holds exactly).
FLAT = {"type": "Polygon", "coordinates": [[[-83.0, 40.0], [-82.5, 40.5], [-82.0, 41.0],
                                            [-83.0, 40.0]]]}

# Each case: the geometry sent, words the message must contain, whether a repair is offered.
INVALID = {
    "self-intersecting": (BOWTIE, "crosses itself", True),
    "unclosed ring": (UNCLOSED, "not closed", True),
    "polygons that overlap": (OVERLAPPING, "overlap", True),
    "a hole outside its polygon": (HOLE_OUTSIDE, "hole lies outside", True),
    "no area": (FLAT, "no area", False),
    "too few positions": ({"type": "Polygon", "coordinates": [[[LON, LAT], [LON, LAT + 0.001],
                                                               [LON, LAT]]]},
                          "at least three different positions", False),
    "a line": ({"type": "LineString", "coordinates": [[LON, LAT], [LON, LAT + 0.001]]},
               "not a LineString", False),
    "a point": ({"type": "Point", "coordinates": [LON, LAT]}, "not a Point", False),
    "a collection": ({"type": "GeometryCollection", "geometries": [square()]},
                     "not a GeometryCollection", False),
    "a Feature where the geometry goes": (feature(), "not a Feature", False),
    "longitude out of range": ({"type": "Polygon", "coordinates": [[
        [190, 10], [191, 10], [191, 11], [190, 10]]]}, "out of range", False),
    "latitude out of range": ({"type": "Polygon", "coordinates": [[
        [10, 95], [11, 95], [11, 96], [10, 95]]]}, "out of range", False),
    "empty polygon": ({"type": "Polygon", "coordinates": []}, "empty", False),
    "empty multipolygon": ({"type": "MultiPolygon", "coordinates": []}, "empty", False),
    "a height": ({"type": "Polygon", "coordinates": [[
        [LON, LAT, 200], [LON + 0.001, LAT, 200], [LON, LAT + 0.001, 200], [LON, LAT, 200]]]},
        "without a height", False),
    "coordinates that are not numbers": ({"type": "Polygon", "coordinates": [[
        ["west", LAT], [LON, LAT], [LON, LAT + 0.001], ["west", LAT]]]},
        "list of rings", False),
    "rings not nested in a list": ({"type": "Polygon",
                                    "coordinates": square()["coordinates"][0]},
                                   "list of rings", False),
    "no coordinates": ({"type": "Polygon"}, "list of rings", False),
    "not GeoJSON": ("POLYGON((0 0, 1 0, 1 1, 0 0))", "not a GeoJSON geometry", False),
}


def nothing_was_saved():
    assert not Zone.objects.exists()
    assert not ZoneVersion.objects.exists()
    assert not LogEntry.objects.filter(kind__startswith="zone.").exists()


@pytest.mark.parametrize("case", INVALID)
def test_police_drawing_an_invalid_shape_hear_what_is_wrong_and_nothing_is_saved(
        case, alices_event, bob, api):
    geometry, words, offers_repair = INVALID[case]

    response = api(bob).post(event_zones_url(alices_event), feature(geometry))

    assert response.status_code == 400, response.json()
    messages = response.json()["geometry"]
    assert words in messages[0], messages
    assert any("repair" in m for m in messages) == offers_repair, messages
    nothing_was_saved()


@pytest.mark.parametrize("case", [c for c, (_, _, repair) in INVALID.items() if repair])
def test_the_repair_offered_is_accepted_when_sent_back(case, alices_event, bob, api):
    geometry, _words, _repair = INVALID[case]
    refused = api(bob).post(event_zones_url(alices_event), feature(geometry)).json()
    offered = json.loads(refused["geometry"][1].split("geometry: ", 1)[1])
    assert winding_problems(offered) == []  # GeoJSON offered is RFC 7946 GeoJSON too

    accepted = api(bob).post(event_zones_url(alices_event), feature(offered))

    assert accepted.status_code == 201, accepted.json()
    assert accepted.json()["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_the_repair_of_a_bow_tie_is_its_two_triangles(alices_event, bob, api):
    response = api(bob).post(event_zones_url(alices_event), feature(BOWTIE))

    offered = json.loads(response.json()["geometry"][1].split("geometry: ", 1)[1])
    assert offered["type"] == "MultiPolygon"
    assert len(offered["coordinates"]) == 2
    assert "near longitude -82.9983, latitude 39.9617" in response.json()["geometry"][0]


def test_the_repair_of_an_unclosed_ring_closes_it(alices_event, bob, api):
    response = api(bob).post(event_zones_url(alices_event), feature(UNCLOSED))

    offered = json.loads(response.json()["geometry"][1].split("geometry: ", 1)[1])
    assert offered == square()


def test_overlapping_polygons_are_offered_as_their_union(alices_event, bob, api):
    response = api(bob).post(event_zones_url(alices_event), feature(OVERLAPPING))

    offered = geos(json.loads(response.json()["geometry"][1].split("geometry: ", 1)[1]))
    assert offered.geom_type == "Polygon"
    assert offered.area == pytest.approx(geos(OVERLAPPING).unary_union.area)


def test_a_zone_has_at_most_the_configured_number_of_positions(alices_event, bob, api, settings):
    settings.PARLEY_ZONE_MAX_VERTICES = 5

    fits = api(bob).post(event_zones_url(alices_event), feature(square()))
    too_many = api(bob).post(event_zones_url(alices_event), feature({
        "type": "Polygon", "coordinates": [[
            [LON, LAT], [LON + 0.001, LAT], [LON + 0.002, LAT + 0.001], [LON + 0.001, LAT + 0.002],
            [LON, LAT + 0.001], [LON, LAT]]]}))

    assert fits.status_code == 201
    assert too_many.status_code == 400
    assert "6 positions" in too_many.json()["geometry"][0]
    assert "at most 5" in too_many.json()["geometry"][0]
    assert Zone.objects.count() == 1


def test_the_default_limit_is_five_thousand_positions(settings):
    assert settings.PARLEY_ZONE_MAX_VERTICES == 5000


def test_an_invalid_change_of_shape_is_refused_the_same_way(alices_event, bob, api):
    zone = api(bob).post(event_zones_url(alices_event), feature()).json()

    response = api(bob).patch(f"/api/v1/zones/{zone['id']}/", {"geometry": UNCLOSED})

    assert response.status_code == 400
    assert "not closed" in response.json()["geometry"][0]
    assert Zone.objects.get().version == 1


def test_a_polygon_with_a_hole_is_a_good_zone(alices_event, bob, api):
    with_hole = {"type": "Polygon", "coordinates": [
        square(size=0.003)["coordinates"][0],
        square(round(LON + 0.001, 7), round(LAT + 0.001, 7))["coordinates"][0],
    ]}

    response = api(bob).post(event_zones_url(alices_event), feature(with_hole))

    assert response.status_code == 201, response.json()
    outline, hole = with_hole["coordinates"]
    # The hole comes back clockwise, as RFC 7946 winds holes.
    assert response.json()["geometry"] == {"type": "Polygon",
                                           "coordinates": [outline, hole[::-1]]}


# --- The service checks shapes too, whoever calls it -----------------------------------------


@pytest.mark.parametrize("geometry, words", [
    (geos(BOWTIE), "crosses itself"),
    (LineString((LON, LAT), (LON, LAT + 0.001), srid=4326), "not a LineString"),
    (Polygon(((0, 0), (1000, 0), (1000, 1000), (0, 0)), srid=3857),
     "longitude and latitude (WGS 84)"),
])
def test_the_service_refuses_a_bad_shape_from_any_caller(geometry, words, alices_event, bob):
    with pytest.raises(ValidationError) as refused:
        services.create_zone(actor=bob, event=alices_event, kind="assembly", geometry=geometry)

    assert words in refused.value.message_dict["geometry"][0]
    nothing_was_saved()


def test_checks_happen_in_geos_not_in_the_database():
    # No database for this test (pytest-django refuses any query): parsing and checking a
    # shape asks the database nothing, so SpatiaLite and PostGIS can never disagree about it.
    with pytest.raises(ValidationError):
        parse_zone_geometry(BOWTIE)
    assert parse_zone_geometry(square()).srid == 4326


def test_a_french_speaking_officer_reads_the_problem_in_french(alices_event, bob, api):
    response = api(bob).post(event_zones_url(alices_event), feature(UNCLOSED),
                             HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 400
    assert response.json()["geometry"][0] == (
        "Contour : l'anneau n'est pas fermé ; sa dernière position doit être identique à la "
        "première.")
    assert response.json()["geometry"][1].startswith("Parley peut réparer la forme")
