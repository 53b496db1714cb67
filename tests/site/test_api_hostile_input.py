"""A client that sends the API what no honest client would — a body nested fifty thousand deep,
a body too large, a broken multipart form, a path that does not exist — gets a JSON answer
that says so, never a server error, an HTML page or an empty body; with DEBUG on as well.

The routes come from the URL configuration (``tests.site.test_access_matrix``: the same walk, the
same callers, objects and bodies), so a new route is asked too.
"""

from __future__ import annotations

import json
import re

import pytest
from django.db import transaction
from django.urls import reverse

from tests.site.test_access_matrix import _api_client, matrix, paths
from tests.site.test_access_matrix import world as world  # the matrix's world, as a fixture

NESTED = "[" * 50_000
CALLERS = ("anon", "alice", "mallory", "bob", "carol", "dave")


def is_json_error(response) -> bool:
    """A JSON object with a ``detail`` or field errors: something a client can show."""
    if not response.get("Content-Type", "").startswith("application/json"):
        return False
    body = response.json()
    return isinstance(body, dict) and bool(body)


def send(client, method: str, url: str, body: str, content_type: str = "application/json"):
    """``body`` sent as it is, in a savepoint rolled back afterwards."""
    with transaction.atomic():
        try:
            return getattr(client, method.lower())(url, data=body, content_type=content_type)
        finally:
            transaction.set_rollback(True)


def api_writes():
    """``(route, method, target)`` of every write the matrix asks of the API."""
    return sorted({(name, method, target.partition("?")[0])
                   for name, method, target, _codes in matrix()
                   if name.startswith("api:") and method != "GET"})


# --- a body nested too deeply ---------------------------------------------------------------


def test_the_anonymous_token_endpoint_refuses_a_deeply_nested_body_as_json(db, api):
    response = api().post("/api/v1/auth/token/", data=NESTED, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["The JSON body is nested too deeply."]}


def test_a_body_nested_deep_but_within_pythons_limit_is_refused_all_the_same(alice, api):
    # Parsed whole, 900 levels would still be too deep for what the serializers do with it.
    body = '{"title": ' + "[" * 900 + "]" * 900 + "}"

    response = api(alice).post("/api/v1/events/", data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["The JSON body is nested too deeply."]}


def test_a_zone_of_many_polygons_is_not_too_deep(alices_event, carol, api):
    from tests.support.zones import feature, two_squares

    response = api(carol).post(f"/api/v1/events/{alices_event.pk}/zones/",
                               feature(two_squares(), kind="first_aid"), format="json")

    assert response.status_code == 201


@pytest.mark.slow
def test_every_api_write_answers_a_deeply_nested_body_with_400_json(world):
    """Each write of every route, by each caller: where the route reads the body (it refuses
    a JSON list with 400), the nested body is a 400 with a JSON reason; where it refuses the
    caller before reading it, or never reads it, the answer is the same as for any body."""
    from events import services
    from tests.support.factories import event_fields

    draft = services.register_event(organiser=world["event"].organiser,
                                    **event_fields(title="A draft"))
    world["targets"]["draft"] = {"pk": draft.pk}  # the one state in which Alice may edit
    wrong, read = [], set()
    for name, method, target in [*api_writes(), ("api:event-detail", "PATCH", "draft")]:
        url = reverse(name, kwargs=world["targets"][target])
        for caller in CALLERS:
            client = _api_client(world["apis"][caller])
            client.raise_request_exception = False
            plain = send(client, method, url, "[]")
            nested = send(client, method, url, NESTED)
            expected = plain.status_code
            if expected == 400:
                read.add((name, method))
            if nested.status_code != expected or (not is_json_error(nested) and (
                    nested.status_code >= 400)):
                wrong.append(f"{name} {method} {target} {caller}: {nested.status_code} "
                             f"{nested.get('Content-Type')} {nested.content[:80]!r}, "
                             f"expected {expected} JSON")
    assert wrong == [], "\n".join(wrong)
    # The routes that take a body did read it (the test would prove nothing otherwise).
    assert {("api:token", "POST"), ("api:event-list", "POST"), ("api:event-detail", "PATCH"),
            ("api:event-members", "POST"), ("api:event-zones", "POST"),
            ("api:event-incidents", "POST"), ("api:event-messages", "POST"),
            ("api:zone-list", "POST"), ("api:zone-detail", "PATCH"),
            ("api:zone-agreements", "POST"), ("api:event-transitions", "POST"),
            ("api:message-key-moment", "POST")} <= read


# --- paths that do not exist ----------------------------------------------------------------


def unknown_paths() -> list[str]:
    """For every API route: its id as a word, and a segment it does not have; and a few
    paths that are no route at all."""
    found = ["/api/", "/api/v1/", "/api/v2/events/", "/api/v1/nothing-here/",
             "/api/v1/events/1/unknown/", "/api/v1/zones/%ff/"]
    for name, path in paths().items():
        if not name.startswith("api:"):
            continue
        if "{pk}" in path:
            found.append(path.replace("{pk}", "abc"))
            found.append(path.replace("{pk}", "-1"))
        found.append(re.sub(r"/?$", "/no-such-thing/", path.replace("{pk}", "1"), count=1))
    # Not one that is a route after all (``/events/1/members/no-such-thing/`` names a member).
    return sorted(path for path in set(found) if not _resolves(path))


def _resolves(path: str) -> bool:
    from django.urls import Resolver404, resolve

    try:
        resolve(path)
    except Resolver404:
        return False
    return True


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.slow
def test_every_unknown_api_path_is_a_json_404(debug, carol, api, settings):
    settings.DEBUG = debug
    wrong = []
    for path in unknown_paths():
        client = api(carol)
        for method, response in (("GET", client.get(path)), ("POST", client.post(
                path, data="{}", content_type="application/json"))):
            if response.status_code != 404 or not is_json_error(response) or (
                    response.json() != {"detail": "Not found."}):
                wrong.append(f"{method} {path}: {response.status_code} "
                             f"{response['Content-Type']} {response.content[:60]!r}")
    assert wrong == [], "\n".join(wrong)


def test_unknown_api_path_answers_json_to_anonymous_callers_too(db, api, settings):
    settings.DEBUG = True

    response = api().get("/api/v1/nothing-here/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


# --- too large, broken forms, server errors -------------------------------------------------


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_a_body_over_the_size_limit_is_a_json_413(debug, alice, api, settings):
    settings.DEBUG = debug
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = '{"title": "' + "x" * 20_000 + '"}'

    response = api(alice).post("/api/v1/events/", data=body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {"detail": "The request is too large."}


def test_the_token_endpoint_answers_a_body_over_the_size_limit_with_413(db, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    body = '{"username": "alice", "password": "' + "x" * 5_000 + '"}'

    response = api().post("/api/v1/auth/token/", data=body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {"detail": "The request is too large."}


MULTIPART_BODIES = {
    "no boundary": ("multipart/form-data", b"--x\r\nnothing"),
    "empty boundary": ("multipart/form-data; boundary=", b"--\r\n"),
    "boundary never closed": ("multipart/form-data; boundary=x",
                              b'--x\r\nContent-Disposition: form-data; name="title"\r\n\r\nA'),
    "no headers": ("multipart/form-data; boundary=x", b"--x\r\n\r\n\r\n--x--\r\n"),
    "not multipart at all": ("multipart/form-data; boundary=x", b"\xff\xfe" * 100),
    "too many fields": ("multipart/form-data; boundary=x", b"".join(
        b'--x\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nv\r\n' % i
        for i in range(1_200)) + b"--x--\r\n"),
    "too many files": ("multipart/form-data; boundary=x", b"".join(
        b'--x\r\nContent-Disposition: form-data; name="f%d"; filename="f%d.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nv\r\n" % (i, i) for i in range(120)) + b"--x--\r\n"),
}


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.parametrize("case", sorted(MULTIPART_BODIES))
def test_a_broken_multipart_body_is_a_json_400(case, debug, alice, alices_event, api,
                                               settings):
    settings.DEBUG = debug
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 100
    content_type, body = MULTIPART_BODIES[case]
    client = api(alice)
    client.raise_request_exception = False
    wrong = []
    for url in ("/api/v1/auth/token/", f"/api/v1/events/{alices_event.pk}/transitions/",
                f"/api/v1/events/{alices_event.pk}/messages/"):
        response = client.post(url, data=body, content_type=content_type)
        if response.status_code != 400 or not is_json_error(response):
            wrong.append(f"{url}: {response.status_code} {response['Content-Type']} "
                         f"{response.content[:80]!r}")
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize(("url", "who"), [("/api/v1/events/", "alice"),
                                          ("/api/v1/zones/", "carol")])
def test_a_form_is_refused_where_the_body_carries_geometry(url, who, alice, carol, api):
    """A form cannot carry GeoJSON: these routes read JSON only, as the OpenAPI document
    says."""
    user = {"alice": alice, "carol": carol}[who]
    response = api(user).post(url, data=MULTIPART_BODIES["no headers"][1],
                              content_type="multipart/form-data; boundary=x")

    assert response.status_code == 415
    assert "detail" in response.json()


def test_a_server_error_under_the_api_is_json_with_debug_on(carol, api, settings,
                                                           monkeypatch):
    from events import selectors

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    settings.DEBUG = True
    monkeypatch.setattr(selectors, "events_visible_to", broken)
    client = api(carol)
    client.raise_request_exception = False

    response = client.get("/api/v1/events/")

    assert response.status_code == 500
    assert response.json() == {"detail": "Something went wrong on our side."}
    assert b"boom" not in response.content


def test_a_request_for_an_unknown_host_is_a_json_400(db, client, settings):
    settings.DEBUG = True
    settings.ALLOWED_HOSTS = ["parley.example.org"]

    response = client.get("/api/v1/events/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Bad request."]}


def test_errors_outside_the_api_stay_pages(db, client, settings):
    settings.DEBUG = False

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# --- the token endpoint ---------------------------------------------------------------------


@pytest.mark.parametrize("length", [151, 300, 10_000])
def test_the_token_endpoint_refuses_a_username_longer_than_any_account_has(length, alice, api):
    response = api().post("/api/v1/auth/token/", {"username": "a" * length, "password": "x"},
                          format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["username"]


def test_the_api_document_lists_413_for_every_operation_that_takes_a_body(db, api):
    schema = api().get("/api/v1/schema/", {"format": "json"}).json()

    operations = [(path, method, operation) for path, item in schema["paths"].items()
                  for method, operation in item.items() if "requestBody" in operation]
    assert operations
    assert [f"{method} {path}" for path, method, operation in operations
            if "413" not in operation["responses"]] == []


@pytest.mark.parametrize("case", ["garbage", "empty form"])
def test_behind_daphne_a_multipart_body_twisted_cannot_parse_still_gets_a_json_400(
        case, asgi_live_server):
    """Twisted, under Daphne, used to parse POST form bodies itself and answer one it could
    not parse with a bare 400 (no headers, no body) before Parley saw the request."""
    import http.client
    from urllib.parse import urlsplit

    body = {"garbage": b"garbage", "empty form": b"--b--\r\n"}[case]
    boundary = {"garbage": "xx", "empty form": "b"}[case]
    address = urlsplit(asgi_live_server)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    connection.request("POST", "/api/v1/auth/token/", body=body, headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}"})
    response = connection.getresponse()
    answer = response.read()
    connection.close()

    assert response.status == 400
    assert response.getheader("Content-Type") == "application/json"
    assert set(json.loads(answer)) == {"username", "password"}
