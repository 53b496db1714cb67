"""Query parameters the REST API shares between apps: times and bounding boxes."""

from __future__ import annotations

import datetime as dt

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError


def time_param(request, name: str) -> dt.datetime | None:
    """The ISO 8601 date-time with an offset in query parameter ``name``, if given; 400
    naming the parameter otherwise."""
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        value = parse_datetime(raw)
    except ValueError:  # well formed but impossible, such as month 13
        value = None
    if value is None or value.tzinfo is None:
        raise ValidationError({name: [_("Use an ISO 8601 date and time with an offset, "
                                        "e.g. 2026-05-01T14:00:00Z.")]})
    return value


def bbox_param(request) -> tuple[float, float, float, float] | None:
    """``bbox=minlon,minlat,maxlon,maxlat`` if given; 400 if it is not a proper box."""
    raw = request.query_params.get("bbox")
    if not raw:
        return None
    try:
        values = tuple(float(part) for part in raw.split(","))
    except ValueError:
        values = ()
    if len(values) != 4 or not (
        -180 <= values[0] < values[2] <= 180 and -90 <= values[1] < values[3] <= 90
    ):
        raise ValidationError({"bbox": [_("Use bbox=minlon,minlat,maxlon,maxlat with the "
                                          "minimum below the maximum.")]})
    return values  # type: ignore[return-value]
