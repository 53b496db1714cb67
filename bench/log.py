"""How long it takes to verify, and to export, the after-action log of one event with 100,000
entries.

    .venv/bin/python bench/log.py                         # 100,000 entries, 5 repetitions
    .venv/bin/python bench/log.py --entries 20000 --repeat 3

It creates its own PostgreSQL database (``--database-url``, default ``parley_bench_log``) and
drops it at the end. One demonstration is registered as the application does it, then its log
is filled, in bulk, to ``--entries`` entries — messages, acknowledgements, zone changes, state
changes by a handful of people — each hash chained with ``coordination.log``'s own functions, so
the log verifies. Then each is timed ``--repeat`` times:

- verify: ``coordination.log.verify_event_log`` (what ``verify_log`` and ``/log/verify`` run);
- export CSV / JSON Lines: the whole streamed body of ``/log/export?format=csv|jsonl``
  (``review.exports``), consumed to the last byte, as the response would send it.

It prints the median and the fastest run of each, the median CPU time of this process (the
Python side, which a busy machine inflates less than wall time), the entries per second and the
size of each export.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

from harness import recreate_database, stop_on_sigterm

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgis://postgres@127.0.0.1:5432/parley_bench_log"
BATCH = 5000


def setup_django(database_url: str) -> None:
    """Django in this process on the benchmark database (no Redis: nothing is broadcast)."""
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",  # DEBUG would keep every SQL query in memory
        "SECRET_KEY": "bench-only-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
    })
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def drop_database(database_url: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    url = urlparse(database_url)
    admin = url._replace(scheme="postgresql", path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.path.lstrip("/")}" WITH (FORCE)')


def fill(entries: int) -> int:
    """One demonstration whose log has ``entries`` entries; returns its id."""
    from django.contrib.auth import get_user_model
    from django.contrib.gis.geos import Point
    from django.db import transaction
    from django.utils import timezone

    from coordination.log import canonical_json, chain_hash, format_timestamp
    from coordination.log.kinds import LogKind
    from coordination.models import LogEntry
    from coordination.parties import actor_of
    from events import services

    User = get_user_model()
    people = []
    for name, role in (("org", "organiser"), ("city", "city"), ("police1", "police"),
                       ("police2", "police"), ("city2", "city")):
        user = User(username=f"bench-{name}", role=role, first_name=name.title(),
                    last_name="Bench")
        user.set_unusable_password()
        user.save()
        people.append(user)
    starts = timezone.now() + dt.timedelta(days=1)
    event = services.register_event(
        organiser=people[0], title="Bench: a long day — « Sauvons la bibliothèque »",
        kind="static", expected_attendance=5000, starts_at=starts,
        ends_at=starts + dt.timedelta(hours=8), assembly_point=Point(-82.99, 39.96, srid=4326),
    )
    last = LogEntry.objects.get(event=event)
    seq, previous = last.seq, last.hash
    at = last.at
    actors = [actor_of(p) for p in people]
    started = time.perf_counter()
    while seq < entries:
        rows = []
        for _ in range(min(BATCH, entries - seq)):
            seq += 1
            at += dt.timedelta(milliseconds=250)
            actor = actors[seq % len(actors)]
            if seq % 10 == 0:
                kind, data = LogKind.MESSAGE_ACKNOWLEDGED, {"message": seq - 3}
            elif seq % 97 == 0:
                kind, data = LogKind.ZONE_CHANGED, {
                    "zone": seq % 7, "version": seq // 97, "label": "Cordon nord",
                    "geometry": {"type": "Polygon", "coordinates": [[
                        [-82.99, 39.96], [-82.98, 39.96], [-82.98, 39.97], [-82.99, 39.96]]]}}
            else:
                kind, data = LogKind.MESSAGE_SENT, {
                    "message": seq, "channel": "officials" if seq % 3 else "all",
                    "kind": "instruction" if seq % 11 == 0 else "message",
                    "body": f"Update {seq}: crowd moving north on High St, ~{seq % 900} people; "
                            "stewards at the corner ✊"}
            canonical = canonical_json(seq=seq, at=format_timestamp(at), actor=actor,
                                       kind=kind, data=data)
            previous = chain_hash(previous, canonical)
            rows.append(LogEntry(event_id=event.pk, seq=seq, at=at, actor=actor,
                                 actor_user_id=actor["id"], kind=kind, data=data,
                                 hash=previous))
        with transaction.atomic():
            LogEntry.objects.bulk_create(rows)
    print(f"filled {entries:,} entries in {time.perf_counter() - started:.1f} s", flush=True)
    return event.pk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    args = parser.parse_args()
    stop_on_sigterm()

    recreate_database(args.database_url)
    try:
        setup_django(args.database_url)
        event_id = fill(args.entries)

        from django.db import connection

        from coordination.log import verify_event_log
        from review import exports

        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE coordination_logentry")

        def verify() -> int:
            result = verify_event_log(event_id)
            if not result.valid or result.entries != args.entries:
                raise SystemExit(f"the bench log does not verify: {result}")
            return 0

        def export(fmt: str):
            def run() -> int:
                return sum(len(chunk) for chunk in
                           exports.in_chunks(exports.export_lines(event_id, fmt)))
            return run

        tasks = {"verify": verify, "export CSV": export("csv"),
                 "export JSON Lines": export("jsonl")}
        results: dict[str, tuple[list[float], list[float], int]] = {}
        for name, task in tasks.items():
            times, cpu = [], []
            size = 0
            for _ in range(args.repeat):
                started, started_cpu = time.perf_counter(), time.process_time()
                size = task()
                times.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
            results[name] = (times, cpu, size)
            print(f"{name}: {', '.join(f'{t:.2f}' for t in times)} s", flush=True)

        print()
        print(f"{args.entries:,} entries, {args.repeat} runs each; CPU = this process only "
              "(Python), without PostgreSQL's share")
        print()
        print("| task | median | fastest | CPU (median) | entries/s (median) | size |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, (times, cpu, size) in results.items():
            median = statistics.median(times)
            shown = f"{size / 1e6:.1f} MB" if size else "-"
            print(f"| {name} | {median:.2f} s | {min(times):.2f} s | "
                  f"{statistics.median(cpu):.2f} s | {args.entries / median:,.0f} | {shown} |")
    finally:
        drop_database(args.database_url)


if __name__ == "__main__":
    main()
