"""The review workflow of a demonstration: which state may follow which, and who moves it."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.timesince import timeuntil
from django.utils.translation import ngettext

from coordination.moments import format_moment
from events.models import Event

S = Event.State

#: For each target state, the states it may be reached from.
ALLOWED_FROM: dict[str, frozenset[str]] = {
    S.SUBMITTED: frozenset({S.DRAFT, S.CHANGES_REQUESTED}),
    S.UNDER_REVIEW: frozenset({S.SUBMITTED}),
    S.CHANGES_REQUESTED: frozenset({S.UNDER_REVIEW}),
    S.AGREED: frozenset({S.UNDER_REVIEW}),
    S.LIVE: frozenset({S.AGREED}),
    S.CONCLUDED: frozenset({S.LIVE}),
    S.WITHDRAWN: frozenset({S.DRAFT, S.SUBMITTED, S.UNDER_REVIEW, S.CHANGES_REQUESTED, S.AGREED}),
    S.CANCELLED: frozenset(
        {S.DRAFT, S.SUBMITTED, S.UNDER_REVIEW, S.CHANGES_REQUESTED, S.AGREED, S.LIVE}
    ),
}

#: For each target state, the permission (django-rules, events/rules.py) needed to move there.
PERMISSION_FOR: dict[str, str] = {
    S.SUBMITTED: "events.submit_event",
    S.WITHDRAWN: "events.withdraw_event",
    S.UNDER_REVIEW: "events.review_event",
    S.CHANGES_REQUESTED: "events.review_event",
    S.AGREED: "events.review_event",
    S.LIVE: "events.run_event",
    S.CONCLUDED: "events.run_event",
    S.CANCELLED: "events.cancel_event",
}

#: A demonstration in one of these states is over: nothing about it changes any more (its
#: channels are read-only, its zones kept as they were).
CLOSED_STATES: frozenset[str] = frozenset({S.CONCLUDED, S.WITHDRAWN, S.CANCELLED})

#: Transitions whose note is required (the reason is part of the record). Withdrawing is
#: final and risky, so the organisers say why.
NOTE_REQUIRED: frozenset[str] = frozenset({S.CHANGES_REQUESTED, S.CANCELLED, S.WITHDRAWN})


def next_states(state: str) -> list[str]:
    """The states that may follow ``state``, in workflow order."""
    return [to for to in ALLOWED_FROM if state in ALLOWED_FROM[to]]


def live_allowed_from(event: Event) -> dt.datetime:
    """When ``event`` may first be marked live: ``PARLEY_LIVE_WINDOW_HOURS`` before its start
    (marking one live days ahead opens its live channel and alerts for nothing)."""
    return event.starts_at - dt.timedelta(hours=settings.PARLEY_LIVE_WINDOW_HOURS)


def too_early(event: Event, to: str, *, now: dt.datetime | None = None) -> str | None:
    """Why ``event`` cannot be moved to ``to`` yet, in words naming when it can; ``None`` when
    timing is no obstacle. The one place this rule lives: the service refuses with it, the
    page shows it instead of the button."""
    if to != S.LIVE:
        return None
    now = now or timezone.now()
    opens = live_allowed_from(event)
    if now >= opens:
        return None
    hours = settings.PARLEY_LIVE_WINDOW_HOURS
    return ngettext(
        "It is too early to mark this demonstration live: that is possible from %(hours)d "
        "hour before its start, on %(when)s (in %(wait)s).",
        "It is too early to mark this demonstration live: that is possible from %(hours)d "
        "hours before its start, on %(when)s (in %(wait)s).",
        hours,
    ) % {
        "hours": hours,
        "when": format_moment(opens),
        "wait": timeuntil(opens, now),
    }
