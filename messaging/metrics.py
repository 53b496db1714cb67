"""Prometheus metrics of the live channel (scraped from each worker's ``/metrics``).

Each Daphne worker is its own process with its own counts; Prometheus scrapes every worker
and sums them (docs/operations.md). The metric objects are made once, at import; the
functions below only add to them (no allocation per call), and work whether or not anything
ever scrapes them.

Rates come from Prometheus: ``rate(parley_messages_stored_total[1m])`` is messages stored
per second.
"""

from prometheus_client import Counter, Gauge

WEBSOCKET_CONNECTIONS = Gauge(
    "parley_websocket_connections", "WebSocket connections open now on this worker."
)
WEBSOCKET_CONNECTIONS_OPENED = Counter(
    "parley_websocket_connections_opened", "WebSocket connections accepted by this worker."
)
MESSAGES_STORED = Counter(
    "parley_messages_stored", "Live messages stored (WebSocket and HTTP fallback)."
)
MESSAGES_DELIVERED = Counter(
    "parley_messages_delivered", "Message frames sent to clients (live, replayed or caught up)."
)
RESUMES = Counter(
    "parley_resumes", "Subscriptions that resumed from a sequence number (after_seq > 0)."
)

_opened = WEBSOCKET_CONNECTIONS_OPENED.inc
_open_inc = WEBSOCKET_CONNECTIONS.inc
_open_dec = WEBSOCKET_CONNECTIONS.dec
_stored = MESSAGES_STORED.inc
_delivered = MESSAGES_DELIVERED.inc
_resumed = RESUMES.inc


def connection_opened() -> None:
    """A WebSocket connection was accepted (config.observability.ConnectionContext)."""
    _open_inc()
    _opened()


def connection_closed() -> None:
    """An accepted WebSocket connection ended."""
    _open_dec()


def message_stored(n: int = 1) -> None:
    """``n`` messages were stored."""
    _stored(n)


def message_delivered(n: int = 1) -> None:
    """``n`` message frames were sent to a client."""
    _delivered(n)


def resumed() -> None:
    """A client subscribed with ``after_seq > 0``: it resumes where it was."""
    _resumed()
