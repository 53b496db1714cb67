"""Reading zones: what each person may see, and the filters of the API."""

from __future__ import annotations

import datetime as dt

from django.contrib.gis.geos import Polygon
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from coordination.parties import Role
from events.models import Event
from zones.models import Zone, ZoneAgreement, ZoneVersion


def _with_agreements(zones: QuerySet[Zone]) -> QuerySet[Zone]:
    """Zones with what their Features show read in a fixed number of queries."""
    return zones.select_related("event").prefetch_related(
        Prefetch("agreements", queryset=ZoneAgreement.objects.select_related("version", "user"))
    )


def zones_visible_to(user) -> QuerySet[Zone]:
    """Every zone ``user`` may see, city-wide: the zones of the demonstrations they may see,
    and, for police, city and reviewers, the city-wide layer."""
    zones = _with_agreements(Zone.objects.all())
    if not user.is_authenticated or not user.is_active:
        return zones.none()
    if user.role in (Role.POLICE, Role.CITY):
        return zones
    if user.role == Role.REVIEWER:
        return zones.filter(Q(event__isnull=True) | Q(event__state=Event.State.CONCLUDED))
    return zones.filter(event__memberships__user=user)


def zones_of_event(event: Event) -> QuerySet[Zone]:
    """The zones of one demonstration (the caller has been allowed to see it)."""
    return _with_agreements(Zone.objects.filter(event=event)).order_by("pk")


def zone_as_shown(pk: int) -> Zone:
    """The zone with what its Feature shows, as it is now (no permission asked)."""
    return _with_agreements(Zone.objects.all()).get(pk=pk)


def get_zone_for(user, pk) -> Zone:
    """The zone, if ``user`` may see it; otherwise 404, exactly as if it did not exist."""
    try:
        zone = _with_agreements(Zone.objects.all()).get(pk=int(pk))
    except (Zone.DoesNotExist, TypeError, ValueError):
        raise Http404(_("No such zone.")) from None
    if not user.has_perm("zones.view_zone", zone):
        raise Http404(_("No such zone."))
    return zone


def filter_zones(
    zones: QuerySet[Zone],
    *,
    bbox: tuple[float, float, float, float] | None = None,
    active_at: dt.datetime | None = None,
    kind: list[str] | None = None,
    status: list[str] | None = None,
) -> QuerySet[Zone]:
    """Narrow zones to a longitude/latitude box, a moment, kinds and statuses.

    A zone is active at ``t`` when ``valid_from <= t < valid_to`` (an open end counts as
    always) and it has not been withdrawn.
    """
    if bbox:
        box = Polygon.from_bbox(bbox)
        box.srid = 4326
        zones = zones.filter(geometry__intersects=box)
    if active_at:
        zones = zones.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=active_at),
            Q(valid_to__isnull=True) | Q(valid_to__gt=active_at),
        ).exclude(status=Zone.Status.WITHDRAWN)
    if kind:
        zones = zones.filter(kind__in=kind)
    if status:
        zones = zones.filter(status__in=status)
    # No DISTINCT: one membership per person and event, so no zone is listed twice.
    return zones.order_by("pk")


def versions_of(zone: Zone) -> QuerySet[ZoneVersion]:
    """Every version of a zone, oldest first, with its agreements."""
    return (
        ZoneVersion.objects.filter(zone=zone)
        .select_related("zone", "zone__event")
        .prefetch_related(Prefetch("agreements",
                                   queryset=ZoneAgreement.objects.select_related("user")))
        .order_by("number")
    )


def current_agreements(zone: Zone) -> list[ZoneAgreement]:
    """The agreements to the zone's current version, in the order they were given."""
    agreements = [a for a in zone.agreements.all() if a.version.number == zone.version]
    return sorted(agreements, key=lambda a: (a.at, a.pk))


def version_status(version: ZoneVersion) -> str:
    """An old version is ``superseded``; the current one has the zone's status."""
    if version.number < version.zone.version:
        return Zone.Status.SUPERSEDED
    return version.zone.status
