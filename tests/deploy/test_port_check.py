"""`make run` starts again at once after Ctrl-C: its check that the port is free
(scripts/port_free.py) is not fooled by the last run's connections lingering in TIME_WAIT,
and still refuses a port where a server is listening."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bench.harness import wait_until

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "scripts" / "port_free.py"
TIME_WAIT = "06"  # the state's number in /proc/net/tcp

pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(),
                                reason="reads TCP states from Linux's /proc/net/tcp")


def check_port(port: int, host: str = "127.0.0.1") -> subprocess.CompletedProcess:
    """What scripts/run.sh runs before starting Daphne."""
    return subprocess.run([sys.executable, str(CHECK), host, str(port)], capture_output=True,
                          text=True, timeout=30, check=False)


def states_on(port: int) -> set[str]:
    """The TCP states of this machine's IPv4 sockets whose local port is ``port``."""
    states = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, _remote, state = line.split()[1:4]
        if int(local.rsplit(":", 1)[1], 16) == port:
            states.add(state)
    return states


def listening_like_daphne() -> socket.socket:
    """A server socket bound as Twisted binds Daphne's: with SO_REUSEADDR."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    return server


def test_the_port_is_free_again_as_soon_as_the_server_has_stopped():
    server = listening_like_daphne()
    port = server.getsockname()[1]
    browser = socket.create_connection(("127.0.0.1", port))
    served, _address = server.accept()
    # Ctrl-C: the server closes its connections first, so its side of each one waits in
    # TIME_WAIT (up to a minute), then stops listening.
    served.close()
    browser.close()
    server.close()
    wait_until(lambda: states_on(port) == {TIME_WAIT}, timeout=10,
               what=f"the server's side of the connection in TIME_WAIT on port {port}")
    with socket.socket() as plain, pytest.raises(OSError) as refused:
        plain.bind(("127.0.0.1", port))  # the check as it was: "port … is not free"
    assert "in use" in str(refused.value)

    result = check_port(port)

    assert result.returncode == 0, result.stderr
    assert states_on(port) == {TIME_WAIT}  # the check did not just outlast it


def test_a_port_where_a_server_is_listening_is_still_busy():
    with listening_like_daphne() as server:
        port = server.getsockname()[1]

        result = check_port(port)

    assert result.returncode == 1
    assert result.stderr.strip() == (f"port {port} on 127.0.0.1 is not free (Address already in "
                                     f"use); try: PORT={port + 1} make run")


def test_a_server_listening_on_every_address_keeps_the_loopback_port_busy():
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("0.0.0.0", 0))  # as Parley's container listens (for a moment)
        server.listen()
        port = server.getsockname()[1]

        result = check_port(port)

    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is not free" in result.stderr
