"""The desk updates live: ``ws/desk/`` tells open desks, in a few words, that something they
show has changed (desk/consumers.py, desk/news.py).

alice organises the demonstration; bob (police) and carol (city) are its members; dave is a
reviewer.
"""

from __future__ import annotations

import json
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.test import override_settings

from config.asgi import application
from desk.news import desk_news
from events import services
from messaging import services as messaging
from tests.support.ws import communicator, receive_until, session_cookie_for

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "Meet at the back door at 14:05"


async def open_desk(username: str | None, *, origin: bytes = b"http://127.0.0.1"):
    cookie = None
    if username is not None:
        user = await sync_to_async(get_user_model().objects.get)(username=username)
        cookie = await sync_to_async(session_cookie_for)(user)
    ws = communicator(application, "/ws/desk/", cookie=cookie, origin=origin)
    connected, _ = await ws.connect()
    return ws, connected


async def connected_desk(username: str):
    ws, connected = await open_desk(username)
    assert connected
    await ws.send_json_to({"type": "ping"})
    await receive_until(ws, "pong")  # in the group by now
    return ws


def mine(frame: dict, event_id: int, *whats: str) -> bool:
    """A notice about this test's event (of one of ``whats``, if given). With Redis, the
    other test runs on this machine share the pub/sub channel names, and so the desk's."""
    return (frame.get("type") == "desk.changed" and frame.get("event") == event_id
            and (not whats or frame.get("what") in whats))


def send(event, sender, kind: str, body: str = SECRET, channel: str = "all"):
    return messaging.send_message(event=event, sender=sender, channel=channel, kind=kind,
                                  body=body, client_id=uuid.uuid4())[0]


async def test_city_desk_hears_that_a_registration_was_taken_under_review(alices_event,
                                                                          carol):
    ws = await connected_desk("carol")
    try:
        await sync_to_async(services.transition_event)(alices_event, to="under_review",
                                                       actor=carol)
        frame, _ = await receive_until(
            ws, "desk.changed", where=lambda f: mine(f, alices_event.pk, "state"))
        assert frame == {"type": "desk.changed", "event": alices_event.pk, "what": "state"}
    finally:
        await ws.disconnect()


async def test_police_desk_hears_of_an_instruction_without_its_body(alices_event, carol):
    await sync_to_async(services.transition_event)(alices_event, to="under_review", actor=carol)
    await sync_to_async(services.transition_event)(alices_event, to="agreed", actor=carol)
    ws = await connected_desk("bob")
    try:
        await sync_to_async(send)(alices_event, carol, "instruction")
        while True:  # (the transitions' notices may come first)
            raw = await ws.receive_from(timeout=5)
            assert SECRET not in raw and "Carol" not in raw
            frame = json.loads(raw)
            if mine(frame, alices_event.pk, "message"):
                break
        assert frame == {"type": "desk.changed", "event": alices_event.pk, "what": "message"}
    finally:
        await ws.disconnect()


async def test_plain_messages_do_not_disturb_the_desk(alices_event, alice, carol):
    event = alices_event.pk
    ws = await connected_desk("carol")
    try:
        await sync_to_async(send)(alices_event, alice, "message", "Hello")
        await sync_to_async(services.transition_event)(alices_event, to="under_review",
                                                       actor=carol)
        _state, before = await receive_until(ws, "desk.changed",
                                             where=lambda f: mine(f, event, "state"))
        assert not [f for f in before if mine(f, event, "message")]
    finally:
        await ws.disconnect()


async def test_many_changes_at_once_reach_the_desk_once_per_kind(alices_event, alice, carol):
    def busy_minute():
        services.transition_event(alices_event, to="under_review", actor=carol)
        services.transition_event(alices_event, to="agreed", actor=carol)
        for n in range(5):
            send(alices_event, carol, "alert", f"Alert {n}")

    news = ("state", "message")
    ws = await connected_desk("carol")
    try:
        with override_settings(PARLEY_DESK_COALESCE_SECONDS=2):
            await sync_to_async(busy_minute)()
            first, _ = await receive_until(
                ws, "desk.changed", where=lambda f: mine(f, alices_event.pk, *news))
            second, _ = await receive_until(
                ws, "desk.changed", where=lambda f: mine(f, alices_event.pk, *news))
        assert [first["what"], second["what"]] == ["state", "message"]
        # Then nothing more: a ping is answered before any other notice of this event.
        await ws.send_json_to({"type": "ping"})
        _pong, before = await receive_until(ws, "pong")
        assert not [f for f in before if mine(f, alices_event.pk, *news)]
    finally:
        await ws.disconnect()


async def test_an_acknowledgement_reaches_the_desk(alices_event, alice, carol):
    await sync_to_async(services.transition_event)(alices_event, to="under_review", actor=carol)
    await sync_to_async(services.transition_event)(alices_event, to="agreed", actor=carol)
    instruction = await sync_to_async(send)(alices_event, carol, "instruction")
    ws = await connected_desk("carol")
    try:
        await sync_to_async(messaging.acknowledge_message)(instruction, user=alice)
        frame, _ = await receive_until(ws, "desk.changed",
                                       where=lambda f: mine(f, alices_event.pk, "acked"))
        assert frame == {"type": "desk.changed", "event": alices_event.pk, "what": "acked"}
    finally:
        await ws.disconnect()


@pytest.mark.parametrize("username", ["alice", "dave"])
async def test_organisers_and_reviewers_are_refused_with_4403(alices_event, dave, username):
    ws, connected = await open_desk(username)
    assert connected
    assert await ws.receive_output(timeout=5) == {"type": "websocket.close", "code": 4403}
    await ws.disconnect()


async def test_anonymous_visitor_is_refused_with_4401(db):
    ws, connected = await open_desk(None)
    assert connected
    assert await ws.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}
    await ws.disconnect()


async def test_a_deactivated_official_is_refused_with_4401(carol):
    cookie = await sync_to_async(session_cookie_for)(carol)
    await sync_to_async(get_user_model().objects.filter(pk=carol.pk).update)(is_active=False)
    ws = communicator(application, "/ws/desk/", cookie=cookie)
    connected, _ = await ws.connect()
    output = await ws.receive_output(timeout=5) if connected else None
    assert output in (None, {"type": "websocket.close", "code": 4401})
    await ws.disconnect()


async def test_cross_origin_desk_is_refused(carol):
    ws, connected = await open_desk("carol", origin=b"https://evil.example")
    assert connected is False
    await ws.disconnect()


def test_the_desk_hears_only_of_what_it_shows():
    assert desk_news({"type": "state", "event": 1, "state": "live"}) == "state"
    assert desk_news({"type": "zone", "zone": {}}) == "zone"
    assert desk_news({"type": "acked", "message_id": 1}) == "acked"
    assert desk_news({"type": "presence", "online": []}) == "presence"
    assert desk_news({"type": "incident", "incident": {}}) == "incident"
    assert desk_news({"type": "message", "kind": "instruction", "body": "x"}) == "message"
    assert desk_news({"type": "message", "kind": "alert", "body": "x"}) == "message"
    assert desk_news({"type": "message", "kind": "message", "body": "x"}) is None
    assert desk_news({"type": "key_moment"}) is None
    assert desk_news({}) is None


async def test_an_app_opens_the_desk_with_a_ticket_not_a_cookie(carol):
    ticket, _expires = await sync_to_async(messaging.issue_ticket)(user=carol)
    ws = communicator(application, f"/ws/desk/?ticket={ticket}", origin=None)
    connected, _ = await ws.connect()
    assert connected
    await ws.send_json_to({"type": "ping"})
    pong, _ = await receive_until(ws, "pong")
    assert pong == {"type": "pong"}
    await ws.disconnect()

    cookie = await sync_to_async(session_cookie_for)(carol)
    without = communicator(application, "/ws/desk/", origin=None, cookie=cookie)
    connected, _ = await without.connect()
    assert connected
    assert await without.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}
    await without.disconnect()


async def test_a_frame_nested_too_deeply_is_ignored_like_any_other_that_is_not_json(carol):
    ws = await connected_desk("carol")
    try:
        for text in ("[" * 50_000, "{not json"):
            await ws.send_to(text_data=text)
        await ws.send_json_to({"type": "ping"})
        pong, _ = await receive_until(ws, "pong")
        assert pong == {"type": "pong"}
    finally:
        await ws.disconnect()
