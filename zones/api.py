"""REST API of zones: thin views over ``zones.selectors`` and ``zones.services``."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

# The events API's query-parameter readers, so both answer a bad bbox or time alike.
from coordination.query_params import (
    bbox_param,
    bbox_parameter,
    choices_parameter,
    time_param,
    time_parameter,
)
from coordination.request_bodies import json_only
from events.selectors import get_event_for
from zones import selectors, services
from zones.models import Zone
from zones.serializers import (
    AgreeSerializer,
    ZoneSerializer,
    ZoneVersionSerializer,
)

GEOJSON = "application/geo+json"

FILTERS = [
    bbox_parameter("zones that touch this box."),
    time_parameter("active_at", "Zones in force at this moment: valid_from ≤ t < valid_to, "
                                "not withdrawn."),
    choices_parameter("kind", Zone.Kind.values, "Only zones of these kinds."),
    choices_parameter("status", Zone.Status.values, "Only zones in these statuses."),
]


class GeoJSONRenderer(JSONRenderer):
    """JSON, labelled ``application/geo+json`` (RFC 7946, 12): what a zone, a zone list and
    the incidents are."""

    media_type = GEOJSON
    format = "geojson"


class GeoJSONView(APIView):
    """A view whose answers are GeoJSON: ``application/geo+json`` unless the client asks for
    ``application/json`` (which it then gets, the same body). Errors stay ``application/json``:
    they are not GeoJSON."""

    renderer_classes = [GeoJSONRenderer, JSONRenderer]

    def finalize_response(self, request, response, *args, **kwargs):
        if (response.status_code >= 400
                and isinstance(getattr(request, "accepted_renderer", None), GeoJSONRenderer)):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


def _choices(request, name: str, allowed) -> list[str]:
    values = [v for v in request.query_params.get(name, "").split(",") if v]
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValidationError({name: [_("Unknown value: %(values)s.")
                                      % {"values": ", ".join(sorted(unknown))}]})
    return values


def _filtered(request, zones):
    return selectors.filter_zones(
        zones,
        bbox=bbox_param(request),
        active_at=time_param(request, "active_at"),
        kind=_choices(request, "kind", Zone.Kind.values),
        status=_choices(request, "status", Zone.Status.values),
    )


def _download(data, filename: str) -> Response:
    """A FeatureCollection as a file for other GIS tools."""
    return Response(data, content_type=GEOJSON,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


class EventZonesView(GeoJSONView):
    """The zones of one demonstration; its organisers propose and its officials add more."""

    parser_classes = json_only()

    @extend_schema(parameters=FILTERS, responses=ZoneSerializer(many=True))
    def get(self, request, pk):
        event = get_event_for(request.user, pk)
        zones = _filtered(request, selectors.zones_of_event(event))
        return Response(ZoneSerializer(zones, many=True).data)

    @extend_schema(request=ZoneSerializer, responses={201: ZoneSerializer})
    def post(self, request, pk):
        event = get_event_for(request.user, pk)
        services.check_can_add(actor=request.user, event=event)
        serializer = ZoneSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        zone = services.create_zone(actor=request.user, event=event,
                                    **serializer.validated_data)
        return Response(ZoneSerializer(zone).data, status=status.HTTP_201_CREATED)


class EventZonesDownloadView(APIView):
    """The zones of one demonstration as a GeoJSON file."""

    @extend_schema(parameters=FILTERS,
                   responses={(200, GEOJSON): ZoneSerializer(many=True)})
    def get(self, request, pk):
        event = get_event_for(request.user, pk)
        zones = _filtered(request, selectors.zones_of_event(event))
        return _download(ZoneSerializer(zones, many=True).data, f"{event.reference}-zones.geojson")


class ZoneListView(GeoJSONView):
    """Every zone the caller may see, city-wide; the city designates sensitive sites here."""

    parser_classes = json_only()

    @extend_schema(parameters=FILTERS, responses=ZoneSerializer(many=True))
    def get(self, request):
        zones = _filtered(request, selectors.zones_visible_to(request.user))
        return Response(ZoneSerializer(zones, many=True).data)

    @extend_schema(request=ZoneSerializer, responses={201: ZoneSerializer},
                   description="City officials only: a city-wide zone (kind "
                               "`sensitive_site`), belonging to no demonstration.")
    def post(self, request):
        services.check_can_add(actor=request.user, event=None)
        serializer = ZoneSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        zone = services.create_zone(actor=request.user, event=None, **serializer.validated_data)
        return Response(ZoneSerializer(zone).data, status=status.HTTP_201_CREATED)


class ZonesDownloadView(APIView):
    """The city-wide layer (every zone the caller may see) as a GeoJSON file."""

    @extend_schema(parameters=FILTERS,
                   responses={(200, GEOJSON): ZoneSerializer(many=True)})
    def get(self, request):
        zones = _filtered(request, selectors.zones_visible_to(request.user))
        return _download(ZoneSerializer(zones, many=True).data, "parley-zones.geojson")


class ZoneDetailView(GeoJSONView):
    """One zone (a GeoJSON Feature); a change of its shape, times, kind or conditions makes
    a new version."""

    parser_classes = json_only()

    @extend_schema(responses=ZoneSerializer)
    def get(self, request, pk):
        return Response(ZoneSerializer(selectors.get_zone_for(request.user, pk)).data)

    @extend_schema(request=ZoneSerializer, responses=ZoneSerializer)
    def patch(self, request, pk):
        zone = selectors.get_zone_for(request.user, pk)
        services.check_can_change(zone, actor=request.user)
        serializer = ZoneSerializer(zone, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        zone = services.change_zone(zone, actor=request.user, **serializer.validated_data)
        return Response(ZoneSerializer(zone).data)


class ZoneVersionsView(GeoJSONView):
    """Every version of a zone, oldest first, each with who agreed it and when."""

    @extend_schema(responses=ZoneVersionSerializer(many=True))
    def get(self, request, pk):
        zone = selectors.get_zone_for(request.user, pk)
        return Response(ZoneVersionSerializer(selectors.versions_of(zone), many=True).data)


class ZoneAgreementsView(APIView):
    """The caller's party agrees a version of the zone: ``{"version": N}``."""

    @extend_schema(
        request=AgreeSerializer,
        responses={
            201: OpenApiResponse(ZoneSerializer, description="Agreed; the zone as it now is."),
            200: OpenApiResponse(ZoneSerializer,
                                 description="The caller's party had already agreed."),
            409: OpenApiResponse(description="Not the current version, or the zone was "
                                             "withdrawn."),
        },
    )
    def post(self, request, pk):
        zone = selectors.get_zone_for(request.user, pk)
        serializer = AgreeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        zone, created = services.agree_zone(
            zone, actor=request.user, version=serializer.validated_data["version"]
        )
        return Response(ZoneSerializer(zone).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ZoneWithdrawView(APIView):
    """Withdraw a zone; it stays on record as ``withdrawn``."""

    @extend_schema(request=None, responses=ZoneSerializer)
    def post(self, request, pk):
        zone = selectors.get_zone_for(request.user, pk)
        zone = services.withdraw_zone(zone, actor=request.user)
        return Response(ZoneSerializer(zone).data)
