"""REST API of incidents: thin views over ``zones.incidents``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from coordination.request_bodies import json_only
from events.selectors import get_event_for
from zones import incidents
from zones.api import GeoJSONView
from zones.models import Incident


@extend_schema_field({
    "type": "object",
    "properties": {
        "type": {"type": "string", "enum": ["Point"]},
        "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2,
                        "maxItems": 3, "example": [-82.9988, 39.9612]},
    },
    "required": ["type", "coordinates"],
})
class PointField(serializers.Field):
    """A GeoJSON Point in WGS 84, refused in words otherwise."""

    def to_internal_value(self, data):
        try:
            return incidents.parse_point(data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None

    def to_representation(self, value):  # pragma: no cover - input only
        return value.geojson


class ReportSerializer(serializers.Serializer):
    """What a reporter sends; the rules that need the event are the service's."""

    location = PointField(help_text='GeoJSON Point: {"type": "Point", "coordinates": '
                                    '[longitude, latitude]}.')
    happened_at = serializers.DateTimeField(
        required=False, allow_null=True,
        help_text="When it happened (ISO 8601 with offset); now when left out. Not in the "
                  "future (a minute of clock difference is allowed), not before the "
                  "demonstration was registered.")
    severity = serializers.ChoiceField(choices=Incident.Severity.choices)
    description = serializers.CharField(max_length=incidents.DESCRIPTION_MAX_CHARS)


class EventIncidentsView(GeoJSONView):
    """The incidents of one demonstration (a GeoJSON FeatureCollection of Points, in the
    order they happened); its police members and city staff report new ones while it is
    agreed or live."""

    parser_classes = json_only()

    @extend_schema(responses=incidents.IncidentSerializer(many=True))
    def get(self, request, pk):
        event = get_event_for(request.user, pk)
        # Whoever sees the demonstration sees its incidents (zones/rules.py); asked by name
        # all the same, so that a narrower rule needs no change here.
        if not request.user.has_perm("zones.view_incidents", event):
            raise PermissionDenied(_("You cannot see this demonstration's incidents."))
        features = incidents.IncidentSerializer(incidents.incidents_of_event(event), many=True)
        return Response(features.data)

    @extend_schema(
        request=ReportSerializer,
        responses={
            201: OpenApiResponse(incidents.IncidentSerializer,
                                 description="Reported; also announced as an `incident` "
                                             "frame on the live channel."),
            400: OpenApiResponse(description="Invalid fields, by name."),
            403: OpenApiResponse(description="Not a police member of the demonstration "
                                             "or city staff."),
            409: OpenApiResponse(description="The demonstration is not agreed or live."),
        },
    )
    def post(self, request, pk):
        event = get_event_for(request.user, pk)
        incidents.check_can_report(event=event, reporter=request.user)
        serializer = ReportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incident = incidents.report_incident(event=event, reporter=request.user,
                                             **serializer.validated_data)
        return Response(incidents.incident_feature(incident), status=status.HTTP_201_CREATED)
