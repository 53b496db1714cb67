"""Shared fixtures, the only place a fixture is defined for more than one file: the people
of Parley's stories, their demonstration at each stage, API clients, a live ASGI server.

alice — organiser of the demonstration; bob — police liaison officer; carol — city official;
dave — reviewer; mallory — organiser of another demonstration; erin — police officer who is
not a member of alice's demonstration; frank — city staff who is not a member either.

The functions behind them (``make_user``, ``event_fields``, ...) are in tests/support/factories.py;
the markers each folder gets are set in ``pytest_collection_modifyitems`` below.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import pytest
from django.core.cache import cache

from tests.support.factories import api_client_for, event_fields, make_user

#: Markers every test of a folder gets (pyproject.toml registers them; ``make test-fast``
#: leaves out e2e, deploy, subprocess and slow). Tests elsewhere are marked one by one.
FOLDER_MARKERS = {
    "e2e": ("e2e",),
    "deploy": ("deploy",),
    "integration": ("subprocess",),
}


def pytest_collection_modifyitems(config, items):
    """Mark tests by their folder under tests/, and every test that starts a live Daphne
    server (``asgi_live_server``) as ``subprocess``."""
    tests_dir = Path(__file__).parent
    for item in items:
        folder = Path(item.fspath).relative_to(tests_dir).parts[0]
        for name in FOLDER_MARKERS.get(folder, ()):
            item.add_marker(name)
        if "asgi_live_server" in getattr(item, "fixturenames", ()):
            item.add_marker("subprocess")


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


@pytest.fixture
def api():
    """``api(user)`` → an API client authenticated as ``user`` (anonymous with no user)."""
    return api_client_for


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


@pytest.fixture
def erin(db):
    """A police liaison officer who is not a member of alice's demonstration."""
    return make_user("erin", "police", name="Erin Beat")


@pytest.fixture
def frank(db):
    """City staff who is not a member of alice's demonstration."""
    return make_user("frank", "city", name="Frank Desk")


@pytest.fixture
def co_organisers() -> tuple[str, ...]:
    """Usernames alice brings in as co-organisers before the city agrees her demonstration
    (``agreed_event``). None here; a module whose story needs one overrides this fixture,
    e.g. ``return ("mallory",)`` with ``mallory`` requested."""
    return ()


@pytest.fixture
def agreed_event(alices_event, alice, carol, co_organisers):
    """Alice's demonstration, taken under review and agreed by carol (city), with the
    ``co_organisers`` alice brought in first."""
    from events import services

    for username in co_organisers:
        services.add_member(alices_event, username=username, actor=alice)
    services.transition_event(alices_event, to="under_review", actor=carol)
    return services.transition_event(alices_event, to="agreed", actor=carol)


@pytest.fixture
def story(alices_event, alice, bob, carol):
    """Alice's demonstration told to its end: a zone agreed by all three parties, live with
    messages, an acknowledged instruction, an incident and a key moment, then concluded
    (``tests.support.review.concluded_story``)."""
    from tests.support.review import concluded_story

    return concluded_story(alices_event, alice=alice, bob=bob, carol=carol)


@pytest.fixture
def concluded_event(alice, bob, carol):
    """A demonstration with distinctive contact details, run live and concluded — what the
    after-action report prints (``tests.support.review.reported_event``)."""
    from tests.support.review import reported_event

    return reported_event(alice=alice, bob=bob, carol=carol)


@pytest.fixture
def fresh_cache():
    """Public responses are cached under their ETag: a story that reads them starts without
    any (``pytestmark = pytest.mark.usefixtures("fresh_cache")``)."""
    cache.clear()
    yield
    cache.clear()


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


@pytest.fixture
def vapid(settings) -> str:
    """Web Push on: a fresh VAPID key configured as production would (PEM in the
    environment); its public key."""
    from push.keys import generate_private_pem, public_key

    settings.PARLEY_VAPID_PRIVATE_KEY = generate_private_pem().decode()
    settings.PARLEY_VAPID_SUBJECT = "mailto:push@parley.example.org"
    return public_key()


@pytest.fixture
def push_service():
    """A local stand-in for a browser vendor's push service (tests/support/push_service.py)."""
    from tests.support.push_service import PushService

    with PushService() as service:
        yield service
