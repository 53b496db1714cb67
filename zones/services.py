"""Every write to a zone: checked, logged in the same transaction, announced after commit.

A zone of a demonstration is logged in that demonstration's log and announced on its live
channel as a ``zone`` frame. A city-wide zone belongs to no demonstration, so to no log and
no channel: its history is its versions and agreements, which are never changed or deleted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from coordination.broadcast import broadcast_on_commit
from coordination.errors import Conflict
from coordination.log import geometry_for_log, lock_for_log, record
from coordination.log.kinds import LogKind
from coordination.parties import Role
from events.models import Event
from events.workflow import CLOSED_STATES
from zones import selectors
from zones.geometry import check_zone_geometry, rfc7946_wound
from zones.models import Zone, ZoneAgreement, ZoneVersion
from zones.notifications import notify_organisers_zone_awaits_agreement
from zones.serializers import CONDITIONS_MAX_CHARS, zone_feature

#: A change of any of these makes a new version, which must be agreed again.
VERSIONED_FIELDS = ("kind", "geometry", "valid_from", "valid_to", "conditions")
#: What a client may write; the label only names the zone, so changing it is no new version.
EDITABLE_FIELDS = (*VERSIONED_FIELDS, "label")


def _check_event_open(event: Event | None) -> None:
    if event is not None and event.state in CLOSED_STATES:
        raise Conflict(
            _("The demonstration is “%(state)s”: its zones can no longer change.")
            % {"state": event.get_state_display()}
        )


def _check_not_withdrawn(zone: Zone) -> None:
    if zone.status == Zone.Status.WITHDRAWN:
        raise Conflict(_("This zone was withdrawn; propose a new one instead."))


def check_can_add(*, actor, event: Event | None) -> None:
    """Raise ``PermissionDenied`` (role) or ``Conflict`` (state) unless ``actor`` may add a
    zone to ``event`` (None: to the city-wide layer)."""
    if event is None:
        if not actor.has_perm("zones.add_citywide_zone"):
            raise PermissionDenied(_("Only city officials manage the city-wide sensitive "
                                     "sites."))
        return
    if not actor.has_perm("zones.add_zone", event):
        raise PermissionDenied(_("Only the demonstration's organisers, police and city "
                                 "members can propose zones for it."))
    _check_event_open(event)


def check_can_change(zone: Zone, *, actor, permission: str = "zones.change_zone") -> None:
    """Raise ``PermissionDenied`` (role) or ``Conflict`` (state) unless ``actor`` may change
    (or, with ``permission="zones.withdraw_zone"``, withdraw) ``zone``.

    Asked before looking at the changes, so that someone who may not change the zone at all
    hears that, not what is wrong with their input.
    """
    if not actor.has_perm(permission, zone):
        if zone.is_citywide:
            raise PermissionDenied(_("Only city officials manage the city-wide sensitive "
                                     "sites."))
        raise PermissionDenied(_("Only the demonstration's police and city members can "
                                 "change its zones; organisers propose new ones and agree."))
    _check_not_withdrawn(zone)
    _check_event_open(zone.event)


def _validate(zone: Zone) -> None:
    """Every rule at once, so the person sees all their mistakes together."""
    errors: dict[str, list] = {}
    try:
        zone.full_clean(exclude=["event", "geometry", "created_by", "withdrawn_by"],
                        validate_constraints=False)
    except ValidationError as exc:
        errors = exc.message_dict
    if zone.event_id is None and zone.kind != Zone.Kind.SENSITIVE_SITE:
        errors.setdefault("kind", []).append(
            _("A city-wide zone is a sensitive site; other zones belong to a demonstration.")
        )
    if zone.event_id is not None and zone.kind == Zone.Kind.SENSITIVE_SITE:
        errors.setdefault("kind", []).append(
            _("Sensitive sites are city-wide: the city designates them on the city-wide "
              "layer, not for one demonstration.")
        )
    try:
        check_zone_geometry(zone.geometry)
    except ValidationError as exc:
        errors.setdefault("geometry", []).extend(exc.messages)
    if len(zone.conditions or "") > CONDITIONS_MAX_CHARS:
        errors.setdefault("conditions", []).append(
            _("Conditions may have at most %(max)s characters.") % {"max": CONDITIONS_MAX_CHARS}
        )
    if zone.event_id is not None:
        for name in ("valid_from", "valid_to"):
            if getattr(zone, name) is None:
                errors.setdefault(name, []).append(
                    _("A demonstration's zone is valid for a time: give its start and end.")
                )
    if (isinstance(zone.valid_from, dt.datetime) and isinstance(zone.valid_to, dt.datetime)
            and zone.valid_to <= zone.valid_from):
        errors.setdefault("valid_to", []).append(_("The end must be after the start."))
    if errors:
        raise ValidationError(errors)


def _loggable(zone: Zone, fields) -> dict[str, Any]:
    """The zone's identity and the values of ``fields`` in a form the log can keep."""
    values: dict[str, Any] = {"zone": zone.pk, "version": zone.version}
    for name in fields:
        value = getattr(zone, name)
        values[name] = geometry_for_log(value) if hasattr(value, "geojson") else value
    return values


def _write_version(zone: Zone, *, actor) -> ZoneVersion:
    """Keep the zone's current version as it now is; a city-wide zone is the city's alone to
    decide, so the city proposing it is the city agreeing it."""
    version = ZoneVersion.objects.create(
        zone=zone, number=zone.version, kind=zone.kind, conditions=zone.conditions,
        geometry=zone.geometry, valid_from=zone.valid_from, valid_to=zone.valid_to,
        created_by=actor,
    )
    if zone.is_citywide:
        ZoneAgreement.objects.create(version=version, zone=zone, party=Role.CITY, user=actor)
        zone.status = Zone.Status.AGREED
        zone.save(update_fields=["status", "updated_at"])
    return version


def _announce(zone: Zone) -> Zone:
    """The zone as it now is; a demonstration's zone goes out on its live channel."""
    zone = selectors.zone_as_shown(zone.pk)
    if zone.event_id is not None:
        broadcast_on_commit(zone.event_id, {"type": "zone", "zone": zone_feature(zone)})
    return zone


def _lock(zone: Zone) -> Zone:
    """The zone's row, and its demonstration's (for the log), locked for this transaction."""
    event = lock_for_log(Event, zone.event_id) if zone.event_id else None
    zone = Zone.objects.select_for_update().get(pk=zone.pk)
    zone.event = event
    return zone


@transaction.atomic
def create_zone(
    *,
    actor,
    event: Event | None,
    kind: str,
    geometry,
    label: str = "",
    conditions: str = "",
    valid_from: dt.datetime | None = None,
    valid_to: dt.datetime | None = None,
) -> Zone:
    """Propose a zone for ``event``, or (city only, ``event=None``) designate a city-wide
    sensitive site. A demonstration's zone is valid during the demonstration unless other
    times are given, and starts as ``proposed`` with no agreements."""
    if event is not None:
        event = lock_for_log(Event, event.pk)
    check_can_add(actor=actor, event=event)
    if event is not None:
        valid_from = valid_from or event.starts_at
        valid_to = valid_to or event.ends_at
    zone = Zone(
        event=event, kind=kind, label=label or "", conditions=conditions or "",
        geometry=rfc7946_wound(geometry), valid_from=valid_from, valid_to=valid_to,
        created_by=actor,
    )
    _validate(zone)
    zone.save()
    _write_version(zone, actor=actor)
    if event is not None:
        record(event, actor=actor, kind=LogKind.ZONE_CREATED, locked=True,
               data=_loggable(zone, ("label", *VERSIONED_FIELDS)))
        notify_organisers_zone_awaits_agreement(zone, actor=actor, changed=False)
    return _announce(zone)


@transaction.atomic
def change_zone(zone: Zone, *, actor, **changes: Any) -> Zone:
    """Change a zone. A change of its shape, times, kind or conditions makes a new version:
    the old one is kept with its agreements, the new one is ``proposed`` with none."""
    zone = _lock(zone)
    check_can_change(zone, actor=actor)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in unknown})
    if "geometry" in changes:
        # Wound as stored, so that the same shape sent the other way round is no change.
        changes["geometry"] = rfc7946_wound(changes["geometry"])
    changed = [name for name, value in changes.items() if getattr(zone, name) != value]
    if not changed:
        return selectors.zone_as_shown(zone.pk)
    for name in changed:
        setattr(zone, name, changes[name])
    _validate(zone)
    new_version = any(name in VERSIONED_FIELDS for name in changed)
    if new_version:
        zone.version += 1
        zone.status = Zone.Status.PROPOSED
    zone.save()
    if new_version:
        _write_version(zone, actor=actor)
    if zone.event is not None:
        record(zone.event, actor=actor, kind=LogKind.ZONE_CHANGED, locked=True,
               data={**_loggable(zone, changed), "new_version": new_version})
        if new_version:
            notify_organisers_zone_awaits_agreement(zone, actor=actor, changed=True)
    return _announce(zone)


@transaction.atomic
def agree_zone(zone: Zone, *, actor, version: int) -> tuple[Zone, bool]:
    """The actor's party agrees ``version`` of the zone; returns (zone, newly agreed).

    Only the current version can be agreed (``Conflict`` otherwise). When every party of the
    zone has agreed it, the zone is ``agreed``. A party that has already agreed is not an
    error: nothing changes.
    """
    zone = _lock(zone)
    if not actor.has_perm("zones.agree_zone", zone):
        raise PermissionDenied(_("Only the demonstration's organisers, police and city "
                                 "members agree its zones."))
    _check_not_withdrawn(zone)
    _check_event_open(zone.event)
    if version != zone.version:
        if version < zone.version:
            message = _("Version %(version)s of this zone is no longer current: it was "
                        "changed, and version %(current)s is the one to agree.")
        else:
            message = _("This zone has no version %(version)s yet; version %(current)s is "
                        "the current one.")
        raise Conflict(message % {"version": version, "current": zone.version})
    current = ZoneVersion.objects.get(zone=zone, number=zone.version)
    _agreement, created = ZoneAgreement.objects.get_or_create(
        version=current, party=actor.role, defaults={"zone": zone, "user": actor}
    )
    if not created:
        return selectors.zone_as_shown(zone.pk), False
    agreed = set(ZoneAgreement.objects.filter(version=current).values_list("party", flat=True))
    if set(zone.parties) <= agreed:
        zone.status = Zone.Status.AGREED
        zone.save(update_fields=["status", "updated_at"])
    if zone.event is not None:
        record(zone.event, actor=actor, kind=LogKind.ZONE_AGREED, locked=True,
               data={"zone": zone.pk, "version": zone.version, "party": actor.role,
                     "status": zone.status})
    return _announce(zone), True


@transaction.atomic
def withdraw_zone(zone: Zone, *, actor) -> Zone:
    """Withdraw a zone: it stays on record, with all its versions, as ``withdrawn``."""
    zone = _lock(zone)
    check_can_change(zone, actor=actor, permission="zones.withdraw_zone")
    zone.status = Zone.Status.WITHDRAWN
    zone.withdrawn_by = actor
    zone.withdrawn_at = timezone.now()
    zone.save(update_fields=["status", "withdrawn_by", "withdrawn_at", "updated_at"])
    if zone.event is not None:
        record(zone.event, actor=actor, kind=LogKind.ZONE_WITHDRAWN, locked=True,
               data={"zone": zone.pk, "version": zone.version})
    return _announce(zone)
