"""Prometheus metrics of the live channel (scraped from each worker's ``/metrics``).

Each Daphne worker is its own process with its own counts; Prometheus scrapes every worker
and sums them (docs/operations.md). The metric objects are made once, at import; the
functions below only add to them (no allocation per call), and work whether or not anything
ever scrapes them.

Rates come from Prometheus: ``rate(parley_messages_stored_total[1m])`` is messages stored
per second.
"""

from prometheus_client import REGISTRY, Counter, Gauge
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

WEBSOCKET_CONNECTIONS = Gauge(
    "parley_websocket_connections", "WebSocket connections open now on this worker."
)
WEBSOCKET_CONNECTIONS_OPENED = Counter(
    "parley_websocket_connections_opened", "WebSocket connections accepted by this worker."
)
MESSAGES_STORED = Counter(
    "parley_messages_stored", "Live messages stored (WebSocket and HTTP fallback)."
)
RESUMES = Counter(
    "parley_resumes", "Subscriptions that resumed from a sequence number (after_seq > 0)."
)


class _Tally:
    """A count kept as a plain number, for the hottest path (every frame to every client):
    ``+=`` on it costs a fraction of a locked ``Counter.inc()``. Only the server's event loop
    adds to it, so it needs no lock; it is read when Prometheus scrapes."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


class _TallyCollector(Collector):
    """Shows a ``_Tally`` to Prometheus as a counter."""

    def __init__(self, name: str, documentation: str, tally: _Tally) -> None:
        self.name, self.documentation, self.tally = name, documentation, tally

    def describe(self) -> list[CounterMetricFamily]:
        return [CounterMetricFamily(self.name, self.documentation)]

    def collect(self) -> list[CounterMetricFamily]:
        family = CounterMetricFamily(self.name, self.documentation)
        family.add_metric([], self.tally.value)
        return [family]


_delivered = _Tally()
REGISTRY.register(_TallyCollector(
    "parley_messages_delivered", "Message frames sent to clients (live, replayed or caught up).",
    _delivered,
))

_opened = WEBSOCKET_CONNECTIONS_OPENED.inc
_open_inc = WEBSOCKET_CONNECTIONS.inc
_open_dec = WEBSOCKET_CONNECTIONS.dec
_stored = MESSAGES_STORED.inc
_resumed = RESUMES.inc


def connection_opened() -> None:
    """A WebSocket connection was accepted (config.observability.ConnectionContext)."""
    _open_inc()
    _opened()


def connection_closed() -> None:
    """An accepted WebSocket connection ended."""
    _open_dec()


def message_stored(n: int = 1) -> None:
    """``n`` messages were stored (callable from any thread)."""
    _stored(n)


def message_delivered(n: int = 1) -> None:
    """``n`` message frames were sent to a client. Call it on the server's event loop (the
    consumers do), not from database threads."""
    _delivered.value += n


def resumed() -> None:
    """A client subscribed with ``after_seq > 0``: it resumes where it was."""
    _resumed()
