"""On a fresh machine whose PostgreSQL answers, `make test` makes its PostGIS database itself
(scripts/postgis_database.py, also run by .ci/run): nobody has to create it by hand first."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HELPER = ROOT / "scripts" / "postgis_database.py"
sys.path.insert(0, str(ROOT / "scripts"))
from postgis_database import connect, conninfo_from_url  # noqa: E402


def run_helper(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(HELPER), *args], capture_output=True, text=True,
                          timeout=120, check=False)


def server_url() -> str:
    """The PostgreSQL server of the PostGIS half (its DATABASE_URL)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgis://", "postgres://", "postgresql://")):
        pytest.skip("needs PostgreSQL (the PostGIS half of the suite)")
    return url


@pytest.fixture
def fresh_database_url():
    """A URL naming a database that does not exist yet on the server; dropped afterwards.
    (Never the suite's own database: other runs on this machine use it.)"""
    params = conninfo_from_url(server_url())
    name = f"parley_fresh_{uuid.uuid4().hex[:12]}"
    base = server_url().rsplit("/", 1)[0]
    yield f"{base}/{name}", params, name
    with connect(params, "postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgis_version(params: dict, name: str) -> str | None:
    with connect(params, name) as conn:
        row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
        found = row.fetchone()
    return found[0] if found else None


def test_make_test_creates_a_missing_database_with_postgis_in_it(fresh_database_url):
    url, params, name = fresh_database_url

    result = run_helper("--install", url)

    assert result.returncode == 0, result.stderr
    assert f"created database {name}" in result.stdout
    assert postgis_version(params, name)


def test_the_next_run_finds_the_database_ready_and_changes_nothing(fresh_database_url):
    url, params, name = fresh_database_url
    assert run_helper(url).returncode == 0

    again = run_helper(url)

    assert again.returncode == 0, again.stderr
    assert again.stdout == ""
    assert postgis_version(params, name)


def test_an_existing_database_without_postgis_gets_it(fresh_database_url):
    url, params, name = fresh_database_url
    with connect(params, "postgres") as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    assert postgis_version(params, name) is None

    result = run_helper(url)

    assert result.returncode == 0, result.stderr
    assert f"enabled PostGIS in {name}" in result.stdout
    assert postgis_version(params, name)


def test_a_server_that_does_not_answer_is_named_as_the_reason():
    # Nothing listens on port 1: a real refused connection.
    result = run_helper("--install", "postgis://postgres@127.0.0.1:1/parley")

    assert result.returncode == 1
    assert result.stderr.startswith("PostgreSQL not reachable:")
    assert result.stdout == ""

