"""Fan-out of the live channel under load, beside a bare Channels broadcast.

    .venv/bin/python bench/fanout.py                      # 200 clients, 10 events, 50 msg/s, 60 s
    .venv/bin/python bench/fanout.py --duration 10 --saturation 5   # a quick look

It creates its own PostgreSQL database (``--database-url``), starts ``--workers`` Daphne
processes sharing it and Redis, connects ``--clients`` WebSocket clients spread over
``--events`` agreed events and over the workers, and runs four phases:

1. steady Parley: senders (``--senders`` per event, 1 msg/s each at the default rate) send
   ``--rate`` messages/s in total for ``--duration`` s; every client records what it receives;
2. steady bare: the same clients and rate on a bare group broadcast (no authentication, no
   persistence, ``messaging/bench.py``) on the same workers and Redis;
3. and 4. saturation: the same senders send as fast as the server answers (5 messages in
   flight each) for ``--saturation`` s, on Parley then on the bare broadcast.

It prints a table: messages sent/stored, deliveries expected/received, lost, duplicates,
deliveries/s, and commit-to-receipt latency for Parley (``sent_at`` is stamped in the
sending transaction) and send-to-receipt latency for the bare broadcast.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from harness import (
    DEFAULT_DATABASE_URL,
    DEFAULT_REDIS_URL,
    Worker,
    make_events,
    percentile,
    recreate_database,
    setup_django,
    stop_on_sigterm,
)
from websockets.asyncio.client import connect

WINDOW = 5  # messages in flight per sender at saturation


@dataclass
class Client:
    event_index: int
    user: object
    worker: Worker
    ws: object = None
    received: list = field(default_factory=list)  # (recv_time, key, latency)
    seen: set = field(default_factory=set)
    duplicates: int = 0
    in_flight: asyncio.Semaphore | None = None
    pending: set = field(default_factory=set)
    confirmed: int = 0  # `sent` frames: messages the server has stored for this sender


def parse_time(text: str) -> float:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


async def ticket_for(user) -> str:
    from messaging.services import issue_ticket

    ticket, _ = await asyncio.to_thread(issue_ticket, user=user)
    return ticket


async def open_parley(client: Client, event_id: int) -> None:
    ticket = await ticket_for(client.user)
    client.ws = await connect(f"{client.worker.ws}/ws/events/{event_id}/?ticket={ticket}",
                              proxy=None, max_queue=None, open_timeout=30)
    await client.ws.send(json.dumps({"type": "subscribe", "channel": "all", "after_seq": 0}))
    async for raw in client.ws:
        if json.loads(raw)["type"] == "subscribed":
            return


async def open_bare(client: Client) -> None:
    client.ws = await connect(f"{client.worker.ws}/ws/bench/bare/e{client.event_index}/",
                              proxy=None, max_queue=None, open_timeout=30)


async def read_parley(client: Client) -> None:
    async for raw in client.ws:
        now = time.time()
        frame = json.loads(raw)
        if frame["type"] == "message":
            key = frame["seq"]
            if key in client.seen:
                client.duplicates += 1
                continue
            client.seen.add(key)
            client.received.append((now, key, now - parse_time(frame["sent_at"])))
        elif frame["type"] == "sent":
            client.confirmed += 1
            if frame["client_id"] in client.pending:
                client.pending.discard(frame["client_id"])
                client.in_flight.release()


async def read_bare(client: Client, me: str) -> None:
    async for raw in client.ws:
        now = time.time()
        frame = json.loads(raw)
        key = (frame["s"], frame["n"])
        if key in client.seen:
            client.duplicates += 1
            continue
        client.seen.add(key)
        client.received.append((now, key, now - frame["t"]))
        if frame["s"] == me and client.in_flight is not None:
            client.in_flight.release()


def parley_frame(n: int) -> tuple[str, str]:
    client_id = str(uuid.uuid4())
    return client_id, json.dumps({"type": "send", "channel": "all", "kind": "message",
                                  "body": f"load {n}", "client_id": client_id})


async def sender(client: Client, *, bare: bool, interval: float | None, until: float,
                 me: str) -> int:
    """Send at fixed ``interval`` (steady) or as fast as answers come (interval None)."""
    sent = 0
    next_at = time.monotonic()
    client.in_flight = asyncio.Semaphore(WINDOW)
    while time.monotonic() < until:
        if interval is not None:
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        else:
            await client.in_flight.acquire()
        if bare:
            text = json.dumps({"s": me, "n": sent, "t": time.time()})
        else:
            client_id, text = parley_frame(sent)
            if interval is None:
                client.pending.add(client_id)
        await client.ws.send(text)
        sent += 1
    return sent


@dataclass
class PhaseResult:
    sent: int
    stored: int | None
    expected: int
    received: int
    duplicates: int
    per_second: float
    latencies: list[float]


async def run_phase(clients: list[Client], events, *, bare: bool, rate: float | None,
                    duration: float, senders_per_event: int, drain: float = 15) -> PhaseResult:
    from asgiref.sync import sync_to_async

    from messaging.models import Message

    for c in clients:
        c.received, c.seen, c.duplicates, c.pending, c.confirmed = [], set(), 0, set(), 0
    # Connect 20 at a time, as clients arriving over a few seconds would.
    gate = asyncio.Semaphore(20)

    async def gated(opener):
        async with gate:
            await opener

    if bare:
        await asyncio.gather(*(gated(open_bare(c)) for c in clients))
        readers = [asyncio.create_task(read_bare(c, f"{c.event_index}-{id(c)}")) for c in clients]
    else:
        await asyncio.gather(*(gated(open_parley(c, events[c.event_index].event.pk))
                               for c in clients))
        readers = [asyncio.create_task(read_parley(c)) for c in clients]
    by_event = defaultdict(list)
    for c in clients:
        by_event[c.event_index].append(c)

    def stored_per_event() -> dict[int, int]:
        return {e: Message.objects.filter(channel__event=events[e].event).count()
                for e in by_event}

    before = {} if bare else await sync_to_async(stored_per_event)()
    senders = [c for group in by_event.values() for c in group[:senders_per_event]]
    interval = len(senders) / rate if rate else None
    start = time.monotonic()
    wall_start = time.time()
    counts = await asyncio.gather(*(
        sender(c, bare=bare, interval=interval, until=start + duration,
               me=f"{c.event_index}-{id(c)}")
        for c in senders
    ))
    wall_end = time.time()
    sent_per_event = defaultdict(int)
    for c, n in zip(senders, counts, strict=True):
        sent_per_event[c.event_index] += n
    expected = sum(sent_per_event[e] * len(group) for e, group in by_event.items())
    stored = None
    deadline = time.monotonic() + drain
    if not bare:
        # Wait until the server has answered every send, so the stored count is final.
        while time.monotonic() < deadline and any(
            c.confirmed < n for c, n in zip(senders, counts, strict=True)
        ):
            await asyncio.sleep(0.05)
        after = await sync_to_async(stored_per_event)()
        stored = sum(after[e] - before[e] for e in by_event)
        expected = sum((after[e] - before[e]) * len(group) for e, group in by_event.items())
    while time.monotonic() < deadline and sum(len(c.seen) for c in clients) < expected:
        await asyncio.sleep(0.1)
    for task in readers:
        task.cancel()
    await asyncio.gather(*(c.ws.close() for c in clients), return_exceptions=True)
    received = sum(len(c.seen) for c in clients)
    in_window = sum(1 for c in clients for (t, _k, _l) in c.received
                    if wall_start <= t <= wall_end)
    latencies = [lat for c in clients for (_t, _k, lat) in c.received]
    return PhaseResult(sum(counts), stored, expected, received,
                       sum(c.duplicates for c in clients), in_window / (wall_end - wall_start),
                       latencies)


def ms(value: float) -> str:
    return f"{value * 1000:.1f} ms"


def report(args, steady: PhaseResult, bare_steady: PhaseResult, sat: PhaseResult,
           bare_sat: PhaseResult) -> None:
    def row(label, p, b, ratio=False):
        r = f"{p / b:.2f}" if ratio and b else ""
        return f"| {label:<38} | {p!s:>12} | {b!s:>12} | {r:>6} |"

    print()
    print(f"Fan-out: {args.clients} clients, {args.events} events, {args.workers} workers, "
          f"PostgreSQL + Redis; steady {args.rate} msg/s for {args.duration} s, "
          f"saturation {args.saturation} s")
    print(f"| {'measure':<38} | {'Parley':>12} | {'bare':>12} | {'ratio':>6} |")
    print(f"|{'-' * 40}|{'-' * 14}|{'-' * 14}|{'-' * 8}|")
    lost = steady.expected - steady.received
    bare_lost = bare_steady.expected - bare_steady.received
    print(row("steady: messages sent", steady.sent, bare_steady.sent))
    print(row("steady: messages stored", steady.stored, "-"))
    print(row("steady: deliveries expected", steady.expected, bare_steady.expected))
    print(row("steady: deliveries received", steady.received, bare_steady.received))
    print(row("steady: lost", lost, bare_lost))
    print(row("steady: duplicates", steady.duplicates, bare_steady.duplicates))
    print(row("steady: deliveries/s", f"{steady.per_second:.0f}",
              f"{bare_steady.per_second:.0f}"))
    for p in (50, 95, 99):
        print(row(f"steady: latency p{p}", ms(percentile(steady.latencies, p)),
                  ms(percentile(bare_steady.latencies, p))))
    print(row("saturation: messages sent", sat.sent, bare_sat.sent))
    print(row("saturation: deliveries/s", round(sat.per_second), round(bare_sat.per_second),
              ratio=True))
    print(row("saturation: lost", sat.expected - sat.received,
              bare_sat.expected - bare_sat.received))
    print(row("saturation: latency p99", ms(percentile(sat.latencies, 99)),
              ms(percentile(bare_sat.latencies, 99))))
    print()
    print("Parley latency is commit-to-receipt (sent_at is stamped inside the sending "
          "transaction); bare latency is send-to-receipt.")


async def main_async(args, workers: list[Worker], events) -> None:
    clients = []
    members = [(e, user) for e, bench_event in enumerate(events) for user in bench_event.members]
    for i, (e, user) in enumerate(members[:args.clients]):
        clients.append(Client(event_index=e, user=user, worker=workers[i % len(workers)]))
    common = {"senders_per_event": args.senders}
    steady = await run_phase(clients, events, bare=False, rate=args.rate,
                             duration=args.duration, **common)
    bare_steady = None if args.parley_only else await run_phase(
        clients, events, bare=True, rate=args.rate, duration=args.duration, **common)
    sat = await run_phase(clients, events, bare=False, rate=None, duration=args.saturation,
                          **common)
    bare_sat = None if args.parley_only else await run_phase(
        clients, events, bare=True, rate=None, duration=args.saturation, **common)
    if args.parley_only:
        bare_steady = bare_sat = PhaseResult(0, None, 0, 0, 0, 0.0, [])
    report(args, steady, bare_steady, sat, bare_sat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--events", type=int, default=10)
    parser.add_argument("--senders", type=int, default=5, help="senders per event")
    parser.add_argument("--rate", type=float, default=50, help="messages/s in total, steady")
    parser.add_argument("--duration", type=float, default=60, help="steady phase, seconds")
    parser.add_argument("--saturation", type=float, default=20, help="saturation, seconds")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--parley-only", action="store_true",
                        help="skip the bare broadcast (e.g. to profile the workers)")
    args = parser.parse_args()
    if args.clients % args.events:
        parser.error("--clients must be a multiple of --events")

    stop_on_sigterm()
    recreate_database(args.database_url)
    # The per-person limit (20 per 10 s) would cap the saturation phase: lift it here only.
    env = setup_django(args.database_url, args.redis_url,
                       PARLEY_RATE_LIMIT_MESSAGES="1000000000")
    events = make_events(args.events, args.clients // args.events)
    log_dir = Path(tempfile.mkdtemp(prefix="parley-bench-"))
    workers = [Worker(env, log_dir, i) for i in range(args.workers)]
    try:
        for worker in workers:
            worker.start()
        asyncio.run(main_async(args, workers, events))
    finally:
        for worker in workers:
            worker.stop()
        print(f"(worker logs in {log_dir})")


if __name__ == "__main__":
    main()
