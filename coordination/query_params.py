"""Query parameters the REST API shares between apps: times and bounding boxes, read here,
and how the OpenAPI document describes them and the others (the rules the readers enforce,
in the document's words)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
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


def bbox_parameter(description: str) -> OpenApiParameter:
    """The OpenAPI description of ``bbox`` as ``bbox_param`` reads it: four comma-separated
    numbers (an array in the query's ``form`` style, not exploded)."""
    return OpenApiParameter(
        "bbox",
        {"type": "array", "items": {"type": "number", "minimum": -180, "maximum": 180},
         "minItems": 4, "maxItems": 4},
        style="form", explode=False,
        description=f"minlon,minlat,maxlon,maxlat: {description} Longitudes -180…180, "
                    "latitudes -90…90, each minimum below its maximum; otherwise 400 on "
                    "`bbox`.")


def time_parameter(name: str, description: str = "") -> OpenApiParameter:
    """The OpenAPI description of a time as ``time_param`` reads it."""
    return OpenApiParameter(name, OpenApiTypes.DATETIME, description=(
        f"{description} ISO 8601 with an offset (e.g. 2026-05-01T14:00:00Z); without one, "
        f"400 on `{name}`.").strip())


def choices_parameter(name: str, values: Iterable[str], description: str) -> OpenApiParameter:
    """The OpenAPI description of a comma-separated list of known values (an unknown one
    → 400 on ``name``)."""
    return OpenApiParameter(
        name, {"type": "array", "items": {"type": "string", "enum": list(values)}},
        style="form", explode=False,
        description=f"{description} Comma-separated; an unknown value → 400 on `{name}`.")


def whole_number_parameter(name: str, *, minimum: int, maximum: int | None = None,
                           default: int | None = None, description: str = "") -> OpenApiParameter:
    """The OpenAPI description of a whole number within bounds (outside them → 400 on
    ``name``)."""
    schema: dict = {"type": "integer", "minimum": minimum}
    if maximum is not None:
        schema["maximum"] = maximum
    if default is not None:
        schema["default"] = default
    return OpenApiParameter(name, schema, description=(
        f"{description} Outside these bounds, or not a whole number: 400 on `{name}`."
    ).strip())
