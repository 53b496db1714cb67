"""Who may do what with a demonstration. Asked by name: ``user.has_perm("events.…", event)``."""

import rules

from coordination.parties import (
    Role,
    is_city,
    is_official,
    is_organiser,
    is_police,
    is_reviewer,
)


@rules.predicate
def is_event_member(user, event) -> bool:
    if event is None or not user.is_authenticated:
        return False
    return event.memberships.filter(user_id=user.pk).exists()


@rules.predicate
def is_concluded(user, event) -> bool:
    return event is not None and event.state == "concluded"


is_event_organiser = is_organiser & is_event_member

rules.add_perm("events.add_event", is_organiser)
rules.add_perm("events.view_event", is_event_organiser | is_official | (is_reviewer & is_concluded))
rules.add_perm(
    "events.view_event_contacts", is_event_organiser | is_city | (is_police & is_event_member)
)
rules.add_perm("events.change_event", is_event_organiser)
rules.add_perm("events.submit_event", is_event_organiser)
rules.add_perm("events.withdraw_event", is_event_organiser)
rules.add_perm("events.review_event", is_city)
rules.add_perm("events.run_event", is_city)
rules.add_perm("events.cancel_event", is_city)
rules.add_perm("events.add_member", is_city | is_event_organiser)
# Taking someone off a demonstration: whoever may remove anyone at all (the page shows its
# buttons to them); whom exactly is ``can_remove_member`` below.
rules.add_perm("events.remove_member", is_city | is_event_organiser)
rules.add_perm("events.view_event_log", is_city | is_reviewer)
# Receipts of the log (its head at each state change, coordination/log/chain.py): the parties to
# the demonstration keep them, so that a rewritten log is caught. Reviewers read the whole log.
rules.add_perm(
    "events.view_log_receipts",
    is_event_organiser | is_city | (is_police & is_event_member) | (is_reviewer & is_concluded),
)
# The conversation of the review (the notes that came with changes of state,
# events.selectors.review_conversation): the demonstration's organisers and police members,
# the city, and reviewers once it is concluded; organisers read the notes addressed to them.
rules.add_perm(
    "events.view_review_conversation",
    is_event_organiser | is_city | (is_police & is_event_member) | (is_reviewer & is_concluded),
)
# "What Parley records about your event" (privacy/views.py).
rules.add_perm("events.view_event_records", is_event_organiser | is_city)


def roles_addable_by(actor) -> tuple[str, ...]:
    """The roles of the people ``actor`` adds to a demonstration, once allowed to add anyone
    (``events.add_member``): city officials add police and city staff; organisers add
    co-organisers."""
    return (Role.POLICE, Role.CITY) if is_city(actor) else (Role.ORGANISER,)


def can_remove_member(actor, event, member) -> bool:
    """Whether ``actor`` may take ``member`` (an ``EventMembership`` of ``event``) off it.

    City officials remove anyone; organisers remove their co-organisers (themselves
    included). Nobody removes the last organiser: that is a conflict of the demonstration's
    state, not of the actor's role (``events.services.remove_member``).
    """
    if is_city(actor):
        return True
    return bool(is_event_organiser(actor, event) and member.role == Role.ORGANISER)
