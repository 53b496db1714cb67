"""Geometries in an entry's data: kept as GeoJSON objects, read in either form.

Entries written before 2026-12 keep a geometry as GeoJSON *text* (``"{ \"type\": …}"``);
the hash chain covers them as they are, so they are never rewritten. Newer entries keep the
GeoJSON object itself, as ``incident.reported`` always did. Whatever reads a geometry from a
log entry reads it through ``geometry_from_log()``.
"""

from __future__ import annotations

import json
from typing import Any


def geometry_for_log(geometry: Any) -> dict[str, Any] | None:
    """A GEOS geometry as the GeoJSON object a new entry keeps (None stays None)."""
    if geometry is None:
        return None
    return json.loads(geometry.geojson)


def geometry_from_log(value: Any) -> dict[str, Any] | None:
    """The GeoJSON object of a geometry in an entry's data, whether the entry keeps it as an
    object or, written before objects, as JSON text; None when ``value`` is no geometry."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if isinstance(value, dict) and isinstance(value.get("type"), str):
        return value
    return None
