"""WebSocket routes of the live channel."""

from django.urls import path

from messaging import consumers

websocket_urlpatterns = [
    path("ws/events/<int:event_id>/", consumers.EventChannelConsumer.as_asgi()),
]
