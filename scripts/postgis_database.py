"""Make sure the PostgreSQL database that a URL names exists and has PostGIS.

    .venv/bin/python scripts/postgis_database.py [--install] postgis://USER@HOST:PORT/NAME

Used by scripts/test.sh before the PostgreSQL/PostGIS half of the suite and by .ci/run, so
that a machine whose PostgreSQL server answers needs no manual step: the database is
created when it is missing, and PostGIS is enabled in it. With ``--install``, when the
server runs on this machine and lacks the PostGIS extension, the Debian package
``postgresql-<its major version>-postgis-3`` is installed (as root, or with ``sudo -n``).

Exit status 0 when the database is ready; otherwise 1, with one line on stderr saying why
(the server does not answer, the role may not create databases, ...). What it did goes to
stdout. Nothing is ever dropped.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

#: Schemes Django's database URLs use for PostgreSQL.
POSTGRES_SCHEMES = ("postgis", "postgres", "postgresql", "pgsql")
#: Seconds to wait for the server to answer.
CONNECT_TIMEOUT = 3
#: Host names that mean "this machine" (a path is a local Unix socket too).
LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1"}


class NotReady(Exception):
    """The database cannot be made ready; the message says why, in one line."""


def conninfo_from_url(url: str) -> dict[str, str]:
    """``postgis://user:pw@host:port/name`` as libpq connection parameters."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in POSTGRES_SCHEMES:
        raise NotReady(f"not a PostgreSQL URL: {scheme}://…")
    params = conninfo_to_dict(f"postgresql://{rest}")
    if not params.get("dbname"):
        raise NotReady("the URL names no database")
    return params


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def connect(params: dict[str, str], dbname: str) -> psycopg.Connection:
    """An autocommit connection to ``dbname`` on the URL's server, as the URL's role."""
    return psycopg.connect(make_conninfo(**{**params, "dbname": dbname}),
                           connect_timeout=CONNECT_TIMEOUT, autocommit=True)


def connect_maintenance(params: dict[str, str]) -> psycopg.Connection:
    """A connection to the server's ``postgres`` database (``template1`` if that is gone),
    from which another database can be created."""
    try:
        return connect(params, "postgres")
    except psycopg.OperationalError as error:
        try:
            return connect(params, "template1")
        except psycopg.OperationalError:
            raise NotReady(f"PostgreSQL not reachable: {_first_line(error)}") from None


def postgis_available(conn: psycopg.Connection) -> bool:
    """Whether the server has the PostGIS extension's files (it may still be off)."""
    row = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
    return row.fetchone() is not None


def postgis_package(conn: psycopg.Connection) -> str:
    """The Debian package with PostGIS for this server's major version."""
    major = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000
    return f"postgresql-{major}-postgis-3"


def install_postgis(conn: psycopg.Connection, host: str) -> None:
    """Install the Debian PostGIS package matching the server's major version."""
    package = postgis_package(conn)
    hint = f"the PostGIS extension is not installed (apt-get install {package})"
    if host not in LOCAL_HOSTS and not host.startswith("/"):
        raise NotReady(f"{hint} on {host}")
    if not shutil.which("apt-get"):
        raise NotReady(hint)
    if os.geteuid() == 0:
        prefix: list[str] = []
    elif shutil.which("sudo"):
        prefix = ["sudo", "-n"]
    else:
        raise NotReady(f"{hint}: run that as root")
    print(f"    installing {package}", flush=True)
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package]):
        # A fixed command; only the package's version number comes from the server.
        if subprocess.run([*prefix, *command], env=environment,  # noqa: S603
                          check=False).returncode:
            raise NotReady(f"{hint}: installing it failed")


def ensure_database(url: str, *, install: bool = False) -> list[str]:
    """Create the URL's database if it is missing and enable PostGIS in it; return what
    was done (nothing when all was in place). Raises ``NotReady`` saying why it cannot."""
    params = conninfo_from_url(url)
    name = params["dbname"]
    done: list[str] = []
    with connect_maintenance(params) as conn:
        if not postgis_available(conn):
            if not install:
                raise NotReady("PostgreSQL answers but the PostGIS extension is not installed "
                               f"(apt-get install {postgis_package(conn)})")
            install_postgis(conn, params.get("host", ""))
            if not postgis_available(conn):
                raise NotReady("PostGIS was installed but the server does not offer it; "
                               "restart PostgreSQL")
            done.append("installed PostGIS")
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                              (name,)).fetchone()
        if not exists:
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                done.append(f"created database {name}")
            except psycopg.errors.DuplicateDatabase:
                pass  # another run created it meanwhile: just as good
            except psycopg.Error as error:
                raise NotReady(f"database {name} does not exist and cannot be created: "
                               f"{_first_line(error)}") from None
    try:
        with connect(params, name) as conn:
            if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone():
                return done
            # Another run may enable it meanwhile: just as good.
            with contextlib.suppress(psycopg.errors.UniqueViolation):
                conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            done.append(f"enabled PostGIS in {name}")
    except psycopg.Error as error:
        raise NotReady(f"database {name}: cannot enable PostGIS: {_first_line(error)}") from None
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="postgis://USER[:PASSWORD]@HOST:PORT/NAME")
    parser.add_argument("--install", action="store_true",
                        help="install the PostGIS package when a local server lacks it")
    args = parser.parse_args(argv)
    try:
        for line in ensure_database(args.url, install=args.install):
            print(f"    {line}", flush=True)
    except NotReady as reason:
        print(reason, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
