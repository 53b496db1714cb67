"""What the benchmarks share: a fresh PostgreSQL database, demo parties, Daphne workers.

Benchmarks drive real server processes on this machine (loopback only) and stop by
themselves. They never touch the development or test databases: they create their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
DAPHNE = Path(sys.executable).with_name("daphne")
DEFAULT_DATABASE_URL = "postgis://postgres@127.0.0.1:5432/parley_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"


def free_port() -> int:
    """A loopback port nothing uses now. What then listens on it (Daphne, nginx,
    redis-server, asyncio) binds with SO_REUSEADDR, so a worker killed and started again at
    once on the same port is not kept out by its old connections in TIME_WAIT."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.05)
    raise TimeoutError(f"{what} not ready within {timeout}s")


def recreate_database(database_url: str) -> None:
    """Drop and create the benchmark database, with PostGIS."""
    import psycopg

    url = urlparse(database_url)
    name = url.path.lstrip("/")
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing odd database name {name!r}")
    admin = url._replace(scheme="postgresql", path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(url._replace(scheme="postgresql").geturl(), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")


def setup_django(database_url: str, redis_url: str, **extra_env: str) -> dict[str, str]:
    """Configure Django in this process for the benchmark database; returns the worker env."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        # As in production: DEBUG would record every SQL query and slow the workers down.
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PARLEY_BENCH_ENDPOINTS": "true",
        **extra_env,
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    return env


@dataclass
class BenchEvent:
    event: object
    members: list = field(default_factory=list)


def make_events(count: int, members_per_event: int) -> list[BenchEvent]:
    """``count`` agreed events, each with its organiser and police/city members."""
    from django.contrib.auth import get_user_model
    from django.contrib.gis.geos import Point
    from django.utils import timezone

    from events import services

    User = get_user_model()

    def make_user(username: str, role: str, **names: str):
        # No password: benchmark clients connect with tickets (and hashing 200 passwords
        # would take minutes).
        user = User(username=username, role=role, **names)
        user.set_unusable_password()
        user.save()
        return user

    city = make_user("bench-city", "city")
    events = []
    starts = timezone.now() + dt.timedelta(days=1)
    for e in range(count):
        organiser = make_user(f"bench-org-{e}", "organiser", first_name="Organiser",
                              last_name=str(e))
        event = services.register_event(
            organiser=organiser, title=f"Bench event {e}", kind="static",
            expected_attendance=100, starts_at=starts, ends_at=starts + dt.timedelta(hours=2),
            assembly_point=Point(-82.99 + e * 0.01, 39.96, srid=4326),
        )
        services.transition_event(event, to="submitted", actor=organiser)
        services.transition_event(event, to="under_review", actor=city)
        services.transition_event(event, to="agreed", actor=city)
        bench_event = BenchEvent(event=event, members=[organiser])
        for m in range(members_per_event - 1):
            role = "police" if m % 2 == 0 else "city"
            user = make_user(f"bench-{e}-{m}", role, first_name=role.title(),
                             last_name=f"{e}-{m}")
            services.add_member(event, username=user.username, actor=city)
            bench_event.members.append(user)
        events.append(bench_event)
    return events


class Worker:
    """One Daphne process."""

    def __init__(self, env: dict[str, str], log_dir: Path, index: int,
                 daphne_args: tuple[str, ...] = ()) -> None:
        self.env, self.index, self.daphne_args = env, index, daphne_args
        self.port = free_port()
        self.log_path = log_dir / f"worker-{index}.log"
        self.process: subprocess.Popen | None = None

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start it (again, after ``kill()``: on the same port) and wait until it is healthy."""
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(DAPHNE), "-b", "127.0.0.1", "-p", str(self.port),
             "--websocket-max-message-size", "1048576", *self.daphne_args,
             "config.asgi:application"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            wait_until(self.healthy, timeout=60, what=f"worker {self.index}")
        except BaseException:
            self.kill()  # never leave a half-started worker behind
            raise

    def healthy(self) -> bool:
        with urllib.request.urlopen(f"{self.http}/healthz", timeout=2) as response:
            return response.status == 200

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the running process has used so far."""
        if not self.process or self.process.poll() is not None:
            return 0.0
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


class RedisServer:
    """A Redis server of one's own on a spare port, so that a benchmark or a test can stop
    and restart it without touching the Redis others on this machine use."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port),
             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        import redis

        try:
            wait_until(lambda: redis.Redis.from_url(self.url).ping(), timeout=10, what="redis")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def restart(self, down_for: float = 0.0) -> None:
        """Stop it (all its data gone: it keeps none), stay down ``down_for`` s, start it."""
        self.stop()
        time.sleep(down_for)
        self.start()


class TcpProxy:
    """A TCP relay on a spare port in front of ``target_port``, run on the caller's event
    loop; ``cut()`` drops every connection through it and refuses new ones until
    ``restore()``: a server that becomes unreachable for a moment, as a network fault would."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target_host, self.target_port = target_host, target_port
        self.port = free_port()
        self.server: asyncio.base_events.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def cut(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()

    async def restore(self) -> None:
        if self.server is None:
            await self.start()

    async def stop(self) -> None:
        await self.cut()

    async def _relay(self, client_reader: asyncio.StreamReader,
                     client_writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                self.target_host, self.target_port)
        except OSError:
            client_writer.transport.abort()
            return
        self.writers |= {client_writer, upstream_writer}

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (OSError, asyncio.CancelledError):
                pass
            finally:
                writer.transport.abort()
                self.writers.discard(writer)

        await asyncio.gather(pipe(client_reader, upstream_writer),
                             pipe(upstream_reader, client_writer))


def stop_on_sigterm() -> None:
    """Turn SIGTERM (e.g. ``timeout``) into SystemExit, so that ``finally`` stops workers."""

    def handler(signum, frame):
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, handler)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]
