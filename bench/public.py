"""The public page and its feeds with 1,000 public demonstrations: requests/s and latency.

    .venv/bin/python bench/public.py                       # 1,000 events, 6 s per line
    .venv/bin/python bench/public.py --events 200 --duration 3 --clients 2

It creates its own PostgreSQL database (``--database-url``, default ``parley_bench_public``)
and fills it, in bulk, with ``--events`` public demonstrations in a 20 km city around
Columbus, over the coming four weeks: four in five agreed, one in five live; a third are
marches with a route of 1-3 km and a dispersal point; each has one or two agreed zones
with conditions, and the log entries the public notices come from (agreed, zone agreed,
under way), hash-chained by ``coordination.log`` itself. Then it starts ``--workers``
Daphne processes on that database (DEBUG off, as in production) and, for the page and
each feed, runs ``--clients`` clients (threads, one keep-alive connection each) asking as
fast as the server answers for ``--duration`` seconds, twice:

- full: a GET (with ``Accept-Encoding: gzip``, as browsers send), answered 200 with the
  whole compressed body (after the first request the body comes from the cache under its
  ETag; the first, which builds and compresses it, is timed on its own);
- 304: a GET with the ETag of the last answer in ``If-None-Match``, answered 304 with no body
  (what a browser or the page's own script sends while nothing changed).

It prints a table: body size (plain and gzip), the build time of the first request,
requests/s, latency p50 and p99 (ms), and how many answers were not the expected status.
The clients run on the same machine as the server, so they compete with it for the CPU.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import math
import random
import tempfile
import threading
import time
from pathlib import Path

from harness import (
    DEFAULT_REDIS_URL,
    Worker,
    percentile,
    recreate_database,
    setup_django,
    stop_on_sigterm,
)

DEFAULT_DATABASE_URL = "postgis://postgres@127.0.0.1:5432/parley_bench_public"
URLS = ("/public/", "/public/events.geojson", "/public/notices.json", "/public/events.ics",
        "/public/feed.atom")
CENTRE_LON, CENTRE_LAT = -82.9988, 39.9612
M_PER_DEG_LAT = 111_034.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(CENTRE_LAT))


def offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    return lon + east_m / M_PER_DEG_LON, lat + north_m / M_PER_DEG_LAT


def square(lon: float, lat: float, side_m: float):
    from django.contrib.gis.geos import Polygon

    east, north = offset(lon, lat, side_m, side_m)
    polygon = Polygon(((lon, lat), (east, lat), (east, north), (lon, north), (lon, lat)))
    polygon.srid = 4326
    return polygon


def fill(count: int, seed: int) -> None:
    """``count`` public demonstrations with their agreed zones and notice log entries."""
    from django.contrib.auth import get_user_model
    from django.contrib.gis.geos import LineString, Point
    from django.db import transaction
    from django.utils import timezone

    from coordination.log import record_many
    from coordination.log.kinds import LogKind
    from events.models import Event
    from zones.models import Zone, ZoneVersion

    rng = random.Random(seed)
    User = get_user_model()
    organiser = User.objects.create(username="bench-organiser", role="organiser")
    city = User.objects.create(username="bench-city", role="city")
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    events = []
    for i in range(count):
        lon, lat = offset(CENTRE_LON, CENTRE_LAT, rng.uniform(-10_000, 10_000),
                          rng.uniform(-10_000, 10_000))
        march = i % 3 == 0
        route = None
        if march:
            points, heading = [(lon, lat)], rng.uniform(0, 2 * math.pi)
            for _ in range(rng.randint(3, 10)):
                heading += rng.uniform(-0.8, 0.8)
                points.append(offset(*points[-1], 250 * math.cos(heading),
                                     250 * math.sin(heading)))
            route = LineString(points, srid=4326)
        live = i % 5 == 0
        starts = (start - dt.timedelta(hours=1)) if live else \
            start + dt.timedelta(days=rng.randrange(28), hours=rng.randint(0, 9))
        events.append(Event(
            reference=f"PUB-{i:05d}", title=f"Public demonstration {i}",
            kind="march" if march else rng.choice(["static", "vigil"]),
            organisation="Bench organisation", description=f"Description {i}",
            expected_attendance=rng.randint(20, 5_000), starts_at=starts,
            ends_at=starts + dt.timedelta(hours=rng.choice([1, 2, 3])),
            assembly_point=Point(lon, lat, srid=4326), route=route,
            dispersal_point=Point(*route.coords[-1], srid=4326) if route else None,
            state="live" if live else "agreed", organiser=organiser,
            contact_name="Private", contact_phone="+1 614 555 0100",
            publish_description=i % 2 == 0,
        ))
    events = Event.objects.bulk_create(events, batch_size=500)
    zones = []
    for event in events:
        for _ in range(rng.randint(1, 2)):
            lon, lat = offset(event.assembly_point.x, event.assembly_point.y,
                              rng.uniform(-300, 300), rng.uniform(-300, 300))
            zones.append(Zone(
                event=event, kind=rng.choice(["assembly", "first_aid", "buffer", "press"]),
                conditions="Keep the lane clear for ambulances.", status="agreed",
                geometry=square(lon, lat, rng.uniform(30, 150)),
                valid_from=event.starts_at, valid_to=event.ends_at, created_by=city,
            ))
    zones = Zone.objects.bulk_create(zones, batch_size=500)
    ZoneVersion.objects.bulk_create([
        ZoneVersion(zone=z, number=1, kind=z.kind, conditions=z.conditions,
                    geometry=z.geometry, valid_from=z.valid_from, valid_to=z.valid_to,
                    created_by=city) for z in zones], batch_size=500)
    zones_of: dict[int, list] = {}
    for zone in zones:
        zones_of.setdefault(zone.event_id, []).append(zone)
    with transaction.atomic():
        for event in events:
            entries = [(city, LogKind.EVENT_TRANSITION,
                        {"from": "under_review", "to": "agreed", "note": ""})]
            entries += [(city, LogKind.ZONE_AGREED,
                         {"zone": z.pk, "version": 1, "party": "city", "status": "agreed"})
                        for z in zones_of[event.pk]]
            if event.state == "live":
                entries.append((city, LogKind.EVENT_TRANSITION,
                                {"from": "agreed", "to": "live", "note": ""}))
            record_many(event, entries)


def get(conn: http.client.HTTPConnection, path: str, etag: str | None, *, gzip: bool = True):
    headers = {"Accept-Language": "en", "Accept": "*/*"}
    if gzip:
        headers["Accept-Encoding"] = "gzip"  # as every browser sends
    if etag:
        headers["If-None-Match"] = etag
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    return response.status, response.getheader("ETag"), len(body)


def hammer(port: int, path: str, etag: str | None, clients: int, duration: float) -> dict:
    """``clients`` threads GET ``path`` as fast as answered for ``duration`` s."""
    expected = 304 if etag else 200
    latencies: list[float] = []
    wrong = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, bad = [], 0
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                status, _tag, _size = get(conn, path, etag)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                bad += 1
                continue
            mine.append((time.perf_counter() - started) * 1_000)
            bad += status != expected
        conn.close()
        with lock:
            latencies.extend(mine)
            wrong[0] += bad

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    return {"rps": len(latencies) / elapsed, "p50": percentile(latencies, 50),
            "p99": percentile(latencies, 99), "wrong": wrong[0], "n": len(latencies)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--duration", type=float, default=6.0, help="seconds per line")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    args = parser.parse_args()
    stop_on_sigterm()

    began = time.monotonic()
    recreate_database(args.database_url)
    env = setup_django(args.database_url, args.redis_url)
    env["DJANGO_SETTINGS_MODULE"] = "bench.public_settings"  # no static files manifest
    fill(args.events, args.seed)
    print(f"filled {args.events} public demonstrations in {time.monotonic() - began:.0f} s")

    workers = []
    log_dir = Path(tempfile.mkdtemp(prefix="parley-bench-public-"))
    try:
        for index in range(args.workers):
            worker = Worker(env, log_dir, index)
            worker.start()
            workers.append(worker)
        port = workers[0].port  # one address: the clients share the first worker's
        rows = []
        for path in URLS:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            started = time.perf_counter()
            status, etag, size = get(conn, path, None)
            build_ms = (time.perf_counter() - started) * 1_000
            plain = get(conn, path, None, gzip=False)[2]
            conn.close()
            assert status == 200, (path, status)
            full = hammer(port, path, None, args.clients, args.duration)
            cached = hammer(port, path, etag, args.clients, args.duration)
            rows.append((path, plain, size, build_ms, full, cached))
    finally:
        for worker in workers:
            worker.stop()

    print(f"\n{args.events} public events, {args.workers} Daphne worker(s), "
          f"{args.clients} clients, {args.duration:.0f} s per line\n")
    print(f"{'response':<24} {'body':>9} {'gzip':>8} {'first':>8} | {'full r/s':>8} {'p50':>6}"
          f" {'p99':>6} | {'304 r/s':>8} {'p50':>6} {'p99':>6} | wrong")
    for path, plain, size, build_ms, full, cached in rows:
        print(f"{path:<24} {plain / 1024:>7.0f}KB {size / 1024:>6.0f}KB {build_ms:>6.0f}ms | "
              f"{full['rps']:>8.1f} {full['p50']:>6.1f} {full['p99']:>6.1f} | "
              f"{cached['rps']:>8.1f} {cached['p50']:>6.1f} {cached['p99']:>6.1f} | "
              f"{full['wrong'] + cached['wrong']}")
    print(f"\nlatencies in ms; total run {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
