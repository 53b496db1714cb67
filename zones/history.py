"""Zones as they stood at a moment in the past, for the after-action replay.

Versions and agreements are never changed once written, so the past can be read from them:

- a zone exists at ``t`` once its first version was proposed (``ZoneVersion.created_at <= t``);
- the version in force at ``t`` is the latest one proposed at or before ``t``;
- its status at ``t``: ``withdrawn`` if the zone was withdrawn at or before ``t``; ``agreed``
  if every party of the zone had agreed *that* version by ``t``; ``proposed`` otherwise.

The label only names a zone and is not versioned: the current label is shown at every time.
The replay page (static/review/replay.js) applies the same three rules to
``zone_history()`` in the browser; ``zones_at()`` is the reference.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.gis.geos import GEOSGeometry
from django.db.models import Prefetch

from zones.models import Zone, ZoneAgreement, ZoneVersion


@dataclass(frozen=True)
class VersionRecord:
    """One version of a zone and when it was proposed and, if ever, agreed by all."""

    number: int
    kind: str
    conditions: str
    geometry: GEOSGeometry
    valid_from: dt.datetime | None
    valid_to: dt.datetime | None
    proposed_at: dt.datetime
    agreed_at: dt.datetime | None  # when the last of the zone's parties agreed it


@dataclass(frozen=True)
class ZoneRecord:
    """The whole history of one zone."""

    zone_id: int
    label: str
    withdrawn_at: dt.datetime | None
    versions: tuple[VersionRecord, ...]  # oldest first

    def as_of(self, when: dt.datetime) -> ZoneAt | None:
        """The zone as it stood at ``when``; None if it had not been proposed yet."""
        current = None
        for version in self.versions:
            if version.proposed_at <= when:
                current = version
        if current is None:
            return None
        if self.withdrawn_at is not None and self.withdrawn_at <= when:
            status = Zone.Status.WITHDRAWN
        elif current.agreed_at is not None and current.agreed_at <= when:
            status = Zone.Status.AGREED
        else:
            status = Zone.Status.PROPOSED
        return ZoneAt(zone_id=self.zone_id, label=self.label, version=current, status=status)


@dataclass(frozen=True)
class ZoneAt:
    """A zone at one moment: the version in force then and its status then."""

    zone_id: int
    label: str
    version: VersionRecord
    status: str


def _agreed_at(version: ZoneVersion, parties: tuple[str, ...]) -> dt.datetime | None:
    times = {a.party: a.at for a in version.agreements.all()}
    if not set(parties) <= set(times):
        return None
    return max(times[party] for party in parties)


def zone_history(event) -> list[ZoneRecord]:
    """Every zone of ``event`` with all its versions and agreements, in three queries."""
    zones = (
        Zone.objects.filter(event=event).order_by("pk")
        .only("pk", "event_id", "label", "withdrawn_at")
        .prefetch_related(Prefetch(
            "versions",
            queryset=ZoneVersion.objects.order_by("number").prefetch_related(
                Prefetch("agreements", queryset=ZoneAgreement.objects.only(
                    "pk", "version_id", "party", "at"))),
        ))
    )
    return [
        ZoneRecord(
            zone_id=zone.pk, label=zone.label, withdrawn_at=zone.withdrawn_at,
            versions=tuple(
                VersionRecord(
                    number=v.number, kind=v.kind, conditions=v.conditions,
                    geometry=v.geometry, valid_from=v.valid_from, valid_to=v.valid_to,
                    proposed_at=v.created_at, agreed_at=_agreed_at(v, zone.parties),
                )
                for v in zone.versions.all()
            ),
        )
        for zone in zones
    ]


def zones_at(event, when: dt.datetime) -> list[ZoneAt]:
    """The zones of ``event`` as they stood at ``when`` (withdrawn ones included, with that
    status), in the order they were first proposed."""
    states = (record.as_of(when) for record in zone_history(event))
    return [state for state in states if state is not None]
