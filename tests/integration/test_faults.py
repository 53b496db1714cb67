"""The server under faults: the database or Redis unreachable for a moment.

Real Daphne workers (PostgreSQL/Redis half of ``make test``). The database is cut with a TCP
proxy of the test's own in front of PostgreSQL; Redis is a server of the test's own, stopped
and started again. Nobody else's PostgreSQL or Redis is touched.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlparse

import pytest
from asgiref.sync import sync_to_async

from bench.harness import TcpProxy
from coordination.log import verify_event_log
from coordination.models import LogEntry
from messaging import services
from messaging.models import Message
from tests.integration import conftest as integration
from tests.support.liveclient import ResumingClient

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

TIMEOUT = 30


def client(worker, event, user) -> ResumingClient:
    async def get_ticket() -> str:
        ticket, _ = await sync_to_async(services.issue_ticket)(user=user)
        return ticket

    c = ResumingClient(worker.ws, event.pk, get_ticket, name=user.username)
    c.start()
    return c


def healthz(worker) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{worker.http}/healthz", timeout=15) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


async def wait_for_health(worker, status: int) -> dict:
    """Ask /healthz until it answers ``status``; its last answer."""
    async def poll() -> dict:
        while True:
            code, body = await sync_to_async(healthz)(worker)
            if code == status:
                return body
            await asyncio.sleep(0.1)
    return await asyncio.wait_for(poll(), TIMEOUT)


def send_frame(client_id: str, body: str) -> dict:
    return {"type": "send", "channel": "all", "kind": "message", "body": body,
            "client_id": client_id}


def answers_for(c: ResumingClient, client_id: str) -> list[dict]:
    return [f for f in c.frames if f.get("client_id") == client_id
            and f["type"] in ("sent", "error")]


def log_matches_messages(event) -> tuple[int, int, bool]:
    """(messages stored, ``message.sent`` log entries, log verifies)."""
    return (Message.objects.filter(channel__event=event).count(),
            LogEntry.objects.filter(event=event, kind="message.sent").count(),
            verify_event_log(event.pk).valid)


async def test_send_while_database_is_unreachable_answers_unavailable_and_retry_stores_once(
    start_workers, agreed_event, alice
):
    db = urlparse(integration.test_database_url())
    proxy = TcpProxy(db.port or 5432, db.hostname or "127.0.0.1")
    await proxy.start()
    alice_client = None
    try:
        proxied = db._replace(netloc=db.netloc.rsplit(":", 1)[0] + f":{proxy.port}").geturl()
        (worker,) = await sync_to_async(start_workers)(1, DATABASE_URL=proxied)
        alice_client = client(worker, agreed_event, alice)
        await asyncio.wait_for(alice_client.subscribed.wait(), TIMEOUT)
        await alice_client.send(send_frame(str(uuid.uuid4()), "before the cut"))
        await alice_client.wait_for(lambda c: len(c.seqs) == 1, TIMEOUT)

        await proxy.cut()
        client_id = str(uuid.uuid4())
        await alice_client.send(send_frame(client_id, "during the cut"))
        await alice_client.wait_for(lambda c: answers_for(c, client_id), TIMEOUT)
        (answer,) = answers_for(alice_client, client_id)
        assert answer["type"] == "error"
        assert answer["code"] == "unavailable"
        assert "Traceback" not in answer["detail"]
        health = await wait_for_health(worker, 503)
        assert health["database"].startswith("error")
        assert health["channel_layer"] == "ok"

        await proxy.restore()
        assert await wait_for_health(worker, 200) == {"database": "ok", "channel_layer": "ok"}
        # The client sends again with the same client_id, twice (its first retry's answer
        # might have been lost too): one message stored, the same answer both times.
        for _ in range(2):
            await alice_client.send(send_frame(client_id, "during the cut"))
        await alice_client.wait_for(lambda c: len(answers_for(c, client_id)) == 3, TIMEOUT)
        first, second = answers_for(alice_client, client_id)[1:]
        assert first["type"] == second["type"] == "sent"
        assert first["seq"] == second["seq"] == 2
        await alice_client.wait_for(lambda c: len(c.seqs) == 2, TIMEOUT)
        assert alice_client.seqs == [1, 2]
    finally:
        await proxy.stop()
        if alice_client is not None:
            await alice_client.stop()

    assert await sync_to_async(
        lambda: Message.objects.filter(sender=alice, client_id=client_id).count())() == 1
    # Nothing half-written: every stored message has its log entry and the chain verifies.
    assert await sync_to_async(log_matches_messages)(agreed_event) == (2, 2, True)


async def test_messages_sent_while_redis_is_down_are_stored_and_reach_clients_when_they_resume(
    start_workers, redis_server, agreed_event, alice, carol
):
    w1, w2 = await sync_to_async(start_workers)(2, redis_server.url)
    alice_client, carol_client = client(w1, agreed_event, alice), client(w2, agreed_event, carol)
    try:
        for c in (alice_client, carol_client):
            await asyncio.wait_for(c.subscribed.wait(), TIMEOUT)

        await sync_to_async(redis_server.stop)()
        health = await wait_for_health(w1, 503)
        assert health["channel_layer"].startswith("error")
        assert health["database"] == "ok"
        client_ids = [str(uuid.uuid4()) for _ in range(3)]
        for n, client_id in enumerate(client_ids):
            await alice_client.send(send_frame(client_id, f"while Redis is down {n}"))
        # Stored and answered, though no notification can go out.
        await alice_client.wait_for(
            lambda c: all(answers_for(c, i) for i in client_ids), TIMEOUT)
        answers = [answers_for(alice_client, i)[0] for i in client_ids]
        assert [a["type"] for a in answers] == ["sent"] * 3
        assert [a["seq"] for a in answers] == [1, 2, 3]

        await sync_to_async(redis_server.start)()
        assert await wait_for_health(w1, 200) == {"database": "ok", "channel_layer": "ok"}
        for c in (alice_client, carol_client):
            await c.drop()  # as a client whose connection broke meanwhile
        for c in (alice_client, carol_client):
            await c.wait_for(lambda c: len(c.seqs) >= 3 and c.subscribed.is_set(), TIMEOUT)
            assert c.seqs == [1, 2, 3], c.name
    finally:
        for c in (alice_client, carol_client):
            await c.stop()
    assert await sync_to_async(log_matches_messages)(agreed_event) == (3, 3, True)

