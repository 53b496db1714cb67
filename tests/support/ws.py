"""Helpers for WebSocket tests: wait for the frame you expect, with a timeout, never a sleep.

Every communicator made here holds the frames to Parley's AsyncAPI document
(tests/support/frame_contract.py): each JSON frame a test sends with ``send_json_to`` and each
frame the server sends must match the document's schema for its ``type``, or the test fails.
A frame meant to be refused for its shape goes with ``send_refused_json_to`` (which checks that
the document refuses it too); raw text with ``send_to``.
"""

from __future__ import annotations

import asyncio
import json

from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from tests.support.accounts import log_in
from tests.support.frame_contract import FrameContract


class CheckedCommunicator(WebsocketCommunicator):
    """A ``WebsocketCommunicator`` that checks frames against the AsyncAPI document."""

    def __init__(self, application, path: str, headers: list) -> None:
        super().__init__(application, path, headers=headers)
        self.contract = FrameContract.for_path(path)

    async def send_json_to(self, data) -> None:
        if self.contract is not None:
            self.contract.check_client(data)
        await super().send_json_to(data)

    async def send_refused_json_to(self, data) -> None:
        """Send a frame the server must refuse for its shape; the document must not describe
        it as valid either."""
        if self.contract is not None:
            assert not self.contract.is_client_frame(data), (
                f"the AsyncAPI document calls this frame valid, yet it is meant to be "
                f"refused: {data}")
        await super().send_json_to(data)

    async def receive_from(self, timeout: float = 1) -> str:
        text = await super().receive_from(timeout)
        if self.contract is not None:
            self.contract.check_server(json.loads(text))
        return text


def session_cookie_for(user, *, verified: bool = True) -> bytes:
    """The session cookie of a browser where ``user`` logged in (second factor given, unless
    ``verified=False``)."""
    client = Client()
    log_in(client, user, verified=verified)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


def communicator(application, path: str, *, origin: bytes | None = b"http://127.0.0.1",
                 cookie: bytes | None = None,
                 accept_language: str | None = None) -> CheckedCommunicator:
    headers = [(b"host", b"127.0.0.1")]
    if origin is not None:
        headers.append((b"origin", origin))
    if cookie is not None:
        headers.append((b"cookie", cookie))
    if accept_language is not None:
        headers.append((b"accept-language", accept_language.encode()))
    return CheckedCommunicator(application, path, headers=headers)


async def connect_to_event(username: str, event, **kwargs) -> WebsocketCommunicator:
    """``username``'s browser connected to ``event``'s live channel (``kwargs``: as for
    ``communicator``)."""
    from asgiref.sync import sync_to_async
    from django.contrib.auth import get_user_model

    from config.asgi import application

    user = await sync_to_async(get_user_model().objects.get)(username=username)
    cookie = await sync_to_async(session_cookie_for)(user)
    ws = communicator(application, f"/ws/events/{event.pk}/", cookie=cookie, **kwargs)
    connected, _ = await ws.connect()
    assert connected
    return ws


async def receive_until(ws: WebsocketCommunicator, frame_type: str, *, timeout: float = 5,
                        where=None) -> tuple[dict, list[dict]]:
    """The first frame of ``frame_type`` (matching ``where``), and the frames before it."""
    skipped: list[dict] = []
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise AssertionError(f"no {frame_type!r} frame within {timeout}s; got {skipped}")
        frame = await ws.receive_json_from(timeout=remaining)
        if frame.get("type") == frame_type and (where is None or where(frame)):
            return frame, skipped
        skipped.append(frame)
