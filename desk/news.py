"""What the desk hears of the events' notifications.

Every notification of an event passes through ``coordination.broadcast``; the desk listens
there (``connect``, from ``DeskConfig.ready``) and, for the frames that change what it shows,
tells every open desk in a few words (``desk_changed``) — coalesced over
``PARLEY_DESK_COALESCE_SECONDS``, once per (event, frame type), so that a busy channel
(presence, acknowledgements) does not flood every desk.
"""

from __future__ import annotations

from django.conf import settings

from coordination import broadcast

#: The channel-layer group of every open desk (desk/consumers.py).
DESK_GROUP = "desk"
#: Frames whose news changes what the desk shows (besides instructions and alerts, below).
DESK_FRAMES = frozenset({"state", "zone", "acked", "presence"})
#: Kinds of message the desk lists until everyone has acknowledged them.
DESK_MESSAGE_KINDS = frozenset({"instruction", "alert"})


def desk_news(payload: dict) -> str | None:
    """What the desk should hear about ``payload`` (its frame type), or None if nothing."""
    what = payload.get("type")
    if not isinstance(what, str):
        return None
    if what == "message":
        return what if payload.get("kind") in DESK_MESSAGE_KINDS else None
    if what in DESK_FRAMES or what.startswith("incident"):
        return what
    return None


def desk_changed(event_id: int, what: str) -> dict:
    """The desk's notification: metadata only, never a message's body or a person's name,
    since every police officer and city official sees the desk, member of the event or not."""
    return {"type": "desk.changed", "event": event_id, "what": what}


def echo(event_id: int, payload: dict) -> broadcast.Echo | None:
    """The desk's echo of one notification of an event, or None if the desk does not care."""
    what = desk_news(payload)
    if what is None:
        return None
    return broadcast.Echo(DESK_GROUP, desk_changed(event_id, what),
                          coalesce_seconds=settings.PARLEY_DESK_COALESCE_SECONDS)


def connect() -> None:
    """Listen to every notification (``DeskConfig.ready``)."""
    broadcast.listen(echo)
