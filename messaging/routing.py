"""WebSocket routes of the live channel."""

from django.conf import settings
from django.urls import path

from messaging import consumers

websocket_urlpatterns = [
    path("ws/events/<int:event_id>/", consumers.EventChannelConsumer.as_asgi()),
]

if settings.PARLEY_BENCH_ENDPOINTS:  # benchmarks only: never set in a deployment
    from messaging.bench import BareBroadcastConsumer

    websocket_urlpatterns.append(
        path("ws/bench/bare/<slug:group>/", BareBroadcastConsumer.as_asgi())
    )
