"""Shapes and shortcuts for the zone stories: small polygons near the steps of Columbus City
Hall, where Alice's demonstration assembles (-82.9988, 39.9612)."""

from __future__ import annotations

import datetime as dt
import json
from itertools import pairwise

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


def signed_area(ring: list) -> float:
    """Twice the signed area of a ring of [lon, lat] positions (shoelace): positive when the
    ring runs counter-clockwise."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0, *_), (x1, y1, *_) in pairwise(ring))


def polygons_in(geojson: dict | list) -> list[list]:
    """The rings of every Polygon and MultiPolygon anywhere in a GeoJSON document (a
    FeatureCollection, a Feature, a geometry, or any JSON holding them), as polygons."""
    found = []
    if isinstance(geojson, list):
        for item in geojson:
            found.extend(polygons_in(item))
    elif isinstance(geojson, dict):
        if geojson.get("type") == "Polygon":
            found.append(geojson["coordinates"])
        elif geojson.get("type") == "MultiPolygon":
            found.extend(geojson["coordinates"])
        else:
            for value in geojson.values():
                found.extend(polygons_in(value))
    return found


def winding_problems(geojson: dict | list) -> list[str]:
    """Where a GeoJSON document breaks RFC 7946 (3.1.6): an outline that is not
    counter-clockwise, or a hole that is not clockwise. Empty if none."""
    problems = []
    for number, polygon in enumerate(polygons_in(geojson), start=1):
        for index, ring in enumerate(polygon):
            area = signed_area(ring)
            if index == 0 and area <= 0:
                problems.append(f"polygon {number}: the outline runs clockwise")
            if index > 0 and area >= 0:
                problems.append(f"polygon {number}: hole {index} runs counter-clockwise")
    return problems
