"""Who may open an event's live channel: the handshake rules of config/asgi.py."""

import pytest
from django.contrib.auth import get_user_model

from config.asgi import application
from tests.support.ws import communicator as make_communicator
from tests.support.ws import receive_until, session_cookie_for

pytestmark = pytest.mark.django_db(transaction=True)


def communicator(path: str, **kwargs):
    return make_communicator(application, path, **kwargs)


async def _cookie(username):
    from asgiref.sync import sync_to_async

    user = await sync_to_async(get_user_model().objects.get)(username=username)
    return await sync_to_async(session_cookie_for)(user)


async def test_cross_origin_handshake_is_refused(alices_event):
    cookie = await _cookie("bob")
    ws = communicator(f"/ws/events/{alices_event.pk}/", origin=b"https://evil.example",
                      cookie=cookie)
    connected, _ = await ws.connect()
    assert connected is False
    await ws.disconnect()


@pytest.mark.parametrize("origin", [
    b"http://127.0.0.1:9999",  # same host, another port (another program on the machine)
    b"https://127.0.0.1",  # same host, another scheme
    b"http://localhost",  # an allowed host, but not the one this page came from
    b"http://127.0.0.1.evil.example",
    b"null",
    b"not an origin",
])
async def test_handshake_from_another_port_scheme_or_host_is_refused(alices_event, origin):
    cookie = await _cookie("bob")
    ws = communicator(f"/ws/events/{alices_event.pk}/", origin=origin, cookie=cookie)
    connected, _ = await ws.connect()
    assert connected is False
    await ws.disconnect()


async def test_handshake_from_a_trusted_origin_is_admitted(alices_event, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://parley.example.org:8443"]
    cookie = await _cookie("bob")
    ws = communicator(f"/ws/events/{alices_event.pk}/", origin=b"https://parley.example.org:8443",
                      cookie=cookie)
    connected, _ = await ws.connect()
    assert connected is True
    await ws.disconnect()


async def test_member_from_this_site_is_admitted(alices_event):
    cookie = await _cookie("bob")
    ws = communicator(f"/ws/events/{alices_event.pk}/", cookie=cookie)
    connected, _ = await ws.connect()
    assert connected is True
    await ws.send_json_to({"type": "ping"})
    pong, _ = await receive_until(ws, "pong")
    assert pong == {"type": "pong"}
    await ws.disconnect()


async def test_anonymous_visitor_is_closed_with_4401(alices_event):
    ws = communicator(f"/ws/events/{alices_event.pk}/")
    connected, _ = await ws.connect()
    output = await ws.receive_output(timeout=5) if connected else None
    assert output == {"type": "websocket.close", "code": 4401}
    await ws.disconnect()


async def test_organiser_of_another_event_is_closed_with_4404(alices_event, mallory):
    cookie = await _cookie("mallory")
    ws = communicator(f"/ws/events/{alices_event.pk}/", cookie=cookie)
    connected, _ = await ws.connect()
    assert connected
    assert await ws.receive_output(timeout=5) == {"type": "websocket.close", "code": 4404}
    await ws.disconnect()
