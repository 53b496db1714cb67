"""A bare Channels group broadcast (no authentication, no persistence), for benchmarks only.

``bench/fanout.py`` runs it beside the real live channel on the same server and channel
layer, to show what persistence, permissions and ordering cost. It is routed only when
``PARLEY_BENCH_ENDPOINTS`` is on, which a deployment never sets.
"""

from channels.generic.websocket import AsyncWebsocketConsumer


class BareBroadcastConsumer(AsyncWebsocketConsumer):
    """Relays every text frame to everyone connected to the same group name."""

    async def connect(self) -> None:
        self.group = f"bench-{self.scope['url_route']['kwargs']['group']}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code) -> None:
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        await self.channel_layer.group_send(self.group, {"type": "relay", "text": text_data})

    async def relay(self, event) -> None:
        await self.send(text_data=event["text"])
