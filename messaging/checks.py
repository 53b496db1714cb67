"""System checks of the live channel's settings."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def check_bench_endpoints_off(app_configs, **kwargs) -> list[Warning]:
    """The benchmark's bare broadcast has no authentication: never in a deployment."""
    if settings.PARLEY_BENCH_ENDPOINTS:
        return [Warning(
            "PARLEY_BENCH_ENDPOINTS is on: an unauthenticated WebSocket endpoint is served.",
            hint="Unset PARLEY_BENCH_ENDPOINTS; it is for bench/fanout.py only.",
            id="parley.W001",
        )]
    return []
