"""The public page (``/public/``), its GeoJSON and its notices as JSON: no login, cacheable.

Every public response goes through ``public_response``: the language comes from ``?lang=``
(a link anyone can share), else the browser's ``Accept-Language`` as on every page; the
response carries ``Cache-Control: public, max-age=60`` and an ``ETag`` computed in two
aggregate queries (``public.selectors.public_version``), and a request whose
``If-None-Match`` still matches is answered ``304`` without building anything. A full answer
is kept in the cache under its ETag, so the page and feeds are built once per change and
language, not once per reader — compressed once too, for clients that take gzip (the page
of 1,000 demonstrations is about 2 MB of HTML, 10 times less compressed). Nothing here
depends on who asks and no response holds a secret, so sharing and compressing are safe.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.text import compress_string
from django.utils.translation import gettext as _
from django.views.decorators.http import condition, require_safe

from coordination.log import format_timestamp
from events.models import Event
from public import selectors as public
from zones.models import Zone
from zones.styles import (
    ASSEMBLY_POINT_COLOUR,
    DISPERSAL_POINT_COLOUR,
    KIND_COLOURS,
    ROUTE_COLOUR,
)

#: How long browsers and shared caches may keep a public response without asking again.
MAX_AGE = 60
#: How long a built response is kept in the cache under its ETag (a newer ETag replaces it
#: in practice long before: any change makes a new one).
BUILT_FOR = 300


def requested_language(request: HttpRequest) -> str:
    """``?lang=`` when it names a language Parley speaks, else the middleware's choice."""
    asked = request.GET.get("lang", "")
    if asked in dict(settings.LANGUAGES):
        return asked
    return translation.get_language()


def accepts_gzip(request: HttpRequest) -> bool:
    """The client takes a gzip-compressed body (every browser does)."""
    return bool(_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")))


_GZIP = re.compile(r"\bgzip\b")
#: Headers of a built response that are kept with its body.
_KEPT_HEADERS = ("Content-Type", "Content-Disposition")


def public_response(view: Callable[[HttpRequest], HttpResponse]) -> Callable:
    """Make ``view`` a public, cacheable answer (see the module's docstring). A gzip body
    is a different representation, so it has its own ETag (``…-gz``)."""

    name = getattr(view, "__name__", type(view).__name__)

    def etag(request: HttpRequest) -> str:
        # Asked twice per request (conditional GET, then the cache key): computed once.
        if not hasattr(request, "_public_etag"):
            request._public_etag = public.public_version() + (
                "-gz" if accepts_gzip(request) else "")
        return request._public_etag

    @condition(etag_func=etag)
    def built(request: HttpRequest) -> HttpResponse:
        key = f"parley:public:{name}:{etag(request)}"
        kept = cache.get(key)
        if kept is None:
            response = view(request)
            content = response.content
            if accepts_gzip(request):
                content = compress_string(content)
            headers = {h: response[h] for h in _KEPT_HEADERS if response.has_header(h)}
            kept = (content, headers)
            cache.set(key, kept, BUILT_FOR)
        content, headers = kept
        response = HttpResponse(content, headers=headers)
        if accepts_gzip(request):
            response["Content-Encoding"] = "gzip"
        return response

    @wraps(view)
    @require_safe
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        language = requested_language(request)
        with translation.override(language):
            response = built(request)
        patch_cache_control(response, public=True, max_age=MAX_AGE)
        patch_vary_headers(response, ("Accept-Language", "Accept-Encoding"))
        response.headers["Content-Language"] = language
        return response

    return wrapper


def _with_language(url: str, language: str) -> str:
    return f"{url}?lang={language}"


@public_response
def public_page(request: HttpRequest) -> HttpResponse:
    """The public page: public demonstrations, their map and the latest notices."""
    events = public.public_events()
    language = translation.get_language()
    urls = {
        "geojson": _with_language(reverse("public:geojson"), language),
        "notices": _with_language(reverse("public:notices"), language),
        "ics": reverse("public:ics"),
        "atom": _with_language(reverse("public:atom"), language),
    }
    groups = [
        (_group_title("live"), [e for e in events if e.state == Event.State.LIVE]),
        (_group_title("agreed"), [e for e in events
                                  if e.state == Event.State.AGREED or e.changes_under_review]),
        (_group_title("past"), [e for e in events
                                if e.state in (Event.State.CONCLUDED, Event.State.CANCELLED)]),
    ]
    config = {
        "geojson_url": urls["geojson"],
        "notices_url": urls["notices"],
        "poll_seconds": MAX_AGE,
        "colours": {"kinds": KIND_COLOURS, "assembly": ASSEMBLY_POINT_COLOUR,
                    "dispersal": DISPERSAL_POINT_COLOUR, "route": ROUTE_COLOUR},
        "kinds": {value: str(label) for value, label in Event.Kind.choices},
        "zone_kinds": {value: str(label) for value, label in Zone.Kind.choices},
        "states": {value: str(label) for value, label in Event.State.choices},
    }
    return render(request, "public/page.html", {
        "groups": groups, "count": len(events), "notices": public.latest_notices(events),
        "urls": urls, "config": config,
        "languages": [(code, translation.get_language_info(code)["name_local"])
                      for code, _name in settings.LANGUAGES],
    })


def _group_title(group: str) -> str:
    return {"live": _("Under way now"), "agreed": _("Agreed, coming up"),
            "past": _("Concluded or cancelled in the last 7 days")}[group]


def geojson_of(events: list[public.PublicEvent]) -> dict:
    """The public demonstrations on the map as one GeoJSON FeatureCollection: for each one
    its assembly point, route and dispersal point, and its agreed zones. Properties say
    only what the page says (reference, title, kind, state, times, link; a zone's kind,
    times and conditions)."""
    page = reverse("public:page")
    features = []
    for event in events:
        if not event.on_the_map:
            continue
        about = {
            "reference": event.reference, "title": event.title, "kind": event.kind,
            "state": event.state, "starts_at": _iso(event.starts_at),
            "ends_at": _iso(event.ends_at), "url": f"{page}#{event.anchor}",
        }
        # Zones first, then the route, then the points: drawn in this order, the places
        # stay on top where they lie inside a zone.
        for zone in event.zones:
            features.append(_feature(f"{event.reference}/zone-{zone.pk}", zone.geometry, {
                "feature": "zone", "reference": event.reference, "zone_kind": zone.kind,
                "conditions": zone.conditions, "valid_from": _iso(zone.valid_from),
                "valid_to": _iso(zone.valid_to), "url": f"{page}#{event.anchor}",
            }))
        for place, geometry, name in (
                ("route", event.route, None),
                ("assembly_point", event.assembly_point, event.assembly_point_name),
                ("dispersal_point", event.dispersal_point, event.dispersal_point_name)):
            if geometry is not None:
                named = {} if name is None else {"place_name": name}
                features.append(_feature(f"{event.reference}/{place}", geometry,
                                         {"feature": place, **about, **named}))
    return {"type": "FeatureCollection", "features": features}


def _feature(id_: str, geometry, properties: dict) -> dict:
    # The geometry's GeoJSON is GeoDjango's (GDAL), in WGS 84 as stored.
    return {"type": "Feature", "id": id_, "geometry": json.loads(geometry.json),
            "properties": properties}


def _iso(value) -> str | None:
    return format_timestamp(value) if value else None


@public_response
def public_geojson(request: HttpRequest) -> HttpResponse:
    """``/public/events.geojson``: routes, places and agreed zones of public demonstrations."""
    return JsonResponse(geojson_of(public.public_events()),
                        content_type="application/geo+json")


@public_response
def public_notices(request: HttpRequest) -> HttpResponse:
    """``/public/notices.json``: the latest public notices, worded in the asked language
    (what the page's script shows when something changed)."""
    page = reverse("public:page")
    notices = public.latest_notices(public.public_events())
    return JsonResponse({"notices": [
        {"id": n.id, "reference": n.reference, "title": n.title, "at": _iso(n.at),
         "text": n.text, "url": f"{page}#{n.reference}",
         "receipt": n.receipt.as_dict() if n.receipt else None}
        for n in notices
    ]})
