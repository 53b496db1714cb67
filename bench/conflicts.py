"""The clash check of one new registration among 10,000 demonstrations, with the spatial index
and without it.

    .venv/bin/python bench/conflicts.py                 # 10,000 events, 30 repetitions
    .venv/bin/python bench/conflicts.py --events 2000 --repeat 10 --explain

It creates its own PostgreSQL database (``--database-url``, default ``parley_bench_conflicts``)
and fills it, in bulk, with ``--events`` demonstrations spread over a year in a 20 km x 20 km
city around Columbus (a third of them in a 2 km x 2 km centre, where demonstrations gather):
a third are marches with a route of 1-3 km, one in five has one or two zones, a few are
withdrawn or cancelled, and ``--sites`` city-wide sensitive sites. Then one organiser
registers a march through the centre on a busy afternoon, and its clash check is timed
``--repeat`` times two ways, in the same run:

- indexed: ``zones.conflicts.clashes_of``, what the API and the review page call — time and
  bounding-box filters in the database (spatial indexes, time index), exact metres in Python;
- naive: every demonstration and zone read from the database, every pair measured in Python
  (``zones.conflicts.clashes_among`` over all of them), as a check without an index would.

Both must find the same clashes (the run stops otherwise). It prints the median and the 95th
percentile of each, and the ratio of the medians. A third line times the same check as the
organiser who registered the march is told it (``zones.selectors.clashes_as_seen_by``):
measured only against her own and the public demonstrations, their agreed zones, no site.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import statistics
import time

from harness import (
    DEFAULT_REDIS_URL,
    percentile,
    recreate_database,
    setup_django,
    stop_on_sigterm,
)

DEFAULT_DATABASE_URL = "postgis://postgres@127.0.0.1:5432/parley_bench_conflicts"
CENTRE_LON, CENTRE_LAT = -82.9988, 39.9612
M_PER_DEG_LAT = 111_034.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(CENTRE_LAT))


def offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    return lon + east_m / M_PER_DEG_LON, lat + north_m / M_PER_DEG_LAT


def random_place(rng: random.Random) -> tuple[float, float]:
    """A third in the 2 km centre, the rest anywhere in the 20 km city."""
    half = 1_000 if rng.random() < 1 / 3 else 10_000
    return offset(CENTRE_LON, CENTRE_LAT, rng.uniform(-half, half), rng.uniform(-half, half))


def random_route(rng: random.Random, start: tuple[float, float]) -> list[tuple[float, float]]:
    """A walk of 1-3 km in 3-10 legs, turning a little at each corner."""
    legs = rng.randint(3, 10)
    leg = rng.uniform(1_000, 3_000) / legs
    heading = rng.uniform(0, 2 * math.pi)
    points = [start]
    for _ in range(legs):
        heading += rng.uniform(-0.8, 0.8)
        points.append(offset(*points[-1], leg * math.cos(heading), leg * math.sin(heading)))
    return points


def square(lon: float, lat: float, side_m: float):
    from django.contrib.gis.geos import Polygon

    east, north = offset(lon, lat, side_m, side_m)
    polygon = Polygon(((lon, lat), (east, lat), (east, north), (lon, north), (lon, lat)))
    polygon.srid = 4326
    return polygon


def fill(count: int, sites: int, seed: int):
    """``count`` demonstrations over the coming year, their zones, ``sites`` sensitive sites.

    Written in bulk, straight to the tables: the benchmark measures reading, and 10,000
    registrations through the services (log entries and all) would take minutes.
    """
    from django.contrib.auth import get_user_model
    from django.contrib.gis.geos import LineString, Point
    from django.utils import timezone

    from events.models import Event
    from zones.models import Zone

    rng = random.Random(seed)
    User = get_user_model()
    organiser = User.objects.create(username="bench-organiser", role="organiser")
    city = User.objects.create(username="bench-city", role="city")
    year_start = (timezone.now() + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0,
                                                                  microsecond=0)
    states = ["submitted"] * 30 + ["under_review"] * 20 + ["agreed"] * 44 + ["withdrawn"] * 3 \
        + ["cancelled"] * 3
    events = []
    for i in range(count):
        # On the hour, between 10:00 and 19:00 (UTC, for simplicity), any day of the year.
        starts = year_start + dt.timedelta(days=rng.randrange(365), hours=rng.randint(10, 19))
        lon, lat = random_place(rng)
        march = i % 3 == 0
        route = LineString(random_route(rng, (lon, lat)), srid=4326) if march else None
        events.append(Event(
            reference=f"BENCH-{i:05d}", title=f"Bench {i}",
            kind="march" if march else rng.choice(["static", "vigil"]),
            expected_attendance=rng.randint(20, 5_000), starts_at=starts,
            ends_at=starts + dt.timedelta(hours=rng.choice([1, 2, 2, 3, 4])),
            assembly_point=Point(lon, lat, srid=4326), route=route,
            dispersal_point=Point(*route.coords[-1], srid=4326) if route else None,
            state=rng.choice(states), organiser=organiser,
        ))
    events = Event.objects.bulk_create(events, batch_size=1_000)
    zones = []
    for event in events:
        if rng.random() < 0.2:
            for _ in range(rng.randint(1, 2)):
                lon, lat = offset(event.assembly_point.x, event.assembly_point.y,
                                  rng.uniform(-300, 300), rng.uniform(-300, 300))
                zones.append(Zone(
                    event=event, kind=rng.choice(["assembly", "first_aid", "buffer", "press"]),
                    geometry=square(lon, lat, rng.uniform(30, 150)),
                    valid_from=event.starts_at, valid_to=event.ends_at, created_by=city,
                ))
    for s in range(sites):
        zones.append(Zone(event=None, kind="sensitive_site", label=f"Site {s}",
                          geometry=square(*random_place(rng), rng.uniform(50, 200)),
                          created_by=city))
    Zone.objects.bulk_create(zones, batch_size=1_000)
    return organiser, city, year_start


def new_registration(organiser, city, year_start):
    """A march through the centre, at the hour when the most demonstrations start."""
    from django.contrib.gis.geos import LineString, Point
    from django.db.models import Count

    from events import services
    from events.models import Event
    from zones import services as zone_services

    # The busiest hour of the year: a worst case for the time filter.
    busiest = (Event.objects.values("starts_at").annotate(n=Count("pk")).order_by("-n")
               .first()["starts_at"])
    start = (CENTRE_LON - 0.006, CENTRE_LAT - 0.004)
    route = [start, (CENTRE_LON, CENTRE_LAT), (CENTRE_LON + 0.006, CENTRE_LAT + 0.004)]
    event = services.register_event(
        organiser=organiser, title="New march", kind="march", expected_attendance=800,
        starts_at=busiest, ends_at=busiest + dt.timedelta(hours=3),
        assembly_point=Point(*start, srid=4326), route=LineString(route, srid=4326),
        dispersal_point=Point(*route[-1], srid=4326),
    )
    services.add_member(event, username=city.username, actor=city)
    zone_services.create_zone(actor=city, event=event, kind="assembly",
                              geometry=square(*start, 120))
    return event


def indexed_check(event):
    from zones.conflicts import clashes_of

    return clashes_of(event)


def organiser_check(event):
    """What the organiser is told: the check measured only against what she sees."""
    from zones.selectors import clashes_as_seen_by

    return clashes_as_seen_by(event.organiser, event)


def naive_check(event):
    """Every demonstration and zone, every pair measured: what a check without an index does."""
    from events.models import Event
    from zones.conflicts import clashes_among, separation_metres
    from zones.models import Zone

    events = list(Event.objects.all())
    zones: dict[int, list] = {}
    sites = []
    for zone in Zone.objects.exclude(status=Zone.Status.WITHDRAWN):
        if zone.event_id is None:
            sites.append(zone)
        else:
            zones.setdefault(zone.event_id, []).append(zone)
    return clashes_among(event, own_zones=zones.get(event.pk, []), others=events,
                         others_zones=zones, sites=sites, metres=separation_metres())


def timed(check, event, repeat: int) -> tuple[list[float], list]:
    check(event)  # warm up: caches, the projection, the database's buffers
    times, result = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        result = check(event)
        times.append((time.perf_counter() - started) * 1_000)
    return times, result


def explain(event) -> None:
    """The query plans of the indexed check's candidate queries."""
    from django.db import connection

    from zones.conflicts import clashes_of

    with connection.execute_wrapper(_explainer(connection)):
        clashes_of(event)


def _explainer(connection):
    def wrapper(execute, sql, params, many, context):
        if sql.lstrip(" (").upper().startswith("SELECT") and "EXPLAIN" not in sql:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN ANALYZE " + sql, params)
                print("\n".join(row[0] for row in cursor.fetchall()), end="\n\n")
        return execute(sql, params, many, context)

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    args = parser.parse_args()
    stop_on_sigterm()

    recreate_database(args.database_url)
    setup_django(args.database_url, args.redis_url)
    from django.db import connection

    started = time.perf_counter()
    organiser, city, year_start = fill(args.events, args.sites, args.seed)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # statistics for the planner, as autovacuum would
    print(f"filled {args.events} events and their zones in "
          f"{time.perf_counter() - started:.1f} s")
    event = new_registration(organiser, city, year_start)

    indexed_times, indexed = timed(indexed_check, event, args.repeat)
    organiser_times, told = timed(organiser_check, event, args.repeat)
    naive_times, naive = timed(naive_check, event, max(3, args.repeat // 5))
    if indexed != naive:
        raise SystemExit(f"the checks disagree:\nindexed {indexed}\nnaive   {naive}")
    if args.explain:
        explain(event)

    by_kind: dict[str, int] = {}
    for clash in indexed:
        by_kind[clash.kind] = by_kind.get(clash.kind, 0) + 1
    found = ", ".join(f"{n} {kind}" for kind, n in sorted(by_kind.items())) or "none"
    print(f"\nclash check of one new march ({event.starts_at:%Y-%m-%d %H:%M}, 3 h) among "
          f"{args.events} events: {found}\n")
    print(f"the organiser is told of {len(told)} of them (with public demonstrations)\n")
    print("| check | runs | median | p95 | min |")
    print("|---|---|---|---|---|")
    for name, times in (("indexed (clashes_of)", indexed_times),
                        ("as the organiser is told (clashes_as_seen_by)", organiser_times),
                        ("naive (every pair)", naive_times)):
        print(f"| {name} | {len(times)} | {statistics.median(times):.1f} ms | "
              f"{percentile(times, 95):.1f} ms | {min(times):.1f} ms |")
    ratio = statistics.median(naive_times) / statistics.median(indexed_times)
    print(f"\nnaive / indexed (medians): {ratio:.0f}x")


if __name__ == "__main__":
    main()
