"""How the REST API reads request bodies (``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``).

Its own module: DRF reads that setting while ``rest_framework.views`` is being imported, so
nothing here may import DRF's views.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers

#: Deeper JSON than any request needs (a zone's GeoJSON Feature is 6 levels): refused before a
#: serializer recurses into it, so that no route can be made to run out of stack.
MAX_JSON_DEPTH = 32


def too_deep() -> exceptions.ParseError:
    """The answer to a body nested too deeply."""
    return exceptions.ParseError(_("The JSON body is nested too deeply."))


def _nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether ``value`` nests lists and objects more than ``limit`` levels deep (walked
    without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1)
                         for child in (item.values() if isinstance(item, dict) else item))
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser; a body nested too deeply is a 400 like any other bad JSON (Python's
    parser raises ``RecursionError`` at about a thousand levels, which DRF lets through)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise too_deep() from None
        if _nested_deeper_than(data, MAX_JSON_DEPTH):
            raise too_deep()
        return data
