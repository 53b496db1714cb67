"""Two Daphne workers sharing PostgreSQL and Redis: nothing lost, nothing twice.

Run in the PostgreSQL/Redis half of ``make test`` (skipped on the embedded default).
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model

from messaging import services
from messaging.models import Message
from tests.support.accounts import api_token
from tests.support.liveclient import ResumingClient

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 30


def ticket_for(username: str):
    async def get() -> str:
        user = await sync_to_async(get_user_model().objects.get)(username=username)
        ticket, _ = await sync_to_async(services.issue_ticket)(user=user)
        return ticket
    return get


def client(worker, event, username: str, **kwargs) -> ResumingClient:
    c = ResumingClient(worker.ws, event.pk, ticket_for(username), name=username, **kwargs)
    c.start()
    return c


def stored_seqs(event) -> list[int]:
    return list(Message.objects.filter(channel__event=event, channel__name="all")
                .order_by("seq").values_list("seq", flat=True))


def post_message(worker, event, token: str, body: str) -> dict:
    request = urllib.request.Request(
        f"{worker.http}/api/v1/events/{event.pk}/messages/",
        data=json.dumps({"channel": "all", "kind": "message", "body": body,
                         "client_id": str(uuid.uuid4())}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        return json.loads(response.read())


def has_all(n: int):
    return lambda c: len(c.seqs) >= n


async def stop_all(*clients: ResumingClient) -> None:
    for c in clients:
        await c.stop()


async def test_concurrent_senders_on_two_workers_give_every_client_a_gapless_stream(
    start_workers, agreed_event
):
    w1, w2 = await sync_to_async(start_workers)(2)
    alice, bob, carol = (client(w1, agreed_event, "alice"), client(w2, agreed_event, "bob"),
                         client(w1, agreed_event, "carol"))
    for c in (alice, bob, carol):
        await asyncio.wait_for(c.subscribed.wait(), TIMEOUT)
    per_sender = 30

    async def burst(c: ResumingClient):
        for n in range(per_sender):
            await c.send({"type": "send", "channel": "all", "kind": "message",
                          "body": f"{c.name} {n}", "client_id": str(uuid.uuid4())})

    await asyncio.gather(burst(alice), burst(bob), burst(carol))
    total = 3 * per_sender
    for c in (alice, bob, carol):
        await c.wait_for(has_all(total), TIMEOUT)
        assert c.seqs == list(range(1, total + 1)), c.name
    assert await sync_to_async(stored_seqs)(agreed_event) == list(range(1, total + 1))
    # What bob (worker 2) sent reached alice (worker 1).
    bodies_at_alice = {f["body"] for f in alice.frames if f["type"] == "message"}
    assert {f"bob {n}" for n in range(per_sender)} <= bodies_at_alice
    await stop_all(alice, bob, carol)


async def test_client_that_drops_mid_stream_resumes_and_gets_everything_exactly_once(
    start_workers, agreed_event, bob
):
    w1, w2 = await sync_to_async(start_workers)(2)
    token = await sync_to_async(api_token)(bob)
    alice = client(w1, agreed_event, "alice")
    await asyncio.wait_for(alice.subscribed.wait(), TIMEOUT)
    for n in range(10):
        await sync_to_async(post_message)(w2, agreed_event, token, f"first {n}")
    await alice.wait_for(has_all(5), TIMEOUT)
    await alice.drop()
    for n in range(20):
        await sync_to_async(post_message)(w2, agreed_event, token, f"second {n}")
    await alice.wait_for(has_all(30), TIMEOUT)
    assert alice.seqs == list(range(1, 31))
    assert alice.connections >= 2
    await stop_all(alice)


async def test_redis_restart_mid_stream_loses_nothing_once_clients_resume(
    start_workers, redis_server, agreed_event, bob
):
    w1, w2 = await sync_to_async(start_workers)(2, redis_server.url)
    token = await sync_to_async(api_token)(bob)
    alice, carol = client(w1, agreed_event, "alice"), client(w2, agreed_event, "carol")
    for c in (alice, carol):
        await asyncio.wait_for(c.subscribed.wait(), TIMEOUT)
    for n in range(10):
        await sync_to_async(post_message)(w2, agreed_event, token, f"before {n}")
    await sync_to_async(redis_server.stop)()
    # Redis is down: messages are still stored (the database is the source of truth).
    for n in range(10):
        await sync_to_async(post_message)(w1, agreed_event, token, f"during {n}")
    await sync_to_async(redis_server.start)()
    for n in range(10):
        await sync_to_async(post_message)(w2, agreed_event, token, f"after {n}")
    for c in (alice, carol):
        await c.wait_for(has_all(30), TIMEOUT)
        assert c.seqs == list(range(1, 31)), c.name
    assert await sync_to_async(stored_seqs)(agreed_event) == list(range(1, 31))
    await stop_all(alice, carol)


async def test_presence_spans_workers_and_forgets_a_worker_that_died(start_workers, agreed_event):
    w1, w2 = await sync_to_async(start_workers)(
        2, PARLEY_MEMBERSHIP_CHECK_SECONDS="0.3", PARLEY_PRESENCE_STALE_SECONDS="2")
    alice = client(w1, agreed_event, "alice")
    await asyncio.wait_for(alice.subscribed.wait(), TIMEOUT)
    bob = client(w2, agreed_event, "bob")

    def online(c):
        frames = [f for f in c.frames if f["type"] == "presence"]
        return {p["name"] for p in frames[-1]["online"]} if frames else set()

    await alice.wait_for(lambda c: online(c) == {"Alice Martin", "Bob Officer"}, TIMEOUT)
    await bob.stop()  # its task ends; the worker dies before it can say goodbye
    await sync_to_async(w2.kill)()
    await alice.wait_for(lambda c: online(c) == {"Alice Martin"}, TIMEOUT)
    await stop_all(alice)


async def test_rate_limit_counts_messages_sent_through_every_worker(
    start_workers, agreed_event
):
    w1, w2 = await sync_to_async(start_workers)(2, PARLEY_RATE_LIMIT_MESSAGES="20")
    on_w1, on_w2 = client(w1, agreed_event, "alice"), client(w2, agreed_event, "alice")
    for c in (on_w1, on_w2):
        await asyncio.wait_for(c.subscribed.wait(), TIMEOUT)
    for n in range(10):
        for c in (on_w1, on_w2):
            await c.send({"type": "send", "channel": "all", "kind": "message",
                          "body": f"{n}", "client_id": str(uuid.uuid4())})
    for c in (on_w1, on_w2):
        await c.wait_for(lambda c: sum(f["type"] == "sent" for f in c.frames) == 10, TIMEOUT)
    await on_w2.send({"type": "send", "channel": "all", "kind": "message", "body": "21st",
                      "client_id": str(uuid.uuid4())})
    await on_w2.wait_for(lambda c: any(f["type"] == "error" for f in c.frames), TIMEOUT)
    error = next(f for f in on_w2.frames if f["type"] == "error")
    assert error["code"] == "rate_limited"
    assert await sync_to_async(Message.objects.count)() == 20
    await stop_all(on_w1, on_w2)
