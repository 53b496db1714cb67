"""How the REST API reports errors: always JSON, never an HTML page, an empty body or a stack
trace, whatever a client sends. Every ``400`` has one shape, ``{"field": ["message", …]}``
with ``non_field_errors`` for what belongs to no one field; every other error
``{"detail": "…"}`` (docs/protocol.md, "Errors")."""

from __future__ import annotations

import datetime as dt
import json
import logging

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from config.parsers import too_deep
from coordination.errors import Conflict, RateLimited


def _raised_while_parsing(exc: BaseException) -> bool:
    """Whether ``exc`` came out of DRF reading a request's body (whatever parser a view
    lists: DRF's token view pins its own)."""
    frame = exc.__traceback__
    while frame is not None:
        if frame.tb_frame.f_code is Request._parse.__code__:
            return True
        frame = frame.tb_next
    return False


def _refused_as_suspicious(exc: SuspiciousOperation, context) -> Response:
    """A body too large (413) or a form with too many fields or files (400), logged where
    Django logs them (``django.security.*``) as it does when it answers them itself."""
    logging.getLogger(f"django.security.{type(exc).__name__}").error(
        str(exc), extra={"status_code": 400, "request": context.get("request")})
    if isinstance(exc, RequestDataTooBig):
        return Response({"detail": _("The request is too large.")},
                        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    return Response(not_about_a_field(_("Bad request.")), status=status.HTTP_400_BAD_REQUEST)


def not_about_a_field(message: str) -> dict[str, list[str]]:
    """The ``400`` body of a message that belongs to no one field."""
    return {api_settings.NON_FIELD_ERRORS_KEY: [str(message)]}


def _messages(value) -> list[str]:
    """Every message in ``value``: DRF nests a list's or an object's errors by index or key
    (``{"languages": {"1": ["…"]}}``); a client reads one list per field."""
    if isinstance(value, dict):
        return [message for item in value.values() for message in _messages(item)]
    if isinstance(value, list | tuple):
        return [message for item in value for message in _messages(item)]
    return [str(value)]


def invalid_body(data) -> dict[str, list[str]]:
    """Any ``400`` body in the one shape of docs/protocol.md: messages by field, what
    belongs to no one field (a ``detail``) under ``non_field_errors``."""
    if not isinstance(data, dict):
        return not_about_a_field(" ".join(_messages(data)))
    shaped: dict[str, list[str]] = {}
    for name, value in data.items():
        key = api_settings.NON_FIELD_ERRORS_KEY if name in ("detail", "__all__") else name
        shaped.setdefault(key, []).extend(_messages(value))
    return shaped


def exception_handler(exc, context):
    """Translate domain errors: invalid → 400 by field, forbidden → 403, conflict → 409;
    every 400 in the one shape (``invalid_body``)."""
    response = _handle(exc, context)
    if response is not None and response.status_code == status.HTTP_400_BAD_REQUEST:
        response.data = invalid_body(response.data)
    return response


def _handle(exc, context):
    if isinstance(exc, Conflict):
        return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, RateLimited):
        return Response({"detail": exc.message}, status=status.HTTP_429_TOO_MANY_REQUESTS)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            data = {
                ("non_field_errors" if field == "__all__" else field): messages
                for field, messages in exc.message_dict.items()
            }
        else:
            data = not_about_a_field(" ".join(exc.messages))
        return Response(data, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, SuspiciousOperation):
        return _refused_as_suspicious(exc, context)
    if isinstance(exc, RecursionError) and _raised_while_parsing(exc):
        exc = too_deep()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args[:1])
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args[:1])
    return drf_exception_handler(exc, context)


def is_api_request(request: HttpRequest) -> bool:
    """Whether ``request`` is for the REST API, which answers JSON, errors included."""
    return request.path_info.startswith("/api/")


def _error_detail(status_code: int) -> str:
    details = {
        400: _("Bad request."),
        403: _("Forbidden."),
        404: _("Not found."),
        405: _("This method is not allowed here."),
        413: _("The request is too large."),
    }
    if status_code >= 500:
        return _("Something went wrong on our side.")
    return details.get(status_code, _("This request could not be answered."))


class ApiTimesInUtcMiddleware:
    """Under ``/api/``, times are read and written in UTC (ISO 8601 with ``Z``, as the log,
    the frames and the exports write them), whatever the city's ``PARLEY_TIME_ZONE``: DRF
    would otherwise write its fields with the local offset, and a client would see two
    conventions. Pages keep the city's time (coordination/moments.py)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest):
        if self.is_async:
            return self._acall(request)
        if not is_api_request(request):
            return self.get_response(request)
        with timezone.override(dt.UTC):
            return self.get_response(request)

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        if not is_api_request(request):
            return await self.get_response(request)
        with timezone.override(dt.UTC):
            return await self.get_response(request)


class JsonErrorsMiddleware(MiddlewareMixin):
    """Under ``/api/``, an error answer that is not JSON — Django's own pages for an unknown
    path or a server error (their DEBUG versions too), a refused host, an empty 4xx — becomes
    ``{"detail": "…"}`` (a 400 ``{"non_field_errors": ["…"]}``) with the same status and
    headers. The API's views already answer JSON;
    this covers what happens before, around or instead of them. First in ``MIDDLEWARE``."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if (response.status_code < 400 or not is_api_request(request)
                or response.get("Content-Type", "").startswith("application/json")):
            return response
        detail = _error_detail(response.status_code)
        body = json.dumps(not_about_a_field(detail) if response.status_code == 400
                          else {"detail": detail}).encode()
        if response.streaming:
            response.streaming_content = [body]
        else:
            response.content = body
        response["Content-Type"] = "application/json"
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(body))
        for header in ("Content-Disposition", "Content-Encoding"):
            if response.has_header(header):
                del response[header]
        return response
