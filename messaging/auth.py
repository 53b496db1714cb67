"""Who is at the other end of a WebSocket: a browser with its session, or a ticket holder.

Browsers always send an ``Origin`` header; it must be this site: the same scheme, host and
port as the handshake's own (its ``Host`` header, a host of ``ALLOWED_HOSTS``) or one of
``CSRF_TRUSTED_ORIGINS`` — the rule Django's CSRF check applies to forms. A handshake without one
comes from an app or a script: it must present a single-use ticket
(``POST /api/v1/ws-tickets/``) and its cookies are ignored, so that a stolen session cookie
is useless outside a browser.
"""

from importlib import import_module
from urllib.parse import SplitResult, parse_qs, urlsplit

from channels.auth import AuthMiddlewareStack
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.http.request import split_domain_port, validate_host
from django.utils.crypto import constant_time_compare

from coordination.accounts.middleware import session_may_connect
from messaging.services import redeem, token_is_live
from messaging.threads import in_thread


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return None


def _has_origin(scope) -> bool:
    return _header(scope, b"origin") is not None


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _scheme_host_port(url: SplitResult) -> tuple[str, str, int] | None:
    scheme = url.scheme.lower()
    try:
        port = url.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:  # a port that is not a number
        return None
    if scheme not in _DEFAULT_PORTS or not url.hostname or port is None:
        return None
    return scheme, url.hostname.lower(), port


def _own_origin(scope) -> tuple[str, str, int] | None:
    """The origin a page of this site has when it opens this handshake, if its host is ours."""
    host = _header(scope, b"host")
    if not host or not validate_host(split_domain_port(host)[0], settings.ALLOWED_HOSTS):
        return None
    # Daphne gives ws/wss directly, or http/https from X-Forwarded-Proto behind a proxy.
    scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
    return _scheme_host_port(urlsplit(f"{scheme}://{host}"))


def is_this_sites_origin(origin: str, scope) -> bool:
    """Whether a handshake's ``Origin`` is this site: scheme, host and port all equal."""
    wanted = _scheme_host_port(urlsplit(origin.strip()))
    if wanted is None:  # "null", garbage, another scheme
        return False
    if wanted == _own_origin(scope):
        return True
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        trusted_origin = _scheme_host_port(urlsplit(trusted))
        if trusted_origin is None:
            continue
        scheme, host, port = trusted_origin
        if host.startswith("*."):  # Django's form: any subdomain of that host
            if (wanted[0], wanted[2]) == (scheme, port) and wanted[1].endswith(host[1:]):
                return True
        elif wanted == trusted_origin:
            return True
    return False


def _ticket(scope) -> str | None:
    values = parse_qs(scope.get("query_string", b"").decode("latin1")).get("ticket")
    return values[0] if values else None


class SameSiteOrNoOrigin:
    """Refuses a handshake whose ``Origin`` is not this site's; lets one with no Origin
    through (``TicketOrSessionAuth`` then insists on a ticket)."""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        origin = _header(scope, b"origin")
        if origin is not None and not is_this_sites_origin(origin, scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)


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
            redeemed = await in_thread(redeem, first=True)(ticket)
            scope = dict(scope, user=redeemed.user if redeemed else AnonymousUser(),
                         authenticated_by="ticket",
                         ticket_token_key=redeemed.token_key if redeemed else "")
            return await self.application(scope, receive, send)
        if not _has_origin(scope):
            scope = dict(scope, user=AnonymousUser(), authenticated_by=None)
            return await self.application(scope, receive, send)
        return await self.session_auth(dict(scope, authenticated_by="session"), receive, send)


#: Reasons (``coordination.accounts.access.Reason``) for which every credential of a person went:
#: their sessions were logged out or no longer match their password, every token revoked.
ALL_ACCESS_GONE = frozenset({"logout", "password_changed", "deactivated"})


def credentials_hold(scope, user, *, reason: str | None = None) -> bool:
    """Whether what opened this connection still signs ``user`` in, asked of the database
    now (sync: call it in a thread).

    - A browser session: it still exists and still holds ``user`` with their current
      password's hash (logging out deletes it; a password change leaves only the session it
      was made in), as Django asks on every request.
    - A ticket taken with an API token: that token is still live (not revoked, not expired).
    - A ticket taken with a browser session (the ticket does not record which): until every
      access of the person is taken back (``reason`` one of ``ALL_ACCESS_GONE``).
    """
    how = scope.get("authenticated_by")
    if how == "session":
        return _session_signs_in(getattr(scope.get("session"), "session_key", None), user)
    if how == "ticket":
        token_key = scope.get("ticket_token_key")
        if token_key:
            return token_is_live(user=user, token_key=token_key)
        return reason not in ALL_ACCESS_GONE
    return False


def _session_signs_in(session_key: str | None, user) -> bool:
    """Whether the stored session ``session_key`` signs ``user`` in (its password's hash as
    now; ``user`` must have been read afresh)."""
    if not session_key:
        return False
    data = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key).load()
    if str(data.get(SESSION_KEY)) != str(user.pk):
        return False
    stored = data.get(HASH_SESSION_KEY) or ""
    if constant_time_compare(stored, user.get_session_auth_hash()):
        return True
    return any(constant_time_compare(stored, user._get_session_auth_hash(secret=secret))
               for secret in settings.SECRET_KEY_FALLBACKS)


def websocket_security(application):
    """The whole stack in front of the live channel."""
    return SameSiteOrNoOrigin(TicketOrSessionAuth(application))
