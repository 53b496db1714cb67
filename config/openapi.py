"""The OpenAPI document's error answers, written once for every operation.

Every operation of the API can answer the errors of docs/protocol.md: ``401`` without valid
credentials, ``403`` for an action the caller's role may not take on something they see,
``404`` for something that does not exist or that they may not see, ``400`` for invalid input
(by field), ``409`` for a write that the object's state does not allow, ``413`` for a body
larger than the server accepts, ``429`` when the caller sends too fast. Views document their
own answers with ``extend_schema``; this hook adds the ones a view left out, with the shapes
``config.api.exception_handler`` gives them, so that clients (and schemathesis,
tests/site/test_api_fuzz.py) can rely on every status code the API returns being in the document.
"""

from __future__ import annotations

from typing import Any

WRITE_METHODS = {"post", "put", "patch", "delete"}

ERROR = {
    "type": "object",
    "description": "What went wrong, in the caller's language.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
# {"field": ["message", ...]}, or {"detail": "..."} for an error that is not about one field.
INVALID = {
    "type": "object",
    "description": 'Messages by field, {"field": ["message", ...]}, or {"detail": "..."}.',
}

ANSWERS: dict[str, tuple[str, str]] = {
    "400": ("Invalid input; nothing was changed.", "Invalid"),
    "401": ("Not authenticated: no token or session, or one that is no longer valid.", "Error"),
    "403": ("The caller's role may not do this to something they can see.", "Error"),
    "404": ("No such object, or one the caller may not see (the same answer).", "Error"),
    "409": ("The object's current state does not allow this.", "Error"),
    "413": ("The request body is larger than the server accepts.", "Error"),
    "429": ("Too many requests; try again shortly.", "Error"),
}


def _codes_for(method: str, operation: dict[str, Any]) -> list[str]:
    codes = ["401", "403", "404"]
    has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
    if method in WRITE_METHODS or has_query or "requestBody" in operation:
        codes.append("400")
    if "requestBody" in operation:
        codes.append("413")
    if method in WRITE_METHODS:
        codes += ["409", "429"]
    return codes


def document_errors(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: add the error answers each operation lacks."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("Invalid", INVALID)
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for code in _codes_for(method, operation):
                if code in operation["responses"]:
                    continue
                description, component = ANSWERS[code]
                operation["responses"][code] = {
                    "description": description,
                    "content": {"application/json": {
                        "schema": {"$ref": f"#/components/schemas/{component}"}}},
                }
    return result
