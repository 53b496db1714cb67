"""Clients of the API only ever get JSON back, and can read the API's description."""

import pytest
import yaml


@pytest.mark.parametrize("url", ["/api/v1/nothing-here/", "/api/v1/events/abc/",
                                 "/api/v2/events/", "/api/v1/events/1/unknown/"])
def test_unknown_api_path_is_json_404(url, carol, api):
    response = api(carol).get(url)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


def test_unknown_event_is_json_404(carol, api):
    response = api(carol).get("/api/v1/events/424242/")

    assert response.status_code == 404
    assert response.json() == {"detail": "No such demonstration."}


def test_wrong_method_is_json_405(carol, api):
    response = api(carol).delete("/api/v1/events/")

    assert response.status_code == 405
    assert "detail" in response.json()


def test_malformed_json_body_is_json_400(alice, api):
    response = api(alice).post("/api/v1/events/", data="{not json",
                               content_type="application/json")

    assert response.status_code == 400
    (message,) = response.json()["non_field_errors"]
    assert message.startswith("JSON parse error")


def test_unsupported_body_type_is_json_415(alice, api):
    response = api(alice).post("/api/v1/events/", data="<event/>",
                               content_type="application/xml")

    assert response.status_code == 415
    assert "detail" in response.json()


def test_server_error_under_api_is_json(carol, api, monkeypatch):
    from events import selectors

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "events_visible_to", broken)
    client = api(carol)
    client.raise_request_exception = False

    response = client.get("/api/v1/events/")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert "boom" not in response.content.decode()


def test_error_messages_follow_the_language(alice, api):
    response = api(alice).get("/api/v1/events/", {"bbox": "x"}, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 400
    assert response["Content-Language"] == "fr"


# --- OpenAPI -----------------------------------------------------------------------------

DOCUMENTED_PATHS = {
    "/api/v1/auth/token/": {"post", "delete"},
    "/api/v1/events/": {"get", "post"},
    "/api/v1/events/{id}/": {"get", "patch"},
    "/api/v1/events/{id}/transitions/": {"post"},
    "/api/v1/events/{id}/members/": {"get", "post"},
    "/api/v1/events/{id}/log/": {"get"},
    "/api/v1/events/{id}/log/verify/": {"get"},
}


@pytest.mark.parametrize("authenticated", [False, True])
def test_openapi_document_describes_every_path(authenticated, carol, api):
    client = api(carol if authenticated else None)

    response = client.get("/api/v1/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path, methods in DOCUMENTED_PATHS.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), path


def test_openapi_document_is_yaml_by_default(db, api):
    response = api().get("/api/v1/schema/")

    assert response.status_code == 200
    assert yaml.safe_load(response.content)["openapi"].startswith("3.")


def test_openapi_describes_event_filters_and_token_auth(db, api):
    schema = api().get("/api/v1/schema/", {"format": "json"}).json()

    parameters = {p["name"] for p in schema["paths"]["/api/v1/events/"]["get"]["parameters"]}
    assert {"state", "starts_after", "starts_before", "bbox"} <= parameters
    token_auth = schema["components"]["securitySchemes"]["tokenAuth"]
    assert (token_auth["in"], token_auth["name"]) == ("header", "Authorization")


def test_api_docs_page_answers(db, client):
    response = client.get("/api/v1/docs/")

    assert response.status_code == 200
    assert b"/api/v1/schema/" in response.content
