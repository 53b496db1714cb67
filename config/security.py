"""Helpers for the security settings: the Content-Security-Policy's outside sources.

Kept apart from config/settings.py so they can be tested; docs/security.md ("Hardening")
explains the policy.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_PLACEHOLDER = re.compile(r"\{[^}]*\}")


def tile_source(url: str) -> str | None:
    """The CSP source that allows a Leaflet tile URL template, e.g.
    ``https://{s}.tile.example.org/{z}/{x}/{y}.png`` → ``https://*.tile.example.org``.

    A placeholder in the host name becomes a wildcard for its label; a relative URL (tiles
    served by this site) needs no source: ``'self'`` covers it.
    """
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    host = parts.netloc.rpartition("@")[2]  # never credentials in a policy
    labels = host.split(".")
    if any(_PLACEHOLDER.search(label) for label in labels):
        # CSP allows one wildcard, as the leftmost label: {s}.a.b → *.a.b
        first_fixed = max(i for i, label in enumerate(labels) if _PLACEHOLDER.search(label)) + 1
        host = ".".join(["*", *labels[first_fixed:]])
    return f"{parts.scheme}://{host}"


def websocket_sources(allowed_hosts: list[str]) -> list[str]:
    """``wss://`` sources for this site's own host names.

    Current browsers let ``'self'`` match the page's own host over ws:/wss:, which is what the
    live channel uses; older ones (Safari before 15.4) do not, so a deployment names its hosts
    too. ``.example.org`` (a Django ALLOWED_HOSTS subdomain pattern) gives ``wss://*.example.org``
    and ``wss://example.org``; ``*`` gives nothing (no policy should allow every host).
    """
    sources: list[str] = []
    for host in allowed_hosts:
        if not host or host == "*":
            continue
        if host.startswith("."):
            sources += [f"wss://*{host}", f"wss://{host[1:]}"]
        else:
            sources.append(f"wss://{host}")
    return sources
