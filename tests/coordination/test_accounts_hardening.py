"""Accounts that hold sensitive data are hard to take over: police, city and reviewers give a
second factor (an authenticator app, or a single-use recovery code), idle sessions end, every
login is logged, and guessing passwords gets an account locked for a while.

bob (police), carol (city), dave (reviewer) must use two-factor authentication; alice
(organiser) may.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from coordination.accounts.middleware import LAST_SEEN_KEY
from coordination.accounts.two_factor import new_recovery_codes
from tests.support.accounts import authenticator_of, log_in, totp_code
from tests.support.factories import PASSWORD

SETUP = "/accounts/two-factor/setup/"
VERIFY = "/accounts/two-factor/verify/"
TOKEN_URL = "/api/v1/auth/token/"


def password_login(client: Client, username: str, password: str = PASSWORD, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password},
                       **extra)


# --- Pages: set up, verify, recovery codes -----------------------------------------------


def test_police_without_an_authenticator_is_sent_to_set_one_up_and_back(client, bob):
    password_login(client, "bob")

    response = client.get("/desk/")

    assert response.status_code == 302
    assert response["Location"] == f"{SETUP}?next=%2Fdesk%2F"


@pytest.mark.parametrize("person", ["bob", "carol", "dave"])
def test_every_sensitive_role_is_held_at_the_two_factor_pages(client, person, request):
    log_in(client, request.getfixturevalue(person), verified=False)

    for path in ("/", "/desk/", "/city-map/", "/accounts/password_change/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(SETUP), path


def test_the_setup_page_shows_a_qr_code_and_the_key_but_no_script(client, bob):
    log_in(client, bob, verified=False)

    page = client.get(SETUP).content.decode()

    device = TOTPDevice.objects.get(user=bob, confirmed=False)
    assert "<svg" in page
    from coordination.accounts.two_factor import secret_of
    assert secret_of(device) in page
    assert "<script>" not in page and "<script " not in page.replace('<script src=', "")


def test_a_wrong_code_does_not_set_up_the_authenticator(client, bob):
    log_in(client, bob, verified=False)
    client.get(SETUP)

    response = client.post(SETUP, {"code": "000000"})

    assert response.status_code == 200
    assert "not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=bob, confirmed=True).exists()
    assert client.get("/desk/").status_code == 302


def test_the_right_code_sets_up_the_authenticator_and_shows_ten_recovery_codes_once(client, bob):
    log_in(client, bob, verified=False)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=bob, confirmed=False)

    response = client.post(SETUP, {"code": totp_code(device), "next": "/desk/"})

    page = response.content.decode()
    codes = re.findall(r"<li><code>([0-9a-f]{8}-[0-9a-f]{4})</code></li>", page)
    assert len(codes) == 10
    assert 'href="/desk/"' in page
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/desk/").status_code == 200  # this session is verified now
    assert codes[0] not in client.get(SETUP).content.decode()  # never shown again


def test_police_with_an_authenticator_gives_the_current_code_after_the_password(client, bob):
    authenticator_of(bob)
    response = password_login(client, "bob")
    assert client.get(response["Location"])["Location"].startswith(f"{VERIFY}?next=")

    response = client.post(f"{VERIFY}?next=/desk/", {"code": totp_code(bob), "next": "/desk/"})

    assert response.status_code == 302 and response["Location"] == "/desk/"
    assert client.get("/desk/").status_code == 200


def test_a_password_alone_cannot_replace_the_authenticator(client, bob):
    authenticator_of(bob)
    log_in(client, bob, verified=False)

    response = client.get(SETUP)

    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert not TOTPDevice.objects.filter(user=bob, confirmed=False).exists()


def test_a_verified_user_may_set_up_a_new_phone(client, bob):
    old = authenticator_of(bob)
    log_in(client, bob)
    client.get(SETUP)
    new = TOTPDevice.objects.get(user=bob, confirmed=False)

    client.post(SETUP, {"code": totp_code(new)})

    assert list(TOTPDevice.objects.filter(user=bob)) == [new]
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()


def test_a_wrong_code_is_refused(client, bob):
    authenticator_of(bob)
    log_in(client, bob, verified=False)

    response = client.post(VERIFY, {"code": "123456"})

    assert response.status_code == 200
    assert "not right" in response.content.decode()
    assert client.get("/desk/").status_code == 302


def test_a_code_is_good_only_once(client, bob):
    code = totp_code(bob)
    first = Client()
    log_in(first, bob, verified=False)
    assert first.post(VERIFY, {"code": code}).status_code == 302

    second = Client()
    log_in(second, bob, verified=False)
    assert second.post(VERIFY, {"code": code}).status_code == 200
    assert second.get("/desk/").status_code == 302


def test_a_recovery_code_works_once(client, carol):
    authenticator_of(carol)
    codes = new_recovery_codes(carol)
    log_in(client, carol, verified=False)

    response = client.post(VERIFY, {"code": codes[0].upper(), "next": "/desk/"})

    assert response.status_code == 302 and response["Location"] == "/desk/"
    other = Client()
    log_in(other, carol, verified=False)
    assert other.post(VERIFY, {"code": codes[0]}).status_code == 200
    assert other.get("/desk/").status_code == 302


def test_an_unverified_user_may_still_log_out(client, bob):
    log_in(client, bob, verified=False)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_next_must_stay_on_this_site(client, bob):
    log_in(client, bob, verified=False)

    response = client.post(VERIFY, {"code": totp_code(bob), "next": "https://evil.example/"})

    assert response.status_code == 302 and response["Location"] == "/desk/"


def test_the_organiser_is_not_forced_but_may_turn_it_on(client, alice):
    log_in(client, alice, verified=False)
    assert client.get("/").status_code == 200

    client.get(SETUP)
    device = TOTPDevice.objects.get(user=alice, confirmed=False)
    assert client.post(SETUP, {"code": totp_code(device)}).status_code == 200

    # Once she has turned it on, her next login asks for it too.
    later = Client()
    log_in(later, alice, verified=False)
    assert later.get("/")["Location"].startswith(VERIFY)


def test_staff_give_a_second_factor_for_the_admin(client, db):
    from tests.support.factories import make_user

    root = make_user("root", "organiser", is_staff=True, is_superuser=True)
    client.force_login(root)
    assert client.get("/admin/")["Location"].startswith(SETUP)

    log_in(client, root)
    assert client.get("/admin/").status_code == 200


def test_nobody_is_forced_when_the_setting_is_empty(client, bob, settings):
    settings.PARLEY_2FA_ROLES = []
    client.force_login(bob)

    assert client.get("/desk/").status_code == 200


# --- The API -------------------------------------------------------------------------------


def test_an_unverified_city_session_gets_403_json_from_the_api(client, carol):
    log_in(client, carol, verified=False)

    response = client.get("/api/v1/events/")

    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/json")
    assert "Two-factor" in response.json()["detail"]


def test_an_unverified_session_gets_no_websocket_ticket(client, bob):
    log_in(client, bob, verified=False)

    response = client.post("/api/v1/ws-tickets/")

    assert response.status_code == 403
    assert "Two-factor" in response.json()["detail"]


def test_a_verified_city_session_uses_the_api(client, carol):
    log_in(client, carol)

    assert client.get("/api/v1/events/").status_code == 200


def test_police_token_request_without_otp_is_refused_with_a_message(bob, api):
    authenticator_of(bob)

    response = api().post(TOKEN_URL, {"username": "bob", "password": PASSWORD})

    assert response.status_code == 400
    assert "two-factor" in response.json()["otp"][0]


def test_police_token_request_with_the_current_code_gets_a_token(bob, api):
    response = api().post(TOKEN_URL, {"username": "bob", "password": PASSWORD,
                                      "otp": totp_code(bob)})

    assert response.status_code == 200
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/events/").status_code == 200


def test_token_request_with_a_wrong_code_is_refused(dave, api):
    authenticator_of(dave)

    response = api().post(TOKEN_URL, {"username": "dave", "password": PASSWORD,
                                      "otp": "000000"})

    assert response.status_code == 400
    assert "token" not in response.json()


def test_the_token_endpoint_documents_otp(client, db):
    schema = client.get("/api/v1/schema/?format=json").json()

    fields = schema["components"]["schemas"]["TokenRequestRequest"]["properties"]
    assert "otp" in fields


# --- WebSocket -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_websocket_with_an_unverified_session_is_closed_with_4401(alices_event):
    from asgiref.sync import sync_to_async
    from django.contrib.auth import get_user_model

    from config.asgi import application
    from tests.support.ws import communicator, session_cookie_for

    bob = await sync_to_async(get_user_model().objects.get)(username="bob")
    cookie = await sync_to_async(session_cookie_for)(bob, verified=False)
    ws = communicator(application, f"/ws/events/{alices_event.pk}/", cookie=cookie)
    connected, _ = await ws.connect()

    output = await ws.receive_output(timeout=5) if connected else None
    assert output == {"type": "websocket.close", "code": 4401}
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_the_desk_websocket_needs_the_second_factor_too(carol):
    from asgiref.sync import sync_to_async

    from config.asgi import application
    from tests.support.ws import communicator, session_cookie_for

    cookie = await sync_to_async(session_cookie_for)(carol, verified=False)
    ws = communicator(application, "/ws/desk/", cookie=cookie)
    connected, _ = await ws.connect()

    output = await ws.receive_output(timeout=5) if connected else None
    assert output == {"type": "websocket.close", "code": 4401}
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_websocket_with_an_idle_session_is_closed_with_4401(alices_event, settings):
    from asgiref.sync import sync_to_async
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    from config.asgi import application
    from tests.support.ws import communicator, session_cookie_for

    settings.PARLEY_SESSION_IDLE_SECONDS = 600
    bob = await sync_to_async(get_user_model().objects.get)(username="bob")
    cookie = await sync_to_async(session_cookie_for)(bob)

    def age_session() -> None:
        store = SessionStore(session_key=cookie.decode().split("=", 1)[1])
        store[LAST_SEEN_KEY] = time.time() - 601  # last request 601 s ago
        store.save()

    await sync_to_async(age_session)()
    ws = communicator(application, f"/ws/events/{alices_event.pk}/", cookie=cookie)
    connected, _ = await ws.connect()

    output = await ws.receive_output(timeout=5) if connected else None
    assert output == {"type": "websocket.close", "code": 4401}
    await ws.disconnect()


# --- Idle sessions -------------------------------------------------------------------------


def _idle_for(client: Client, seconds: float) -> None:
    session = client.session
    session[LAST_SEEN_KEY] = float(session[LAST_SEEN_KEY]) - seconds
    session.save()


def test_a_session_unused_for_longer_than_the_idle_timeout_is_logged_out(client, carol,
                                                                          settings, caplog):
    caplog.set_level(logging.INFO, logger="parley.security")
    settings.PARLEY_SESSION_IDLE_SECONDS = 600
    log_in(client, carol)
    assert client.get("/desk/").status_code == 200

    _idle_for(client, 601)
    response = client.get("/desk/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session
    assert [r["action"] for r in _records(caplog)][-2:] == ["idle_timeout", "logout"]


def test_a_session_in_use_stays_open(client, carol, settings):
    settings.PARLEY_SESSION_IDLE_SECONDS = 600
    log_in(client, carol)
    client.get("/desk/")

    _idle_for(client, 599)

    assert client.get("/desk/").status_code == 200


def test_an_idle_api_session_is_refused(client, alice, settings):
    settings.PARLEY_SESSION_IDLE_SECONDS = 600
    log_in(client, alice)
    client.get("/api/v1/events/")

    _idle_for(client, 601)

    assert client.get("/api/v1/events/").status_code in (401, 403)


# --- The security log ----------------------------------------------------------------------


def _records(caplog) -> list[dict]:
    return [r.security for r in caplog.records if r.name == "parley.security"]


def test_a_login_and_a_failed_login_are_logged(client, bob, caplog):
    caplog.set_level(logging.INFO, logger="parley.security")

    password_login(client, "bob", "wrong", HTTP_USER_AGENT="Firefox " + "x" * 500)
    password_login(client, "bob")

    failed, succeeded = _records(caplog)
    assert failed["action"] == "login" and failed["success"] is False
    assert failed["username"] == "bob" and failed["role"] == "police"
    assert failed["reason"] == "bad_credentials" and failed["ip"] == "127.0.0.1"
    assert failed["user_agent"].startswith("Firefox") and len(failed["user_agent"]) <= 120
    assert succeeded["success"] is True and succeeded["username"] == "bob"
    assert "wrong" not in caplog.text  # never the password


def test_second_factor_checks_are_logged(client, bob, caplog):
    caplog.set_level(logging.INFO, logger="parley.security")
    authenticator_of(bob)
    log_in(client, bob, verified=False)

    client.post(VERIFY, {"code": "000000"})

    (record,) = [r for r in _records(caplog) if r["action"] == "two_factor"]
    assert record["action"] == "two_factor" and record["success"] is False
    assert record["username"] == "bob"


def test_logging_out_is_logged(client, alice, caplog):
    caplog.set_level(logging.INFO, logger="parley.security")
    log_in(client, alice)

    client.post("/accounts/logout/")

    # Logging out also revokes every API token of the person (coordination/accounts/access.py).
    assert [r["action"] for r in _records(caplog)] == ["login", "logout", "access_revoked"]
    assert _records(caplog)[-1]["reason"] == "logout"


# --- Throttling ----------------------------------------------------------------------------


def _fail(client: Client, username: str, times: int) -> None:
    for _attempt in range(times):
        password_login(client, username, "not my password")


def test_five_wrong_passwords_lock_the_account_with_a_clear_page(client, alice):
    _fail(client, "alice", 5)

    response = password_login(client, "alice", "still wrong")

    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()


def test_the_right_password_is_refused_during_the_lockout(client, alice):
    _fail(client, "alice", 5)

    response = password_login(client, "alice")

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_ends_after_the_cool_off(client, alice):
    _fail(client, "alice", 5)
    assert password_login(client, "alice").status_code == 429

    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))
    response = password_login(client, "alice")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_a_lockout_is_for_one_address_only(client, alice):
    _fail(client, "alice", 5)

    response = password_login(Client(REMOTE_ADDR="10.1.2.3"), "alice")

    assert response.status_code == 302


def test_the_token_endpoint_is_throttled_too(alice, api):
    answers = [api().post(TOKEN_URL, {"username": "alice", "password": "no"}).status_code
               for _attempt in range(5)]
    assert answers == [400, 400, 400, 400, 429]  # the fifth failure locks

    response = api().post(TOKEN_URL, {"username": "alice", "password": PASSWORD})

    assert response.status_code == 429
    assert "Too many failed login attempts" in response.json()["detail"]


def test_a_login_refused_by_the_lockout_is_logged_as_such(client, alice, caplog):
    caplog.set_level(logging.INFO, logger="parley.security")
    _fail(client, "alice", 5)
    caplog.clear()

    password_login(client, "alice")

    (record,) = _records(caplog)
    assert record["success"] is False and record["reason"] == "locked_out"
    assert record["username"] == "alice" and record["role"] == "organiser"


def test_the_lockout_page_speaks_french_too(client, alice):
    from django.utils import translation

    _fail(client, "alice", 5)
    with translation.override("fr"):
        response = password_login(client, "alice", HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 429
    assert 'lang="fr"' in response.content.decode()
