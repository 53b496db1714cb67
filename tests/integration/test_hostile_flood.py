"""A member flooding poisoned frames cannot silence the channel (security finding 1).

Two Daphne workers on PostgreSQL and Redis. mallory, a co-organiser, loops ``send`` frames
whose body holds a lone surrogate on both workers, as fast as they go (the rate limit is
lifted, so that her frames really are read beside everyone else's). Meanwhile alice, bob and
carol send 20 messages each: every one is stored and delivered to each of them exactly once,
and none of them is ever answered with an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid

import pytest
from asgiref.sync import sync_to_async
from websockets.asyncio.client import connect

from messaging.models import Message
from tests.integration.test_workers import client, ticket_for

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 60
PER_SENDER = 20
POISONED = ('{"type": "send", "channel": "all", "kind": "message", '
            '"body": "jam \\ud800 jam", "client_id": "%s"}')


@pytest.fixture
def co_organisers(mallory) -> tuple[str, ...]:
    """mallory co-organises alice's demonstration (``agreed_event``)."""
    return ("mallory",)


async def flood(worker, event, stop: asyncio.Event, refused: list[str],
                under_way: asyncio.Event) -> None:
    """mallory's script: poisoned frames in a loop until told to stop."""
    ticket = await ticket_for("mallory")()
    async with connect(f"{worker.ws}/ws/events/{event.pk}/?ticket={ticket}", proxy=None) as ws:
        async def read():
            async for raw in ws:
                frame = json.loads(raw)
                if frame["type"] == "error":
                    refused.append(frame["code"])
                    if len(refused) >= 20:
                        under_way.set()

        reader = asyncio.create_task(read())
        while not stop.is_set():
            await ws.send(POISONED % uuid.uuid4())
            await asyncio.sleep(0)  # let the reader run: a real script reads nothing
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader


def bodies_stored(event) -> list[str]:
    return list(Message.objects.filter(channel__event=event).order_by("seq")
                .values_list("body", flat=True))


async def test_honest_messages_get_through_a_flood_of_poisoned_frames_on_two_workers(
    start_workers, agreed_event
):
    w1, w2 = await sync_to_async(start_workers)(2)
    honest = [client(w1, agreed_event, "alice"), client(w2, agreed_event, "bob"),
              client(w1, agreed_event, "carol")]
    for c in honest:
        await asyncio.wait_for(c.subscribed.wait(), TIMEOUT)
    stop, under_way, refused = asyncio.Event(), asyncio.Event(), []
    floods = [asyncio.create_task(flood(w, agreed_event, stop, refused, under_way))
              for w in (w1, w2)]
    # The flood is under way before anyone honest speaks.
    await asyncio.wait_for(under_way.wait(), TIMEOUT)

    sent_ids: dict[str, set[str]] = {c.name: set() for c in honest}

    async def speak(c):
        for n in range(PER_SENDER):
            client_id = str(uuid.uuid4())
            sent_ids[c.name].add(client_id)
            await c.send({"type": "send", "channel": "all", "kind": "message",
                          "body": f"{c.name} {n}", "client_id": client_id})

    await asyncio.gather(*(speak(c) for c in honest))
    total = PER_SENDER * len(honest)
    for c in honest:
        await c.wait_for(lambda c: len(c.seqs) >= total, TIMEOUT)
        await c.wait_for(lambda c: len([f for f in c.frames if f["type"] == "sent"])
                         >= PER_SENDER, TIMEOUT)
    stop.set()
    await asyncio.gather(*floods)

    expected = {f"{c.name} {n}" for c in honest for n in range(PER_SENDER)}
    stored = await sync_to_async(bodies_stored)(agreed_event)
    assert sorted(stored) == sorted(expected)  # each honest message once, nothing of hers
    for c in honest:
        assert c.seqs == list(range(1, total + 1)), c.name  # delivered once each, in order
        assert {f["body"] for f in c.frames if f["type"] == "message"} == expected
        assert not [f for f in c.frames if f["type"] == "error"], c.name
        assert {f["client_id"] for f in c.frames if f["type"] == "sent"} == sent_ids[c.name]
    assert set(refused) == {"invalid"} and len(refused) > total
    for c in honest:
        await c.stop()

