"""Who may be connected to an event's live channel, asked of the database when a connection
opens and again while it stays open. Each answer is None (or the event) for yes, else the
close code that tells the client why (``messaging.protocol``)."""

from __future__ import annotations

from django.http import Http404

from events.selectors import get_event_for
from messaging import presence
from messaging.auth import credentials_hold
from messaging.protocol import (
    CLOSE_NO_SUCH_EVENT,
    CLOSE_NOT_MEMBER,
    CLOSE_TOO_MANY_CONNECTIONS,
    CLOSE_UNAUTHENTICATED,
)


def admission(user, event_id: int):
    """``(event, None)`` if ``user`` may be connected to the event's channel, else
    ``(None, close_code)``."""
    if not user.is_authenticated:
        return None, CLOSE_UNAUTHENTICATED
    user.refresh_from_db(fields=["is_active", "role"])
    if not user.is_active:
        return None, CLOSE_UNAUTHENTICATED
    try:
        event = get_event_for(user, event_id)
    except Http404:
        return None, CLOSE_NO_SUCH_EVENT
    if not event.memberships.filter(user_id=user.pk).exists():
        return None, CLOSE_NOT_MEMBER
    return event, None


def readmission(scope, user, event_id: int, *, reason: str | None = None) -> int | None:
    """For an open connection, asked again from the database: None if ``user`` may stay
    connected to the event's channel, else the close code: 4401 when they are deactivated
    or what opened the connection no longer signs them in (``credentials_hold``), 4403 when
    they may no longer be there (removed from the event, say)."""
    user.refresh_from_db(fields=["is_active", "role", "password"])
    if not user.is_active or not credentials_hold(scope, user, reason=reason):
        return CLOSE_UNAUTHENTICATED
    _event, refusal = admission(user, event_id)
    if refusal is None:
        return None
    return CLOSE_UNAUTHENTICATED if refusal == CLOSE_UNAUTHENTICATED else CLOSE_NOT_MEMBER


def admit(user, event_id: int, connection: str):
    """``admission``, and for someone admitted their presence recorded: one trip to a
    database thread for a connecting client. ``(event, None, online)`` or
    ``(None, close_code, None)``; ``online`` is who is connected now, them included."""
    event, refusal = admission(user, event_id)
    if refusal is not None:
        return None, refusal, None
    try:
        return event, None, presence.join(event_id, user=user, connection=connection)
    except presence.TooManyConnections:
        return None, CLOSE_TOO_MANY_CONNECTIONS, None
