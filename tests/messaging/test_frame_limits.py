"""Frame sizes on a real server (security finding 11): Daphne reads frames up to 1 MiB; one
over 64 KiB is answered ``too_large`` and the connection stays open; one over 1 MiB closes
the connection with a proper close frame, code 1009 (never a bare TCP drop, which a client
cannot tell from a network failure, and would answer by sending the same frame again).
"""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from messaging.services import issue_ticket

pytestmark = pytest.mark.django_db(transaction=True)

KIB = 1024


def open_channel(server: str, event, user):
    ticket, _ = issue_ticket(user=user)
    ws_base = server.replace("http://", "ws://")
    return connect(f"{ws_base}/ws/events/{event.pk}/?ticket={ticket}", proxy=None,
                         max_size=None)


def next_of_type(ws, frame_type: str) -> dict:
    while True:
        frame = json.loads(ws.recv(timeout=10))
        if frame["type"] == frame_type:
            return frame


def ping_padded_to(size: int) -> str:
    frame = '{"type": "ping", "pad": "%s"}'
    return frame % ("x" * (size - len(frame % "")))


@pytest.mark.parametrize("size", [64 * KIB + 1, 200 * KIB, 1024 * KIB])
def test_a_frame_over_64_kib_is_answered_too_large_on_an_open_connection(
    asgi_live_server, alices_event, alice, size
):
    with open_channel(asgi_live_server, alices_event, alice) as ws:
        ws.send(ping_padded_to(size))
        error = next_of_type(ws, "error")
        assert error["code"] == "too_large"
        ws.send('{"type": "ping"}')
        assert next_of_type(ws, "pong") == {"type": "pong"}


def test_a_frame_of_64_kib_is_read(asgi_live_server, alices_event, alice):
    with open_channel(asgi_live_server, alices_event, alice) as ws:
        ws.send(ping_padded_to(64 * KIB))
        assert next_of_type(ws, "pong") == {"type": "pong"}


def test_a_frame_over_1_mib_closes_the_connection_with_1009(
    asgi_live_server, alices_event, alice
):
    with open_channel(asgi_live_server, alices_event, alice) as ws:
        ws.send(ping_padded_to(1024 * KIB + 1))
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                ws.recv(timeout=10)
    assert closed.value.rcvd is not None, "the server dropped the connection without a close frame"
    assert closed.value.rcvd.code == 1009
