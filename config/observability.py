"""Request and connection ids in every log line, and the JSON log format.

Each HTTP request gets an id (``X-Request-ID`` from the reverse proxy when it is well-formed,
else a new one), echoed in the response's ``X-Request-ID`` header; each WebSocket connection
gets an id for its whole life. Both live in context variables, so every log line written
while handling them carries them, also from tasks and database threads started meanwhile
(asyncio tasks and asgiref's thread hops copy the context). ``LogContextFilter`` puts them on
the log records; ``JsonFormatter`` writes one JSON object per line (``LOG_FORMAT=json``).
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

#: The id of the HTTP request being handled, or None.
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "parley_request_id", default=None
)
#: The id of the WebSocket connection being served, or None.
connection_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "parley_connection_id", default=None
)

REQUEST_ID_HEADER = "X-Request-ID"
# What we take from a proxy: nginx's $request_id is 32 hex digits; UUIDs and the like pass.
# Anything else (too long, spaces, control characters) is replaced, so it cannot forge or
# break log lines.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
# Probes that would otherwise fill the log: written at DEBUG, not INFO.
_QUIET_PATHS = frozenset({"/healthz", "/metrics"})

request_logger = logging.getLogger("parley.request")
websocket_logger = logging.getLogger("parley.websocket")


def new_id() -> str:
    """A fresh random id (32 hex digits, like nginx's ``$request_id``)."""
    return uuid.uuid4().hex


def request_id_from(header: str | None) -> str:
    """The proxy's request id if it is well-formed, otherwise a new one."""
    if header and _VALID_REQUEST_ID.fullmatch(header):
        return header
    return new_id()


class LogContextFilter(logging.Filter):
    """Adds ``request_id`` and ``connection_id`` (None outside a request or connection) and
    ``context`` (both, short, for the text format) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = request_id_var.get()
        connection_id = connection_id_var.get()
        record.request_id = request_id
        record.connection_id = connection_id
        parts = []
        if request_id:
            parts.append(f"request={request_id}")
        if connection_id:
            parts.append(f"connection={connection_id}")
        record.context = f"[{' '.join(parts)}] " if parts else ""
        return True


class JsonFormatter(_BaseJsonFormatter):
    """One JSON object per line: time, level, logger, message, the ids when there are any,
    and whatever ``extra=`` a call passed. Ids that are not set are left out, not null."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault(
            "fmt", "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(connection_id)s"
        )
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level",
                                            "name": "logger"})
        kwargs.setdefault("datefmt", "%Y-%m-%dT%H:%M:%S%z")
        super().__init__(*args, **kwargs)

    def process_log_record(self, log_data: dict) -> dict:
        for key in ("request_id", "connection_id"):
            if log_data.get(key) is None:
                log_data.pop(key, None)
        log_data.pop("context", None)  # the text format's copy of the ids
        return log_data


class RequestIdMiddleware:
    """Gives each request its id (see the module's docstring), echoes it in the response,
    and writes one log line per request: method, path, status and duration."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    # The id is not reset when the response is done: Django logs 4xx/5xx ("Not Found: ...")
    # after the middleware has returned, and those lines should carry it too. Under ASGI
    # each request runs in a task of its own (sync middleware in a copy of its context), so
    # the id ends with it; the next request on a thread sets its own anyway.
    def __call__(self, request):
        if iscoroutinefunction(self):
            return self._acall(request)
        started = self._begin(request)
        response = self.get_response(request)
        self._end(request, response, started)
        return response

    async def _acall(self, request):
        started = self._begin(request)
        response = await self.get_response(request)
        self._end(request, response, started)
        return response

    @staticmethod
    def _begin(request) -> float:
        request.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        request_id_var.set(request.request_id)
        return time.perf_counter()

    @staticmethod
    def _end(request, response, started: float) -> None:
        response[REQUEST_ID_HEADER] = request.request_id
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        level = logging.DEBUG if request.path in _QUIET_PATHS else logging.INFO
        request_logger.log(
            level, "%s %s %s %.1fms", request.method, request.path, response.status_code,
            duration_ms,
            extra={"method": request.method, "path": request.path,
                   "status": response.status_code, "duration_ms": duration_ms},
        )


ASGIApp = Callable[[dict, Callable, Callable], Awaitable[None]]


class ConnectionContext:
    """ASGI middleware around the WebSocket router: one id per connection, set in the
    context for the whole life of the connection's application (its consumer and every task
    it starts), in ``scope["connection_id"]``, and in an opened / closed log line; it also
    keeps the open-connections gauge (``messaging.metrics``), counting a connection from its
    accept until its application ends, whatever way it ends."""

    def __init__(self, inner: ASGIApp) -> None:
        self.inner = inner

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "websocket":
            return await self.inner(scope, receive, send)
        from messaging import metrics  # imported late: settings are ready by the first call

        connection_id = new_id()[:16]
        token = connection_id_var.set(connection_id)
        path = scope.get("path", "")
        accepted = False
        started = time.monotonic()

        async def watching_send(message: dict) -> None:
            nonlocal accepted
            if not accepted and message["type"] == "websocket.accept":
                accepted = True
                metrics.connection_opened()
                websocket_logger.info("WebSocket opened %s", path, extra={"path": path})
            await send(message)

        try:
            return await self.inner(dict(scope, connection_id=connection_id), receive,
                                    watching_send)
        finally:
            if accepted:
                metrics.connection_closed()
                seconds = round(time.monotonic() - started, 1)
                websocket_logger.info("WebSocket closed %s after %.1fs", path, seconds,
                                      extra={"path": path, "duration_s": seconds})
            connection_id_var.reset(token)
