"""Getting into the API: a token for a username and password, and nothing without one."""

import pytest

from tests.support.factories import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"


def test_organiser_exchanges_her_password_for_a_token(alice, api):
    response = api().post(TOKEN_URL, {"username": "alice", "password": PASSWORD})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    assert len(body["token"]) >= 20


def test_the_same_person_gets_a_new_token_at_each_login(alice, api):
    first = api().post(TOKEN_URL, {"username": "alice", "password": PASSWORD}).json()
    second = api().post(TOKEN_URL, {"username": "alice", "password": PASSWORD}).json()

    assert first["token"] != second["token"]


def test_wrong_password_is_refused_with_a_message(alice, api):
    response = api().post(TOKEN_URL, {"username": "alice", "password": "guess"})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    messages = [m for value in response.json().values() for m in value]
    assert any("credentials" in m for m in messages), response.json()
    assert "token" not in response.json()


def test_unknown_user_is_refused_like_a_wrong_password(alice, api):
    wrong_password = api().post(TOKEN_URL, {"username": "alice", "password": "guess"})
    no_such_user = api().post(TOKEN_URL, {"username": "nobody", "password": "guess"})

    assert no_such_user.status_code == 400
    assert no_such_user.json() == wrong_password.json()


def test_missing_password_names_the_field(alice, api):
    response = api().post(TOKEN_URL, {"username": "alice"})

    assert response.status_code == 400
    assert "password" in response.json()


def test_deactivated_user_gets_no_token(alice, api):
    alice.is_active = False
    alice.save()

    response = api().post(TOKEN_URL, {"username": "alice", "password": PASSWORD})

    assert response.status_code == 400


def test_token_opens_the_api(alice, api):
    token = api().post(TOKEN_URL, {"username": "alice", "password": PASSWORD}).json()["token"]
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    response = client.get("/api/v1/events/")

    assert response.status_code == 200


def test_a_made_up_token_is_refused(alice, api):
    client = api()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")

    response = client.get("/api/v1/events/")

    assert response.status_code == 401
    assert "detail" in response.json()


@pytest.mark.parametrize("method, url", [
    ("get", "/api/v1/events/"),
    ("post", "/api/v1/events/"),
    ("get", "/api/v1/events/1/"),
    ("patch", "/api/v1/events/1/"),
    ("post", "/api/v1/events/1/transitions/"),
    ("get", "/api/v1/events/1/members/"),
    ("post", "/api/v1/events/1/members/"),
    ("get", "/api/v1/events/1/log/"),
    ("get", "/api/v1/events/1/log/verify"),
])
def test_a_stranger_without_credentials_is_refused_in_json(db, api, method, url):
    response = getattr(api(), method)(url, {}, format="json")

    assert response.status_code in (401, 403)
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


def test_unauthenticated_answer_tells_clients_how_to_authenticate(db, api):
    response = api().get("/api/v1/events/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_signed_in_browser_uses_the_api_with_its_session(alice, client):
    client.login(username="alice", password=PASSWORD)

    assert client.get("/api/v1/events/").status_code == 200


def test_a_browser_session_cannot_write_without_the_csrf_token(alice, alices_event):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.login(username="alice", password=PASSWORD)

    response = browser.post(f"/api/v1/events/{alices_event.pk}/transitions/",
                            {"to": "withdrawn", "note": "Plans changed."},
                            content_type="application/json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    alices_event.refresh_from_db()
    assert alices_event.state == "submitted"


def test_a_token_client_needs_no_csrf_token(alice, alices_event):
    from rest_framework.test import APIClient

    token = APIClient().post(TOKEN_URL, {"username": "alice", "password": PASSWORD},
                             format="json").json()["token"]
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    response = client.post(f"/api/v1/events/{alices_event.pk}/transitions/",
                           {"to": "withdrawn", "note": "Plans changed."}, format="json")

    assert response.status_code == 200
