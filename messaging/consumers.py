"""The live channel of an event (CONTRACT.md, "The live channel").

Only the handshake is here so far: who may connect. The protocol comes with the live-channel
issue.
"""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.http import Http404

from coordination.broadcast import event_group
from events.selectors import get_event_for

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_MEMBER = 4403
CLOSE_NO_SUCH_EVENT = 4404


@database_sync_to_async
def _admission(user, event_id: int) -> int | None:
    """None if ``user`` may join the event's channel, else the close code."""
    if not user.is_authenticated or not user.is_active:
        return CLOSE_UNAUTHENTICATED
    try:
        event = get_event_for(user, event_id)
    except Http404:
        return CLOSE_NO_SUCH_EVENT
    if not event.memberships.filter(user_id=user.pk).exists():
        return CLOSE_NOT_MEMBER
    return None


class EventChannelConsumer(AsyncJsonWebsocketConsumer):
    """One person's connection to one event's live channel."""

    async def connect(self) -> None:
        self.event_id = int(self.scope["url_route"]["kwargs"]["event_id"])
        refusal = await _admission(self.scope["user"], self.event_id)
        if refusal is not None:
            # Accept then close, so the client sees our close code rather than a bare 403.
            await self.accept()
            await self.close(code=refusal)
            return
        await self.channel_layer.group_add(event_group(self.event_id), self.channel_name)
        await self.accept()

    async def disconnect(self, code) -> None:
        if hasattr(self, "event_id"):
            await self.channel_layer.group_discard(event_group(self.event_id), self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def parley_notify(self, message) -> None:
        await self.send_json(message["payload"])
