"""What a caller sees when django-axes refuses a login after too many failures: a page, or
``{"detail"}`` for the API, with status 429 — never a stack trace."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def cool_off_minutes() -> int:
    cool_off = settings.AXES_COOLOFF_TIME
    seconds = cool_off.total_seconds() if hasattr(cool_off, "total_seconds") \
        else float(cool_off) * 3600
    return max(1, round(seconds / 60))


def locked_out_message() -> str:
    return _("Too many failed login attempts: this account is locked for %(minutes)d minutes "
             "from this address. Try again later.") % {"minutes": cool_off_minutes()}


def lockout_response(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``. Axes calls it with (request, response, credentials) or
    (request, credentials) depending on the path it comes from; neither is needed here."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": locked_out_message()}, status=429)
    return render(request, "registration/locked_out.html",
                  {"minutes": cool_off_minutes()}, status=429)
