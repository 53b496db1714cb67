"""One person may hold only so many live connections, counted across every worker
(security finding 9): ``PARLEY_MAX_CONNECTIONS_PER_USER``; one more closes with 4429."""

from __future__ import annotations

import datetime as dt

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from config.asgi import application
from messaging.models import Presence
from tests.support.ws import communicator, session_cookie_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cap_of_three(settings):
    settings.PARLEY_MAX_CONNECTIONS_PER_USER = 3


async def open_as(user, event):
    """``(ws, close_code)``: close_code is None for a connection that stayed open."""
    cookie = await sync_to_async(session_cookie_for)(user)
    ws = communicator(application, f"/ws/events/{event.pk}/", cookie=cookie)
    connected, _ = await ws.connect()
    assert connected
    await ws.send_json_to({"type": "ping"})
    while True:
        output = await ws.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            return ws, output["code"]
        if '"pong"' in output.get("text", ""):
            return ws, None


def another_workers_connection(user, event, *, seconds_ago: float = 0) -> None:
    Presence.objects.create(event=event, user=user, connection=f"other-worker!{seconds_ago}",
                            last_seen=timezone.now() - dt.timedelta(seconds=seconds_ago))


async def test_organiser_over_the_cap_is_closed_with_4429(cap_of_three, alices_event, alice):
    opened = [await open_as(alice, alices_event) for _ in range(3)]
    assert [code for _ws, code in opened] == [None, None, None]
    _ws, code = await open_as(alice, alices_event)
    assert code == 4429
    assert await Presence.objects.filter(user=alice).acount() == 3
    for each, _code in opened:
        await each.disconnect()


async def test_a_closed_connection_frees_its_place(cap_of_three, alices_event, alice):
    opened = [await open_as(alice, alices_event) for _ in range(3)]
    await opened[0][0].disconnect()
    ws, code = await open_as(alice, alices_event)
    assert code is None
    for each, _code in [*opened[1:], (ws, None)]:
        await each.disconnect()


async def test_connections_on_other_workers_count(cap_of_three, alices_event, alice):
    await sync_to_async(another_workers_connection)(alice, alices_event)
    await sync_to_async(another_workers_connection)(alice, alices_event, seconds_ago=1)
    first, code = await open_as(alice, alices_event)
    assert code is None
    _ws, code = await open_as(alice, alices_event)
    assert code == 4429
    await first.disconnect()


async def test_connections_of_a_dead_worker_do_not_count(cap_of_three, alices_event, alice,
                                                         settings):
    stale = settings.PARLEY_PRESENCE_STALE_SECONDS + 1
    for n in range(3):
        await sync_to_async(another_workers_connection)(alice, alices_event,
                                                        seconds_ago=stale + n)
    ws, code = await open_as(alice, alices_event)
    assert code is None
    await ws.disconnect()


async def test_one_persons_cap_does_not_touch_another(cap_of_three, alices_event, alice, bob):
    opened = [await open_as(alice, alices_event) for _ in range(3)]
    ws, code = await open_as(bob, alices_event)
    assert code is None
    for each, _code in [*opened, (ws, None)]:
        await each.disconnect()
