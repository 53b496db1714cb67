"""Who is at the other end of a WebSocket: a browser with its session, or a ticket holder.

Browsers always send an ``Origin`` header; it must be this site. A handshake without one
comes from an app or a script: it must present a single-use ticket
(``POST /api/v1/ws-tickets/``) and its cookies are ignored, so that a stolen session cookie
is useless outside a browser.
"""

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser

from coordination.account_middleware import session_may_connect
from messaging.services import redeem_ticket
from messaging.threads import in_thread


def _has_origin(scope) -> bool:
    return any(name == b"origin" for name, _value in scope.get("headers", []))


def _ticket(scope) -> str | None:
    values = parse_qs(scope.get("query_string", b"").decode("latin1")).get("ticket")
    return values[0] if values else None


class SameSiteOrNoOrigin(OriginValidator):
    """Like ``AllowedHostsOriginValidator``, but lets a handshake with no Origin through:
    ``TicketOrSessionAuth`` then insists on a ticket."""

    def __init__(self, application) -> None:
        allowed = settings.ALLOWED_HOSTS
        if settings.DEBUG and not allowed:
            allowed = ["localhost", "127.0.0.1", "[::1]"]
        super().__init__(application, allowed)

    def valid_origin(self, parsed_origin) -> bool:
        if parsed_origin is None:
            return True
        return super().valid_origin(parsed_origin)


class SessionChecks:
    """Treats a browser session as anonymous (the consumer then closes with 4401) when it
    has been idle too long or lacks the second factor its user needs. A ticket holder has
    passed both already: tickets are issued only to verified API callers."""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        user = scope.get("user")
        session = scope.get("session")
        if (user is not None and session is not None and user.is_authenticated
                and not await in_thread(session_may_connect, first=True)(session, user)):
            scope = dict(scope, user=AnonymousUser())
        return await self.application(scope, receive, send)


class TicketOrSessionAuth:
    """Sets ``scope["user"]`` from a ticket, or from the session for browsers only."""

    def __init__(self, application) -> None:
        self.application = application
        self.session_auth = AuthMiddlewareStack(SessionChecks(application))

    async def __call__(self, scope, receive, send):
        ticket = _ticket(scope)
        if ticket is not None:
            user = await in_thread(redeem_ticket, first=True)(ticket)
            scope = dict(scope, user=user or AnonymousUser(), authenticated_by="ticket")
            return await self.application(scope, receive, send)
        if not _has_origin(scope):
            scope = dict(scope, user=AnonymousUser(), authenticated_by=None)
            return await self.application(scope, receive, send)
        return await self.session_auth(dict(scope, authenticated_by="session"), receive, send)


def websocket_security(application):
    """The whole stack in front of the live channel."""
    return SameSiteOrNoOrigin(TicketOrSessionAuth(application))
