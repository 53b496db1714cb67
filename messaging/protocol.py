"""The frames of the live channel, without a server: a client's text frame read into a typed
frame or refused with its error code, and the frames the server sends.

Nothing here touches the database or the network, so every rule of the protocol can be
tested on its own (tests/messaging/test_protocol.py). ``messaging.consumers`` puts it on the wire.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError
from django.utils.translation import gettext as _

from coordination.errors import RateLimited
from messaging.frames import in_language

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_MEMBER = 4403
CLOSE_NO_SUCH_EVENT = 4404
CLOSE_TOO_MANY_CONNECTIONS = 4429
MAX_INT = 2**31 - 1
CHANNELS = ("all", "officials")
#: Refusals that count against the sender's rate limit: the client's fault, not the server's
#: (``unavailable``) nor the limit's own answer.
REFUSALS_COUNTED = frozenset({"bad_frame", "too_large", "forbidden", "invalid"})
#: Every ``code`` an ``error`` frame can carry (docs/protocol.md, "Error codes").
ERROR_CODES = ("bad_frame", "too_large", "forbidden", "rate_limited", "invalid", "unavailable")


class _TooLarge:
    def __repr__(self) -> str:
        return "TOO_LARGE"


#: Stands for a frame over the size limit, read no further (answered ``too_large``).
TOO_LARGE = _TooLarge()


# --- frames from the client ------------------------------------------------------------


@dataclass(frozen=True)
class Subscribe:
    """Send me this channel from ``after_seq`` on, then everything new."""

    channel: str
    after_seq: int
    answer_to: str | None = None  # the frame's client_id, if a string: refusals carry it


@dataclass(frozen=True)
class Send:
    """Store this message. ``client_id``, ``kind``, ``body`` and ``standard_instruction`` are
    as given: the service decides whether they can be stored (``services.validate_draft``)."""

    channel: str
    kind: str
    body: Any
    client_id: Any
    reply_to: int | None = None
    standard_instruction: Any = None
    answer_to: str | None = None


@dataclass(frozen=True)
class Ack:
    """I have read this instruction or alert."""

    message_id: int
    answer_to: str | None = None


@dataclass(frozen=True)
class Ping:
    """Are you there? (answered ``pong``)."""

    answer_to: str | None = None


ClientFrame = Subscribe | Send | Ack | Ping


@dataclass(frozen=True)
class Refusal:
    """A frame refused: answered with an ``error`` frame, the connection stays open."""

    code: str
    detail: str
    answer_to: str | None = None

    @property
    def counted(self) -> bool:
        """Whether it counts against the sender's rate limit (``messaging.limits``)."""
        return self.code in REFUSALS_COUNTED


class Refused(Exception):
    """Raised where a frame is refused in the course of answering it (a message that is not
    there, a channel the person cannot read)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


def frame_size(text_data: str | None, bytes_data: bytes | None) -> int:
    """The size of a frame in bytes, as the limit counts it."""
    if text_data is not None:
        return len(text_data.encode("utf-8", "surrogatepass"))
    return len(bytes_data or b"")


def received(text_data: str | None, bytes_data: bytes | None, *, max_bytes: int):
    """What a connection keeps of a frame until its turn: the frame itself, or ``TOO_LARGE``
    for one over ``max_bytes`` (a burst of large frames cannot fill the worker's memory)."""
    if frame_size(text_data, bytes_data) > max_bytes:
        return TOO_LARGE
    return text_data if text_data is not None else bytes_data


def read_frame(raw, *, max_bytes: int) -> ClientFrame | Refusal:
    """The client frame in ``raw`` (text, bytes, or ``TOO_LARGE``), or why it is refused."""
    if raw is TOO_LARGE:
        return Refusal("too_large", _("A frame may have at most %(max)s bytes.")
                       % {"max": max_bytes})
    try:
        content = json.loads(raw)
    except (TypeError, ValueError, RecursionError):
        content = None
    if not isinstance(content, dict):
        return Refusal("bad_frame", _("A frame is one JSON object."))
    answer_to = content["client_id"] if isinstance(content.get("client_id"), str) else None
    try:
        return _typed(content, answer_to)
    except Refused as refused:
        return Refusal(refused.code, refused.detail, answer_to)


def is_ping(frame: ClientFrame | Refusal) -> bool:
    """A ping is answered even to someone throttled: it costs nothing."""
    return isinstance(frame, Ping)


def _typed(content: dict, answer_to: str | None) -> ClientFrame:
    frame_type = content.get("type")
    if frame_type == "send":
        channel = _channel_field(content)
        reply_to = content.get("reply_to")
        if reply_to is not None:
            reply_to = _int_field(content, "reply_to", minimum=1)
        kind = content.get("kind", "message")
        if not isinstance(kind, str):
            raise Refused("invalid", _("“kind” must be message, instruction or alert."))
        return Send(channel=channel, kind=kind, body=content.get("body"),
                    client_id=content.get("client_id"), reply_to=reply_to,
                    standard_instruction=content.get("standard_instruction"),
                    answer_to=answer_to)
    if frame_type == "subscribe":
        return Subscribe(channel=_channel_field(content),
                         after_seq=_int_field(content, "after_seq", default=0),
                         answer_to=answer_to)
    if frame_type == "ack":
        return Ack(message_id=_int_field(content, "message_id", minimum=1), answer_to=answer_to)
    if frame_type == "ping":
        return Ping(answer_to=answer_to)
    raise Refused("bad_frame", _("Unknown frame type. Use subscribe, send, ack or ping."))


def _int_field(content: dict, name: str, *, default=None, minimum=0) -> int:
    value = content.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_INT:
        raise Refused("invalid", _("“%(name)s” must be a whole number from %(min)s to "
                                   "%(max)s.") % {"name": name, "min": minimum, "max": MAX_INT})
    return value


def _channel_field(content: dict) -> str:
    channel = content.get("channel")
    if not isinstance(channel, str) or channel not in CHANNELS:
        raise Refused("invalid", _("“channel” must be “all” or “officials”."))
    return channel


def refusal_for(exc: Exception, answer_to: str | None = None) -> Refusal:
    """The answer to a frame whose handling raised ``exc``: never a stack trace to the
    client, never a dead connection."""
    if isinstance(exc, Refused):
        return Refusal(exc.code, exc.detail, answer_to)
    if isinstance(exc, ValidationError):
        code = "too_large" if "too_large" in _codes(exc) else "invalid"
        return Refusal(code, _validation_detail(exc), answer_to)
    if isinstance(exc, PermissionDenied):
        return Refusal("forbidden", str(exc) or _("Not allowed."), answer_to)
    if isinstance(exc, RateLimited):
        return Refusal("rate_limited", exc.message, answer_to)
    if isinstance(exc, DatabaseError):
        logger.error("Database unavailable while handling a frame", exc_info=exc)
        return Refusal("unavailable", _("The service is briefly unavailable; send again with "
                                        "the same client_id."), answer_to)
    logger.error("Unexpected error while handling a frame", exc_info=exc)
    return Refusal("invalid", _("This frame could not be handled."), answer_to)


def _codes(exc: ValidationError) -> set:
    errors = (
        [e for errors in exc.error_dict.values() for e in errors]
        if hasattr(exc, "error_dict") else exc.error_list
    )
    return {getattr(e, "code", None) for e in errors}


def _validation_detail(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


def too_many_frames() -> Refusal:
    """The answer to a frame that finds the connection's inbox full."""
    return Refusal("rate_limited", _("Too many frames at once: wait for the answers before "
                                     "sending more."))


# --- frames from the server ------------------------------------------------------------


def error_frame(refusal: Refusal) -> dict:
    frame = {"type": "error", "code": refusal.code, "detail": str(refusal.detail)}
    if refusal.answer_to is not None:
        frame["client_id"] = refusal.answer_to
    return frame


def sent_frame(message) -> dict:
    """The answer to a ``send``: the message is stored, with its id and ``seq``."""
    return {"type": "sent", "client_id": str(message.client_id), "id": message.pk,
            "seq": message.seq}


def subscribed_frame(channel: str, head: int) -> dict:
    """The end of a replay: what follows is live."""
    return {"type": "subscribed", "channel": channel, "head_seq": head}


def presence_frame(online: list) -> dict:
    return {"type": "presence", "online": online}


def reminder_frame(message: dict) -> dict:
    return {"type": "reminder", "message": message}


PONG = {"type": "pong"}


def encode(frame: dict, language: str | None) -> str:
    """``frame`` as text for a reader of ``language`` (a standard instruction in theirs)."""
    if frame.get("standard_instruction"):
        frame = in_language(frame, language)
    return json.dumps(frame, ensure_ascii=False)
