"""docs/protocol.md keeps up with the code: a client author who reads it finds every REST
route under /api/, every WebSocket route, every frame the server sends or accepts, every
``error`` code and every close code. What the code offers is read from the code itself (the
URL configuration, the routing that config/asgi.py mounts, the consumers' source), so a new
route or frame that is not written down fails here."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = ROOT / "docs" / "protocol.md"
#: Directories whose Python is not the application's.
NOT_APPLICATION = {".venv", ".git", "tests", "bench", "migrations", "node_modules", "var"}
#: Values of ``"type"`` in dict literals that are not live-channel frames: GeoJSON objects,
#: JSON Schema types (OpenAPI fragments), and the channel layer's own message types (between
#: Parley's processes, never sent to a client; ``relay`` is the benchmarks' bare broadcast,
#: routed only with PARLEY_BENCH_ENDPOINTS on).
GEOJSON_TYPES = {"Feature", "FeatureCollection", "Point", "MultiPoint", "LineString",
                 "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"}
JSON_SCHEMA_TYPES = {"object", "string", "integer", "number", "boolean", "array", "null"}
CHANNEL_LAYER_MESSAGES = {"parley.notify", "healthz", "relay", "access.changed"}


def protocol_text() -> str:
    return PROTOCOL.read_text(encoding="utf-8")


def application_sources() -> list[Path]:
    return sorted(
        path for path in ROOT.rglob("*.py")
        if not NOT_APPLICATION & set(path.relative_to(ROOT).parts)
    )


def _placeholders(path: str) -> str:
    """``events/<int:pk>/`` and ``events/{id}/`` both as ``events/{}/``."""
    return re.sub(r"<[^>]+>|\{[^}]*\}", "{}", path)


def _route_text(pattern) -> str:
    """A URL pattern as a path: a route as written, a regular expression as the path it
    matches (named groups as placeholders, an optional trailing slash left out)."""
    if hasattr(pattern.pattern, "_route"):  # path(): the route as written
        return str(pattern.pattern)
    regex = pattern.pattern._regex  # re_path()
    text = re.sub(r"\(\?P<\w+>[^)]*\)", "{}", regex.lstrip("^").rstrip("$"))
    return text.replace("/?", "")


def routes(resolver: URLResolver, prefix: str = "") -> list[str]:
    """Every path of ``resolver``'s URL configuration, placeholders as ``{}``."""
    found = []
    for pattern in resolver.url_patterns:
        path = prefix + _route_text(pattern)
        if isinstance(pattern, URLResolver):
            found += routes(pattern, path)
        elif isinstance(pattern, URLPattern):
            found.append(_placeholders(path))
    return found


def documented_paths(text: str, start: str) -> set[str]:
    """Every path starting with ``start`` that the document names, placeholders as ``{}``."""
    return {_placeholders(p) for p in re.findall(re.escape(start) + r"[\w./{}\-]*", text)}


def test_every_rest_route_under_api_is_in_the_protocol():
    api_routes = sorted({"/" + r for r in routes(get_resolver()) if r.startswith("api/")})
    assert len(api_routes) > 25, "the URL configuration was not read"

    documented = documented_paths(protocol_text(), "/api/")

    missing = [route for route in api_routes if route not in documented]
    assert not missing, f"docs/protocol.md does not name these API routes: {missing}"


def _mounted_websocket_patterns() -> list:
    """The WebSocket URL patterns config/asgi.py routes (each module it imports them from)."""
    tree = ast.parse((ROOT / "config" / "asgi.py").read_text(encoding="utf-8"))
    patterns = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                if alias.name == "websocket_urlpatterns":
                    patterns += importlib.import_module(node.module).websocket_urlpatterns
    return patterns


def test_every_websocket_route_is_in_the_protocol():
    paths = sorted({"/" + _placeholders(_route_text(p)) for p in _mounted_websocket_patterns()})
    assert {"/ws/events/{}/", "/ws/desk/"} <= set(paths)

    documented = documented_paths(protocol_text(), "/ws/")

    missing = [path for path in paths if path not in documented]
    assert not missing, f"docs/protocol.md does not name these WebSocket routes: {missing}"


# --- frames, from the source ----------------------------------------------------------------

def _consumer_modules() -> list[tuple[Path, ast.Module]]:
    """The application's modules that define a WebSocket consumer, and the modules of
    their app named ``protocol`` (where a consumer's frames are read and refused)."""
    found = []
    for path in application_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(node, ast.ClassDef)
               and any(ast.unparse(base).endswith("WebsocketConsumer") for base in node.bases)
               for node in ast.walk(tree)):
            found.append((path, tree))
            protocol = path.parent / "protocol.py"
            if protocol.exists():
                found.append((protocol, ast.parse(protocol.read_text(encoding="utf-8"))))
    return found


def _is_str(node) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _names_the_frame_type(node) -> bool:
    return "type" in ast.unparse(node)


def accepted_frame_types() -> set[str]:
    """Frame types the consumers dispatch on: ``frame_type == "send"``,
    ``content.get("type") == "ping"``, ``{"ack": …, "ping": …}.get(frame_type)``."""
    found = set()
    for _path, tree in _consumer_modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare):
                sides = [node.left, *node.comparators]
                if any(_names_the_frame_type(side) for side in sides if not _is_str(side)):
                    found |= {side.value for side in sides if _is_str(side)}
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr == "get" and isinstance(node.func.value, ast.Dict)
                  and node.args and _names_the_frame_type(node.args[0])):
                found |= {key.value for key in node.func.value.keys if _is_str(key)}
    return found


def sent_frame_types() -> set[str]:
    """Every ``{"type": "…"}`` the application builds that is a frame for a client."""
    found = set()
    for path in application_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        html_attrs = {id(kw.value) for node in ast.walk(tree) if isinstance(node, ast.Call)
                      for kw in node.keywords if kw.arg == "attrs"}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Dict) or id(node) in html_attrs:
                continue
            for key, value in zip(node.keys, node.values, strict=True):
                if _is_str(key) and key.value == "type" and _is_str(value):
                    found.add(value.value)
    return found - GEOJSON_TYPES - JSON_SCHEMA_TYPES - CHANNEL_LAYER_MESSAGES


def error_codes() -> set[str]:
    """Codes of the live channel's ``error`` frames: the first argument of every
    ``FrameError(…)``, ``_error(…)`` and ``Refusal(…)``, and the codes a consumer picks between."""
    found = set()
    for _path, tree in _consumer_modules():
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and node.args and _is_str(node.args[0])
                    and ast.unparse(node.func).split(".")[-1] in ("FrameError", "_error",
                                                                  "Refusal")):
                found.add(node.args[0].value)
            elif (isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "code"
                  and isinstance(node.value, ast.IfExp)):
                found |= {n.value for n in (node.value.body, node.value.orelse) if _is_str(n)}
    return found


def close_codes() -> set[int]:
    """The consumers' ``CLOSE_… = 44xx`` constants."""
    found = set()
    for _path, tree in _consumer_modules():
        for node in tree.body:
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)
                    and node.targets[0].id.startswith("CLOSE_")
                    and isinstance(node.value, ast.Constant)):
                found.add(node.value.value)
    return found


def test_the_frame_readers_find_the_frames_everyone_knows():
    # Guards the readers above: if the code's shape changed so that they find nothing, the
    # tests below would pass for nothing.
    assert {"subscribe", "send", "ack", "ping"} <= accepted_frame_types()
    assert {"message", "sent", "subscribed", "error", "zone", "desk.changed"} <= sent_frame_types()
    assert {"bad_frame", "too_large", "invalid"} <= error_codes()
    assert {4401, 4403, 4404, 4429} <= close_codes()


@pytest.mark.parametrize("frame_type", sorted(accepted_frame_types() | sent_frame_types()))
def test_every_frame_type_is_in_the_protocol(frame_type):
    assert f'{{"type": "{frame_type}"' in protocol_text(), (
        f'docs/protocol.md shows no {{"type": "{frame_type}", …}} frame')


@pytest.mark.parametrize("code", sorted(error_codes()))
def test_every_error_code_is_in_the_protocol(code):
    assert f"| `{code}` |" in protocol_text(), f"docs/protocol.md's error codes lack {code}"


@pytest.mark.parametrize("code", sorted(close_codes()))
def test_every_close_code_is_in_the_protocol(code):
    assert f"| `{code}` |" in protocol_text(), f"docs/protocol.md's close codes lack {code}"
