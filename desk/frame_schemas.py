"""The desk socket's frames (``ws/desk/``) as JSON Schemas, for the AsyncAPI document
(config/asyncapi.py) and the desk's tests (tests/support/ws.py)."""

from __future__ import annotations

from typing import Any

from desk.consumers import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED
from desk.news import DESK_FRAMES, DESK_MESSAGE_KINDS

Schema = dict[str, Any]

#: What ``desk.changed`` may name: the live channel's frame that said so.
WHAT = sorted(DESK_FRAMES | {"message", "incident"})

CLOSE_CODES: dict[int, str] = {
    CLOSE_UNAUTHENTICATED: "Not authenticated or deactivated; or, while open, the person was "
                           "deactivated, logged out, changed password or lost the API token "
                           "the ticket came from.",
    CLOSE_FORBIDDEN: "Another role than police or city.",
}


def server_frames() -> dict[str, Schema]:
    """The frames ``/ws/desk/`` sends, by ``type``."""
    return {
        "desk.changed": {
            "type": "object", "additionalProperties": False,
            "required": ["type", "event", "what"],
            "description": (
                "Something the desk shows about that demonstration changed: fetch it again "
                "over HTTP. Nothing else is said (no body, no name). A message is named only "
                f"for {' and '.join(sorted(DESK_MESSAGE_KINDS))}s."),
            "properties": {
                "type": {"type": "string", "const": "desk.changed"},
                "event": {"type": "integer", "minimum": 1},
                "what": {"type": "string", "enum": WHAT},
            },
        },
        "pong": {"type": "object", "additionalProperties": False, "required": ["type"],
                 "description": "The answer to ping.",
                 "properties": {"type": {"type": "string", "const": "pong"}}},
    }


def client_frames() -> dict[str, Schema]:
    """The frames a desk sends (anything else is ignored)."""
    return {"ping": {"type": "object", "required": ["type"], "description": "Answered pong.",
                     "properties": {"type": {"type": "string", "const": "ping"}}}}
