"""The OpenAPI shape of a zone's geometry: a Polygon or a MultiPolygon.

drf-spectacular's extension for djangorestframework-gis describes a plain ``GeometryField``
as "Point, LineString or Polygon"; a zone is stored in such a field so that it keeps the type
it was given, but only ever holds a Polygon or a MultiPolygon. Registered by
``ZonesConfig.ready()``.
"""

from drf_spectacular.contrib.rest_framework_gis import (
    _inject_enum_collision_fix,
    build_array_type,
    build_geo_container_schema,
    build_polygon_schema,
)
from drf_spectacular.extensions import (
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.plumbing import build_object_type


def zone_geometry_schema() -> dict:
    return {"oneOf": [
        build_geo_container_schema("Polygon", build_polygon_schema()),
        build_geo_container_schema("MultiPolygon", build_array_type(build_polygon_schema())),
    ]}


class ZoneGeometryFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "zones.serializers.ZoneGeometryField"
    priority = 1

    def map_serializer_field(self, auto_schema, direction):
        return zone_geometry_schema()


class ZoneFeatureExtension(OpenApiSerializerExtension):
    """A zone (or one of its versions) as a Feature: a Polygon or MultiPolygon, with ``id``
    both on the Feature and among its properties."""

    target_class = "zones.serializers.ZoneSerializer"
    priority = 1  # before drf-spectacular's own extension for every GeoFeatureModelSerializer

    def map_serializer(self, auto_schema, direction):
        # As drf-spectacular's own extension does: name the enum of "Feature".
        _inject_enum_collision_fix(collection=False)
        base = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        properties = base["properties"]
        properties.pop("geometry", None)
        required = [name for name in base.pop("required", []) if name != "geometry"]
        if required:
            base["required"] = required
        description = base.pop("description", None)
        feature = {"type": {"type": "string", "enum": ["Feature"]}}
        if "id" in properties:
            feature["id"] = properties["id"]
        feature["geometry"] = zone_geometry_schema()
        feature["properties"] = base
        return build_object_type(properties=feature, required=["type", "geometry", "properties"],
                                 description=description)


class ZoneVersionFeatureExtension(ZoneFeatureExtension):
    target_class = "zones.serializers.ZoneVersionSerializer"
