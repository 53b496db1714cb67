"""REST API of the city-wide map: the demonstrations under way at a moment and their clashes.

The zones in force at that moment are the zones API's (``GET /api/v1/zones/?active_at=``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.contrib.rest_framework_gis import _inject_enum_collision_fix
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.plumbing import build_object_type
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from coordination.query_params import bbox_param, bbox_parameter, time_param, time_parameter
from zones.city_map import MapEventSerializer, city_map_data


class MapEventFeatureExtension(OpenApiSerializerExtension):
    """A demonstration on the map as a Feature whose geometry is a GeometryCollection
    (drf-spectacular cannot describe a computed geometry by itself)."""

    target_class = "zones.city_map.MapEventSerializer"
    priority = 1  # before drf-spectacular's own extension for every GeoFeatureModelSerializer

    def map_serializer(self, auto_schema, direction):
        _inject_enum_collision_fix(collection=False)
        base = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        base["properties"].pop("places", None)
        base["properties"].pop("id", None)
        base["required"] = [name for name in base.get("required", [])
                            if name not in ("places", "id")]
        base["properties"]["clashes"] = {
            "type": "boolean", "description": "It clashes with something at that moment."}
        return build_object_type(properties={
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "integer"},
            "geometry": build_object_type(
                properties={"type": {"type": "string", "enum": ["GeometryCollection"]},
                            "geometries": {"type": "array", "items": {"type": "object"}}},
                description="Assembly point, route (if any), dispersal point (if any).",
            ),
            "properties": base,
        }, required=["type", "id", "geometry", "properties"])


CITY_MAP_RESPONSE = inline_serializer("CityMap", {
    "at": serializers.DateTimeField(help_text="The moment shown."),
    # A FeatureCollection: written out, since a many=True field inside another serializer
    # would be documented as a bare array of Features.
    "events": inline_serializer("MapEventCollection", {
        "type": serializers.ChoiceField(choices=["FeatureCollection"]),
        "features": MapEventSerializer(many=True),
    }, help_text=(
        "FeatureCollection of the demonstrations under way (starts_at ≤ at < ends_at; not "
        "draft, withdrawn or cancelled). Geometry: GeometryCollection of assembly point, "
        "route, dispersal point. Property `clashes`: whether it clashes with anything at "
        "that moment.")),
    "clashes": serializers.ListField(child=inline_serializer("CityMapClash", {
        "kind": serializers.ChoiceField(choices=["overlap", "too_close", "sensitive_site"]),
        "distance_m": serializers.FloatField(),
        "events": serializers.ListField(
            child=serializers.IntegerField(),
            help_text="The two demonstrations that clash, or the one near a sensitive site."),
        "zone": serializers.IntegerField(allow_null=True,
                                         help_text="The sensitive site, if that is the clash."),
        "counter": serializers.BooleanField(
            help_text="One is a counter-demonstration to the other."),
    })),
})


class CityMapView(APIView):
    """Police and city: the demonstrations under way at ``active_at`` (default: now), and
    which of them clash then, with each other or with a sensitive site in force."""

    @extend_schema(
        parameters=[
            time_parameter("active_at", "The moment to show; now when absent."),
            bbox_parameter("demonstrations with a place in this box."),
        ],
        responses=CITY_MAP_RESPONSE,
    )
    def get(self, request):
        if not request.user.has_perm("zones.view_city_map"):
            raise PermissionDenied(_("The city-wide map is for police and city officials."))
        at = time_param(request, "active_at") or timezone.now()
        return Response(city_map_data(request.user, at, bbox_param(request)))
