"""Site-wide views: health check and error pages that stay JSON under /api/."""

import asyncio
import contextlib
import hashlib
import json
import uuid

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.templatetags.static import static
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.i18n import JavaScriptCatalog

from config.metrics import health_checked


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


async def _check_channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    channel = await layer.new_channel("healthz.")
    token = uuid.uuid4().hex
    try:
        await layer.send(channel, {"type": "healthz", "token": token})
        message = await layer.receive(channel)
    finally:
        await _release(layer, channel)
    if message.get("token") != token:
        raise RuntimeError("channel layer returned the wrong message")


async def _release(layer, channel: str) -> None:
    """Let go of a channel made for one check. The layers have no call for it, but a
    receive that is cancelled releases its channel (the pub/sub layer unsubscribes it);
    without this every check would leave a subscription behind."""
    waiting = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(0)  # let it start waiting
    waiting.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await waiting


@never_cache
async def healthz(request):
    """``200 {"database": "ok", "channel_layer": "ok"}``, or 503 naming what failed."""
    result = {}
    try:
        await asyncio.wait_for(sync_to_async(_check_database)(), timeout=5)
        result["database"] = "ok"
    except Exception as exc:
        result["database"] = f"error: {type(exc).__name__}"
    try:
        await asyncio.wait_for(_check_channel_layer(), timeout=5)
        result["channel_layer"] = "ok"
    except Exception as exc:
        result["channel_layer"] = f"error: {type(exc).__name__}"
    healthy = all(value == "ok" for value in result.values())
    health_checked(result)
    return JsonResponse(result, status=200 if healthy else 503)


#: How long a browser (or a shared cache) keeps a language's catalog before asking again; it
#: then gets 304 Not Modified unless the translations changed (a new release).
JAVASCRIPT_CATALOG_MAX_AGE = 60 * 60


@require_safe
def javascript_catalog(request: HttpRequest, language: str) -> HttpResponse:
    """The page scripts' translations (the ``djangojs`` catalogs) in ``language``, as Django's
    JavaScriptCatalog writes them: a classic script defining ``gettext``, ``ngettext``,
    ``pgettext`` and ``interpolate``, loaded before the pages' modules (static/js/i18n.js).
    At ``/i18n/catalog/<language>.js``.

    The language is in the address, not taken from the request, so the answer is the same for
    everyone who asks for it: cached, and revalidated by its ETag. Shared caches may keep it
    only when asked without a session (a signed-in request's answer can carry its session
    cookie)."""
    if language not in dict(settings.LANGUAGES):
        raise Http404
    with translation.override(language):
        response = JavaScriptCatalog.as_view(domain="djangojs")(request)
    response.headers["Content-Language"] = language
    etag = f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
    response.headers["ETag"] = etag
    who = "private" if settings.SESSION_COOKIE_NAME in request.COOKIES else "public"
    patch_cache_control(response, **{who: True}, max_age=JAVASCRIPT_CATALOG_MAX_AGE)
    return get_conditional_response(request, etag=etag, response=response)


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return render(request, "404.html", status=404)


def server_error(request):
    if _wants_json(request):
        return JsonResponse({"detail": _("Something went wrong on our side.")}, status=500)
    return render(request, "500.html", status=500)


def permission_denied(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"detail": str(exception) or _("Forbidden.")}, status=403)
    return render(request, "403.html", {"reason": str(exception or "")}, status=403)


def bad_request(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"detail": _("Bad request.")}, status=400)
    return render(request, "400.html", status=400)


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, which browsers ask for on every page whatever the page links:
    a permanent redirect to the icon among the static files (its hashed name in production)."""
    response = HttpResponsePermanentRedirect(static("favicon.svg"))
    patch_cache_control(response, public=True, max_age=86400)
    return response


#: The scripts the service worker is made of, each owned by the part it serves: the day's
#: pack kept for the network that goes (static/pwa/), and Web Push (static/push/).
SERVICE_WORKER_PARTS = ("pwa/service_worker_offline.js", "push/service_worker_push.js")


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    """``/sw.js``: Parley's service worker, served from the site root so that its scope
    covers every page. It is a few lines that import its parts from the static files: their
    names carry a hash of their content, so a change to any part changes these bytes, and
    the browser installs the new worker (it checks this URL, never cached: ``no-cache``)."""
    parts = ", ".join(json.dumps(static(part)) for part in SERVICE_WORKER_PARTS)
    body = (
        "/* Parley's service worker: its parts are in static/pwa/ and static/push/. */\n"
        f"importScripts({parts});\n"
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    patch_cache_control(response, no_cache=True, max_age=0)
    return response


@require_safe
def offline_page(request: HttpRequest) -> HttpResponse:
    """``/offline/``: what the service worker shows when the network is gone and the page
    asked for is not kept on the phone. It keeps a copy when someone signs in (in the
    language it was served in); the page lists the demonstrations kept (static/js/pwa.js)."""
    had_csrf_cookie = settings.CSRF_COOKIE_NAME in request.COOKIES
    response = render(request, "offline.html")
    if not had_csrf_cookie:
        # The worker fetches this page behind the pages' backs: a new CSRF cookie set now
        # would replace the one a login form open meanwhile was given (its POST then fails).
        request.META["CSRF_COOKIE_NEEDS_UPDATE"] = False
    patch_cache_control(response, no_cache=True, max_age=0)
    return response


#: The colour of the browser's bar around the installed app and of its splash screen: the
#: icons' blue (static/favicon.svg) and the pages' background (static/css/parley.css).
THEME_COLOR = "#1d4e89"
BACKGROUND_COLOR = "#f4f6f8"
#: The icons the manifest lists (made by scripts/make_icons.py from static/favicon.svg).
MANIFEST_ICONS = (
    ("pwa/icons/icon-192.png", "192x192", "any"),
    ("pwa/icons/icon-512.png", "512x512", "any"),
    ("pwa/icons/icon-maskable-512.png", "512x512", "maskable"),
)


@require_safe
def web_manifest(request: HttpRequest) -> HttpResponse:
    """``/manifest.webmanifest``: what a phone needs to install Parley as an app (name,
    icons, opened at the list of demonstrations in a window of its own), in the reader's
    language. docs/phones.md, "Installing"."""
    manifest = {
        "id": "/",
        "name": _("Parley: coordinating demonstrations"),
        "short_name": _("Parley"),
        "description": _("Organisers, police and the city agree and run demonstrations "
                         "together."),
        "lang": translation.get_language(),
        "dir": "rtl" if translation.get_language_bidi() else "ltr",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        # dict(): a literal {"type": …} would read as a live-channel frame to the doc checks.
        "icons": [dict(src=static(path), sizes=sizes, type="image/png",  # noqa: C408
                       purpose=purpose) for path, sizes, purpose in MANIFEST_ICONS],
    }
    response = HttpResponse(json.dumps(manifest, ensure_ascii=False),
                            content_type="application/manifest+json; charset=utf-8")
    response.headers["Content-Language"] = manifest["lang"]
    patch_cache_control(response, no_cache=True, max_age=0)
    return response
