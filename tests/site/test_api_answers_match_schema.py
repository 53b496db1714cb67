"""Every answer of the REST API is what its OpenAPI document says: each operation of
``/api/v1/schema/`` is called once, as the role that may, with realistic data (a
demonstration taken from registration to its end), and the body of every answer is validated
against the document's schema for that operation, status and media type — strictly, with
JSON Schema 2020-12 (the document is OpenAPI 3.1), so that ``null`` where the document does
not allow it, a missing required key or a wrong type fails the test.

Then a ``400`` of every kind the API gives (a body field, a query parameter, a form that
cannot be read, wrong credentials, a change that changes nothing…) has the one documented
shape: ``{"field": ["message", …]}``, with ``non_field_errors`` for what belongs to no field.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.support.factories import PASSWORD, api_client_for
from tests.support.zones import LAT, LON, feature, iso, square

DOCUMENT_URI = "urn:parley:openapi"
JSON_TYPES = ("application/json", "application/geo+json")


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


class Document:
    """The served OpenAPI document, and the answers checked against it."""

    def __init__(self, document: dict):
        self.document = document
        self.registry = Registry().with_resource(
            DOCUMENT_URI, Resource.from_contents(document, default_specification=DRAFT202012))
        self.templates = [
            (re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$"),
             path) for path in document["paths"]]
        self.called: set[tuple[str, str]] = set()
        self.problems: list[str] = []

    def template_of(self, path: str) -> str:
        found = [template for pattern, template in self.templates if pattern.match(path)]
        assert found, f"{path} is not in the OpenAPI document"
        # /events/{id}/zones.geojson also matches /events/{id}/...: the longest literal wins.
        return max(found, key=lambda template: len(re.sub(r"\{[^}]+\}", "", template)))

    def check(self, method: str, path: str, response) -> None:
        """Record that ``method path`` was called; note every way its answer differs from
        the document."""
        template = self.template_of(path.split("?")[0])
        self.called.add((template, method))
        where = f"{method.upper()} {path} → {response.status_code}"
        operation = self.document["paths"][template].get(method)
        if operation is None:
            self.problems.append(f"{where}: the document has no such operation")
            return
        documented = operation["responses"].get(str(response.status_code))
        if documented is None:
            self.problems.append(f"{where}: status not documented")
            return
        content_type = response.get("Content-Type", "").split(";")[0].strip()
        if not documented.get("content"):
            if response.content:
                self.problems.append(f"{where}: a body where the document says none")
            return
        if content_type not in documented["content"]:
            self.problems.append(f"{where}: {content_type} not documented")
            return
        if content_type not in JSON_TYPES:
            return
        pointer = _pointer("paths", template, method, "responses", str(response.status_code),
                           "content", content_type, "schema")
        validator = Draft202012Validator(
            {"$ref": f"{DOCUMENT_URI}#/{pointer}"}, registry=self.registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER)
        for error in validator.iter_errors(response.json()):
            location = "/".join(str(part) for part in error.absolute_path)
            self.problems.append(f"{where}: at /{location}: {error.message[:300]}")


@pytest.fixture
def document(db, client) -> Document:
    return Document(client.get("/api/v1/schema/", {"format": "json"}).json())


def _caller(document: Document, user=None, *, token: str | None = None):
    """An API client whose every answer is checked against the document."""
    client = api_client_for(user)
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    def call(method: str, path: str, data=None, expect: int = 200, **extra):
        response = getattr(client, method)(path, data, format="json", **extra) \
            if data is not None else getattr(client, method)(path, **extra)
        assert response.status_code == expect, (method, path, response.status_code,
                                                response.content[:500])
        document.check(method, path, response)
        return response

    return call


def _registration(**overrides) -> dict:
    starts = timezone.now() + dt.timedelta(days=3)
    body = {
        "title": "March for the river", "kind": "march", "expected_attendance": 300,
        "starts_at": iso(starts), "ends_at": iso(starts + dt.timedelta(hours=2)),
        "assembly_point": {"type": "Point", "coordinates": [LON, LAT]},
        "route": {"type": "LineString", "coordinates": [[LON, LAT], [LON - 0.002, LAT + 0.003]]},
        "contact_email": "",
    }
    body.update(overrides)
    return body


def test_every_operation_answers_as_its_openapi_document_says(
        document, alices_event, alice, bob, carol, dave, frank, settings):
    from django.core import signing

    from messaging.models import StandardInstruction
    from push.keys import generate_private_pem
    from push.notifications import ACK_SALT
    from tests.support.push_service import Subscriber

    settings.PARLEY_VAPID_PRIVATE_KEY = generate_private_pem().decode()  # Web Push on

    as_alice, as_bob, as_carol, as_dave = (
        _caller(document, user) for user in (alice, bob, carol, dave))
    event = f"/api/v1/events/{alices_event.pk}"

    # Tokens and tickets.
    token = _caller(document)("post", "/api/v1/auth/token/",
                              {"username": "alice", "password": PASSWORD}).json()["token"]
    _caller(document, token=token)("post", "/api/v1/ws-tickets/", expect=201)
    _caller(document, token=token)("delete", "/api/v1/auth/token/", expect=204)

    # Demonstrations and their members.
    as_alice("get", "/api/v1/events/?state=submitted,draft&page_size=10")
    new = as_alice("post", "/api/v1/events/", _registration(), expect=201).json()["id"]
    as_alice("patch", f"/api/v1/events/{new}/", {"title": "March for the river, again"})
    as_carol("get", f"{event}/")
    as_carol("post", f"{event}/transitions/", {"to": "under_review"})
    as_carol("post", f"{event}/members/", {"username": "frank"}, expect=201)
    as_carol("get", f"{event}/members/")
    as_carol("delete", f"{event}/members/frank/", expect=204)

    # Zones: drawn, listed, downloaded, changed, agreed; a sensitive site designated and
    # withdrawn.
    zone = as_bob("post", f"{event}/zones/", feature(), expect=201).json()["id"]
    as_alice("get", f"{event}/zones/?status=proposed,agreed&kind=assembly")
    as_alice("get", f"{event}/zones.geojson?bbox=-83.1,39.9,-82.9,40.0")
    version = as_bob("patch", f"/api/v1/zones/{zone}/",
                     {"geometry": square(size=0.002)}).json()["properties"]["version"]
    for call in (as_alice, as_bob, as_carol):
        call("post", f"/api/v1/zones/{zone}/agreements/", {"version": version}, expect=201)
    as_carol("get", f"/api/v1/zones/{zone}/")
    as_carol("get", f"/api/v1/zones/{zone}/versions/")
    site = as_carol("post", "/api/v1/zones/", feature(square(LON + 0.001, LAT),
                                                      kind="sensitive_site", label="School"),
                    expect=201).json()["id"]
    as_carol("get", "/api/v1/zones/?active_at=" + iso(timezone.now()))
    as_carol("get", "/api/v1/zones.geojson")
    as_carol("post", f"/api/v1/zones/{site}/withdraw/")
    as_carol("get", f"{event}/conflicts/")

    # On the day: live, an incident, messages (plain, a standard instruction), an
    # acknowledgement, a key moment marked and unmarked.
    as_carol("post", f"{event}/transitions/", {"to": "agreed"})
    as_carol("post", f"{event}/transitions/", {"to": "live"})
    as_bob("post", f"{event}/incidents/", {
        "location": {"type": "Point", "coordinates": [LON, LAT]}, "severity": "low",
        "description": "A banner pole fell over; nobody hurt."}, expect=201)
    as_alice("get", f"{event}/incidents/")
    as_carol("get", "/api/v1/city-map/")
    instruction = StandardInstruction.objects.create(
        label="Move", texts={"en": "Please move to the assembly area.",
                             "fr": "Veuillez rejoindre la zone de rassemblement."})
    as_bob("get", "/api/v1/instructions/")
    said = as_carol("post", f"{event}/messages/", {
        "channel": "all", "kind": "instruction", "body": "Keep the north lane clear.",
        "client_id": "5b8f0e4e-8c4e-4a53-9d36-1f7f2f0c2a11"}, expect=201).json()["id"]
    as_bob("post", f"{event}/messages/", {
        "channel": "all", "kind": "instruction", "standard_instruction": instruction.pk,
        "client_id": "0f2b8c7e-3b1d-4b8e-8d5a-6e1c9a7b4d22"}, expect=201)
    as_alice("post", f"/api/v1/messages/{said}/acks/", expect=201)

    # Web Push: a phone subscribed (and again), an acknowledgement from a notification's
    # button, the phone unsubscribed.
    as_bob("get", "/api/v1/push/public-key/")
    phone = Subscriber("https://push.example.net/send/bob").subscription_json(
        event=alices_event.pk)
    subscribed = as_bob("post", "/api/v1/push-subscriptions/", phone, expect=201).json()["id"]
    as_bob("post", "/api/v1/push-subscriptions/", phone, expect=200)
    _caller(document)("post", "/api/v1/push/acks/", {"token": signing.dumps(
        {"s": subscribed, "m": said}, salt=ACK_SALT)}, expect=201)
    as_bob("delete", f"/api/v1/push-subscriptions/{subscribed}/", expect=204)
    as_carol("post", f"/api/v1/messages/{said}/key-moment/", {"note": "North lane."},
             expect=201)
    as_alice("get", f"{event}/messages/?channel=all&after_seq=0&limit=500")
    as_carol("delete", f"/api/v1/messages/{said}/key-moment/", expect=204)

    # After: the log, its receipts and exports, the replay.
    as_carol("post", f"{event}/transitions/", {"to": "concluded"})
    as_dave("get", f"{event}/log/?after_seq=0&limit=1000")
    as_dave("get", f"{event}/log/verify")
    as_dave("get", f"{event}/log/verify/")
    as_alice("get", f"{event}/log/head/")
    as_dave("get", f"{event}/log/export?format=jsonl")
    as_dave("get", f"{event}/log/export/?format=csv")
    as_dave("get", f"{event}/replay/")

    every = {(path, method) for path, item in document.document["paths"].items()
             for method in item if method in ("get", "post", "patch", "put", "delete")}
    assert every - document.called == set(), "operations this test does not call"
    assert document.problems == []


# --- one shape for every 400 --------------------------------------------------------------

def _is_invalid_shape(body) -> bool:
    return (isinstance(body, dict) and bool(body) and "detail" not in body
            and all(isinstance(messages, list) and messages
                    and all(isinstance(m, str) and m for m in messages)
                    for messages in body.values()))


def test_every_kind_of_400_has_the_one_documented_shape(document, agreed_event, alices_event,
                                                        alice, carol, db, settings):
    from push.keys import generate_private_pem

    settings.PARLEY_VAPID_PRIVATE_KEY = generate_private_pem().decode()
    as_alice, as_carol = api_client_for(alice), api_client_for(carol)
    event = f"/api/v1/events/{agreed_event.pk}"
    refused = {
        "wrong credentials": api_client_for().post(
            "/api/v1/auth/token/", {"username": "alice", "password": "wrong"}, format="json"),
        "a missing field": as_alice.post("/api/v1/events/", {}, format="json"),
        "a body that is a list": as_alice.post("/api/v1/events/", [], format="json"),
        "a zone that is not an object": as_carol.post("/api/v1/zones/", ["x"], format="json"),
        "a list field with a wrong item": as_alice.patch(
            f"{event}/", {"languages": ["en", 7, {"x": 1}]}, format="json"),
        "nothing changed": as_alice.patch(f"{event}/", {"title": agreed_event.title},
                                          format="json"),
        "malformed JSON": as_alice.post("/api/v1/events/", "{not json",
                                        content_type="application/json"),
        "a broken form": as_alice.post(f"{event}/transitions/", b"--x\r\n\r\n\r\n--x--\r\n",
                                       content_type="multipart/form-data; boundary=x"),
        "a bad bbox": as_alice.get("/api/v1/events/", {"bbox": "1,2,3"}),
        "an unknown state": as_alice.get("/api/v1/events/", {"state": "sleeping"}),
        "an unknown zone kind": as_alice.get("/api/v1/zones/", {"kind": "moat"}),
        "a limit out of range": as_carol.get(f"{event}/messages/", {"limit": "501"}),
        "a time without offset": as_carol.get("/api/v1/city-map/",
                                              {"active_at": "2026-05-01T14:00"}),
        "an unknown export": as_carol.get(f"{event}/log/export", {"format": "xml"}),
        "a note required": as_carol.post(f"{event}/transitions/", {"to": "cancelled"},
                                         format="json"),
        "a push endpoint that is not one": as_alice.post(
            "/api/v1/push-subscriptions/", {"endpoint": "ftp://x", "keys": {"p256dh": "x"}},
            format="json"),
        "a push acknowledgement that is not ours": api_client_for().post(
            "/api/v1/push/acks/", {"token": "forged"}, format="json"),
    }
    wrong = {name: (response.status_code, response.content[:200])
             for name, response in refused.items()
             if response.status_code != 400 or not _is_invalid_shape(response.json())}
    assert wrong == {}
    assert refused["wrong credentials"].json() == {
        "non_field_errors": ["Unable to log in with provided credentials."]}
    assert list(refused["nothing changed"].json()) == ["non_field_errors"]
    assert list(refused["malformed JSON"].json()) == ["non_field_errors"]
    # ...and as the document says.
    for response in refused.values():
        path = response.request["PATH_INFO"]
        method = response.request["REQUEST_METHOD"].lower()
        document.check(method, path, response)
    assert document.problems == []


@pytest.mark.parametrize("email", ["", "alice@example.org"])
def test_a_contact_email_matches_its_schema_even_where_formats_are_not_checked(document, email):
    """A blank e-mail matches one branch of ``oneOf``, not both, for a validator that treats
    ``format`` as a note (JSON Schema's default)."""
    for name in ("Event", "EventRequest", "PatchedEventRequest"):
        schema = document.document["components"]["schemas"][name]["properties"]["contact_email"]
        assert list(Draft202012Validator(schema).iter_errors(email)) == [], name


def test_the_document_states_the_rules_the_server_enforces(document):
    from events.models import Event
    from zones.models import Zone

    paths = document.document["paths"]

    def parameter(path: str, name: str) -> dict:
        (found,) = [p for p in paths[path]["get"]["parameters"] if p["name"] == name]
        return found

    limit = parameter("/api/v1/events/{id}/messages/", "limit")["schema"]
    assert (limit["minimum"], limit["maximum"]) == (1, 500)
    bbox = parameter("/api/v1/zones/", "bbox")
    assert (bbox["style"], bbox["explode"], bbox["schema"]["minItems"],
            bbox["schema"]["maxItems"]) == ("form", False, 4, 4)
    assert parameter("/api/v1/zones/", "kind")["schema"]["items"]["enum"] == Zone.Kind.values
    assert parameter("/api/v1/zones/", "status")["schema"]["items"]["enum"] \
        == Zone.Status.values
    assert parameter("/api/v1/events/", "state")["schema"]["items"]["enum"] \
        == Event.State.values
    # The list's filters are not the registration's; geometry comes as JSON only.
    assert "parameters" not in paths["/api/v1/events/"]["post"]
    for path, method in [("/api/v1/events/", "post"), ("/api/v1/events/{id}/", "patch"),
                         ("/api/v1/zones/", "post"), ("/api/v1/zones/{id}/", "patch"),
                         ("/api/v1/events/{id}/zones/", "post"),
                         ("/api/v1/events/{id}/incidents/", "post")]:
        assert list(paths[path][method]["requestBody"]["content"]) == ["application/json"]
    # Served with and without the trailing slash: both listed.
    for route in ("log/verify", "log/export"):
        assert {f"/api/v1/events/{{id}}/{route}", f"/api/v1/events/{{id}}/{route}/"} <= set(paths)
