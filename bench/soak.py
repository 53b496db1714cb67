"""The live channel under faults: does every client get every message, once, in order?

    .venv/bin/python bench/soak.py                        # 100 clients, 10 events, 10,000 messages
    .venv/bin/python bench/soak.py --messages 500 --disconnects 40   # a quick look

It creates its own PostgreSQL database (``--database-url``) and runs its own redis-server on
a spare port (so that restarting it touches no one else's Redis), starts ``--workers`` Daphne
processes sharing both, and connects ``--clients`` clients spread over ``--events`` agreed
events. Per event, one client in ten is a reviewer; the others are members (the organiser,
police and city staff), each holding a WebSocket subscribed to the channels it may read
(``all``; police and city also ``officials``), resuming after any drop with ``subscribe``
``after_seq`` = the last ``seq`` it saw, as the page does.

Members send ``--messages`` messages in total at ``--rate`` messages/s: most over their
WebSocket (``send`` with a ``client_id``, sent again with the same ``client_id`` after a
reconnect until the ``sent`` answer comes), one in five over the HTTP fallback
(``POST /api/v1/events/{id}/messages/``, retried with the same ``client_id`` until 201/200).
Some are instructions: every other member acknowledges them (``ack``, again after a reconnect
until it sees its acknowledgement). Meanwhile it injects faults: ``--disconnects`` clients
dropped at random (the TCP connection aborted), one worker killed with SIGKILL and restarted,
and the Redis server stopped (its data gone) and started again.

Reviewers cannot connect to a live channel (docs/protocol.md: they see concluded events only, and
no channel): each tries once at the start and must be refused. At the end the events are
concluded and the reviewers read every event's after-action log over HTTP: one
``message.sent`` entry per stored message, one ``message.acknowledged`` per stored
acknowledgement, and the hash chain verifies.

Then it compares what every client received, per channel, with the database, prints a table
and exits with status 1 if anything was lost, skipped or duplicated, or if a resume took longer
than ``--max-resume`` seconds (default 2).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import heapq
import itertools
import json
import os
import random
import signal
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

try:
    from bench.harness import (
        RedisServer,
        Worker,
        make_events,
        percentile,
        recreate_database,
        setup_django,
        stop_on_sigterm,
    )
except ModuleNotFoundError:  # run as a script: bench/ is on the path, the project root not
    from harness import (
        RedisServer,
        Worker,
        make_events,
        percentile,
        recreate_database,
        setup_django,
        stop_on_sigterm,
    )

DEFAULT_DATABASE_URL = "postgis://postgres@127.0.0.1:5432/parley_soak"
OFFICIAL_ROLES = ("police", "city")
#: Codes of ``error`` answers after which a send is tried again (same ``client_id``).
RETRY_CODES = {"unavailable", "rate_limited"}
#: Resumes begun this many seconds after a fault count as that fault's herd in the table.
HERD_WINDOW = 10.0
#: Sends a client has on their way at once; more wait in its outbox (as the page's do).
WINDOW = 10


@dataclass
class SoakConfig:
    messages: int = 10_000
    rate: float = 100.0  # messages per second, all senders together
    disconnects: int = 500
    kill_worker: bool = True
    worker_down: float = 1.0  # seconds between SIGKILL and restart
    restart_redis: bool = True
    redis_down: float = 2.0  # seconds Redis stays down
    http_share: float = 0.2  # of the senders, those that send over HTTP
    instruction_share: float = 0.04
    officials_share: float = 0.25  # of police and city messages, those to `officials`
    drain: float = 120.0  # seconds to wait for the last answers and deliveries
    max_resume: float = 2.0
    seed: int = 1
    #: After a drop, the first attempt to reconnect waits this long (random in the range),
    #: as the page does (static/messaging/channel.js: half to all of one second). (0, 0):
    #: at once, so that every client of a killed worker comes back in the same instant.
    first_retry: tuple[float, float] = (0.5, 1.0)


@dataclass(eq=False)
class SoakClient:
    """One member's connection: receives, sends, acknowledges, resumes after any drop."""

    user: Any
    event_id: int
    workers: list[Worker]
    rng: random.Random
    first_retry: tuple[float, float] = (0.0, 0.0)
    via_http: bool = False
    token: str | None = None
    channels: tuple[str, ...] = ("all",)
    received: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    last_seq: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    outbox: dict[str, str] = field(default_factory=dict)  # client_id → frame, unanswered
    attempted: dict[str, str] = field(default_factory=dict)  # client_id → channel
    confirmed: dict[str, int] = field(default_factory=dict)  # client_id → seq answered
    refused: dict[str, str] = field(default_factory=dict)  # client_id → error code
    errors: Counter = field(default_factory=Counter)  # error frames without a client_id
    crashes: Counter = field(default_factory=Counter)  # unexpected exceptions, by message
    failed_attempts: Counter = field(default_factory=Counter)  # connections not opened, why
    acks_wanted: set[int] = field(default_factory=set)
    acks_seen: set[int] = field(default_factory=set)
    acks_over_http: int = 0  # own acknowledgements confirmed by reading the history
    ack_place: dict[int, tuple[str, int]] = field(default_factory=dict)  # id → (channel, seq)
    pool: ThreadPoolExecutor | None = None
    posting: int = 0  # HTTP sends on their way
    resumes: list[float] = field(default_factory=list)
    resumed_at: list[float] = field(default_factory=list)  # when each resume started
    offline: list[float] = field(default_factory=list)  # from a drop to subscribed again
    connections: int = 0
    ws: Any = None
    home: int = 0
    stopping: bool = False
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task | None = None
    background: set = field(default_factory=set)  # tasks kept until done

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    @property
    def pk(self) -> int:
        return self.user.pk

    @property
    def role(self) -> str:
        return self.user.role

    async def run(self, get_ticket) -> None:
        delay, dropped_at = 0.05, None
        while not self.stopping:
            worker = self.workers[self.home % len(self.workers)]
            reached = False
            try:
                ticket = await get_ticket(self.user)
                # From here on as a browser, which has its session cookie instead of a ticket.
                started = time.monotonic()
                async with connect(f"{worker.ws}/ws/events/{self.event_id}/?ticket={ticket}",
                                   # A browser waits long for a handshake: as it does.
                                   proxy=None, open_timeout=30, max_queue=None) as ws:
                    self.ws, reached = ws, True
                    self.connections += 1
                    for channel in self.channels:
                        await ws.send(json.dumps({"type": "subscribe", "channel": channel,
                                                  "after_seq": self.last_seq[channel]}))
                    subscribed: set[str] = set()
                    async for raw in ws:
                        frame = json.loads(raw)
                        if frame["type"] == "subscribed":
                            subscribed.add(frame["channel"])
                            if len(subscribed) == len(self.channels):
                                now = time.monotonic()
                                if self.connections > 1:
                                    self.resumes.append(now - started)
                                    self.resumed_at.append(started)
                                if dropped_at is not None:
                                    self.offline.append(now - dropped_at)
                                    dropped_at = None
                                delay = 0.05
                                self.ready.set()
                                await self._send_unanswered()
                                if self.connections > 1 and self.acks_wanted - self.acks_seen:
                                    # As the page does: acknowledgements given while away
                                    # are read again over HTTP.
                                    self._spawn(self.refresh_acks())
                        else:
                            await self._handle(frame)
            except asyncio.CancelledError:
                raise
            except ConnectionClosed:
                pass
            except (OSError, InvalidHandshake, InvalidStatus, TimeoutError) as exc:
                if not reached:
                    self.failed_attempts[type(exc).__name__] += 1
            except Exception as exc:  # counted and shown: never a client silently gone
                self.crashes[f"{type(exc).__name__}: {exc}"[:120]] += 1
            self.ready.clear()
            self.ws = None
            if dropped_at is None:
                dropped_at = time.monotonic()
            if self.stopping:
                break
            # As a load balancer would: a new connection goes anywhere; after a failed
            # attempt, to another worker.
            self.home = self.home + 1 if not reached else self.rng.randrange(len(self.workers))
            if not reached:
                await asyncio.sleep(delay * (0.5 + self.rng.random()))  # back-off, jittered
                delay = min(delay * 2, 1.0)
            elif self.first_retry[1] > 0:
                await asyncio.sleep(self.rng.uniform(*self.first_retry))

    async def _handle(self, frame: dict) -> None:
        kind = frame["type"]
        if kind == "message":
            channel, seq = frame["channel"], frame["seq"]
            self.received[channel].append(seq)
            self.last_seq[channel] = max(self.last_seq[channel], seq)
            if frame["kind"] in ("instruction", "alert") and frame["sender"]["id"] != self.pk:
                self.acks_wanted.add(frame["id"])
                self.ack_place[frame["id"]] = (channel, seq)
                if any(a["user"]["id"] == self.pk for a in frame.get("acks", ())):
                    self.acks_seen.add(frame["id"])
                else:
                    await self._send({"type": "ack", "message_id": frame["id"]})
        elif kind == "sent":
            if self.outbox.pop(frame["client_id"], None) is not None:
                self.confirmed[frame["client_id"]] = frame["seq"]
        elif kind == "acked":
            if frame["user"]["id"] == self.pk:
                self.acks_seen.add(frame["message_id"])
        elif kind == "error":
            client_id = frame.get("client_id")
            if client_id not in self.outbox:
                self.errors[frame["code"]] += 1
            elif frame["code"] in RETRY_CODES:
                self._spawn(self._send_again(client_id, after=0.2))
            else:
                self.refused[client_id] = frame["code"]
                del self.outbox[client_id]

    async def _send(self, frame: dict | str) -> None:
        ws = self.ws
        if ws is None or not self.ready.is_set():
            return  # sent after the next subscribe
        with contextlib.suppress(ConnectionClosed):
            await ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def _send_again(self, client_id: str, *, after: float) -> None:
        await asyncio.sleep(after)  # a moment, as the page's retry timer waits
        if client_id in self.outbox:
            await self._send(self.outbox[client_id])

    async def _send_unanswered(self) -> None:
        for text in list(self.outbox.values()):
            await self._send(text)
        await self.send_unseen_acks()

    async def send_unseen_acks(self) -> None:
        for message_id in sorted(self.acks_wanted - self.acks_seen):
            await self._send({"type": "ack", "message_id": message_id})

    async def refresh_acks(self) -> None:
        """Read the messages still awaiting this client's acknowledgement over HTTP (as the
        page does after a reconnect: an `acked` frame may have been missed meanwhile)."""
        loop = asyncio.get_running_loop()
        for channel in self.channels:
            unseen = sorted(self.ack_place[m][1] for m in self.acks_wanted - self.acks_seen
                            if self.ack_place[m][0] == channel)
            after = unseen[0] - 1 if unseen else None
            while after is not None and after < unseen[-1]:
                worker = self.workers[self.rng.randrange(len(self.workers))]
                status, frames = await loop.run_in_executor(
                    self.pool, http, "GET", f"{worker.http}/api/v1/events/{self.event_id}/"
                    f"messages/?channel={channel}&after_seq={after}&limit=500", self.token)
                if status != 200 or not frames:
                    return  # the next reconnect tries again
                for frame in frames:
                    if (frame["id"] in self.acks_wanted and frame["id"] not in self.acks_seen
                            and any(a["user"]["id"] == self.pk for a in frame["acks"])):
                        self.acks_seen.add(frame["id"])
                        self.acks_over_http += 1
                after = frames[-1]["seq"]

    @property
    def busy(self) -> bool:
        """This sender's sends on their way fill its window: the next sender's turn."""
        return len(self.outbox) + self.posting >= WINDOW

    async def submit(self, channel: str, kind: str, body: str) -> None:
        """Send over the WebSocket (now, or when connected again)."""
        client_id = str(uuid.uuid4())
        text = json.dumps({"type": "send", "channel": channel, "kind": kind, "body": body,
                           "client_id": client_id})
        self.attempted[client_id] = channel
        self.outbox[client_id] = text
        await self._send(text)

    async def post(self, channel: str, kind: str, body: str) -> None:
        """Send over HTTP, retried with the same ``client_id`` until stored or refused."""
        client_id = str(uuid.uuid4())
        self.attempted[client_id] = channel
        payload = json.dumps({"channel": channel, "kind": kind, "body": body,
                              "client_id": client_id}).encode()
        loop = asyncio.get_running_loop()
        attempt = self.rng.randrange(len(self.workers))
        while True:
            worker = self.workers[attempt % len(self.workers)]
            status, answer = await loop.run_in_executor(
                self.pool, http, "POST", f"{worker.http}/api/v1/events/{self.event_id}/messages/",
                self.token, payload)
            if status in (200, 201):
                self.confirmed[client_id] = answer["seq"]
                return
            if status is not None and 400 <= status < 500 and status != 429:
                self.refused[client_id] = str(status)
                return
            attempt += 1  # unreachable, 5xx or 429: again, elsewhere, in a moment
            await asyncio.sleep(0.2)

    async def stop(self) -> None:
        self.stopping = True
        for task in list(self.background):
            task.cancel()
        if self.ws is not None:
            await self.ws.close()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(BaseException):
                await self.task


def http(method: str, url: str, token: str | None, body: bytes | None = None
         ) -> tuple[int | None, Any]:
    """``(status, JSON)``; ``(None, None)`` if the server could not be reached."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except (OSError, ValueError):
        return None, None


async def ticket_for(user) -> str:
    from asgiref.sync import sync_to_async

    from messaging.services import issue_ticket

    ticket, _ = await sync_to_async(issue_ticket)(user=user)
    return ticket


async def refused_close_code(worker: Worker, event_id: int, user) -> int | None:
    """The close code a connection of ``user`` gets (None: it was admitted)."""
    ticket = await ticket_for(user)
    async with connect(f"{worker.ws}/ws/events/{event_id}/?ticket={ticket}", proxy=None,
                       open_timeout=10) as ws:
        try:
            await asyncio.wait_for(ws.recv(), 10)
        except ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd else None
        return None


@dataclass
class SoakResult:
    rows: list[tuple[str, Any]]
    failures: list[str]
    slowest_resume: float

    def table(self) -> str:
        width = max(len(label) for label, _ in self.rows)
        lines = [f"| {'measure':<{width}} | {'value':>12} |", f"|{'-' * (width + 2)}|{'-' * 14}|"]
        lines += [f"| {label:<{width}} | {value!s:>12} |" for label, value in self.rows]
        return "\n".join(lines)


def make_soak_parties(events, clients_per_event: int) -> tuple[list, list, dict[int, str]]:
    """For each bench event: its members (clients_per_event - 1 of them) and one reviewer;
    HTTP tokens for every one of them. Returns ``(members by event, reviewers, tokens)``."""
    from django.contrib.auth import get_user_model

    from coordination.accounts.access import issue_token

    User = get_user_model()
    members = [list(e.members[: clients_per_event - 1]) for e in events]
    reviewers = []
    for e in range(len(events)):
        reviewer = User(username=f"bench-reviewer-{e}", role="reviewer",
                        first_name="Reviewer", last_name=str(e))
        reviewer.set_unusable_password()
        reviewer.save()
        reviewers.append(reviewer)
    tokens = {user.pk: issue_token(user=user)[0]
              for user in [u for group in members for u in group] + reviewers}
    return members, reviewers, tokens


async def run_soak(config: SoakConfig, workers: list[Worker], redis: RedisServer | None,
                   events, members: list[list], reviewers: list, tokens: dict[int, str]
                   ) -> SoakResult:
    """Drive the clients and the faults against running ``workers``; compare with the
    database. ``events[i].event`` has ``members[i]``; ``reviewers[i]`` reads its log."""
    pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="soak-http")
    try:
        return await _drive(config, workers, redis, events, members, reviewers, tokens, pool)
    finally:
        # Stopped early (e.g. SIGTERM): no queued request may keep the process alive.
        pool.shutdown(wait=False, cancel_futures=True)


async def _drive(config: SoakConfig, workers: list[Worker], redis: RedisServer | None,
                 events, members: list[list], reviewers: list, tokens: dict[int, str],
                 pool: ThreadPoolExecutor) -> SoakResult:
    rng = random.Random(config.seed)
    event_ids = [e.event.pk for e in events]

    # Reviewers: no live channel for them.
    codes = await asyncio.gather(*(
        refused_close_code(workers[i % len(workers)], event_ids[i], reviewer)
        for i, reviewer in enumerate(reviewers)))
    reviewers_admitted = sum(code not in (4403, 4404) for code in codes)

    clients: list[SoakClient] = []
    for i, group in enumerate(members):
        for n, user in enumerate(group):
            clients.append(SoakClient(
                user=user, event_id=event_ids[i], workers=workers,
                rng=random.Random(rng.random()), token=tokens[user.pk],
                first_retry=config.first_retry,
                via_http=n % round(1 / config.http_share) == 1 if config.http_share else False,
                channels=("all", "officials") if user.role in OFFICIAL_ROLES else ("all",),
                home=len(clients), pool=pool))
    gate = asyncio.Semaphore(20)  # clients arrive over a few seconds, not all at once

    async def gated_ticket(user) -> str:
        async with gate:
            return await ticket_for(user)

    for c in clients:
        c.task = asyncio.create_task(c.run(gated_ticket))

    def where_are_the_offline() -> None:
        """SIGUSR1: where each client that is not connected is waiting (to debug a stall)."""
        for c in clients:
            if not c.ready.is_set() and c.task is not None:
                print(f"--- {c.user.username} (connections: {c.connections})", file=sys.stderr)
                c.task.print_stack(file=sys.stderr)

    with contextlib.suppress(NotImplementedError, RuntimeError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, where_are_the_offline)
    await asyncio.wait_for(asyncio.gather(*(c.ready.wait() for c in clients)), 60)

    lags: list[float] = []

    async def watch_lag() -> None:
        """How late this process's own event loop runs: time it adds to every measure."""
        while True:
            t0 = time.monotonic()
            await asyncio.sleep(0.05)
            lags.append(time.monotonic() - t0 - 0.05)

    lag_watcher = asyncio.create_task(watch_lag())
    load_before = os.getloadavg()[0]
    cpu_before = [w.cpu_seconds() for w in workers]
    start = time.monotonic()
    injected = Counter()
    fault_log: list[str] = []
    fault_times: dict[str, float] = {}  # fault → when it began (monotonic)

    # Faults happen when a given share of the messages has been sent (not at a given time:
    # on a busy machine the sending takes longer than planned).
    sent_so_far = 0
    milestones: list[tuple[int, int, asyncio.Event]] = []

    async def at(fraction: float) -> None:
        threshold = int(fraction * config.messages)
        if sent_so_far >= threshold:
            return
        reached = asyncio.Event()
        heapq.heappush(milestones, (threshold, id(reached), reached))
        await reached.wait()

    def count_sent() -> None:
        nonlocal sent_so_far
        sent_so_far += 1
        while milestones and milestones[0][0] <= sent_so_far:
            heapq.heappop(milestones)[2].set()

    async def progress() -> None:
        """A line every 10 s on stderr: a long run shows that it is alive."""
        while True:
            await asyncio.sleep(10)
            print(f"soak: {time.monotonic() - start:.0f} s, {sent_so_far} sent, "
                  f"{sum(len(c.confirmed) for c in clients)} answered, "
                  f"{injected['disconnects']} disconnects, "
                  f"{sum(max(0, c.connections - 1) for c in clients)} reconnections",
                  file=sys.stderr, flush=True)

    async def drops() -> None:
        for n in range(config.disconnects):
            await at(0.02 + 0.93 * n / max(1, config.disconnects))
            connected = [c for c in clients if c.ws is not None and c.ready.is_set()]
            if connected:
                rng.choice(connected).ws.transport.abort()  # as a network failure would
                injected["disconnects"] += 1

    async def kill_worker() -> None:
        await at(0.35)
        victim = workers[0]
        t0 = fault_times["the SIGKILL"] = time.monotonic()
        victim.kill()
        injected["workers killed"] += 1
        await asyncio.sleep(config.worker_down)
        await asyncio.to_thread(victim.start)  # returns once it answers /healthz
        fault_log.append(f"worker killed at {t0 - start:.1f} s, healthy again after "
                         f"{time.monotonic() - t0:.1f} s")

    async def restart_redis() -> None:
        await at(0.65)
        t0 = fault_times["the Redis restart"] = time.monotonic()
        await asyncio.to_thread(redis.restart, config.redis_down)
        injected["Redis restarts"] += 1
        fault_log.append(f"Redis stopped at {t0 - start:.1f} s, up again after "
                         f"{time.monotonic() - t0:.1f} s")

    async def send_all() -> None:
        senders = list(clients)
        rng.shuffle(senders)
        posts: set[asyncio.Task] = set()
        http_slots = asyncio.Semaphore(16)

        async def post(c: SoakClient, channel: str, kind: str, body: str) -> None:
            try:
                async with http_slots:
                    await c.post(channel, kind, body)
            finally:
                c.posting -= 1

        turn = 0
        for n in range(config.messages):
            await asyncio.sleep(max(0.0, start + n / config.rate - time.monotonic()))
            # The next sender in turn whose outbox is not full (one offline for a while
            # holds WINDOW unanswered sends: the page's outbox, too, waits for answers).
            while (c := senders[turn % len(senders)]).busy:
                turn += 1
                if turn % len(senders) == 0:
                    await asyncio.sleep(0.01)
            turn += 1
            channel = ("officials" if c.role in OFFICIAL_ROLES
                       and rng.random() < config.officials_share else "all")
            kind = "instruction" if rng.random() < config.instruction_share else "message"
            body = f"soak {n} from {c.user.username}"
            if c.via_http:
                c.posting += 1
                task = asyncio.create_task(post(c, channel, kind, body))
                posts.add(task)
                task.add_done_callback(posts.discard)
            else:
                await c.submit(channel, kind, body)
            count_sent()
        await asyncio.gather(*posts)

    faults = [asyncio.create_task(drops())]
    reporter = asyncio.create_task(progress())
    if config.kill_worker:
        faults.append(asyncio.create_task(kill_worker()))
    if config.restart_redis and redis is not None:
        faults.append(asyncio.create_task(restart_redis()))
    await send_all()
    send_seconds = time.monotonic() - start
    await asyncio.gather(*faults)

    # Drain: every send answered, every client caught up with the database, every
    # acknowledgement seen by the one who gave it.
    from asgiref.sync import sync_to_async

    from messaging.models import Acknowledgement, Message

    deadline = time.monotonic() + config.drain

    async def until(check, what: str) -> bool:
        while not check():
            if time.monotonic() > deadline:
                fault_log.append(f"drain: gave up waiting for {what}")
                return False
            await asyncio.sleep(0.1)
        return True

    await until(lambda: all(not c.outbox for c in clients), "the last `sent` answers")

    def heads() -> dict[tuple[int, str], int]:
        from django.db.models import Max

        rows = (Message.objects.filter(channel__event_id__in=event_ids)
                .values_list("channel__event_id", "channel__name").annotate(Max("seq")))
        return {(e, ch): head for e, ch, head in rows}

    head = await sync_to_async(heads)()

    def caught_up() -> bool:
        return all(c.last_seq[ch] >= head.get((c.event_id, ch), 0)
                   for c in clients for ch in c.channels)

    await until(caught_up, "every client to catch up")

    async def acks_seen() -> None:
        while any(c.acks_wanted - c.acks_seen for c in clients):
            # An `acked` frame lost while Redis was down, by a client that stayed connected:
            # the page would read it at its next reconnect; here, now.
            await asyncio.gather(*(c.refresh_acks() for c in clients
                                   if c.acks_wanted - c.acks_seen))
            for c in clients:
                await c.send_unseen_acks()  # and any that were never stored: again
            await asyncio.sleep(0.5)

    try:
        await asyncio.wait_for(acks_seen(), max(0.1, deadline - time.monotonic()))
    except TimeoutError:
        fault_log.append("drain: gave up waiting for acknowledgements to be seen")
    drain_seconds = time.monotonic() - start - send_seconds
    lag_watcher.cancel()
    reporter.cancel()
    # Worker 0 was restarted: its count starts again from its restart.
    cpu_used = [w.cpu_seconds() - (b if i else 0) for i, (w, b) in
                enumerate(zip(workers, cpu_before, strict=True))]
    load_after = os.getloadavg()[0]
    await asyncio.gather(*(c.stop() for c in clients))

    # What the database holds.
    def stored() -> tuple[dict, set, dict]:
        by_channel: dict[tuple[int, str], list[int]] = defaultdict(list)
        keys = set()
        for event_id, channel, seq, sender, client_id in (
            Message.objects.filter(channel__event_id__in=event_ids)
            .values_list("channel__event_id", "channel__name", "seq", "sender_id", "client_id")
            .order_by("seq")
        ):
            by_channel[(event_id, channel)].append(seq)
            keys.add((sender, str(client_id)))
        acks = set(Acknowledgement.objects.filter(message__channel__event_id__in=event_ids)
                   .values_list("message_id", "user_id"))
        return by_channel, keys, acks

    by_channel, stored_keys, stored_acks = await sync_to_async(stored)()
    stored_count = sum(len(s) for s in by_channel.values())
    numbering_gaps = sum(max(s) - len(set(s)) for s in by_channel.values() if s)

    attempted = sum(len(c.attempted) for c in clients)
    confirmed = sum(len(c.confirmed) for c in clients)
    over_http = sum(len(c.attempted) for c in clients if c.via_http)
    lost = sum((c.pk, cid) not in stored_keys for c in clients for cid in c.confirmed)
    unasked = len(stored_keys - {(c.pk, cid) for c in clients for cid in c.attempted})
    unanswered = sum(len(c.attempted) - len(c.confirmed) - len(c.refused) for c in clients)
    refused = sum(len(c.refused) for c in clients)
    expected = delivered = gaps = duplicates = out_of_order = 0
    for c in clients:
        for ch in c.channels:
            seqs = c.received[ch]
            wanted = set(by_channel.get((c.event_id, ch), ()))
            expected += len(wanted)
            delivered += len(set(seqs) & wanted)
            gaps += len(wanted - set(seqs))
            duplicates += len(seqs) - len(set(seqs))
            out_of_order += sum(b <= a for a, b in itertools.pairwise(seqs))
    acks_wanted = {(m, c.pk) for c in clients for m in c.acks_wanted}
    acks_lost = len(acks_wanted - stored_acks)
    acks_unseen = sum(len(c.acks_wanted - c.acks_seen) for c in clients)
    resumes = [r for c in clients for r in c.resumes]
    # Which resumes came with a herd: those begun in the 10 s after a fault.
    herds: dict[str, list[float]] = {name: [] for name in fault_times}
    alone: list[float] = []
    for c in clients:
        for began, took in zip(c.resumed_at, c.resumes, strict=True):
            herd = next((name for name, t in fault_times.items()
                         if t <= began <= t + HERD_WINDOW), None)
            (herds[herd] if herd else alone).append(took)
    offline = [o for c in clients for o in c.offline]
    slowest = max(resumes, default=0.0)

    log_problems = await reviewers_read_logs(workers, events, reviewers, tokens, by_channel,
                                             stored_acks)

    rows = [
        ("clients (members + reviewers)", f"{len(clients)} + {len(reviewers)}"),
        ("events", len(events)),
        ("workers", len(workers)),
        ("sending time (s)", f"{send_seconds:.1f}"),
        ("rate asked / achieved (msg/s)", f"{config.rate:g} / {attempted / send_seconds:.1f}"),
        ("machine load (1 min) before / after", f"{load_before:.1f} / {load_after:.1f}"),
        ("worker CPU s while sending+draining", " / ".join(f"{c:.1f}" for c in cpu_used)),
        ("drain time (s)", f"{drain_seconds:.1f}"),
        ("messages sent (distinct client_id)", attempted),
        ("  of which over HTTP", over_http),
        ("  answered `sent` / 201", confirmed),
        ("  refused (error answer)", refused),
        ("  never answered", unanswered),
        ("messages stored", stored_count),
        ("lost (answered, not stored)", lost),
        ("stored, never sent by a client", unasked),
        ("seq numbering gaps in the database", numbering_gaps),
        ("deliveries expected (stored x readers)", expected),
        ("deliveries received", delivered),
        ("gaps (stored, not delivered)", gaps),
        ("duplicates", duplicates),
        ("out of order", out_of_order),
        ("acknowledgements given", len(acks_wanted)),
        ("acknowledgements stored", len(acks_wanted & stored_acks)),
        ("lost acknowledgements", acks_lost),
        ("  confirmed to their giver over HTTP", sum(c.acks_over_http for c in clients)),
        ("  never confirmed to their giver", acks_unseen),
        ("error frames without client_id", dict(sum((c.errors for c in clients), Counter()))
         or 0),
        ("unexpected client exceptions", dict(sum((c.crashes for c in clients), Counter()))
         or 0),
        ("disconnects injected", injected["disconnects"]),
        ("workers killed (SIGKILL) and restarted", injected["workers killed"]),
        ("Redis restarts", injected["Redis restarts"]),
        ("reconnections", sum(max(0, c.connections - 1) for c in clients)),
        ("connection attempts that failed", dict(sum((c.failed_attempts for c in clients),
                                                     Counter())) or 0),
        ("resume p50 (reconnect → subscribed)", f"{percentile(resumes, 50) * 1000:.0f} ms"),
        *((f"  resumes begun {HERD_WINDOW:g} s after {name}: n, p50 / max",
           f"{len(took)}, {percentile(took, 50) * 1000:.0f} / {max(took, default=0) * 1000:.0f} ms")
          for name, took in herds.items()),
        ("  other resumes: n, p50 / p99 / max",
         f"{len(alone)}, {percentile(alone, 50) * 1000:.0f} / "
         f"{percentile(alone, 99) * 1000:.0f} / {max(alone, default=0) * 1000:.0f} ms"),
        ("resume p99", f"{percentile(resumes, 99) * 1000:.0f} ms"),
        ("slowest resume", f"{slowest * 1000:.0f} ms"),
        (f"resumes over {config.max_resume:g} s", sum(r > config.max_resume for r in resumes)),
        ("longest offline (drop → subscribed)", f"{max(offline, default=0) * 1000:.0f} ms"),
        ("soak client's own loop lag p99 / max", f"{percentile(lags, 99) * 1000:.0f} / "
                                                  f"{max(lags, default=0) * 1000:.0f} ms"),
        ("reviewers refused a live channel", f"{len(reviewers) - reviewers_admitted}"
                                              f"/{len(reviewers)}"),
        ("reviewers' log check", "; ".join(log_problems) or "ok"),
    ]
    for line in fault_log:
        rows.append(("note", line))
    failures = [name for name, bad in [
        ("lost", lost), ("never answered", unanswered), ("refused", refused),
        ("gaps", gaps), ("duplicates", duplicates), ("out of order", out_of_order),
        ("numbering gaps", numbering_gaps), ("stored, never sent", unasked),
        ("lost acknowledgements", acks_lost),
        ("reviewers admitted", reviewers_admitted), ("log check", len(log_problems)),
        (f"resume over {config.max_resume} s", slowest > config.max_resume),
        ("nothing stored", stored_count == 0),
    ] if bad]
    return SoakResult(rows=rows, failures=failures, slowest_resume=slowest)


async def reviewers_read_logs(workers, events, reviewers, tokens, by_channel,
                              stored_acks) -> list[str]:
    """Conclude the events; each reviewer reads its event's log over HTTP: one
    ``message.sent`` per stored message, one ``message.acknowledged`` per stored
    acknowledgement, and a hash chain that verifies."""
    from asgiref.sync import sync_to_async
    from django.contrib.auth import get_user_model

    from coordination.log.kinds import LogKind
    from events import services

    def conclude() -> None:
        city = get_user_model().objects.get(username="bench-city")
        for e in events:
            e.event.refresh_from_db()
            for state in ("live", "concluded"):
                services.transition_event(e.event, to=state, actor=city)

    await sync_to_async(conclude)()
    problems = []
    for e, reviewer in zip(events, reviewers, strict=True):
        base = f"{workers[-1].http}/api/v1/events/{e.event.pk}/log"
        token = tokens[reviewer.pk]
        kinds: Counter = Counter()
        after = 0
        while True:
            status, entries = await asyncio.to_thread(
                http, "GET", f"{base}/?after_seq={after}", token)
            if status != 200:
                problems.append(f"event {e.event.pk}: log answered {status}")
                break
            if not entries:
                break
            kinds.update(entry["kind"] for entry in entries)
            after = entries[-1]["seq"]
        stored = sum(len(s) for (ev, _ch), s in by_channel.items() if ev == e.event.pk)
        if kinds[LogKind.MESSAGE_SENT] != stored:
            problems.append(f"event {e.event.pk}: {kinds[LogKind.MESSAGE_SENT]} message.sent "
                            f"entries for {stored} messages")
        status, verdict = await asyncio.to_thread(http, "GET", f"{base}/verify", token)
        if status != 200 or not verdict["valid"]:
            problems.append(f"event {e.event.pk}: log does not verify ({status}, {verdict})")
        acks = kinds[LogKind.MESSAGE_ACKNOWLEDGED]
        ids = await sync_to_async(message_ids)(e.event.pk)
        ack_rows = sum(1 for m, _u in stored_acks if m in ids)
        if acks != ack_rows:
            problems.append(f"event {e.event.pk}: {acks} message.acknowledged entries for "
                            f"{ack_rows} acknowledgements")
    return problems


def message_ids(event_id: int) -> set[int]:
    from messaging.models import Message

    return set(Message.objects.filter(channel__event_id=event_id).values_list("pk", flat=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100,
                        help="in all, one in ten per event a reviewer")
    parser.add_argument("--events", type=int, default=10)
    parser.add_argument("--messages", type=int, default=SoakConfig.messages)
    parser.add_argument("--rate", type=float, default=SoakConfig.rate,
                        help="messages/s, all senders together")
    parser.add_argument("--duration", type=float,
                        help="seconds of sending (sets --rate to messages / duration)")
    parser.add_argument("--disconnects", type=int, default=SoakConfig.disconnects)
    parser.add_argument("--no-kill", action="store_true", help="no worker killed")
    parser.add_argument("--no-redis-restart", action="store_true")
    parser.add_argument("--redis-down", type=float, default=SoakConfig.redis_down)
    parser.add_argument("--http-share", type=float, default=SoakConfig.http_share)
    parser.add_argument("--max-resume", type=float, default=SoakConfig.max_resume)
    parser.add_argument("--drain", type=float, default=SoakConfig.drain,
                        help="seconds to wait, after the last send, for answers and deliveries")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--websocket-connect-timeout", type=int,
                        help="Daphne's limit for a WebSocket handshake (its default: 5 s)")
    parser.add_argument("--reconnect-at-once", action="store_true",
                        help="after a drop, reconnect at once instead of after 0.5-1 s as "
                             "the page does: the herds after a SIGKILL or a Redis restart "
                             "then arrive in the same instant")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    args = parser.parse_args()
    if args.clients % args.events or args.clients // args.events < 3:
        parser.error("--clients must be a multiple of --events, at least 3 per event")
    config = SoakConfig(messages=args.messages, rate=args.rate, disconnects=args.disconnects,
                        kill_worker=not args.no_kill, restart_redis=not args.no_redis_restart,
                        redis_down=args.redis_down, http_share=args.http_share,
                        max_resume=args.max_resume, drain=args.drain, seed=args.seed,
                        first_retry=(0.0, 0.0) if args.reconnect_at_once else (0.5, 1.0))
    if args.duration:
        config.rate = args.messages / args.duration

    stop_on_sigterm()
    redis = RedisServer()
    log_dir = Path(tempfile.mkdtemp(prefix="parley-soak-"))
    workers: list[Worker] = []
    try:
        redis.start()
        recreate_database(args.database_url)
        env = setup_django(args.database_url, redis.url,
                           # What is measured is delivery under faults, not the limit of 20
                           # messages per 10 s per person.
                           PARLEY_RATE_LIMIT_MESSAGES="1000000000")
        per_event = args.clients // args.events
        events = make_events(args.events, per_event - 1)
        members, reviewers, tokens = make_soak_parties(events, per_event)
        daphne_args = (("--websocket_connect_timeout", str(args.websocket_connect_timeout))
                       if args.websocket_connect_timeout else ())
        workers = [Worker(env, log_dir, i, daphne_args) for i in range(args.workers)]
        for worker in workers:
            worker.start()
        result = asyncio.run(run_soak(config, workers, redis, events, members, reviewers,
                                      tokens))
    finally:
        for worker in workers:
            worker.stop()
        redis.stop()
        print(f"(worker logs in {log_dir})")
    print()
    print(f"Soak: {args.clients} clients, {args.events} events, {args.workers} workers, "
          f"{config.messages} messages at {config.rate:g}/s, {config.disconnects} disconnects, "
          + ("reconnecting at once" if not config.first_retry[1] else
             f"reconnecting after {config.first_retry[0]:g}-{config.first_retry[1]:g} s"))
    print(result.table())
    print()
    if result.failures:
        print("FAILED: " + ", ".join(result.failures))
        sys.exit(1)
    print("PASSED: nothing lost, skipped or duplicated; every resume within "
          f"{config.max_resume} s")


if __name__ == "__main__":
    main()
