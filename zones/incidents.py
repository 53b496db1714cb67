"""Incidents on a demonstration's map: reported by its police and by city staff, logged in
the same transaction, shown live on every open page of the demonstration.

An incident has two times: ``happened_at`` (as the reporter says; now by default) and
``recorded_at`` (when Parley stored it). Both go into the log entry, so the after-action
review can show both where they differ.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

from django.contrib.gis.geos import GEOSGeometry, Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from coordination.broadcast import broadcast_on_commit
from coordination.errors import Conflict
from coordination.log import format_timestamp, lock_for_log, record
from coordination.log.kinds import LogKind
from coordination.moments import format_moment
from coordination.parties import actor_of
from events.models import Event
from zones.models import Incident

#: Incidents happen on the day: once a demonstration is agreed, and while it is live.
REPORTING_STATES = frozenset({Event.State.AGREED, Event.State.LIVE})
#: A reporter's clock may run a little ahead of the server's.
CLOCK_SKEW = dt.timedelta(minutes=1)
DESCRIPTION_MAX_CHARS = 500


class ReporterSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.CharField()


class IncidentSerializer(GeoFeatureModelSerializer):
    """An incident as a GeoJSON Feature (a Point), as the API and the ``incident`` frame
    show it; ``id`` both on the Feature and among its properties, as for zones."""

    happened_at = serializers.SerializerMethodField()
    recorded_at = serializers.SerializerMethodField()
    reported_by = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        geo_field = "location"
        fields = ["id", "event", "happened_at", "recorded_at", "severity", "description",
                  "reported_by"]
        read_only_fields = fields

    @extend_schema_field(serializers.DateTimeField())
    def get_happened_at(self, incident: Incident) -> str:
        return format_timestamp(incident.happened_at)

    @extend_schema_field(serializers.DateTimeField())
    def get_recorded_at(self, incident: Incident) -> str:
        return format_timestamp(incident.recorded_at)

    @extend_schema_field(ReporterSerializer())
    def get_reported_by(self, incident: Incident) -> dict | None:
        return actor_of(incident.reported_by)

    def to_representation(self, instance):
        feature = super().to_representation(instance)
        feature["properties"] = {"id": feature["id"], **feature["properties"]}
        return feature


def incident_feature(incident: Incident) -> dict:
    """The incident as the API and the live channel's ``incident`` frame show it."""
    return IncidentSerializer(incident).data


def incidents_of_event(event: Event) -> QuerySet[Incident]:
    """The incidents of one demonstration, in the order they happened (the caller has been
    allowed to see them)."""
    return (Incident.objects.filter(event=event).select_related("reported_by")
            .order_by("happened_at", "pk"))


def parse_point(value: Any) -> Point:
    """A GeoJSON Point in WGS 84 (longitude, latitude), refused in words otherwise."""
    example = _('Send a GeoJSON Point: {"type": "Point", "coordinates": [longitude, latitude]}.')
    if not isinstance(value, dict) or value.get("type") != "Point":
        raise ValidationError(example)
    coordinates = value.get("coordinates")
    if (not isinstance(coordinates, list) or len(coordinates) not in (2, 3)
            or not all(isinstance(c, int | float) and not isinstance(c, bool)
                       and math.isfinite(c) for c in coordinates)):
        raise ValidationError(example)
    lon, lat = coordinates[0], coordinates[1]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationError(
            _("The place is outside the world's coordinates: longitude runs from -180 to "
              "180 and latitude from -90 to 90 (WGS 84, longitude first).")
        )
    return Point(float(lon), float(lat), srid=4326)


def check_can_report(*, event: Event, reporter) -> None:
    """Raise ``PermissionDenied`` (role) or ``Conflict`` (state) unless ``reporter`` may
    report an incident on ``event`` now."""
    if not reporter.has_perm("zones.report_incident", event):
        raise PermissionDenied(_("Only the demonstration's police members and city staff "
                                 "report incidents."))
    if event.state not in REPORTING_STATES:
        if event.state == Event.State.CONCLUDED:
            message = _("The demonstration is concluded: its incidents are on record and "
                        "no more can be reported.")
        else:
            message = _("The demonstration is “%(state)s”: incidents are reported once it "
                        "is agreed and while it is live.") % {"state": event.get_state_display()}
        raise Conflict(message)


def _validate(*, event: Event, happened_at: Any, location: Any, severity: Any,
              description: Any, now: dt.datetime) -> None:
    """Every rule at once, so the reporter sees all their mistakes together."""
    errors: dict[str, list[str]] = {}
    if not isinstance(happened_at, dt.datetime) or timezone.is_naive(happened_at):
        errors["happened_at"] = [_("Give the time it happened, with its time zone.")]
    elif happened_at > now + CLOCK_SKEW:
        errors["happened_at"] = [_("An incident cannot be reported before it happens: "
                                   "this time is in the future.")]
    elif happened_at < event.created_at:
        errors["happened_at"] = [_("This time is before the demonstration was registered "
                                   "(%(registered)s).")
                                 % {"registered": format_moment(event.created_at)}]
    if not isinstance(location, GEOSGeometry) or location.geom_type != "Point":
        errors["location"] = [_("Give the place as a GeoJSON Point.")]
    else:
        try:
            parse_point(json.loads(location.geojson))
        except ValidationError as exc:
            errors["location"] = exc.messages
    if severity not in Incident.Severity.values:
        errors["severity"] = [_("Choose the severity: %(choices)s.")
                              % {"choices": ", ".join(Incident.Severity.values)}]
    text = description.strip() if isinstance(description, str) else ""
    if not text:
        errors["description"] = [_("Describe briefly what happened.")]
    elif len(text) > DESCRIPTION_MAX_CHARS:
        errors["description"] = [_("A description may have at most %(max)s characters.")
                                 % {"max": DESCRIPTION_MAX_CHARS}]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def report_incident(*, event: Event, reporter, happened_at: dt.datetime | None = None,
                    location: Point, severity: str, description: str) -> Incident:
    """Report an incident on ``event``'s map; it is logged (``incident.reported``) in the
    same transaction and, after commit, announced to everyone connected to the event as an
    ``incident`` frame. ``happened_at`` defaults to now."""
    event = lock_for_log(Event, event.pk)
    check_can_report(event=event, reporter=reporter)
    now = timezone.now()
    happened_at = now if happened_at is None else happened_at
    _validate(event=event, happened_at=happened_at, location=location, severity=severity,
              description=description, now=now)
    if location.srid is None:
        location.srid = 4326
    incident = Incident.objects.create(
        event=event, reported_by=reporter, happened_at=happened_at, recorded_at=now,
        location=location, severity=severity, description=description.strip(),
    )
    record(event, actor=reporter, kind=LogKind.INCIDENT_REPORTED, locked=True, data={
        "incident_id": incident.pk,
        "happened_at": format_timestamp(incident.happened_at),
        "severity": incident.severity,
        "description": incident.description,
        "location": json.loads(incident.location.geojson),
    })
    broadcast_on_commit(event.pk, {"type": "incident", "incident": incident_feature(incident)})
    return incident
