"""``ws/desk/``: tells open desks that something they show has changed.

Only metadata goes out (``{"type": "desk.changed", "event", "what"}``, sent by
``desk.news``): the page then fetches its sections again over HTTP, where every
permission is asked as usual. Police and city only; the handshake is protected as the live
channel's is (same site or a ticket: ``messaging.auth.websocket_security`` in config/asgi.py).
An open desk joins its person's group too (``user-{id}``) and, when their access is taken
back (``access.changed``), asks again and closes with 4401 or 4403.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.urls import path

from coordination.broadcast import user_group
from desk.news import DESK_GROUP

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


def desk_refusal(user) -> int | None:
    """The close code if ``user`` may not watch the desk, else None. (Sync.)"""
    if not user.is_authenticated:
        return CLOSE_UNAUTHENTICATED
    user.refresh_from_db(fields=["is_active", "role", "password"])  # as now, not at login
    if not user.is_active:
        return CLOSE_UNAUTHENTICATED
    if not user.has_perm("desk.view_desk"):
        return CLOSE_FORBIDDEN
    return None


refusal = database_sync_to_async(desk_refusal)


@database_sync_to_async
def refusal_now(scope, user, *, reason: str | None = None) -> int | None:
    """For an open desk, asked again: ``desk_refusal``, and 4401 when what opened the
    connection no longer signs the person in (``messaging.auth.credentials_hold``)."""
    from messaging.auth import credentials_hold

    code = desk_refusal(user)
    if code is None and not credentials_hold(scope, user, reason=reason):
        return CLOSE_UNAUTHENTICATED
    return code


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
        self.groups = [DESK_GROUP, user_group(self.scope["user"].pk)]
        for group in self.groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.joined = True
        await self.accept()

    async def disconnect(self, code) -> None:
        if self.joined:
            self.joined = False
            for group in self.groups:
                await self.channel_layer.group_discard(group, self.channel_name)

    async def access_changed(self, message: dict) -> None:
        """The person's access was taken back somewhere (``coordination.access``): ask
        again, and close if they may no longer watch the desk."""
        user = self.scope["user"]
        if not self.joined or message.get("user") not in (None, user.pk):
            return
        code = await refusal_now(self.scope, user, reason=message.get("reason"))
        if code is not None:
            self.joined = False
            for group in self.groups:
                await self.channel_layer.group_discard(group, self.channel_name)
            await self.close(code=code)

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
