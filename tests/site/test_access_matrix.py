"""Nobody where they don't belong: every route, every kind of caller, answered as written here.

The routes come from the URL configuration itself (``django.urls.get_resolver()``, walked
recursively; the admin is left to Django's own staff checks), so a route added without a line
in ``MATRIX`` fails ``test_every_route_has_a_line_in_the_matrix``. Each line names a route (its
URL name), a method, the object its URL points at, and the exact status each caller gets.
Writes carry a real body (``BODIES``), so that "allowed" means the thing was done; every
request runs in a savepoint that is rolled back, so every caller meets the same world.

``docs/security.md``'s access matrix is generated from these tables:
``.venv/bin/python -m tests.site.test_access_matrix --markdown`` prints it, ``--write-docs`` puts
it in place, and
``test_docs_show_the_matrix_as_tested`` fails when the document has drifted.

The callers:

| column | who |
|---|---|
| anon | nobody logged in |
| alice | organiser of the demonstration (``event``, ``concluded``) |
| mallory | organiser of another demonstration |
| bob | police, member of the demonstration |
| erin | police, not a member |
| carol | city, member of the demonstration |
| dave | reviewer |
| gone | a city official, member of the demonstration, deactivated after logging in and
  taking an API token: the session and the token no longer open anything |

The objects (``target``): ``event`` Alice's submitted demonstration; ``concluded`` a
demonstration of Alice's that is over; ``missing`` an id that does not exist; ``zone`` a zone of
``event``; ``citywide`` a city-wide sensitive site; ``message`` an instruction from Carol in
``event``'s ``all`` channel; ``officials`` a message in its ``officials`` channel; ``reset`` a
password-reset link with a made-up token; ``proxied`` a request through the reverse proxy;
``standard`` a standard instruction; ``member`` Bob's membership of ``event``;
``subscription`` Alice's Web Push subscription; ``french`` and
``unshipped`` a language Parley ships and one it does not; ``-`` a URL without parameters.
"""

from __future__ import annotations

import json
import os
import re
import sys
import uuid
from pathlib import Path

import pytest

SUBJECTS = ["anon", "alice", "mallory", "bob", "erin", "carol", "dave", "gone"]

# HTTP: route name, method, target, then the status for each subject, in SUBJECTS order.
# Pages log in with a session, API routes (api:…) with an API token.
MATRIX_TEXT = """
# route                   method target                 anon alice mallory bob  erin carol dave gone
metrics                   GET    -                      200  200   200     200  200  200   200  200
metrics                   GET    proxied                404  404   404     404  404  404   404  404
healthz                   GET    -                      200  200   200     200  200  200   200  200
favicon                   GET    -                      301  301   301     301  301  301   301  301
service-worker            GET    -                      200  200   200     200  200  200   200  200
web-manifest              GET    -                      200  200   200     200  200  200   200  200
offline                   GET    -                      200  200   200     200  200  200   200  200
set_language              GET    -                      302  302   302     302  302  302   302  302
set_language              POST   -                      302  302   302     302  302  302   302  302
javascript-catalog        GET    french                 200  200   200     200  200  200   200  200
javascript-catalog        GET    unshipped              404  404   404     404  404  404   404  404
signup                    GET    -                      200  302   302     302  302  302   302  200
account_settings          GET    -                      302  200   200     200  200  200   200  302
account_settings          POST   -                      302  302   302     302  302  302   302  302
signup                    POST   -                      200  302   302     302  302  302   302  200
login                     GET    -                      200  200   200     200  200  200   200  200
login                     POST   -                      200  200   200     200  200  200   200  200
two_factor_setup          GET    -                      302  200   200     200  200  200   200  302
two_factor_setup          POST   -                      302  200   200     200  200  200   200  302
two_factor_verify         GET    -                      302  302   302     200  200  200   200  302
two_factor_verify         POST   -                      302  302   302     200  200  200   200  302
logout                    GET    -                      405  405   405     405  405  405   405  405
logout                    POST   -                      302  302   302     302  302  302   302  302
password_change           GET    -                      302  200   200     200  200  200   200  302
password_change           POST   -                      302  200   200     200  200  200   200  302
password_change_done      GET    -                      302  200   200     200  200  200   200  302
password_reset            GET    -                      200  200   200     200  200  200   200  200
password_reset            POST   -                      302  302   302     302  302  302   302  302
password_reset_done       GET    -                      200  200   200     200  200  200   200  200
password_reset_confirm    GET    reset                  200  200   200     200  200  200   200  200
password_reset_confirm    POST   reset                  200  200   200     200  200  200   200  200
password_reset_complete   GET    -                      200  200   200     200  200  200   200  200
desk                      GET    -                      302  403   403     200  200  200   403  302
desk-waiting              GET    -                      302  200   200     200  200  200   200  302
public:page               GET    -                      200  200   200     200  200  200   200  200
public:geojson            GET    -                      200  200   200     200  200  200   200  200
public:notices            GET    -                      200  200   200     200  200  200   200  200
public:ics                GET    -                      200  200   200     200  200  200   200  200
public:atom               GET    -                      200  200   200     200  200  200   200  200
events:list               GET    -                      302  200   200     200  200  200   200  302
events:register           GET    -                      302  200   200     403  403  403   403  302
events:register           POST   -                      302  200   200     403  403  403   403  302
events:detail             GET    event                  302  200   404     200  200  200   404  302
events:detail             GET    concluded              302  200   404     200  200  200   200  302
events:detail             GET    missing                302  404   404     404  404  404   404  302
events:edit               GET    event                  302  302   404     403  403  403   404  302
events:edit               POST   event                  302  302   404     403  403  403   404  302
events:transition         GET    event                  405  405   405     405  405  405   405  405
events:transition         POST   event                  302  302   404     403  403  403   404  302
events:add_member         GET    event                  405  405   405     405  405  405   405  405
events:add_member         POST   event                  302  302   404     403  403  302   404  302
events:member_candidates  GET    event                  302  200   404     403  403  200   404  302
events:remove_member      GET    member                 405  405   405     405  405  405   405  405
events:remove_member      POST   member                 302  403   404     403  403  302   404  302
review:review             GET    event                  302  403   404     403  403  200   404  302
review:review             GET    concluded              302  403   404     403  403  200   200  302
review:add_note           GET    concluded              405  405   405     405  405  405   405  405
review:add_note           POST   concluded              302  403   404     403  403  302   302  302
review:replay             GET    event                  302  403   404     403  403  200   404  302
review:replay             GET    concluded              302  403   404     403  403  200   200  302
privacy:event             GET    event                  302  200   404     403  403  200   404  302
zones:city_map            GET    -                      302  403   403     200  200  200   403  302
messaging:instructions    GET    -                      302  403   403     403  403  200   403  302
messaging:instruction_add GET    -                      302  403   403     403  403  200   403  302
messaging:instruction_add POST   -                      302  403   403     403  403  302   403  302
messaging:instruction_edit GET   standard               302  403   403     403  403  200   403  302
messaging:instruction_edit POST  standard               302  403   403     403  403  302   403  302
zones:briefing            GET    event                  302  409   404     409  409  409   404  302
zones:briefing            GET    live                   302  200   404     200  200  200   404  302
api:token                 GET    -                      405  405   405     405  405  405   405  405
api:token                 POST   -                      400  400   400     400  400  400   400  400
api:token                 DELETE -                      401  204   204     204  204  204   204  401
api:event-list            GET    -                      401  200   200     200  200  200   200  401
api:event-list            POST   -                      401  201   201     403  403  403   403  401
api:event-detail          GET    event                  401  200   404     200  200  200   404  401
api:event-detail          GET    concluded              401  200   404     200  200  200   200  401
api:event-detail          GET    missing                401  404   404     404  404  404   404  401
api:event-detail          PATCH  event                  401  409   404     403  403  403   404  401
api:event-detail          PUT    event                  401  405   405     405  405  405   405  401
api:event-transitions     GET    event                  401  405   405     405  405  405   405  401
api:event-transitions     POST   event                  401  200   404     403  403  403   404  401
api:event-members         GET    event                  401  200   404     200  200  200   404  401
api:event-members         POST   event                  401  400   404     403  403  201   404  401
api:event-member          GET    member                 401  405   405     405  405  405   405  401
api:event-member          DELETE member                 401  403   404     403  403  204   404  401
api:event-log             GET    event                  401  403   404     403  403  200   404  401
api:event-log             GET    concluded              401  403   404     403  403  200   200  401
api:event-log-head        GET    event                  401  200   404     200  403  200   404  401
api:event-log-head        GET    concluded              401  200   404     200  403  200   200  401
api:event-log-verify      GET    concluded              401  403   404     403  403  200   200  401
api:event-log-export      GET    concluded?format=csv   401  403   404     403  403  200   200  401
api:event-log-export      GET    concluded?format=jsonl 401  403   404     403  403  200   200  401
api:event-log-export      GET    concluded?format=pdf   401  403   404     403  403  200   200  401
api:event-log-export      GET    concluded?format=xml   401  403   404     403  403  400   400  401
api:event-replay          GET    concluded              401  403   404     403  403  200   200  401
api:event-zones           GET    event                  401  200   404     200  200  200   404  401
api:event-zones           POST   event                  401  201   404     201  403  201   404  401
api:event-zones-download  GET    event                  401  200   404     200  200  200   404  401
api:event-conflicts       GET    event                  401  200   404     200  200  200   404  401
api:event-incidents       GET    event                  401  200   404     200  200  200   404  401
api:event-incidents       POST   event                  401  403   404     409  403  409   404  401
api:event-incidents       POST   live                   401  403   404     201  403  201   404  401
api:city-map              GET    -                      401  403   403     200  200  200   403  401
api:zone-list             GET    -                      401  200   200     200  200  200   200  401
api:zone-list             POST   -                      401  403   403     403  403  201   403  401
api:zones-download        GET    -                      401  200   200     200  200  200   200  401
api:zone-detail           GET    zone                   401  200   404     200  200  200   404  401
api:zone-detail           GET    citywide               401  404   404     200  200  200   200  401
api:zone-detail           PATCH  zone                   401  403   404     200  403  200   404  401
api:zone-versions         GET    zone                   401  200   404     200  200  200   404  401
api:zone-agreements       GET    zone                   401  405   405     405  405  405   405  401
api:zone-agreements       POST   zone                   401  201   404     201  403  201   404  401
api:zone-withdraw         GET    zone                   401  405   405     405  405  405   405  401
api:zone-withdraw         POST   zone                   401  403   404     200  403  200   404  401
api:event-messages        GET    event                  401  200   404     200  403  200   404  401
api:event-messages        POST   event                  401  201   404     201  403  201   404  401
api:message-acks          GET    message                401  405   405     405  405  405   405  401
api:message-acks          POST   message                401  201   404     201  404  400   404  401
api:message-acks          POST   officials              401  404   404     400  404  400   404  401
api:message-key-moment    GET    message                401  405   405     405  405  405   405  401
api:message-key-moment    POST   message                401  403   404     403  404  201   404  401
api:message-key-moment    DELETE message                401  403   404     403  404  204   404  401
api:standard-instructions GET    -                      401  403   403     200  200  200   403  401
api:push-public-key       GET    -                      401  200   200     200  200  200   200  401
api:push-subscriptions    GET    -                      401  405   405     405  405  405   405  401
api:push-subscriptions    POST   -                      401  201   201     201  201  201   201  401
api:push-subscription     GET    subscription           401  405   405     405  405  405   405  401
api:push-subscription     DELETE subscription           401  204   404     404  404  404   404  401
api:push-acks             GET    -                      405  405   405     405  405  405   405  405
api:push-acks             POST   -                      400  400   400     400  400  400   400  400
api:ws-tickets            GET    -                      401  405   405     405  405  405   405  401
api:ws-tickets            POST   -                      401  201   201     201  201  201   201  401
api:schema                GET    -                      200  200   200     200  200  200   200  401
api:docs                  GET    -                      200  200   200     200  200  200   200  401
api:asyncapi              GET    -                      200  200   200     200  200  200   200  401
"""

# WebSocket: path, target, then the outcome for each subject: ``open`` (admitted) or the close
# code (4401 not logged in, 4403 visible but not a member or not allowed, 4404 not visible).
WS_MATRIX_TEXT = """
# path                         target     anon alice mallory bob  erin carol dave gone
/ws/events/{pk}/               event      4401 open  4404    open 4403 open  4404 4401
/ws/events/{pk}/               concluded  4401 open  4404    open 4403 open  4403 4401
/ws/events/{pk}/               missing    4401 4404  4404    4404 4404 4404  4404 4401
/ws/desk/                      -          4401 4403  4403    open open open  4403 4401
"""

# Subscribing on an event's live channel, per channel: ``subscribed`` or the error's code.
# Only members are admitted (above); these are the members of ``event``.
WS_SUBSCRIBE_TEXT = """
# channel   alice     bob        carol
all         subscribed subscribed subscribed
officials   forbidden subscribed subscribed
"""

# Paths served outside the URL configuration, by a middleware: asked like the routes.
# /metrics answers direct requests from the loopback (the test client's address) and never
# a request that came through the reverse proxy (config/metrics.py).
EXTRA_PATHS = {"metrics": "/metrics"}

# Write bodies: what a caller who is allowed would really send.
BODIES: dict[tuple[str, str, str], dict] = {
    ("signup", "POST", "-"): {},
    ("login", "POST", "-"): {"username": "alice", "password": "wrong"},
    ("password_change", "POST", "-"): {},
    ("two_factor_setup", "POST", "-"): {"code": "000000"},
    ("two_factor_verify", "POST", "-"): {"code": "000000"},
    ("password_reset", "POST", "-"): {"email": "nobody@example.org"},
    ("set_language", "POST", "-"): {"language": "fr"},
    ("account_settings", "POST", "-"): {"language": "fr"},
    ("password_reset_confirm", "POST", "reset"): {"new_password1": "x", "new_password2": "x"},
    ("events:register", "POST", "-"): {},
    ("events:edit", "POST", "event"): {},
    ("events:transition", "POST", "event"): {"to": "withdrawn", "note": "Plans changed.",
                                             "confirmed": "on"},
    ("events:add_member", "POST", "event"): {"username": "erin"},
    ("review:add_note", "POST", "concluded"): {"body": "A lesson learned."},
    ("messaging:instruction_add", "POST", "-"): {"label": "Matrix", "position": 0,
                                                 "active": "on", "text_en": "Hello."},
    ("messaging:instruction_edit", "POST", "standard"): {"label": "Renamed", "position": 0,
                                                         "text_en": "Hello."},
    ("api:token", "POST", "-"): {},
    ("api:event-list", "POST", "-"): "EVENT",
    ("api:event-detail", "PATCH", "event"): {"title": "A new title"},
    ("api:event-detail", "PUT", "event"): {"title": "A new title"},
    ("api:event-transitions", "POST", "event"): {"to": "withdrawn", "note": "Plans changed."},
    ("api:event-members", "POST", "event"): {"username": "erin"},
    ("api:event-zones", "POST", "event"): "ZONE",
    ("api:event-incidents", "POST", "event"): "INCIDENT",
    ("api:event-incidents", "POST", "live"): "INCIDENT",
    ("api:zone-list", "POST", "-"): "SITE",
    ("api:zone-detail", "PATCH", "zone"): {"label": "Renamed"},
    ("api:zone-agreements", "POST", "zone"): {"version": 1},
    ("api:zone-withdraw", "POST", "zone"): {},
    ("api:event-messages", "POST", "event"): "MESSAGE",
    ("api:message-acks", "POST", "message"): {},
    ("api:message-acks", "POST", "officials"): {},
    ("api:message-key-moment", "POST", "message"): {"note": "Turning point."},
    ("api:message-key-moment", "DELETE", "message"): "MARKED",
    ("api:ws-tickets", "POST", "-"): {},
    ("api:push-subscriptions", "POST", "-"): "PUSH",
    ("api:push-acks", "POST", "-"): {"token": "made-up"},
}


def _rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.strip().splitlines() if not line.startswith("#")]


def matrix() -> list[tuple[str, str, str, dict[str, int]]]:
    """The HTTP matrix as ``(route name, method, target, {subject: status})``."""
    rows = []
    for name, method, target, *codes in _rows(MATRIX_TEXT):
        assert len(codes) == len(SUBJECTS), name
        rows.append((name, method, target, dict(zip(SUBJECTS, map(int, codes), strict=True))))
    return rows


def ws_matrix() -> list[tuple[str, str, dict[str, str]]]:
    rows = []
    for path, target, *outcomes in _rows(WS_MATRIX_TEXT):
        rows.append((path, target, dict(zip(SUBJECTS, outcomes, strict=True))))
    return rows


def ws_subscribe_matrix() -> tuple[list[str], list[tuple[str, dict[str, str]]]]:
    header = WS_SUBSCRIBE_TEXT.strip().splitlines()[0].lstrip("#").split()[1:]
    rows = [(channel, dict(zip(header, outcomes, strict=True)))
            for channel, *outcomes in _rows(WS_SUBSCRIBE_TEXT)]
    return header, rows


# --- the generated section of docs/security.md ----------------------------------------------

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
BEGIN = ("<!-- access-matrix:begin"
         " (generated by python -m tests.site.test_access_matrix --markdown) -->")
END = "<!-- access-matrix:end -->"


def markdown() -> str:
    """The access matrix as Markdown tables, as docs/security.md shows it."""
    where = paths()
    out = [BEGIN, "", "| route | path | method | object | " + " | ".join(SUBJECTS) + " |",
           "|---|---|---|---|" + "---|" * len(SUBJECTS)]
    for name, method, target, codes in matrix():
        out.append(f"| `{name}` | `{where.get(name, '?')}` | {method} | {target} | "
                   + " | ".join(str(codes[s]) for s in SUBJECTS) + " |")
    out += ["", "WebSocket handshakes (`open`: admitted; otherwise the close code):", "",
            "| path | object | " + " | ".join(SUBJECTS) + " |",
            "|---|---|" + "---|" * len(SUBJECTS)]
    for path, target, outcomes in ws_matrix():
        out.append(f"| `{path}` | {target} | " + " | ".join(outcomes[s] for s in SUBJECTS) + " |")
    header, rows = ws_subscribe_matrix()
    out += ["", "Subscribing to an event's channels, as a member (`forbidden`: an `error` frame "
            "with that code; the connection stays open):", "",
            "| channel | " + " | ".join(header) + " |", "|---|" + "---|" * len(header)]
    for channel, outcomes in rows:
        out.append(f"| `{channel}` | " + " | ".join(outcomes[s] for s in header) + " |")
    out += ["", END]
    return "\n".join(out) + "\n"


def documented_matrix() -> str:
    text = DOC.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[start:end] + "\n"


# --- the routes, from the URL configuration -------------------------------------------------

WRITE_METHODS = ("post", "put", "patch", "delete")


def paths() -> dict[str, str]:
    """Every route name → its path, readable (``/api/v1/events/{pk}/log/``)."""
    return {name: path for name, (path, _methods) in _walk().items()}


def routes() -> dict[str, set[str]]:
    """Every reachable, named route outside the admin → the write methods its API view has
    (empty for pages, whose form posts the matrix lists by hand)."""
    return {name: methods for name, (_path, methods) in _walk().items()}


def _readable(route: str) -> str:
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", route)  # (?P<pk>\d+) → {pk}
    route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)  # <int:pk> → {pk}
    return "/" + route.replace("^", "").replace("/?$", "/").replace("$", "")


def _walk() -> dict[str, tuple[str, set[str]]]:
    from django.urls import URLPattern, URLResolver, get_resolver

    found: dict[str, tuple[str, set[str]]] = {}
    seen_patterns: set[str] = set()

    def walk(resolver, prefix: str, namespace: str) -> None:
        for pattern in resolver.url_patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if route.startswith("admin/"):
                    continue  # Django's admin: staff only, its own checks
                ns = pattern.namespace
                walk(pattern, route, f"{namespace}:{ns}" if namespace and ns else ns or namespace)
            elif isinstance(pattern, URLPattern):
                if route in seen_patterns:
                    continue  # shadowed by an earlier pattern: never reached
                seen_patterns.add(route)
                name = f"{namespace}:{pattern.name}" if namespace else (pattern.name or route)
                view = getattr(pattern.callback, "cls", None)  # DRF's views only
                methods = {m.upper() for m in WRITE_METHODS if view and hasattr(view, m)}
                found[name] = (_readable(route), methods)

    walk(get_resolver(), "", "")
    found.update({name: (path, set()) for name, path in EXTRA_PATHS.items()})
    return found


# --- the world the matrix is asked in -------------------------------------------------------


@pytest.fixture
def world(alices_event, alice, bob, carol, dave, mallory, settings):
    """Alice's submitted demonstration with a zone and messages, a concluded one, Mallory's
    own, a city-wide site, and everyone's clients (sessions and API tokens)."""
    from events import services as events
    from tests.support.accounts import api_token
    from tests.support.factories import event_fields, make_user
    from tests.support.review import concluded_story, live_event, say
    from tests.support.zones import make_sensitive_site, make_zone

    erin = make_user("erin", "police", name="Erin Patrol")
    gone = make_user("gone", "city", name="Gus Former")
    events.add_member(alices_event, username="gone", actor=carol)
    zone = make_zone(alices_event, carol)
    site = make_sensitive_site(carol)
    instruction = say(alices_event, carol, "Keep the north lane clear.", kind="instruction")
    standby = say(alices_event, bob, "Two units on standby.", channel="officials")
    from messaging.models import StandardInstruction

    standard = StandardInstruction.objects.create(label="Assembly area",
                                                  texts={"en": "Please move on."})
    events.register_event(organiser=mallory, **event_fields(title="Mallory's vigil"))

    over = events.register_event(organiser=alice, **event_fields(title="Last month's march"))
    events.transition_event(over, to="submitted", actor=alice)
    for member in ("bob", "carol", "gone"):
        events.add_member(over, username=member, actor=carol)
    story = concluded_story(over, alice=alice, bob=bob, carol=carol)
    today = events.register_event(organiser=alice, **event_fields(title="Today's vigil"))
    events.transition_event(today, to="submitted", actor=alice)
    for member in ("bob", "carol", "gone"):
        events.add_member(today, username=member, actor=carol)
    today, _zone = live_event(today, alice=alice, bob=bob, carol=carol)

    people = {"alice": alice, "mallory": mallory, "bob": bob, "erin": erin, "carol": carol,
              "dave": dave, "gone": gone}
    pages, apis = {"anon": None}, {"anon": None}
    for name, user in people.items():
        pages[name] = _session_of(user)
        apis[name] = api_token(user)
    gone.is_active = False  # after logging in and taking a token
    gone.save(update_fields=["is_active"])

    from push.keys import generate_private_pem
    from push.services import subscribe

    settings.PARLEY_VAPID_PRIVATE_KEY = generate_private_pem().decode()  # push on
    subscription, _created = subscribe(user=alice, endpoint="https://push.example.net/send/a",
                                       p256dh="x", auth="y")

    targets = {
        "subscription": {"pk": subscription.pk},
        "-": {}, "event": {"pk": alices_event.pk}, "concluded": {"pk": story.event.pk},
        "live": {"pk": today.pk},
        "missing": {"pk": 999_999}, "zone": {"pk": zone.pk}, "citywide": {"pk": site.pk},
        "message": {"pk": instruction.pk}, "officials": {"pk": standby.pk},
        "standard": {"pk": standard.pk},
        "member": {"pk": alices_event.pk, "username": "bob"},
        "french": {"language": "fr"}, "unshipped": {"language": "de"},
        "reset": {"uidb64": "MQ", "token": "set-password"}, "proxied": {},
    }
    return {"pages": pages, "apis": apis, "targets": targets, "event": alices_event,
            "zone": zone, "instruction": instruction, "carol": carol}


def _session_of(user) -> str:
    """A session key of ``user``, logged in now (each request gets a new client with it:
    logging out must not log out the rest of the matrix)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    try:  # with the second factor given, for the roles that need one
        from tests.support.accounts import log_in
    except ImportError:
        client.force_login(user)
    else:
        log_in(client, user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _page_client(session: str | None):
    from django.conf import settings
    from django.test import Client

    client = Client()
    if session is not None:
        client.cookies[settings.SESSION_COOKIE_NAME] = session
    return client


def _api_client(token: str | None):
    from rest_framework.test import APIClient

    client = APIClient()
    if token is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def _body(name: str, method: str, target: str, world) -> dict | None:
    """The body of a write, built from the world where it names objects."""
    import datetime as dt

    from django.utils import timezone

    from tests.support.zones import feature, iso, square

    body = BODIES.get((name, method, target.partition("?")[0]))
    if body == "EVENT":
        starts = timezone.now() + dt.timedelta(days=3)
        return {"title": "Vigil", "kind": "vigil", "organisation": "Neighbours",
                "expected_attendance": 20, "stewards": 2, "starts_at": iso(starts),
                "ends_at": iso(starts + dt.timedelta(hours=1)),
                "assembly_point": {"type": "Point", "coordinates": [-82.9988, 39.9612]},
                "contact_name": "A", "contact_phone": "1", "contact_email": "a@example.org"}
    if body == "ZONE":
        return feature(kind="first_aid", label="First aid tent")
    if body == "SITE":
        return feature(square(size=0.0005), kind="sensitive_site", label="School")
    if body == "INCIDENT":
        return {"location": {"type": "Point", "coordinates": [-82.9988, 39.9612]},
                "severity": "low", "description": "A lost child, found."}
    if body == "MESSAGE":
        return {"channel": "all", "kind": "message", "body": "Hello", "client_id":
                str(uuid.uuid4())}
    if body == "PUSH":
        from tests.support.push_service import Subscriber

        return Subscriber("https://push.example.net/send/matrix").subscription_json()
    if body == "MARKED":
        from messaging.key_moments import mark_key_moment

        mark_key_moment(message=world["instruction"], user=world["carol"], note="Marked.")
        return None
    return body


def _ask(world, name: str, method: str, target: str, subject: str) -> int:
    """The status ``subject`` gets, in a savepoint rolled back afterwards."""
    from django.db import transaction
    from django.urls import reverse

    target, _, query = target.partition("?")
    url = EXTRA_PATHS[name] if name in EXTRA_PATHS else reverse(
        name, kwargs=world["targets"][target])
    url += f"?{query}" if query else ""
    # "proxied": the request came through the reverse proxy, which names the client
    headers = {"HTTP_X_FORWARDED_FOR": "203.0.113.9"} if target == "proxied" else {}
    is_api = name.startswith("api:")
    client = (_api_client(world["apis"][subject]) if is_api
              else _page_client(world["pages"][subject]))
    with transaction.atomic():
        body = _body(name, method, target, world) if method != "GET" else None
        call = getattr(client, method.lower())
        try:
            if method == "GET":
                response = call(url, **headers)
            elif is_api:
                response = call(url, body, format="json", **headers)
            else:
                response = call(url, body or {}, **headers)
        except Exception as exc:  # a server error: the test client re-raises it
            return f"500 ({type(exc).__name__}: {exc})"
        finally:
            transaction.set_rollback(True)
    return response.status_code


# --- the tests ------------------------------------------------------------------------------


def test_every_route_has_a_line_in_the_matrix():
    """A new route fails here until its answers for every caller are written down."""
    listed = {(name, method) for name, method, _target, _codes in matrix()}
    known = routes()
    missing = [name for name in known if (name, "GET") not in listed]
    unlisted_writes = [f"{name} {method}" for name, methods in known.items()
                       for method in methods if (name, method) not in listed]
    stale = sorted({name for name, _method in listed} - set(known))
    assert missing == [], f"routes with no GET line in MATRIX_TEXT: {missing}"
    assert unlisted_writes == [], f"write methods with no line in MATRIX_TEXT: {unlisted_writes}"
    assert stale == [], f"lines for routes that no longer exist: {stale}"


def test_docs_show_the_matrix_as_tested():
    """docs/security.md shows exactly these tables (regenerate with
    ``.venv/bin/python -m tests.site.test_access_matrix --markdown``)."""
    assert documented_matrix() == markdown()


@pytest.mark.django_db
@pytest.mark.slow
def test_every_route_answers_every_caller_as_the_matrix_says(world):
    wrong = []
    for name, method, target, expected in matrix():
        for subject in SUBJECTS:
            got = _ask(world, name, method, target, subject)
            if got != expected[subject]:
                wrong.append(f"{name:28} {method:6} {target:10} {subject:8} "
                             f"expected {expected[subject]}, got {got}")
    assert not wrong, "answers that differ from the matrix:\n" + "\n".join(wrong)


@pytest.fixture
def ws_world(alices_event, alice, bob, carol, dave, mallory):
    """Alice's open demonstration and a concluded one, and everyone's browser session."""
    from events import services as events
    from tests.support.factories import event_fields, make_user
    from tests.support.review import concluded_story
    from tests.support.ws import session_cookie_for

    erin = make_user("erin", "police", name="Erin Patrol")
    gone = make_user("gone", "city", name="Gus Former")
    events.add_member(alices_event, username="gone", actor=carol)
    events.register_event(organiser=mallory, **event_fields(title="Mallory's vigil"))
    over = events.register_event(organiser=alice, **event_fields(title="Last month's march"))
    events.transition_event(over, to="submitted", actor=alice)
    for member in ("bob", "carol", "gone"):
        events.add_member(over, username=member, actor=carol)
    story = concluded_story(over, alice=alice, bob=bob, carol=carol)
    people = {"alice": alice, "mallory": mallory, "bob": bob, "erin": erin, "carol": carol,
              "dave": dave, "gone": gone}
    cookies = {"anon": None} | {name: session_cookie_for(user) for name, user in people.items()}
    from messaging.services import issue_ticket

    tickets = {name: issue_ticket(user=people[name])[0] for name in ("bob", "gone")}
    gone.is_active = False  # after logging in and taking a ticket
    gone.save(update_fields=["is_active"])
    return {"cookies": cookies, "tickets": tickets, "targets": {
        "-": None, "event": alices_event.pk, "concluded": story.event.pk, "missing": 999_999}}


async def _handshake(path: str, cookie: bytes | None, **kwargs) -> str:
    """``open`` if admitted (a ping is answered with a pong), else the close code."""
    from config.asgi import application
    from tests.support.ws import communicator

    ws = communicator(application, path, cookie=cookie, **kwargs)
    try:
        connected, code = await ws.connect(timeout=10)
        if not connected:
            return str(code)
        await ws.send_json_to({"type": "ping"})
        while True:
            output = await ws.receive_output(timeout=10)
            if output["type"] == "websocket.close":
                return str(output.get("code"))
            if json.loads(output.get("text") or "{}").get("type") == "pong":
                return "open"
    finally:
        await ws.disconnect()


async def _answer_to(ws, frame_types: set[str]) -> dict:
    """The first frame of one of ``frame_types`` (replayed messages and presence pass by)."""
    while True:
        frame = await ws.receive_json_from(timeout=10)
        if frame.get("type") in frame_types:
            return frame


@pytest.mark.django_db(transaction=True)
async def test_every_websocket_answers_every_caller_as_the_matrix_says(ws_world):
    wrong = []
    for path, target, expected in ws_matrix():
        pk = ws_world["targets"][target]
        url = path.format(pk=pk)
        for subject in SUBJECTS:
            got = await _handshake(url, ws_world["cookies"][subject])
            if got != expected[subject]:
                wrong.append(f"{path:20} {target:10} {subject:8} "
                             f"expected {expected[subject]}, got {got}")
    assert not wrong, "handshakes that differ from the matrix:\n" + "\n".join(wrong)


@pytest.mark.django_db(transaction=True)
async def test_a_ticket_taken_before_deactivation_opens_nothing(ws_world):
    """An app's single-use ticket works for a member, and not once its holder is deactivated
    (each ticket is spent by its first use: one handshake each)."""
    answers = {}
    for name in ("bob", "gone"):
        url = f"/ws/events/{ws_world['targets']['event']}/?ticket={ws_world['tickets'][name]}"
        answers[name] = await _handshake(url, None, origin=None)  # an app: no Origin
    assert answers == {"bob": "open", "gone": "4401"}


@pytest.mark.django_db
def test_the_admin_lets_no_party_in(world):
    """The admin is left out of the matrix (Django's staff checks guard it): no party, and
    nobody logged out or deactivated, gets past its login page."""
    from django.urls import reverse

    login = reverse("admin:login")
    for url in (reverse("admin:index"), reverse("admin:events_event_changelist"),
                reverse("admin:coordination_user_changelist")):
        for subject in SUBJECTS:
            response = _page_client(world["pages"][subject]).get(url)
            assert response.status_code == 302, (url, subject)
            assert response["Location"].startswith(login), (url, subject)


@pytest.mark.django_db(transaction=True)
async def test_members_subscribe_to_the_channels_their_role_may_read(ws_world):
    from config.asgi import application
    from tests.support.ws import communicator

    header, rows = ws_subscribe_matrix()
    url = f"/ws/events/{ws_world['targets']['event']}/"
    wrong = []
    for subject in header:
        ws = communicator(application, url, cookie=ws_world["cookies"][subject])
        connected, _ = await ws.connect(timeout=10)
        assert connected, subject
        try:
            for channel, expected in rows:
                await ws.send_json_to({"type": "subscribe", "channel": channel, "after_seq": 0})
                frame = await _answer_to(ws, {"subscribed", "error"})
                got = "subscribed" if frame["type"] == "subscribed" else frame["code"]
                if got != expected[subject]:
                    wrong.append(f"{channel:10} {subject:8} expected {expected[subject]}, "
                                 f"got {got}")
        finally:
            await ws.disconnect()
    assert not wrong, "subscriptions that differ from the matrix:\n" + "\n".join(wrong)


def write_docs() -> None:
    """Replace the generated section of docs/security.md with the current tables."""
    text = DOC.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END) + 1
    DOC.write_text(text[:start] + markdown() + text[end:], encoding="utf-8")


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
    django.setup()
    if sys.argv[1:] == ["--markdown"]:
        sys.stdout.write(markdown())
    elif sys.argv[1:] == ["--write-docs"]:
        write_docs()
    else:
        sys.exit("usage: python -m tests.site.test_access_matrix --markdown | --write-docs")
