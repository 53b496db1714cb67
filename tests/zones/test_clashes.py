"""Clashes between demonstrations, and with sensitive sites, as the city sees them when it
reviews a registration (zones/conflicts.py). Distances are hand-computed on the WGS 84
ellipsoid: one degree of latitude is M·π/180 and one of longitude N·cos φ·π/180, with the
meridional radius M = a(1-e²)/(1-e² sin²φ)^1.5 and the prime vertical radius
N = a/√(1-e² sin²φ), a = 6,378,137 m, f = 1/298.257223563:

- Columbus (φ = 39.9612°): 1° of latitude = 111,033.89 m, 1° of longitude = 85,442.17 m;
- Helsinki (φ = 60.1695°): 1° of latitude = 111,415.16 m, 1° of longitude = 55,514.32 m
  (half of what it is at the equator: a check that measured in degrees would be wrong here).
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.contrib.gis.geos import LineString, Point
from django.test import override_settings

from events import services
from tests.support.accounts import log_in
from tests.support.factories import event_fields
from tests.support.zones import LAT, LON, geos, make_sensitive_site, make_zone, square
from zones.conflicts import (
    clashes_among,
    clashes_of,
    zones_by_event,
)

#: Metres per degree at Columbus and at Helsinki (see the module docstring).
COLUMBUS_M_PER_DEG_LAT = 111_033.89
COLUMBUS_M_PER_DEG_LON = 85_442.17
HELSINKI_LON, HELSINKI_LAT = 24.9525, 60.1695


def north(metres: float) -> float:
    """Degrees of latitude for ``metres`` northwards at Columbus."""
    return metres / COLUMBUS_M_PER_DEG_LAT


def east(metres: float) -> float:
    """Degrees of longitude for ``metres`` eastwards at Columbus."""
    return metres / COLUMBUS_M_PER_DEG_LON


def register(organiser, starts_at: dt.datetime, *, hours: float = 2, **overrides):
    """A demonstration registered by ``organiser`` from ``starts_at`` for ``hours``."""
    return services.register_event(organiser=organiser, **event_fields(
        starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=hours), **overrides
    ))


def march_along(organiser, starts_at: dt.datetime, *points, **overrides):
    route = LineString(*points, srid=4326)
    overrides.setdefault("title", "March")
    return register(organiser, starts_at, kind="march", route=route,
                    assembly_point=Point(*points[0], srid=4326), **overrides)


def static_at(organiser, starts_at: dt.datetime, lon: float, lat: float, **overrides):
    return register(organiser, starts_at, assembly_point=Point(lon, lat, srid=4326),
                    **overrides)


def only(clashes, event):
    found = [c for c in clashes if c.event is not None and c.event.pk == event.pk]
    assert len(found) == 1, clashes
    return found[0]


# --- other demonstrations -------------------------------------------------------------------


def test_city_sees_a_march_passing_within_150_m_of_another_as_too_close(alices_event, mallory):
    # An east-west route 150 m north of Alice's assembly point, at the same time.
    lat = LAT + north(150)
    march = march_along(mallory, alices_event.starts_at, (LON - 0.004, lat), (LON + 0.004, lat))

    clash = only(clashes_of(alices_event), march)

    assert clash.kind == "too_close"
    assert clash.distance_m == pytest.approx(150.0, abs=0.5)
    assert (clash.overlap_starts_at, clash.overlap_ends_at) == (
        alices_event.starts_at, alices_event.ends_at)
    assert not clash.counter
    # And the march's organisers' list shows Alice's demonstration the same way.
    back = only(clashes_of(march), alices_event)
    assert (back.kind, back.distance_m) == ("too_close", clash.distance_m)


def test_demonstrations_250_m_apart_do_not_clash(alices_event, mallory):
    static_at(mallory, alices_event.starts_at, LON + east(250), LAT)

    assert clashes_of(alices_event) == []


def test_a_demonstration_190_m_east_is_too_close_and_210_m_east_is_not(alices_event, mallory):
    near = static_at(mallory, alices_event.starts_at, LON + east(190), LAT)
    static_at(mallory, alices_event.starts_at, LON + east(210), LAT, title="Further")

    clashes = clashes_of(alices_event)

    assert [c.event.pk for c in clashes] == [near.pk]
    assert clashes[0].distance_m == pytest.approx(190.0, abs=0.5)


def test_the_separation_distance_is_a_setting(alices_event, mallory):
    other = static_at(mallory, alices_event.starts_at, LON + east(250), LAT)

    with override_settings(PARLEY_SEPARATION_METRES=300):
        clashes = clashes_of(alices_event)

    assert [c.event.pk for c in clashes] == [other.pk]
    assert clashes[0].distance_m == pytest.approx(250.0, abs=0.5)


def test_routes_that_cross_overlap(alice, mallory):
    starts = alice_start()
    north_south = march_along(alice, starts, (LON, LAT - 0.003), (LON, LAT + 0.003))
    east_west = march_along(mallory, starts, (LON - 0.003, LAT + 0.001),
                            (LON + 0.003, LAT + 0.001))

    clash = only(clashes_of(north_south), east_west)

    assert (clash.kind, clash.distance_m) == ("overlap", 0.0)


def test_a_march_through_another_demonstrations_zone_overlaps(alices_event, mallory, carol):
    # Carol draws a press area 400 m east of Alice's assembly point; the march, 500 m east,
    # runs through it: its own points are far, the zone is not.
    make_zone(alices_event, carol, kind="press",
              geometry=geos(square(LON + east(400), LAT - 0.0005, size=0.002)))
    x = LON + east(500)
    march = march_along(mallory, alices_event.starts_at, (x, LAT - 0.003), (x, LAT + 0.003))

    clash = only(clashes_of(alices_event), march)

    assert (clash.kind, clash.distance_m) == ("overlap", 0.0)


def test_a_zone_within_the_distance_of_another_demonstration_is_too_close(
    alices_event, mallory, carol
):
    # Mallory's demonstration is 700 m east; Alice's first-aid zone ends 100 m from it.
    other = static_at(mallory, alices_event.starts_at, LON + east(700), LAT)
    make_zone(alices_event, carol, kind="first_aid",
              geometry=geos(square(LON + east(500), LAT - 0.0005, size=east(100))))

    clash = only(clashes_of(alices_event), other)

    assert clash.kind == "too_close"
    assert clash.distance_m == pytest.approx(100.0, abs=0.5)


def test_a_withdrawn_zone_no_longer_clashes(alices_event, mallory, carol):
    from zones.services import withdraw_zone

    other = static_at(mallory, alices_event.starts_at, LON + east(700), LAT)
    zone = make_zone(alices_event, carol, kind="first_aid",
                     geometry=geos(square(LON + east(500), LAT - 0.0005, size=east(100))))
    assert clashes_of(alices_event)

    withdraw_zone(zone, actor=carol)

    assert clashes_of(alices_event) == []
    assert other.pk  # still there, now far enough


# --- near 60° latitude ----------------------------------------------------------------------


def test_near_60_degrees_north_0_003_degrees_of_longitude_are_167_m_and_too_close(alice,
                                                                                  mallory):
    starts = alice_start()
    mine = static_at(alice, starts, HELSINKI_LON, HELSINKI_LAT)
    # 0.003° * 55,514.32 m = 166.54 m: too close. (At the equator it would be 334 m.)
    close = static_at(mallory, starts, HELSINKI_LON + 0.003, HELSINKI_LAT, title="Close")
    # 0.004° * 55,514.32 m = 222.06 m: far enough.
    static_at(mallory, starts, HELSINKI_LON - 0.004, HELSINKI_LAT, title="Far enough")
    # 0.0015° * 111,415.16 m = 167.12 m north.
    northwards = static_at(mallory, starts, HELSINKI_LON, HELSINKI_LAT + 0.0015, title="North")

    clashes = clashes_of(mine)

    assert [c.event.pk for c in clashes] == [close.pk, northwards.pk]
    assert clashes[0].distance_m == pytest.approx(166.54, abs=0.2)
    assert clashes[1].distance_m == pytest.approx(167.12, abs=0.2)
    assert {c.kind for c in clashes} == {"too_close"}


def test_near_60_degrees_north_a_route_is_measured_on_the_ground(alice, mallory):
    starts = alice_start()
    mine = static_at(alice, starts, HELSINKI_LON, HELSINKI_LAT)
    # A north-south route 0.0035° of longitude east: 0.0035 * 55,514.32 = 194.30 m.
    x = HELSINKI_LON + 0.0035
    march = march_along(mallory, starts, (x, HELSINKI_LAT - 0.002), (x, HELSINKI_LAT + 0.002))

    clash = only(clashes_of(mine), march)

    assert clash.distance_m == pytest.approx(194.30, abs=0.2)


# --- time windows ---------------------------------------------------------------------------


def alice_start() -> dt.datetime:
    from django.utils import timezone

    return (timezone.now() + dt.timedelta(days=2)).replace(microsecond=0)


def test_time_windows_that_only_touch_do_not_clash(alices_event, mallory):
    # Mallory's starts exactly when Alice's ends, and another ends exactly when it starts.
    static_at(mallory, alices_event.ends_at, LON, LAT)
    static_at(mallory, alices_event.starts_at - dt.timedelta(hours=2), LON, LAT,
              title="Before")

    assert clashes_of(alices_event) == []


def test_overlapping_times_give_the_window_they_share(alices_event, mallory):
    later = static_at(mallory, alices_event.starts_at + dt.timedelta(hours=1), LON, LAT,
                      hours=3)

    clash = only(clashes_of(alices_event), later)

    assert (clash.kind, clash.distance_m) == ("overlap", 0.0)
    assert clash.overlap_starts_at == alices_event.starts_at + dt.timedelta(hours=1)
    assert clash.overlap_ends_at == alices_event.ends_at


# --- counter-demonstrations -----------------------------------------------------------------


def test_a_counter_demonstration_and_its_target_are_always_listed_together(alices_event,
                                                                           mallory):
    # 5 km away and on another day: listed all the same, both ways.
    counter = static_at(mallory, alices_event.starts_at + dt.timedelta(days=1),
                        LON + east(5000), LAT, kind="counter", counter_to=alices_event)

    clash = only(clashes_of(alices_event), counter)
    back = only(clashes_of(counter), alices_event)

    assert clash.counter and back.counter
    assert clash.kind == back.kind == "too_close"
    assert clash.distance_m == pytest.approx(5000.0, abs=1)
    assert clash.overlap_starts_at is None and clash.overlap_ends_at is None


def test_a_counter_demonstration_nearby_at_the_same_time_is_listed_once(alices_event, mallory):
    counter = static_at(mallory, alices_event.starts_at, LON + east(50), LAT,
                        kind="counter", counter_to=alices_event)

    clashes = clashes_of(alices_event)

    assert len(clashes) == 1
    assert (clashes[0].event.pk, clashes[0].counter) == (counter.pk, True)
    assert clashes[0].distance_m == pytest.approx(50.0, abs=0.5)
    assert clashes[0].overlap_starts_at == alices_event.starts_at


# --- demonstrations that no longer take place -----------------------------------------------


def test_withdrawn_and_cancelled_demonstrations_are_ignored(alices_event, mallory, carol):
    withdrawn = static_at(mallory, alices_event.starts_at, LON, LAT, title="Withdrawn")
    withdrawn = services.transition_event(withdrawn, to="withdrawn", actor=mallory,
                             note="Plans changed.")
    cancelled = static_at(mallory, alices_event.starts_at, LON, LAT, title="Cancelled")
    services.transition_event(cancelled, to="cancelled", actor=carol, note="Duplicate")
    counter = static_at(mallory, alices_event.starts_at, LON, LAT, kind="counter",
                        counter_to=alices_event, title="Withdrawn counter")
    services.transition_event(counter, to="withdrawn", actor=mallory,
                             note="Plans changed.")

    assert clashes_of(alices_event) == []
    assert clashes_of(withdrawn) == []


def test_a_withdrawn_demonstration_has_no_clashes_of_its_own(alices_event, mallory, alice):
    static_at(mallory, alices_event.starts_at, LON, LAT)
    withdrawn = services.transition_event(alices_event, to="withdrawn", actor=alice,
                             note="Plans changed.")

    assert clashes_of(withdrawn) == []


# --- sensitive sites ------------------------------------------------------------------------


def test_a_sensitive_site_inside_the_demonstrations_area_is_listed(alices_event, carol):
    site = make_sensitive_site(carol, label="City Hall annex",
                               geometry=geos(square(LON - 0.0005, LAT - 0.0005)))

    [clash] = clashes_of(alices_event)

    assert (clash.kind, clash.site.pk, clash.distance_m) == ("sensitive_site", site.pk, 0.0)
    assert clash.event is None
    assert (clash.overlap_starts_at, clash.overlap_ends_at) == (
        alices_event.starts_at, alices_event.ends_at)


def test_a_sensitive_site_150_m_from_the_route_is_listed_and_one_300_m_away_is_not(alice,
                                                                                  carol):
    starts = alice_start()
    march = march_along(alice, starts, (LON, LAT), (LON, LAT + 0.005))
    hospital = make_sensitive_site(carol, label="Hospital", geometry=geos(
        square(LON + east(150), LAT + 0.002, size=0.001)))
    make_sensitive_site(carol, label="School", geometry=geos(
        square(LON - east(300) - 0.001, LAT + 0.002, size=0.001)))

    clashes = clashes_of(march)

    assert [(c.kind, c.site.pk) for c in clashes] == [("sensitive_site", hospital.pk)]
    assert clashes[0].distance_m == pytest.approx(150.0, abs=0.5)


def test_withdrawn_or_inactive_sensitive_sites_are_ignored(alices_event, carol):
    from zones.services import withdraw_zone

    inside = geos(square(LON - 0.0005, LAT - 0.0005))
    withdraw_zone(make_sensitive_site(carol, label="Closed", geometry=inside), actor=carol)
    make_sensitive_site(carol, label="Until the day before", geometry=inside,
                        valid_to=alices_event.starts_at)
    make_sensitive_site(carol, label="From the day after", geometry=inside,
                        valid_from=alices_event.ends_at)
    partly = make_sensitive_site(carol, label="Polling station", geometry=inside,
                                 valid_from=alices_event.starts_at + dt.timedelta(hours=1),
                                 valid_to=alices_event.ends_at + dt.timedelta(days=1))

    [clash] = clashes_of(alices_event)

    assert clash.site.pk == partly.pk
    assert clash.overlap_starts_at == alices_event.starts_at + dt.timedelta(hours=1)
    assert clash.overlap_ends_at == alices_event.ends_at


# --- the index finds what a check of every pair finds ---------------------------------------


def test_the_indexed_check_finds_exactly_what_a_check_of_every_pair_finds(alice, mallory,
                                                                         carol):
    """Random demonstrations, zones and sites around Columbus and Helsinki, some straddling
    the search box's edge: the database's prefilter must lose nothing."""
    from events.models import Event
    from zones.models import Zone

    rng = random.Random(42)
    starts = alice_start()
    for i in range(60):
        lon, lat = rng.choice([(LON, LAT), (HELSINKI_LON, HELSINKI_LAT)])
        lon += rng.uniform(-0.01, 0.01)
        lat += rng.uniform(-0.006, 0.006)
        begin = starts + dt.timedelta(minutes=rng.randrange(0, 600, 30))
        if i % 3 == 0:
            end = (lon + rng.uniform(-0.005, 0.005), lat + rng.uniform(-0.003, 0.003))
            event = march_along(alice, begin, (lon, lat), end, title=f"March {i}")
        else:
            event = static_at(alice, begin, lon, lat, title=f"Static {i}")
        services.add_member(event, username=carol.username, actor=carol)
        if i % 4 == 0:
            make_zone(event, carol, kind="buffer", geometry=geos(
                square(lon + rng.uniform(-0.004, 0.004), lat + rng.uniform(-0.002, 0.002),
                       size=0.0015)))
        if i % 10 == 0:
            make_sensitive_site(carol, label=f"Site {i}", geometry=geos(
                square(lon + rng.uniform(-0.005, 0.005), lat + rng.uniform(-0.003, 0.003),
                       size=0.0005)))
    events = list(Event.objects.all())
    everyone_zones = zones_by_event(e.pk for e in events)
    sites = list(Zone.objects.filter(event__isnull=True))
    found = 0
    for event in events:
        naive = clashes_among(event, own_zones=everyone_zones[event.pk], others=events,
                              others_zones=everyone_zones, sites=sites, metres=200)
        assert clashes_of(event, metres=200) == naive
        found += len(naive)
    assert found > 20  # the story is not empty


@pytest.mark.parametrize("lat", [0.0, 39.9612, 60.1695, 75.0, -45.0])
def test_the_search_box_reaches_past_the_separation_distance_at_any_latitude(lat):
    """The database's box must hold everything within the distance, or a clash is missed."""
    import math

    from zones.conflicts import search_box

    # Degrees for 200 m on the ground, from the ellipsoid's radii (module docstring).
    a, f = 6_378_137.0, 1 / 298.257223563
    e2 = f * (2 - f)
    phi = math.radians(lat)
    w = 1 - e2 * math.sin(phi) ** 2
    deg_lat = 200 / (a * (1 - e2) / w**1.5 * math.pi / 180)
    deg_lon = 200 / (a / math.sqrt(w) * math.cos(phi) * math.pi / 180)
    place = Point(10.0, lat, srid=4326)

    box = search_box([place], 200)

    for dlon, dlat in ((deg_lon, 0), (-deg_lon, 0), (0, deg_lat), (0, -deg_lat)):
        assert box.contains(Point(10.0 + dlon, lat + dlat, srid=4326)), (dlon, dlat)
    # Generous, but not absurdly so: less than twice the distance on each side.
    _, _, east, north = box.extent
    assert east - 10.0 < 2 * deg_lon and north - lat < 2 * deg_lat


def test_a_concluded_demonstration_is_no_longer_listed_among_the_clashes(alices_event, mallory,
                                                                         carol, client):
    over = static_at(mallory, alices_event.starts_at, LON, LAT, title="Over already")
    services.transition_event(over, to="submitted", actor=mallory)
    for to in ("under_review", "agreed", "live", "concluded"):
        services.transition_event(over, to=to, actor=carol)
    still = static_at(mallory, alices_event.starts_at, LON, LAT, title="Still planned")

    assert [clash.event for clash in clashes_of(alices_event)] == [still]
    log_in(client, carol)
    page = client.get(f"/events/{alices_event.pk}/").content.decode()
    assert "Still planned" in page
    assert "Over already" not in page
