"""Checking a zone's shape, in GEOS (Python), so SpatiaLite and PostGIS answer alike.

Two entry points: ``parse_zone_geometry()`` reads GeoJSON as a client sent it and can name
problems that never reach GEOS (an unclosed ring cannot even be built);
``check_zone_geometry()`` checks a GEOS geometry, whoever made it. Both raise
``ValidationError`` with a message a person can act on and, where GEOS can repair the
shape (``make_valid``), a second message offering the repaired GeoJSON.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import (
    GEOSException,
    GEOSGeometry,
    LinearRing,
    MultiPolygon,
    Polygon,
)
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ZONE_TYPES = ("Polygon", "MultiPolygon")

_REASON_RE = re.compile(r"^(?P<reason>[^\[]*)\[(?P<x>\S+) (?P<y>\S+)\]$")


def _is_valid(geometry: GEOSGeometry) -> bool:
    # ``valid_reason`` rather than ``valid``: the latter has GEOS log a warning for every
    # invalid shape a person draws, which is input to answer, not a fault to log.
    return geometry.valid_reason == "Valid Geometry"


def max_vertices() -> int:
    """The most positions a zone may have (``PARLEY_ZONE_MAX_VERTICES``)."""
    return settings.PARLEY_ZONE_MAX_VERTICES


def _is_number(value: Any) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


def _ring_name(polygon_index: int | None, ring_index: int) -> str:
    """“Outline”, “Hole 2”, “Polygon 3, hole 1”: which ring, in words."""
    if polygon_index is None:
        if ring_index == 0:
            return _("Outline")
        return _("Hole %(n)s") % {"n": ring_index}
    if ring_index == 0:
        return _("Polygon %(n)s, outline") % {"n": polygon_index + 1}
    return _("Polygon %(n)s, hole %(hole)s") % {"n": polygon_index + 1, "hole": ring_index}


def _compact(geometry: GEOSGeometry) -> str:
    return json.dumps(json.loads(rfc7946_wound(geometry).geojson), separators=(",", ":"))


def _wound(ring: LinearRing, *, counterclockwise: bool) -> LinearRing:
    if ring.is_counterclockwise == counterclockwise:
        return ring
    return LinearRing(list(reversed(ring.coords)), srid=ring.srid)


def rfc7946_wound(geometry: Any) -> Any:
    """``geometry`` with its rings wound as RFC 7946 (3.1.6) asks of GeoJSON: each outline
    counter-clockwise, each hole clockwise (the right-hand rule). The same area and
    positions, only the rings' direction; anything but a Polygon or MultiPolygon is
    returned as it is. (GEOS's ``normalize()`` winds them the other way round.)"""
    if not isinstance(geometry, GEOSGeometry) or geometry.geom_type not in ZONE_TYPES:
        return geometry
    if geometry.empty:
        return geometry
    polygons = [geometry] if geometry.geom_type == "Polygon" else list(geometry)
    wound = [Polygon(_wound(polygon[0], counterclockwise=True),
                     *[_wound(hole, counterclockwise=False) for hole in polygon[1:]])
             for polygon in polygons]
    result = wound[0] if geometry.geom_type == "Polygon" else MultiPolygon(*wound)
    result.srid = geometry.srid
    return result


def repaired(geometry: GEOSGeometry) -> GEOSGeometry | None:
    """A valid Polygon or MultiPolygon made from ``geometry`` by GEOS, or None if the repair
    leaves no area (a shape drawn as a line, say)."""
    try:
        if geometry.geom_type == "MultiPolygon" and all(_is_valid(p) for p in geometry):
            # Polygons that overlap or touch: their union is what was meant. (GEOS's
            # make_valid would cut the overlap out.)
            fixed = geometry.unary_union
        else:
            fixed = geometry.make_valid()
    except GEOSException:
        return None
    if fixed.geom_type == "GeometryCollection" or fixed.geom_type == "MultiPolygon":
        polygons = [part for part in fixed if part.geom_type == "Polygon" and not part.empty]
        for part in fixed:  # a collection may hold MultiPolygons too
            if part.geom_type == "MultiPolygon":
                polygons.extend(p for p in part if not p.empty)
        if not polygons:
            return None
        fixed = polygons[0] if len(polygons) == 1 else MultiPolygon(*polygons)
    if fixed.geom_type not in ZONE_TYPES or fixed.empty or not _is_valid(fixed):
        return None
    fixed.srid = 4326
    return fixed


def _refuse(problem: str, repair: GEOSGeometry | None = None) -> ValidationError:
    messages = [problem]
    if repair is not None:
        messages.append(
            _("Parley can repair the shape; to accept the repair, send this geometry: "
              "%(geojson)s") % {"geojson": _compact(repair)}
        )
    return ValidationError(messages, code="invalid_geometry")


def _invalid_reason(geometry: GEOSGeometry) -> str:
    """What GEOS finds wrong with a shape, in words."""
    match = _REASON_RE.match(geometry.valid_reason)
    reason = (match.group("reason") if match else geometry.valid_reason).strip()
    where = ""
    if match:
        try:
            where = _(" near longitude %(lon)s, latitude %(lat)s") % {
                "lon": f"{float(match.group('x')):.6g}", "lat": f"{float(match.group('y')):.6g}",
            }
        except ValueError:
            where = ""
    known = {
        "Self-intersection": _("The shape crosses itself%(where)s."),
        "Ring Self-intersection": _("An outline touches itself%(where)s."),
        "Hole lies outside shell": _("A hole lies outside its polygon%(where)s."),
        "Interior is disconnected": _("A hole cuts the polygon in two%(where)s."),
        "Nested shells": _("One polygon lies inside another%(where)s."),
        "Nested holes": _("One hole lies inside another%(where)s."),
        "Duplicate Rings": _("A ring is given twice%(where)s."),
        "Too few points": _("An outline needs at least three different positions%(where)s."),
        "Invalid Coordinate": _("A position is not a valid coordinate%(where)s."),
        "Ring is not closed": _("An outline is not closed%(where)s."),
    }
    template = known.get(reason)
    if template is None:
        return _("The shape is not valid (%(reason)s)%(where)s.") % {
            "reason": reason, "where": where}
    return template % {"where": where}


def check_zone_geometry(geometry: Any) -> None:
    """Raise ``ValidationError`` naming the problem unless ``geometry`` is a valid Polygon or
    MultiPolygon in longitude/latitude with at most ``PARLEY_ZONE_MAX_VERTICES`` positions."""
    if not isinstance(geometry, GEOSGeometry):
        raise _refuse(_("A zone's shape is a GeoJSON Polygon or MultiPolygon."))
    if geometry.geom_type not in ZONE_TYPES:
        raise _refuse(_("A zone's shape must be a Polygon or MultiPolygon, not a "
                        "%(type)s.") % {"type": geometry.geom_type})
    if geometry.empty:
        raise _refuse(_("The shape is empty: draw at least one polygon."))
    if geometry.hasz:
        raise _refuse(_("Give longitude and latitude only, without a height."))
    if geometry.srid not in (None, 4326):
        raise _refuse(_("Give coordinates as longitude and latitude (WGS 84)."))
    count = geometry.num_coords
    if count > max_vertices():
        raise _refuse(_("The shape has %(count)s positions; a zone may have at most %(max)s. "
                        "Simplify it.") % {"count": count, "max": max_vertices()})
    for lon, lat in _positions(geometry):
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise _refuse(_("Coordinates are out of range (longitude -180 to 180, latitude "
                            "-90 to 90): [%(lon)s, %(lat)s].") % {"lon": lon, "lat": lat})
    if _is_valid(geometry):
        return
    if geometry.convex_hull.area == 0:
        raise _refuse(_("The shape has no area: its positions lie on a line."))
    if geometry.geom_type == "MultiPolygon" and all(_is_valid(p) for p in geometry):
        raise _refuse(_("Polygons of the shape overlap or share an edge; draw them as one "
                        "polygon, or apart."), repaired(geometry))
    raise _refuse(_invalid_reason(geometry), repaired(geometry))


def _positions(geometry: GEOSGeometry):
    polygons = [geometry] if geometry.geom_type == "Polygon" else list(geometry)
    for polygon in polygons:
        for ring in polygon:
            yield from ring.coords


def parse_zone_geometry(value: Any) -> GEOSGeometry:
    """A GEOS Polygon or MultiPolygon (SRID 4326) from a GeoJSON geometry object, checked.

    Raises ``ValidationError`` naming the first problem found: not GeoJSON, wrong type,
    malformed coordinates, empty, a height, out of range, too many positions, an unclosed
    or too short ring, or a shape that is not valid (crossing itself, …).
    """
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        raise _refuse(_('This is not a GeoJSON geometry, such as {"type": "Polygon", '
                        '"coordinates": [[[longitude, latitude], …]]}.'))
    kind = value["type"]
    if kind not in ZONE_TYPES:
        raise _refuse(_("A zone's shape must be a Polygon or MultiPolygon, not a "
                        "%(type)s.") % {"type": kind})
    coordinates = value.get("coordinates")
    polygons = [coordinates] if kind == "Polygon" else coordinates
    shape_error = _refuse(
        _("The coordinates of a Polygon are a list of rings, each a list of [longitude, "
          "latitude] positions; a MultiPolygon's are a list of such polygons.")
    )
    if not isinstance(polygons, list):
        raise shape_error
    if not polygons or all(isinstance(p, list) and not p for p in polygons):
        raise _refuse(_("The shape is empty: draw at least one polygon."))
    count = 0
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise shape_error
        for ring in polygon:
            if not isinstance(ring, list) or not ring:
                raise shape_error
            for position in ring:
                if not isinstance(position, list) or not all(_is_number(n) for n in position):
                    raise shape_error
                if len(position) == 3:
                    raise _refuse(_("Give longitude and latitude only, without a height."))
                if len(position) != 2:
                    raise shape_error
            count += len(ring)
    if count > max_vertices():
        raise _refuse(_("The shape has %(count)s positions; a zone may have at most %(max)s. "
                        "Simplify it.") % {"count": count, "max": max_vertices()})
    for polygon in polygons:
        for ring in polygon:
            for lon, lat in ring:
                if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    raise _refuse(_("Coordinates are out of range (longitude -180 to 180, "
                                    "latitude -90 to 90): [%(lon)s, %(lat)s].")
                                  % {"lon": lon, "lat": lat})
    multi = kind == "MultiPolygon"
    problem = None
    for p_index, polygon in enumerate(polygons):
        for r_index, ring in enumerate(polygon):
            where = _ring_name(p_index if multi else None, r_index)
            if ring[0] != ring[-1]:
                problem = problem or _("%(where)s: the ring is not closed; its last position "
                                       "must be the same as its first.") % {"where": where}
            elif len({tuple(p) for p in ring}) < 3 or len(ring) < 4:
                raise _refuse(_("%(where)s: a ring needs at least three different "
                                "positions, and the first repeated at the end.")
                              % {"where": where})
    if problem:
        # Offer the shape with its rings closed (and repaired, if it needs that too).
        closed = [[ring if ring[0] == ring[-1] else [*ring, ring[0]] for ring in polygon]
                  for polygon in polygons]
        repair = None
        if all(len({tuple(p) for p in ring}) >= 3 for polygon in closed for ring in polygon):
            geometry = _build(closed, multi=multi)
            repair = geometry if _is_valid(geometry) else repaired(geometry)
        raise _refuse(problem, repair)
    geometry = _build(polygons, multi=multi)
    check_zone_geometry(geometry)
    return geometry


def _build(polygons: list, *, multi: bool) -> GEOSGeometry:
    built = [Polygon(*[LinearRing([tuple(p) for p in ring]) for ring in polygon])
             for polygon in polygons]
    geometry = MultiPolygon(*built) if multi else built[0]
    geometry.srid = 4326
    return geometry
