"""The OpenAPI document, made to tell the truth: written once here for every operation.

Every operation of the API can answer the errors of docs/protocol.md: ``401`` without valid
credentials, ``403`` for an action the caller's role may not take on something they see,
``404`` for something that does not exist or that they may not see, ``400`` for invalid input
(by field), ``409`` for a write that the object's state does not allow, ``413`` for a body
larger than the server accepts, ``415`` for a body that is not JSON (or a form where one is
read), ``429`` when the caller sends too fast. Views document their own answers with
``extend_schema``; ``document_errors`` adds the ones a view left out, and gives every error
answer the one body shape ``config.api.exception_handler`` gives it, so that clients (and
schemathesis, tests/site/test_api_fuzz.py) can rely on every status code and body the API
returns being in the document.

The document is OpenAPI 3.1, whose schemas are JSON Schema (2020-12): ``null`` is a type like
any other, so a validator reads "null or a key moment" exactly as the server means it (3.0's
``allOf`` + ``nullable`` is read by strict validators as "never null").
"""

from __future__ import annotations

import copy
from typing import Any

WRITE_METHODS = {"post", "put", "patch", "delete"}

ERROR = {
    "type": "object",
    "description": "What went wrong, in the caller's language.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
#: Every 400: messages by field name, those about no one field under ``non_field_errors``
#: (config/api.py makes every 400 this shape).
INVALID = {
    "type": "object",
    "description": 'What is wrong with the request, in the caller\'s language: '
                   '{"field": ["message", ...], ...} by field (a query parameter by its '
                   'name), and under "non_field_errors" what belongs to no one field '
                   '(wrong credentials, a body that cannot be read, a change that changes '
                   'nothing).',
    "additionalProperties": {"type": "array", "items": {"type": "string"}, "minItems": 1},
    "minProperties": 1,
    "example": {"bbox": ["Use bbox=minlon,minlat,maxlon,maxlat with the minimum below "
                         "the maximum."]},
}

ANSWERS: dict[str, tuple[str, str]] = {
    "400": ("Invalid input; nothing was changed.", "Invalid"),
    "401": ("Not authenticated: no token or session, or one that is no longer valid.", "Error"),
    "403": ("The caller's role may not do this to something they can see.", "Error"),
    "404": ("No such object, or one the caller may not see (the same answer).", "Error"),
    "409": ("The object's current state does not allow this.", "Error"),
    "413": ("The request body is larger than the server accepts.", "Error"),
    "415": ("The request body is not of a media type this operation reads.", "Error"),
    "429": ("Too many requests; try again shortly.", "Error"),
    # Only where an operation documents it (Web Push while no VAPID key is configured).
    "503": ("A part of the server this needs is not set up.", "Error"),
}

#: Served with and without the trailing slash (config/urls.py): both are listed.
ALSO_WITHOUT_SLASH = ("/api/v1/events/{id}/log/verify/", "/api/v1/events/{id}/log/export/")


def _codes_for(method: str, operation: dict[str, Any]) -> list[str]:
    codes = ["401", "403", "404"]
    has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
    if method in WRITE_METHODS or has_query or "requestBody" in operation:
        codes.append("400")
    if "requestBody" in operation:
        codes += ["413", "415"]
    if method in WRITE_METHODS:
        codes += ["409", "429"]
    return codes


def _error_body(component: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}}


def _says_nothing(response: dict[str, Any]) -> bool:
    """Whether a documented answer gives no body shape, or only "some object"."""
    content = response.get("content")
    if not content:
        return True
    schemas = [media.get("schema", {}) for media in content.values()]
    return all(schema in ({}, {"type": "object"},
                          {"type": "object", "additionalProperties": {}}) for schema in schemas)


def _document_errors_of(method: str, operation: dict[str, Any]) -> None:
    responses = operation["responses"]
    for code in _codes_for(method, operation):
        description, component = ANSWERS[code]
        if code not in responses:
            responses[code] = {"description": description, "content": _error_body(component)}
    for code, response in responses.items():
        # A view that documented an error in words only gets the shape it is given in.
        if code in ANSWERS and _says_nothing(response):
            response["content"] = _error_body(ANSWERS[code][1])
            response["description"] = response.get("description") or ANSWERS[code][0]


def _with_null(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with ``null`` allowed, in JSON Schema's words rather than 3.0's
    ``nullable`` (which pagination's hand-written schema still uses)."""
    schema = dict(schema)
    schema.pop("nullable", None)
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
    elif isinstance(kind, list) and "null" not in kind:
        schema["type"] = [*kind, "null"]
    return schema


def _without_nullable(node: Any) -> Any:
    if isinstance(node, dict):
        node = {key: _without_nullable(value) for key, value in node.items()}
        return _with_null(node) if node.get("nullable") is True else node
    if isinstance(node, list):
        return [_without_nullable(item) for item in node]
    return node


def _one_empty_string(node: Any) -> Any:
    """A string that may be blank is documented as ``oneOf`` [its format, ``maxLength: 0``];
    "" would match both for a validator that does not assert formats: the formatted one
    starts at one character."""
    if isinstance(node, dict):
        node = {key: _one_empty_string(value) for key, value in node.items()}
        choices = node.get("oneOf")
        if isinstance(choices, list) and {"type": "string", "maxLength": 0} in choices:
            for choice in choices:
                if choice.get("type") == "string" and choice.get("maxLength") != 0:
                    choice.setdefault("minLength", 1)
        return node
    if isinstance(node, list):
        return [_one_empty_string(item) for item in node]
    return node


def _list_unslashed(paths: dict[str, Any]) -> None:
    for slashed in ALSO_WITHOUT_SLASH:
        if slashed not in paths:
            continue
        item = copy.deepcopy(paths[slashed])
        for operation in item.values():
            if isinstance(operation, dict) and "operationId" in operation:
                operation["operationId"] += "_without_slash"
        paths[slashed.rstrip("/")] = item


def document_errors(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: add the error answers each operation lacks, with
    their bodies; ``null`` and blank strings in JSON Schema's words; the routes served
    without their trailing slash too."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("Invalid", INVALID)
    paths = result.get("paths", {})
    for path_item in paths.values():
        for method, operation in path_item.items():
            if isinstance(operation, dict) and "responses" in operation:
                _document_errors_of(method, operation)
    _list_unslashed(paths)
    result["paths"] = _one_empty_string(_without_nullable(paths))
    result["components"] = _one_empty_string(_without_nullable(result["components"]))
    return result
