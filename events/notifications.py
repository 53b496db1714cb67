"""E-mails to a demonstration's organisers about their demonstration (queued, in each
organiser's language; coordination/notifications.py sends them)."""

from __future__ import annotations

from coordination.log import Receipt
from coordination.notifications import queue_email, site_url
from coordination.parties import Role
from events.models import Event
from events.selectors import note_reaches_organisers, review_conversation


def organisers_of(event: Event) -> list:
    """The people who organise ``event``: its organiser members, active ones only. The one
    who registered it is a member from the start; once removed, they hear no more of it."""
    return [membership.user for membership in event.memberships.filter(
        role=Role.ORGANISER, user__is_active=True).select_related("user").order_by("pk")]


def notify_organisers_of_state_change(event: Event, *, previous: str, actor,
                                      note: str = "", receipt: Receipt | None = None) -> int:
    """Queue an e-mail about the demonstration's new state to each of its organisers, except
    the one who made the change; returns how many were queued.

    The note goes with it when it is addressed to the organisers (the changes the city asks
    for, the reason for a cancellation) or was written by an organiser; other notes stay in
    the log, which organisers do not read.

    ``receipt``: the log's head just after the change, for the organisers to keep outside
    Parley (docs/log.md, "Receipts").

    Once the review has had more than one note, the e-mail carries the whole conversation
    with the city so far, as each organiser reads it on the demonstration's page.
    """
    shown_note = note if note_reaches_organisers(to=event.state, actor_role=actor.role) else ""
    context = {
        "event": event,
        "previous_state": Event.State(previous).label,
        "state": event.state,
        "state_label": Event.State(event.state).label,
        "actor_party": Role(actor.role).label,
        "note": shown_note,
        "link": site_url(event.get_absolute_url()),
        "receipt": receipt,
    }
    queued = 0
    for organiser in organisers_of(event):
        if organiser.pk == actor.pk:
            continue  # they know: they just did it
        conversation = review_conversation(event, viewer=organiser)
        queued += queue_email(
            organiser, subject_template="email/event_state_changed_subject.txt",
            body_template="email/event_state_changed_body.txt",
            context={**context, "conversation": conversation if len(conversation) > 1 else []},
        )
    return queued
