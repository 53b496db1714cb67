"""The live channel's frames as JSON Schemas: the one description of their shapes.

The AsyncAPI document (``GET /api/v1/asyncapi.json``, config/asyncapi.py) is generated from
these, and the live-channel tests check every frame they send and receive against that
document (tests/support/ws.py), so a frame that changes shape without its schema fails a
test instead of surprising a client. docs/protocol.md says the same in words.

Server frames are closed (``additionalProperties: false``): a new field is a change of the
interface and must be written here. Client frames are open, because the server ignores
unknown keys. A client frame that matches its schema can still be refused for what only the
server knows (a channel the caller may not read, a message that is not there, the rate limit).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from coordination.parties import Role
from events.models import Event
from messaging.models import Message
from messaging.protocol import (
    CHANNELS,
    CLOSE_NO_SUCH_EVENT,
    CLOSE_NOT_MEMBER,
    CLOSE_TOO_MANY_CONNECTIONS,
    CLOSE_UNAUTHENTICATED,
    ERROR_CODES,
    MAX_INT,
)

Schema = dict[str, Any]

#: ``coordination.log.format_timestamp``: ISO 8601 in UTC with a ``Z``.
TIMESTAMP: Schema = {
    "type": "string", "format": "date-time",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$",
    "description": "ISO 8601 in UTC, ending in Z.",
}
UUID: Schema = {
    "type": "string", "format": "uuid",
    "pattern": r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
}
ID: Schema = {"type": "integer", "minimum": 1, "maximum": MAX_INT}
SEQ: Schema = {"type": "integer", "minimum": 0, "maximum": MAX_INT}
CHANNEL: Schema = {"type": "string", "enum": list(CHANNELS),
                   "description": "all: every member; officials: police and city members only."}
#: ``coordination.parties.actor_of``.
PERSON: Schema = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "name", "role"],
    "properties": {"id": ID, "name": {"type": "string"},
                   "role": {"type": "string", "enum": list(Role.values)}},
}

#: How the server closes ``/ws/events/{id}/``: right after the handshake is accepted, before
#: any data, or later when access is taken back.
CLOSE_CODES: dict[int, str] = {
    CLOSE_UNAUTHENTICATED: "Not authenticated: no valid session or ticket, the account is "
                           "deactivated, or the person logged out, changed password or lost "
                           "the API token the ticket came from. Get new credentials.",
    CLOSE_NOT_MEMBER: "The demonstration is visible to the caller but they are not a member "
                      "(also when removed while connected). Stop.",
    CLOSE_NO_SUCH_EVENT: "No such demonstration, or one the caller may not see. Stop.",
    CLOSE_TOO_MANY_CONNECTIONS: "The person already has PARLEY_MAX_CONNECTIONS_PER_USER live "
                                "connections open, across every worker. Close another.",
    1009: "A frame over 1 MiB (message too big), closed by the server with a proper close "
          "frame.",
}


def _frame(frame_type: str, properties: Schema, required: list[str], *, closed: bool,
           description: str) -> Schema:
    schema: Schema = {
        "type": "object",
        "description": description,
        "properties": {"type": {"type": "string", "const": frame_type}, **properties},
        "required": ["type", *required],
    }
    if closed:
        schema["additionalProperties"] = False
    return schema


def _feature(geometry_types: list[str], description: str) -> Schema:
    """A GeoJSON Feature as the REST API gives it (its properties: the OpenAPI document)."""
    return {
        "type": "object", "description": description,
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "const": "Feature"},
            "id": ID,
            "geometry": {
                "type": "object", "required": ["type", "coordinates"],
                "properties": {"type": {"type": "string", "enum": geometry_types},
                               "coordinates": {"type": "array"}},
            },
            "properties": {"type": "object"},
        },
    }


def client_frames() -> dict[str, Schema]:
    """The frames a client sends to ``/ws/events/{id}/``, by ``type``."""
    max_chars = settings.PARLEY_MESSAGE_MAX_CHARS
    text = {"type": "string", "minLength": 1, "maxLength": max_chars, "pattern": r"\S",
            "description": f"Plain text, 1 to {max_chars} characters, not only spaces."}
    return {
        "subscribe": _frame("subscribe", {
            "channel": CHANNEL,
            "after_seq": {**SEQ, "default": 0,
                          "description": "The last seq the client holds (0: from the start)."},
        }, ["channel"], closed=False, description=(
            "Send every message of the channel after after_seq, then the acknowledgements "
            "given meanwhile, then subscribed, then live messages.")),
        "send": {
            **_frame("send", {
                "channel": CHANNEL,
                "kind": {"type": "string", "enum": list(Message.Kind.values),
                         "default": Message.Kind.MESSAGE},
                "body": {"oneOf": [text, {"type": "null"}, {"const": ""}]},
                "client_id": {**UUID, "description": "Made by the client, once per message; "
                              "the same again on a retry."},
                "reply_to": {"oneOf": [ID, {"type": "null"}]},
                "standard_instruction": {"oneOf": [ID, {"type": "null"}]},
            }, ["channel", "client_id"], closed=False, description=(
                "Store a message. Answered sent, or error with the same client_id.")),
            # Either a text of one's own, or a standard instruction with no body.
            "oneOf": [
                {"required": ["body"], "properties": {
                    "body": text, "standard_instruction": {"type": "null"}}},
                {"required": ["kind", "standard_instruction"], "properties": {
                    "kind": {"const": Message.Kind.INSTRUCTION},
                    "standard_instruction": ID,
                    "body": {"enum": [None, ""]}}},
            ],
        },
        "ack": _frame("ack", {"message_id": ID}, ["message_id"], closed=False, description=(
            "Acknowledge an instruction or alert of a channel the caller reads.")),
        "ping": _frame("ping", {}, [], closed=False, description="Answered pong."),
    }


def message_schema() -> Schema:
    """A stored message, as the ``message`` frame (and the REST API) gives it."""
    return _frame("message", {
        "channel": CHANNEL,
        "id": ID,
        "seq": {**ID, "description": "Rises by exactly 1 per channel."},
        "kind": {"type": "string", "enum": list(Message.Kind.values)},
        "body": {"type": "string", "description": "Plain text: show it escaped."},
        "sender": PERSON,
        "sent_at": TIMESTAMP,
        "client_id": UUID,
        "reply_to": {"oneOf": [ID, {"type": "null"}]},
        "acks": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["user", "at"],
            "properties": {"user": PERSON, "at": TIMESTAMP}}},
        "awaiting": {"type": "array", "items": PERSON,
                     "description": "Instructions and alerts: who has not acknowledged yet."},
        "key_moment": {"oneOf": [{"type": "null"}, {
            "type": "object", "additionalProperties": False,
            "required": ["note", "marked_by", "marked_at"],
            "properties": {"note": {"type": "string"}, "marked_by": PERSON,
                           "marked_at": TIMESTAMP}}]},
        "standard_instruction": {"oneOf": [{"type": "null"}, {
            "type": "object", "additionalProperties": False, "required": ["id", "texts"],
            "properties": {"id": ID, "texts": {
                "type": "object", "additionalProperties": {"type": "string"},
                "description": "The instruction's text by language code."}}}]},
    }, ["channel", "id", "seq", "kind", "body", "sender", "sent_at", "client_id", "reply_to",
        "acks", "awaiting", "key_moment", "standard_instruction"], closed=True,
        description="A stored message: during a replay, and live.")


def server_frames() -> dict[str, Schema]:
    """The frames ``/ws/events/{id}/`` sends, by ``type``."""
    message = message_schema()
    return {
        "presence": _frame("presence", {"online": {"type": "array", "items": PERSON}},
                           ["online"], closed=True, description=(
            "Who is connected (each person once): on connecting, and whenever it changes.")),
        "subscribed": _frame("subscribed", {"channel": CHANNEL, "head_seq": SEQ},
                             ["channel", "head_seq"], closed=True, description=(
            "A subscribe's replay is done; head_seq is the channel's latest seq (0: none).")),
        "message": message,
        "sent": _frame("sent", {"client_id": UUID, "id": ID, "seq": ID},
                       ["client_id", "id", "seq"], closed=True, description=(
            "To the sender, once their message is stored (for a repeated client_id, the "
            "first one's id and seq).")),
        "acked": _frame("acked", {"message_id": ID, "user": PERSON, "at": TIMESTAMP},
                        ["message_id", "user", "at"], closed=True, description=(
            "Someone acknowledged a message of a channel this client reads.")),
        "reminder": _frame("reminder", {"message": message}, ["message"], closed=True,
                           description="An alert this person has not acknowledged, again."),
        "zone": _frame("zone", {"zone": _feature(
            ["Polygon", "MultiPolygon"], "The zone, as GET /api/v1/zones/{id}/ gives it.")},
            ["zone"], closed=True, description=(
            "A zone of this demonstration was created, changed, agreed or withdrawn.")),
        "state": _frame("state", {
            "event": ID, "state": {"type": "string", "enum": list(Event.State.values)}},
            ["event", "state"], closed=True, description="The demonstration changed state."),
        "incident": _frame("incident", {"incident": _feature(
            ["Point"], "The incident, as GET /api/v1/events/{id}/incidents/ gives it.")},
            ["incident"], closed=True, description="An incident was reported."),
        "key_moment": _frame("key_moment", {
            "message_id": ID, "marked": {"type": "boolean"}, "note": {"type": "string"}},
            ["message_id", "marked", "note"], closed=True, description=(
            "City staff marked or unmarked a message as a key moment.")),
        "pong": _frame("pong", {}, [], closed=True, description="The answer to ping."),
        "error": _frame("error", {
            "code": {"type": "string", "enum": list(ERROR_CODES)},
            "detail": {"type": "string", "description": "In the connection's language."},
            "client_id": {"type": "string",
                          "description": "The refused frame's client_id, when it had one."},
        }, ["code", "detail"], closed=True, description=(
            "A frame was refused; the connection stays open.")),
    }
