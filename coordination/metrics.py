"""Prometheus metrics of the coordination core (see messaging/metrics.py for the rest)."""

from prometheus_client import Counter

CHANNEL_LAYER_ERRORS = Counter(
    "parley_channel_layer_errors",
    "Notifications the channel layer (Redis) refused; clients catch up from the database.",
)

_channel_layer_error = CHANNEL_LAYER_ERRORS.inc


def channel_layer_error() -> None:
    """A notification could not be handed to the channel layer."""
    _channel_layer_error()
