"""How Daphne's WebSocket server refuses a frame that is too large to read.

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
