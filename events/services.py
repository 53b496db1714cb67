"""Every write to a demonstration: validated, logged in the same transaction, then announced."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from coordination.broadcast import (
    access_changed,
    broadcast_on_commit,
    event_group,
    send_to_group_on_commit,
)
from coordination.errors import Conflict
from coordination.log import geometry_for_log, lock_for_log, receipt_of, record
from coordination.log.kinds import LogKind
from coordination.parties import Role
from events import selectors
from events.models import Event, EventMembership, ReferenceCounter
from events.notifications import notify_organisers_of_state_change
from events.rules import can_remove_member, roles_addable_by
from events.selectors import WITHHELD, WITHHELD_FROM_LOG
from events.workflow import ALLOWED_FROM, NOTE_REQUIRED, PERMISSION_FOR, too_early

#: Fields an organiser writes when registering or editing a demonstration.
EDITABLE_FIELDS = (
    "title", "kind", "counter_to", "organisation", "description", "expected_attendance",
    "stewards", "starts_at", "ends_at", "assembly_point", "route", "dispersal_point",
    "amplified_sound", "accessibility_needs", "languages", "contact_name", "contact_phone",
    "contact_email", "public", "publish_description", "assembly_point_name",
    "dispersal_point_name",
)


def allocate_reference(*, year: int) -> str:
    """The next reference of ``year`` (``PAR-2026-0042``), unique even under concurrency.

    The counter row is incremented with an UPDATE, which holds its lock until the caller's
    transaction ends, so two registrations never get the same number.
    """
    try:
        with transaction.atomic():
            ReferenceCounter.objects.get_or_create(year=year)
    except IntegrityError:
        pass  # another transaction created this year's counter first: fine
    ReferenceCounter.objects.filter(year=year).update(last_number=F("last_number") + 1)
    number = ReferenceCounter.objects.get(year=year).last_number
    return f"{settings.PARLEY_REFERENCE_PREFIX}-{year}-{number:04d}"


def _validate(event: Event, *, start_must_be_future: bool, exclude=()) -> None:
    """Every rule at once, so the person sees all their mistakes together."""
    errors: dict[str, list] = {}
    try:
        event.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        errors = exc.message_dict
    if (start_must_be_future and isinstance(event.starts_at, dt.datetime)
            and event.starts_at <= timezone.now()):
        errors.setdefault("starts_at", []).append(_("The start must be in the future."))
    if errors:
        raise ValidationError(errors)



def _loggable(event: Event, fields) -> dict[str, Any]:
    """The values of ``fields`` in a form the log can keep (geometry as a GeoJSON object)."""
    values = {}
    for name in fields:
        value = getattr(event, name if name != "counter_to" else "counter_to_id")
        if hasattr(value, "geojson"):
            value = geometry_for_log(value)
        if name in WITHHELD_FROM_LOG and value:
            value = WITHHELD
        values[name] = value
    return values


def check_can_register(*, organiser) -> None:
    """Raise ``PermissionDenied`` unless ``organiser`` may register demonstrations."""
    if not organiser.has_perm("events.add_event"):
        raise PermissionDenied(_("Only organisers register demonstrations."))


def check_can_edit(event: Event, *, actor) -> None:
    """Raise ``PermissionDenied`` (role) or ``Conflict`` (state) unless ``actor`` may edit.

    Callers ask this before looking at the changes, so that someone who may not edit at all
    hears that, not what is wrong with their input.
    """
    if not actor.has_perm("events.change_event", event):
        raise PermissionDenied(_("Only the event's organisers can edit it."))
    if not event.is_open_for_changes:
        raise Conflict(
            _("A demonstration can be edited only while it is a draft or changes were "
              "requested; it is now “%(state)s”.") % {"state": event.get_state_display()}
        )


@transaction.atomic
def register_event(*, organiser, **fields: Any) -> Event:
    """An organiser registers a demonstration; it starts as a draft they can still edit."""
    check_can_register(organiser=organiser)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be set.")] for name in unknown})
    event = Event(organiser=organiser, **fields)
    _validate(event, start_must_be_future=True, exclude=["reference"])
    event.reference = allocate_reference(year=timezone.now().year)
    event.save()
    EventMembership.objects.create(event=event, user=organiser, role=organiser.role)
    record(event, actor=organiser, kind=LogKind.EVENT_CREATED,
           data={"reference": event.reference, **_loggable(event, EDITABLE_FIELDS)})
    return event


@transaction.atomic
def update_event(event: Event, *, actor, **changes: Any) -> Event:
    """An organiser edits their registration while it is a draft or sent back for changes."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    check_can_edit(event, actor=actor)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in unknown})
    changed = [name for name, value in changes.items() if getattr(event, name) != value]
    for name in changed:
        setattr(event, name, changes[name])
    _validate(event, start_must_be_future="starts_at" in changed)
    if not changed:
        return event
    event.save()
    record(event, actor=actor, kind=LogKind.EVENT_CHANGED, data=_loggable(event, changed))
    return event


def check_can_amend(event: Event, *, actor) -> None:
    """Raise ``PermissionDenied`` (role) or ``Conflict`` (state) unless ``actor`` may amend
    ``event``: an organiser member, while it is agreed and not yet live."""
    if not actor.has_perm("events.change_event", event):
        raise PermissionDenied(_("Only the event's organisers can edit it."))
    if event.state != Event.State.AGREED:
        raise Conflict(
            _("Only an agreed demonstration that is not yet live can be amended; it is now "
              "“%(state)s”.") % {"state": event.get_state_display()}
        )


def check_can_change(event: Event, *, actor) -> None:
    """Raise unless ``actor`` may edit ``event`` now, as a draft or sent-back registration
    (``update_event``) or as an agreed one (``amend_event``)."""
    if event.state == Event.State.AGREED:
        check_can_amend(event, actor=actor)
        return
    if not actor.has_perm("events.change_event", event):
        raise PermissionDenied(_("Only the event's organisers can edit it."))
    if not event.is_open_for_changes:
        raise Conflict(
            _("A demonstration can be edited while it is a draft, when changes were "
              "requested, or once agreed until it is live; it is now “%(state)s”.")
            % {"state": event.get_state_display()}
        )


def change_registration(event: Event, *, actor, **changes: Any) -> Event:
    """Edit the registration as its state allows: an agreed one is amended (and goes back to
    the city), a draft or sent-back one is simply updated."""
    if event.state == Event.State.AGREED:
        return amend_event(event, actor=actor, **changes)
    return update_event(event, actor=actor, **changes)


@transaction.atomic
def amend_event(event: Event, *, actor, **changes: Any) -> Event:
    """An organiser amends their agreed demonstration before it is live.

    Validated as a registration; the demonstration goes back to ``submitted`` for the city
    to agree again, with one ``event.amended`` entry holding each changed field as
    ``{"field": {"from": old, "to": new}}``. Its zones are untouched: their agreements stay
    with the versions they were given to. Nothing changed is refused (``ValidationError``),
    so that nobody sends an agreed demonstration back for nothing.
    """
    event = lock_for_log(Event, event.pk)
    check_can_amend(event, actor=actor)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in unknown})
    changed = [name for name, value in changes.items() if getattr(event, name) != value]
    if not changed:
        raise ValidationError(_("Nothing changed: the demonstration stays agreed as it was."))
    before = {name: selectors.field_value(event, name) for name in changed}
    for name in changed:
        setattr(event, name, changes[name])
    _validate(event, start_must_be_future="starts_at" in changed)
    previous = event.state
    event.state = Event.State.SUBMITTED
    event.save()
    entry = record(event, actor=actor, kind=LogKind.EVENT_AMENDED, locked=True, data={
        name: {"from": before[name], "to": selectors.field_value(event, name)} for name in changed
    })
    broadcast_on_commit(event.pk, {"type": "state", "event": event.pk, "state": event.state})
    notify_organisers_of_state_change(event, previous=previous, actor=actor,
                                      receipt=receipt_of(entry))
    return event


def check_can_move(event: Event, *, to: str, actor) -> None:
    """Raise ``PermissionDenied`` (role) or ``Conflict`` (state) unless ``actor`` may move
    ``event`` to ``to`` now: asked before a confirmation is shown, so that nobody confirms
    what would be refused. ``transition_event`` asks again, on the locked row."""
    if not actor.has_perm(PERMISSION_FOR[to], event):
        raise PermissionDenied(
            _("Your role (%(role)s) cannot move a demonstration to “%(to)s”.")
            % {"role": actor.get_role_display(), "to": Event.State(to).label}
        )
    if event.state not in ALLOWED_FROM[to]:
        raise Conflict(
            _("A demonstration that is “%(state)s” cannot be moved to “%(to)s”.")
            % {"state": event.get_state_display(), "to": Event.State(to).label}
        )


@transaction.atomic
def transition_event(event: Event, *, to: str, actor, note: str = "") -> Event:
    """Move a demonstration to another state of its workflow.

    Raises ``ValidationError`` for an unknown state or a missing note, ``PermissionDenied``
    when the actor's role may not make this move, ``Conflict`` when the workflow does not
    allow it from the current state.
    """
    if to not in ALLOWED_FROM:
        raise ValidationError({"to": [_("“%(to)s” is not a state a demonstration can be "
                                        "moved to.") % {"to": to}]})
    event = Event.objects.select_for_update().get(pk=event.pk)
    check_can_move(event, to=to, actor=actor)
    waiting = too_early(event, to)
    if waiting:
        raise Conflict(waiting)
    note = (note or "").strip()
    if to in NOTE_REQUIRED and not note:
        raise ValidationError({"note": [_("Please give a reason.")]})
    previous = event.state
    event.state = to
    event.save(update_fields=["state", "updated_at"])
    entry = record(event, actor=actor, kind=LogKind.EVENT_TRANSITION,
                   data={"from": previous, "to": to, "note": note})
    broadcast_on_commit(event.pk, {"type": "state", "event": event.pk, "state": to})
    notify_organisers_of_state_change(event, previous=previous, actor=actor, note=note,
                                      receipt=receipt_of(entry))
    return event


@transaction.atomic
def add_member(event: Event, *, username: str, actor) -> tuple[EventMembership, bool]:
    """Add a person to an event's coordination; returns (membership, created).

    City officials add police and city members; organisers add co-organisers.
    """
    if not actor.has_perm("events.add_member", event):
        raise PermissionDenied(_("Your role cannot add members to this demonstration."))
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    allowed = roles_addable_by(actor)
    if actor.role != Role.CITY and (user is None or user.role not in allowed):
        # Organisers, whom anyone can become, learn nothing of other accounts: an official's
        # username reads like one that does not exist.
        raise ValidationError({"username": [_("No organiser has this username.")]})
    if user is None:
        raise ValidationError({"username": [_("No active user has this username.")]})
    if user.role not in allowed:
        raise ValidationError({"username": [_("City officials add police and city staff; "
                                              "organisers add co-organisers themselves.")]})
    event = Event.objects.select_for_update().get(pk=event.pk)
    membership, created = EventMembership.objects.get_or_create(
        event=event, user=user, defaults={"role": user.role, "added_by": actor}
    )
    if created:
        record(event, actor=actor, kind=LogKind.EVENT_MEMBER_ADDED,
               data={"username": user.username, "role": user.role})
    return membership, created


#: Why a connection is asked again after a removal (``coordination.broadcast.access_changed``).
REMOVED = "removed"


@transaction.atomic
def remove_member(event: Event, *, username: str, actor) -> EventMembership:
    """Take ``username`` off the demonstration; returns the membership that was deleted.

    City officials remove anyone, organisers their co-organisers; nobody removes the last
    organiser (``Conflict``). Raises ``PermissionDenied`` for an actor who may remove no one
    or not this member, ``Http404`` for a username that is not a member (the same for one
    that does not exist). Logged as ``event.member_removed``; after commit the removed
    person's open connections to the event's channel are asked to check again, and close.
    """
    if not actor.has_perm("events.remove_member", event):
        raise PermissionDenied(_("Your role cannot remove members from this demonstration."))
    # Locked as for the log, as a message being stored locks it: a message of the removed
    # person is either stored before the removal or refused after it, never in between.
    event = lock_for_log(Event, event.pk)
    membership = selectors.membership_for(event, username)
    if not can_remove_member(actor, event, membership):
        raise PermissionDenied(_("Organisers remove co-organisers only; the city removes "
                                 "police officers and city officials."))
    if membership.role == Role.ORGANISER and selectors.organiser_count(event) <= 1:
        raise Conflict(_("%(name)s is the last organiser of this demonstration and cannot be "
                         "removed: add another organiser first.")
                       % {"name": membership.user.display_name})
    user = membership.user
    membership.delete()
    record(event, actor=actor, kind=LogKind.EVENT_MEMBER_REMOVED, locked=True,
           data={"username": user.username, "role": membership.role})
    send_to_group_on_commit(event_group(event.pk),
                            access_changed(reason=REMOVED, user_id=user.pk))
    return membership
