"""Shared fixtures: the people of Parley's stories, API clients, a live ASGI server.

alice — organiser of the demonstration; bob — police liaison officer; carol — city official;
dave — reviewer; mallory — organiser of another demonstration.
"""

from __future__ import annotations

import datetime as dt
import os
from functools import partial

import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import LineString, Point
from django.utils import timezone
from rest_framework.test import APIClient

PASSWORD = "correct horse battery staple"


def make_user(username: str, role: str, **extra):
    first, _, last = extra.pop("name", username.title()).partition(" ")
    return get_user_model().objects.create_user(
        username=username, password=PASSWORD, role=role, first_name=first, last_name=last,
        email=f"{username}@example.org", **extra,
    )


@pytest.fixture(scope="session", autouse=True)
def empty_redis():
    """Start the session with an empty Redis test database (nothing left from a last run)."""
    url = os.environ.get("REDIS_URL")
    if url:
        import redis

        redis.Redis.from_url(url).flushdb()


@pytest.fixture(scope="session", autouse=True)
def flush_may_empty_the_log():
    """Transactional tests are reset with Django's ``flush``, which empties every table; the
    log's append-only triggers let that one operation through (coordination/log/guard.py)."""
    from django.db.backends.base.operations import BaseDatabaseOperations

    from coordination.log.guard import log_flush_allowed

    original = BaseDatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with log_flush_allowed(self.connection):
            original(self, sql_list)

    BaseDatabaseOperations.execute_sql_flush = execute_sql_flush
    yield
    BaseDatabaseOperations.execute_sql_flush = original


@pytest.fixture(autouse=True)
def fresh_channel_layers():
    """Each test has its own event loop; channel layers must not outlive it."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def english_unless_asked():
    """Each test starts in English: a French request in one test (the test client runs in
    this thread) must not leave the next one speaking French."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture
def alice(db):
    return make_user("alice", "organiser", name="Alice Martin")


@pytest.fixture
def bob(db):
    return make_user("bob", "police", name="Bob Officer")


@pytest.fixture
def carol(db):
    return make_user("carol", "city", name="Carol City")


@pytest.fixture
def dave(db):
    return make_user("dave", "reviewer", name="Dave Review")


@pytest.fixture
def mallory(db):
    return make_user("mallory", "organiser", name="Mallory Other")


def api_client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def api():
    """``api(user)`` → an API client authenticated as ``user`` (anonymous with no user)."""
    return api_client_for


def event_fields(**overrides) -> dict:
    """Valid registration fields for a static demonstration tomorrow in Columbus."""
    starts = timezone.now() + dt.timedelta(days=1)
    fields = {
        "title": "Save the library",
        "kind": "static",
        "organisation": "Friends of the Library",
        "description": "A peaceful gathering.",
        "expected_attendance": 200,
        "stewards": 10,
        "starts_at": starts,
        "ends_at": starts + dt.timedelta(hours=2),
        "assembly_point": Point(-82.9988, 39.9612, srid=4326),
        "amplified_sound": False,
        "languages": ["en", "es"],
        "contact_name": "Alice Martin",
        "contact_phone": "+1 614 555 0100",
        "contact_email": "alice@example.org",
    }
    fields.update(overrides)
    return fields


def march_fields(**overrides) -> dict:
    route = LineString((-82.9988, 39.9612), (-82.9990, 39.9650), (-83.0010, 39.9680), srid=4326)
    return event_fields(kind="march", title="March for the river", route=route,
                        dispersal_point=Point(-83.0010, 39.9680, srid=4326), **overrides)


@pytest.fixture
def alices_event(alice, bob, carol):
    """Alice's demonstration, submitted, with Bob (police) and Carol (city) as members."""
    from events import services

    event = services.register_event(organiser=alice, **event_fields())
    services.transition_event(event, to="submitted", actor=alice)
    services.add_member(event, username="bob", actor=carol)
    services.add_member(event, username="carol", actor=carol)
    event.refresh_from_db()
    return event


def _set_up_forked_server(set_database_connection) -> None:
    """Run in the live server's process, forked from this one, before it serves.

    A fork keeps asgiref's one-thread executor but not its thread: had an in-process test
    already used it, every ``sync_to_async`` call of the server would wait forever for a
    thread that does not exist there (its WebSocket handshakes never answered).
    """
    from concurrent.futures import ThreadPoolExecutor

    from asgiref.sync import SyncToAsync

    SyncToAsync.single_thread_executor = ThreadPoolExecutor(max_workers=1)
    set_database_connection()


@pytest.fixture
def asgi_live_server(transactional_db):
    """Daphne serving the whole ASGI application (HTTP and WebSockets) on the test database.

    pytest-django's ``live_server`` is WSGI only; this is Channels' live-server process.
    """
    from channels.testing.live import make_application, set_database_connection
    from daphne.testing import DaphneProcess
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    process = DaphneProcess(
        "127.0.0.1",
        partial(make_application, static_wrapper=ASGIStaticFilesHandler),
        setup=partial(_set_up_forked_server, set_database_connection),
        # As scripts/run.sh and the Dockerfile start Daphne.
        kwargs={"websocket_max_message_size": 1024 * 1024},
    )
    process.start()
    try:
        while not process.ready.wait(timeout=1):
            if not process.is_alive():
                raise RuntimeError("The test server did not start.")
        yield f"http://127.0.0.1:{process.port.value}"
    finally:
        process.terminate()
        process.join(timeout=10)
