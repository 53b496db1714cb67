"""``ws/desk/``: tells open desks that something they show has changed.

Only metadata goes out (``{"type": "desk.changed", "event", "what"}``, sent by
``desk.news``): the page then fetches its sections again over HTTP, where every
permission is asked as usual. Police and city only; the handshake is protected as the live
channel's is (same site or a ticket: ``messaging.auth.websocket_security`` in config/asgi.py).
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.urls import path

from desk.news import DESK_GROUP

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


@database_sync_to_async
def refusal(user) -> int | None:
    """The close code if ``user`` may not watch the desk, else None."""
    if not user.is_authenticated:
        return CLOSE_UNAUTHENTICATED
    user.refresh_from_db(fields=["is_active", "role"])  # as it is now, not at login
    if not user.is_active:
        return CLOSE_UNAUTHENTICATED
    if not user.has_perm("desk.view_desk"):
        return CLOSE_FORBIDDEN
    return None


class DeskConsumer(AsyncJsonWebsocketConsumer):
    """One open desk page."""

    async def connect(self) -> None:
        self.joined = False
        code = await refusal(self.scope["user"])
        if code is not None:
            # Accept, then close at once with our code and no data, as the live channel does.
            await self.accept()
            await self.close(code=code)
            return
        await self.channel_layer.group_add(DESK_GROUP, self.channel_name)
        self.joined = True
        await self.accept()

    async def disconnect(self, code) -> None:
        if self.joined:
            self.joined = False
            await self.channel_layer.group_discard(DESK_GROUP, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        if self.joined and isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def decode_json(self, text_data):
        try:
            return await super().decode_json(text_data)
        except (ValueError, RecursionError):
            return None  # not JSON, or nested too deeply to parse: ignored

    async def desk_changed(self, message: dict) -> None:
        """Relay the notice, field by field: nothing else may ever leak through."""
        await self.send_json({"type": "desk.changed", "event": message.get("event"),
                              "what": message.get("what")})


#: Routed in config/asgi.py, behind the same security as the live channel.
websocket_urlpatterns = [path("ws/desk/", DeskConsumer.as_asgi())]
