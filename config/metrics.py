"""``/metrics``: this worker's Prometheus metrics, for the monitoring system only.

Served by a middleware at the top of the stack, before the host check and the HTTPS
redirect: Prometheus scrapes each worker directly by its internal address
(``http://app-1:8000/metrics``), which is neither an allowed host nor HTTPS. Who may read it:

- a request bearing ``Authorization: Bearer <PARLEY_METRICS_TOKEN>`` (when that is set), or
- a direct connection from an address in ``PARLEY_METRICS_ALLOWED_IPS`` (addresses or
  networks; default the loopback). "Direct" means without ``X-Forwarded-For``: through the
  reverse proxy Daphne takes the client's address from that header, which the client can
  forge, so proxied requests are never let in by address.

Everyone else gets a plain 404, as if there were nothing here. nginx does not pass
``/metrics`` on either (deploy/nginx/parley.conf).
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable
from functools import cache

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpResponse, HttpResponseNotFound
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Gauge, generate_latest

# The live channel's metrics are registered with the first request (before any WebSocket
# connects), so each series exists from the start at 0: rate() and alerts need that.
import messaging.metrics  # noqa: F401

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

HEALTH_OK = Gauge(
    "parley_health_check_ok",
    "1 if the part worked at this worker's last /healthz, else 0.", ["part"],
)
HEALTH_CHECKED = Gauge(
    "parley_health_check_timestamp_seconds", "When this worker last answered /healthz."
)


def health_checked(result: dict[str, str]) -> None:
    """Record a /healthz answer (``{"database": "ok", ...}``): the container's health check
    calls it every 15 s, so Prometheus sees what the orchestrator sees."""
    for part, outcome in result.items():
        HEALTH_OK.labels(part).set(1 if outcome == "ok" else 0)
    HEALTH_CHECKED.set_to_current_time()


@cache
def _allowed_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False)
                 for entry in entries if entry.strip())


def may_read_metrics(request) -> bool:
    """Whether ``request`` may read the metrics (see the module's docstring)."""
    token = settings.PARLEY_METRICS_TOKEN
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(),
                                                              token.encode()):
            return True
    if "X-Forwarded-For" in request.headers:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    networks = _allowed_networks(tuple(settings.PARLEY_METRICS_ALLOWED_IPS))
    return any(address in network for network in networks)


def metrics_response(request) -> HttpResponse:
    """The metrics in Prometheus's text format, or 404 for those who may not read them."""
    if request.method not in ("GET", "HEAD") or not may_read_metrics(request):
        return HttpResponseNotFound("Not found.", content_type="text/plain")
    response = HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response


class MetricsEndpointMiddleware:
    """Answers ``settings.PARLEY_METRICS_PATH`` itself; passes everything else on."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response
        self.path = settings.PARLEY_METRICS_PATH
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self._acall(request)
        if request.path == self.path:
            return metrics_response(request)
        return self.get_response(request)

    async def _acall(self, request):
        if request.path == self.path:
            return metrics_response(request)
        return await self.get_response(request)
