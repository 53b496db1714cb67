"""The AsyncAPI 3.0 document of Parley's WebSockets, served at ``GET /api/v1/asyncapi.json``.

It is generated from the frames' JSON Schemas (``messaging.frame_schemas`` for the live
channel, ``desk.frame_schemas`` for the desk) and the close codes defined beside them, so it
cannot drift from what the tests check: tests/support/ws.py validates every frame the
WebSocket tests send and receive against this document, and tests/site/test_asyncapi.py
validates the document against the official AsyncAPI 3.0.0 JSON Schema. Served like the
OpenAPI schema (``/api/v1/schema/``): public, since it describes and reveals no data.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from desk import frame_schemas as desk_frames
from messaging import frame_schemas as live_frames

ASYNCAPI_VERSION = "3.0.0"
#: A named constant, not a literal ``{"type": "httpApiKey"}``: tests/site/test_protocol_doc.py
#: reads such literals in the source as WebSocket frames.
HTTP_API_KEY = "httpApiKey"
LIVE = "liveChannel"
DESK = "desk"


def _messages(prefix: str, frames: dict[str, dict]) -> dict[str, dict]:
    """Component messages named ``<prefix>_<type>`` for ``frames`` (by ``type``)."""
    return {
        f"{prefix}_{frame_type.replace('.', '_')}": {
            "name": frame_type,
            "title": f'"{frame_type}" frame',
            "summary": schema.get("description", ""),
            "contentType": "application/json",
            "payload": schema,
        }
        for frame_type, schema in frames.items()
    }


def _close_codes(codes: dict[int, str]) -> list[dict]:
    return [{"code": code, "meaning": meaning} for code, meaning in codes.items()]


def _channel(address: str, title: str, description: str, messages: dict[str, dict],
             close_codes: dict[int, str], **extra: Any) -> dict:
    return {
        "address": address,
        "title": title,
        "description": description,
        "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in messages},
        "bindings": {"ws": {
            "method": "GET",
            "query": {"type": "object", "properties": {"ticket": {
                "type": "string",
                "description": "A ticket from POST /api/v1/ws-tickets/ (clients that are "
                               "not browsers)."}}},
            "bindingVersion": "0.1.0",
        }},
        # AsyncAPI has no field for WebSocket close codes: an extension, read by clients.
        "x-close-codes": _close_codes(close_codes),
        **extra,
    }


def _operation(channel: str, action: str, title: str, messages: dict[str, dict]) -> dict:
    return {
        "action": action,
        "channel": {"$ref": f"#/channels/{channel}"},
        "title": title,
        "messages": [{"$ref": f"#/channels/{channel}/messages/{name}"} for name in messages],
    }


def document(*, host: str, secure: bool) -> dict:
    """The AsyncAPI 3.0 document, for a server reached at ``host`` (over TLS if ``secure``)."""
    live_in = _messages("live", live_frames.client_frames())
    live_out = _messages("live", live_frames.server_frames())
    desk_in = _messages("desk", desk_frames.client_frames())
    desk_out = _messages("desk", desk_frames.server_frames())
    tickets = reverse("api:ws-tickets")
    ticket_seconds = settings.PARLEY_TICKET_SECONDS
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Parley live channel",
            "version": "1",
            "description": (
                "The WebSockets of Parley: the live channel of a demonstration "
                "(`/ws/events/{eventId}/`) and the desk's notices (`/ws/desk/`). Frames are "
                "JSON text objects, one per WebSocket message, told apart by `type`.\n\n"
                "**Connecting.** A browser's handshake carries its session cookie and a "
                "same-site `Origin`. Any other client first asks for a ticket over REST: "
                f"`POST {tickets}` with `Authorization: Token <token>` (or a session) and no "
                'body answers `201 {"ticket": "…", "expires_at": "…Z"}`; it then opens '
                f"`/ws/events/{{eventId}}/?ticket=<ticket>` within {ticket_seconds} s. A "
                "ticket works once; a second handshake with it, an expired or an unknown one "
                "is closed with 4401. Refusals come as a close frame right after the handshake "
                "is accepted, before any data (`x-close-codes` of each channel).\n\n"
                "**Then.** The first frame is `presence`; subscribe to `all` (and `officials` "
                "for police and city) with the last `seq` you hold, send with a fresh "
                "`client_id`, acknowledge instructions and alerts with `ack`."),
            "license": {"name": "AGPL-3.0-or-later",
                        "url": "https://www.gnu.org/licenses/agpl-3.0.html"},
            "externalDocs": {
                "description": "The REST API (OpenAPI 3), tickets included.",
                "url": f"{'https' if secure else 'http'}://{host}{reverse('api:schema')}",
            },
        },
        "defaultContentType": "application/json",
        "servers": {"parley": {
            "host": host,
            "protocol": "wss" if secure else "ws",
            "description": "This Parley server.",
            "security": [{"$ref": "#/components/securitySchemes/ticket"},
                         {"$ref": "#/components/securitySchemes/session"}],
        }},
        "channels": {
            LIVE: _channel(
                "/ws/events/{eventId}/", "A demonstration's live channel",
                "One connection per demonstration, for its members. Two channels inside: "
                "`all` (organisers, police and city members) and `officials` (police and "
                "city members only).",
                {**live_in, **live_out}, live_frames.CLOSE_CODES,
                parameters={"eventId": {"description": "The demonstration's id."}}),
            DESK: _channel(
                "/ws/desk/", "The desk's notices",
                "Police and city only: something the desk shows has changed; fetch it again "
                "over HTTP (`GET /desk/?partial=1`). Anything but `ping` is ignored.",
                {**desk_in, **desk_out}, desk_frames.CLOSE_CODES),
        },
        "operations": {
            "receiveLiveFrames": _operation(LIVE, "receive", "Frames a client sends", live_in),
            "sendLiveFrames": _operation(LIVE, "send", "Frames the server sends", live_out),
            "receiveDeskFrames": _operation(DESK, "receive", "Frames a desk sends", desk_in),
            "sendDeskFrames": _operation(DESK, "send", "Frames the server sends", desk_out),
        },
        "components": {
            "messages": {**live_in, **live_out, **desk_in, **desk_out},
            "securitySchemes": {
                "ticket": {
                    "type": HTTP_API_KEY, "name": "ticket", "in": "query",
                    "description": (
                        f"A single-use ticket: `POST {tickets}` (token or session; no body) → "
                        '`201 {"ticket", "expires_at"}`; connect with `?ticket=…` within '
                        f"{ticket_seconds} s. Cookies are then ignored."),
                    "x-ticket-request": {
                        "method": "POST", "path": tickets, "status": 201,
                        "response": {
                            "type": "object", "required": ["ticket", "expires_at"],
                            "properties": {"ticket": {"type": "string"},
                                           "expires_at": live_frames.TIMESTAMP}},
                    },
                },
                "session": {
                    "type": HTTP_API_KEY, "name": settings.SESSION_COOKIE_NAME, "in": "cookie",
                    "description": (
                        "Browsers: the session cookie of a login (second factor given), with "
                        "an `Origin` of this site; another `Origin` is refused with HTTP 403."),
                },
            },
        },
    }


class AsyncAPIView(APIView):
    """``GET /api/v1/asyncapi.json``: the AsyncAPI 3.0 document (public, as the OpenAPI
    schema is)."""

    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]

    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        """The document, for the host this request came to."""
        return Response(document(host=request.get_host(), secure=request.is_secure()))
