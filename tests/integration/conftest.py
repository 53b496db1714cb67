"""Real server processes: Daphne workers sharing the test database and a Redis server."""

from __future__ import annotations

import os
import shutil

import pytest
from django.conf import settings
from django.db import connection

from bench.harness import RedisServer, Worker


def on_postgres_and_redis() -> bool:
    return "postgis" in settings.DATABASES["default"]["ENGINE"] and bool(
        os.environ.get("REDIS_URL")
    )


def test_database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgis://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def redis_server():
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def start_workers(transactional_db, tmp_path):
    """``start_workers(n, redis_url)`` → n Daphne workers on the test database."""
    if not on_postgres_and_redis():
        pytest.skip("multi-worker tests need PostgreSQL and Redis (the second half of make test)")
    started: list[Worker] = []
    # The workers read what this process committed: make sure nothing is held open.
    connection.close()

    def start(count: int, redis_url: str | None = None, **settings_env: str) -> list[Worker]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "true",
            # Log lines reach the worker's log file as they are written, for tests that read it.
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": redis_url or os.environ["REDIS_URL"],
            # These tests are about delivery, not about the per-person rate limit.
            "PARLEY_RATE_LIMIT_MESSAGES": "100000",
            # A notification lost while Redis restarts is caught up within this.
            "PARLEY_CATCH_UP_SECONDS": "2",
            **settings_env,
        }
        for _ in range(count):
            worker = Worker(env, tmp_path, len(started))
            worker.start()
            started.append(worker)
        return started[-count:]

    yield start
    for worker in started:
        worker.stop()
