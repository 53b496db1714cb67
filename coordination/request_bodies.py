"""Which request bodies the REST API reads."""

from __future__ import annotations

from rest_framework.parsers import BaseParser
from rest_framework.settings import api_settings


def json_only() -> list[type[BaseParser]]:
    """The API's JSON parser alone (``REST_FRAMEWORK``'s, config/parsers.py), for views whose
    bodies carry GeoJSON geometry, which a form cannot: a form is then answered 415, and the
    OpenAPI document offers JSON only."""
    return [parser for parser in api_settings.DEFAULT_PARSER_CLASSES
            if parser.media_type == "application/json"]
