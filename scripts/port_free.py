"""Can a server listen on HOST:PORT now? scripts/run.sh asks before it spends time on
migrations, to fail early and clearly when another server has the port.

    python scripts/port_free.py HOST PORT

Exit status 0 when it can; otherwise 1, with a one-line reason on stderr.

The check binds the way Daphne (Twisted) does, with ``SO_REUSEADDR``: the connections of a
server that has just stopped linger in TIME_WAIT for up to a minute, and they keep a plain
bind from succeeding, but not Daphne's. Without it, ``make run`` right after Ctrl-C would be
told the port is taken although Daphne could start at once. A server still listening there
is refused either way.
"""

from __future__ import annotations

import socket
import sys


def why_busy(host: str, port: int) -> str | None:
    """``None`` when a server could listen on ``host:port`` now; else why not."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host.strip("[]"), port))
            sock.listen(1)  # Linux checks a listener's port again here
        except OSError as error:
            return error.strerror or str(error)
    return None


def main(argv: list[str]) -> int:
    host, port = argv[0], int(argv[1])
    reason = why_busy(host, port)
    if reason is None:
        return 0
    print(f"port {port} on {host} is not free ({reason}); try: PORT={port + 1} make run",
          file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
