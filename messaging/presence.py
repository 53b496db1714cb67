"""Who is connected, shared by every worker through the database.

Each connection refreshes its row; rows of a worker that died stop being refreshed and are
swept by the connections of the workers still alive.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from coordination.broadcast import broadcast_on_commit
from coordination.parties import actor_of
from messaging.models import Presence


def online_in(event_id: int) -> list[dict]:
    """The people connected to an event, each once, by name."""
    fresh = timezone.now() - dt.timedelta(seconds=settings.PARLEY_PRESENCE_STALE_SECONDS)
    rows = (
        Presence.objects.filter(event_id=event_id, last_seen__gte=fresh)
        .select_related("user").order_by("user__username")
    )
    people: dict[int, dict] = {}
    for row in rows:
        people.setdefault(row.user_id, actor_of(row.user))
    return list(people.values())


def online_in_events(event_ids) -> dict[int, list[dict]]:
    """``online_in`` for several events at once (one query), by event id."""
    fresh = timezone.now() - dt.timedelta(seconds=settings.PARLEY_PRESENCE_STALE_SECONDS)
    found: dict[int, dict[int, dict]] = {pk: {} for pk in event_ids}
    rows = (
        Presence.objects.filter(event_id__in=list(found), last_seen__gte=fresh)
        .select_related("user").order_by("user__username", "pk")
    )
    for row in rows:
        found[row.event_id].setdefault(row.user_id, actor_of(row.user))
    return {pk: list(people.values()) for pk, people in found.items()}


def _announce(event_id: int) -> list[dict]:
    online = online_in(event_id)
    broadcast_on_commit(event_id, {"type": "presence", "online": online})
    return online


class TooManyConnections(Exception):
    """The person already has ``PARLEY_MAX_CONNECTIONS_PER_USER`` live connections open."""


@transaction.atomic
def join(event_id: int, *, user, connection: str) -> list[dict]:
    """A connection opened; who is connected now (as ``online_in``).

    Raises ``TooManyConnections`` (and records nothing) when the person has as many live
    connections open as they may, on any worker.
    """
    # The person's row, locked: two workers admitting the same person count one at a time.
    get_user_model().objects.select_for_update().filter(pk=user.pk).exists()
    fresh = timezone.now() - dt.timedelta(seconds=settings.PARLEY_PRESENCE_STALE_SECONDS)
    open_now = (Presence.objects.filter(user=user, last_seen__gte=fresh)
                .exclude(connection=connection).count())
    if open_now >= settings.PARLEY_MAX_CONNECTIONS_PER_USER:
        raise TooManyConnections
    Presence.objects.update_or_create(
        connection=connection,
        defaults={"event_id": event_id, "user": user, "last_seen": timezone.now()},
    )
    return _announce(event_id)


@transaction.atomic
def leave(event_id: int, *, connection: str) -> None:
    """A connection closed."""
    if Presence.objects.filter(connection=connection).delete()[0]:
        _announce(event_id)


@transaction.atomic
def refresh(event_id: int, *, connection: str) -> None:
    """The connection is still alive; also sweep connections whose worker stopped."""
    Presence.objects.filter(connection=connection).update(last_seen=timezone.now())
    stale = timezone.now() - dt.timedelta(seconds=settings.PARLEY_PRESENCE_STALE_SECONDS)
    swept = set(
        Presence.objects.filter(last_seen__lt=stale).values_list("event_id", flat=True)
    )
    if swept:
        Presence.objects.filter(last_seen__lt=stale).delete()
        for swept_event in swept:
            _announce(swept_event)
