"""The desk across workers: a desk open on one worker hears of a change made through another
(PostgreSQL and Redis; skipped on the embedded default)."""

from __future__ import annotations

import asyncio
import json
import urllib.request

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from websockets.asyncio.client import connect

from messaging import services
from tests.support.accounts import api_token

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 30


def transition(worker, event, token: str, to: str) -> None:
    request = urllib.request.Request(
        f"{worker.http}/api/v1/events/{event.pk}/transitions/",
        data=json.dumps({"to": to}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


async def test_a_desk_on_one_worker_hears_of_a_review_made_through_another(
    start_workers, alices_event, carol
):
    w1, w2 = await sync_to_async(start_workers)(2)
    user = await sync_to_async(get_user_model().objects.get)(username="carol")
    ticket, _ = await sync_to_async(services.issue_ticket)(user=user)
    token = await sync_to_async(api_token)(user)

    async with connect(f"{w1.ws}/ws/desk/?ticket={ticket}", proxy=None, open_timeout=10) as ws:
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT)) == {"type": "pong"}
        await sync_to_async(transition)(w2, alices_event, token, "under_review")

        async def notice() -> dict:
            while True:
                frame = json.loads(await ws.recv())
                if frame.get("event") == alices_event.pk and frame.get("what") == "state":
                    return frame

        frame = await asyncio.wait_for(notice(), TIMEOUT)
    assert frame == {"type": "desk.changed", "event": alices_event.pk, "what": "state"}
