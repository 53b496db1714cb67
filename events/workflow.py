"""The review workflow of a demonstration: which state may follow which, and who moves it."""

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

#: Transitions whose note is required (the reason is part of the record).
NOTE_REQUIRED: frozenset[str] = frozenset({S.CHANGES_REQUESTED, S.CANCELLED})


def next_states(state: str) -> list[str]:
    """The states that may follow ``state``, in workflow order."""
    return [to for to in ALLOWED_FROM if state in ALLOWED_FROM[to]]
