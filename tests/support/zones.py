"""Shapes and shortcuts for the zone stories: small polygons near the steps of Columbus City
Hall, where Alice's demonstration assembles (-82.9988, 39.9612)."""

from __future__ import annotations

import datetime as dt
import json

from django.contrib.gis.geos import GEOSGeometry

LON, LAT = -82.9988, 39.9612


def square(lon: float = LON, lat: float = LAT, size: float = 0.001) -> dict:
    """A GeoJSON square with its south-west corner at (lon, lat)."""
    east, north = round(lon + size, 7), round(lat + size, 7)
    return {"type": "Polygon", "coordinates": [[
        [lon, lat], [east, lat], [east, north], [lon, north], [lon, lat],
    ]]}


def two_squares() -> dict:
    """A GeoJSON MultiPolygon of two squares apart from each other."""
    return {"type": "MultiPolygon", "coordinates": [
        square()["coordinates"], square(round(LON + 0.01, 7), round(LAT + 0.01, 7))["coordinates"],
    ]}


def geos(geojson: dict) -> GEOSGeometry:
    geometry = GEOSGeometry(json.dumps(geojson))
    geometry.srid = 4326
    return geometry


def feature(geometry: dict | None = None, **properties) -> dict:
    """A zone as a client sends it: a GeoJSON Feature."""
    properties.setdefault("kind", "assembly")
    properties.setdefault("label", "Steps of City Hall")
    return {"type": "Feature", "geometry": geometry or square(), "properties": properties}


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def event_zones_url(event) -> str:
    return f"/api/v1/events/{event.pk}/zones/"


def zone_url(zone_id: int, suffix: str = "") -> str:
    return f"/api/v1/zones/{zone_id}/{suffix}"


def make_zone(event, actor, **fields):
    """A zone drawn through the service, as the API would."""
    from zones import services

    fields.setdefault("kind", "assembly")
    fields.setdefault("label", "Steps of City Hall")
    fields.setdefault("geometry", geos(square()))
    return services.create_zone(actor=actor, event=event, **fields)


def make_sensitive_site(actor, **fields):
    from zones import services

    fields.setdefault("kind", "sensitive_site")
    fields.setdefault("label", "Children's hospital")
    fields.setdefault("geometry", geos(square(LON + 0.002, LAT)))
    return services.create_zone(actor=actor, event=None, **fields)
