"""Access lost is lost on every worker: a removal made through one worker closes the removed
person's live channel on another, and a deactivation closes their desk wherever it is open,
each within 2 s (PostgreSQL and Redis; skipped on the embedded default).

bob (police) is a member of alice's demonstration; carol (city) removes him.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from events import services as event_services
from messaging import services
from tests.support.accounts import api_token

pytestmark = pytest.mark.django_db(transaction=True)

#: How long a connection may stay open once its person's access is gone.
AT_ONCE = 2
TIMEOUT = 30


def remove(worker, event, token: str, username: str) -> None:
    request = urllib.request.Request(
        f"{worker.http}/api/v1/events/{event.pk}/members/{username}/",
        headers={"Authorization": f"Token {token}"}, method="DELETE",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204


async def answered(ws, frame_type: str) -> None:
    """Wait for ``frame_type`` (skipping others)."""
    while json.loads(await ws.recv()).get("type") != frame_type:
        pass


async def close_code(ws, within: float = AT_ONCE) -> int | None:
    """The code ``ws`` is closed with, within ``within`` seconds."""
    async def closed() -> int | None:
        try:
            while True:
                await ws.recv()
        except ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd else None

    return await asyncio.wait_for(closed(), within)


async def test_removal_on_one_worker_and_deactivation_close_connections_on_others(
        start_workers, alices_event, carol):
    w1, w2 = await sync_to_async(start_workers)(2)
    await sync_to_async(event_services.transition_event)(alices_event, to="under_review",
                                                         actor=carol)
    bob = await sync_to_async(get_user_model().objects.get)(username="bob")
    channel_ticket, _ = await sync_to_async(services.issue_ticket)(user=bob)
    desk_ticket, _ = await sync_to_async(services.issue_ticket)(user=bob)
    carols_token = await sync_to_async(api_token)(carol)

    async with (
        connect(f"{w1.ws}/ws/events/{alices_event.pk}/?ticket={channel_ticket}", proxy=None,
                open_timeout=10) as channel,
        connect(f"{w1.ws}/ws/desk/?ticket={desk_ticket}", proxy=None,
                open_timeout=10) as desk,
    ):
        for ws in (channel, desk):
            await ws.send(json.dumps({"type": "ping"}))
            await asyncio.wait_for(answered(ws, "pong"), TIMEOUT)

        await sync_to_async(remove)(w2, alices_event, carols_token, "bob")
        assert await close_code(channel) == 4403

        def deactivate() -> None:
            bob.is_active = False
            bob.save()

        await sync_to_async(deactivate)()
        assert await close_code(desk) == 4401
