"""How Daphne (Twisted and Autobahn underneath) is told to behave: WebSocket frames too large
to read, and request bodies left to Django.

Autobahn (under Daphne) fails a connection by dropping TCP (``failByDrop``): a client then sees
1006, cannot tell it from a network failure, and sends the same frame again once reconnected.
With ``failByDrop`` off it sends a close frame with the reason's code (1009 for a frame over
``--websocket-max-message-size``) before closing, which the client can act on.
"""

from __future__ import annotations

from daphne.ws_protocol import WebSocketFactory

_reset_protocol_options = WebSocketFactory.resetProtocolOptions


def _reset_protocol_options_closing_cleanly(self: WebSocketFactory) -> None:
    _reset_protocol_options(self)
    self.failByDrop = False


def close_failed_connections_with_a_close_frame() -> None:
    """Make every Daphne WebSocket factory created from now on close with a close frame.

    Daphne builds its factory when it starts serving, after importing the application, so
    calling this from ``config.asgi`` covers ``daphne config.asgi:application`` and the
    tests' live servers alike. Idempotent.
    """
    WebSocketFactory.resetProtocolOptions = _reset_protocol_options_closing_cleanly


def leave_request_bodies_to_django() -> None:
    """Stop Twisted (under Daphne) from parsing POST form bodies itself.

    Twisted's ``Request`` parses every ``multipart/form-data`` and urlencoded POST body into
    ``request.args``, which Daphne never reads; a body it cannot parse gets Twisted's bare
    ``400`` (no headers, no body) and a dropped connection, before Parley can answer with its
    JSON error. With the parsing off, Django reads the body and answers as documented
    (docs/protocol.md, "Errors"), and no upload is held in memory twice. Idempotent.
    """
    from daphne.http_protocol import WebRequest

    if getattr(WebRequest, "_parley_bodies_left_to_django", False):
        return
    init = WebRequest.__init__

    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self._parsePOSTFormSubmission = False

    WebRequest.__init__ = __init__
    WebRequest._parley_bodies_left_to_django = True
