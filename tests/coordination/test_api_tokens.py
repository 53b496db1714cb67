"""API tokens that end: one per login (several devices at once), each expiring after
``PARLEY_TOKEN_TTL_SECONDS``, revoked one at a time with ``DELETE /api/v1/auth/token/``, and
all of a person's at once when they log out, change or reset their password, or are
deactivated. An expired or revoked token is answered 401, like any other bad credential."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests.support.accounts import log_in, totp_code
from tests.support.factories import PASSWORD, make_user

TOKEN_URL = "/api/v1/auth/token/"
TICKETS_URL = "/api/v1/ws-tickets/"
NEW_PASSWORD = "a different long secret for alice"


def log_in_to_api(username: str = "alice", password: str = PASSWORD, **extra) -> dict:
    """What a device gets back when it logs in to the API."""
    response = APIClient().post(TOKEN_URL, {"username": username, "password": password,
                                            **extra})
    assert response.status_code == 200, response.content
    return response.json()


def device(token: str) -> APIClient:
    """An API client that sends ``token``, as a phone or a script would."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def works(token: str) -> bool:
    """Whether ``token`` still opens the API (a 401 JSON answer if it does not)."""
    response = device(token).get("/api/v1/events/")
    if response.status_code == 401:
        assert response["Content-Type"].startswith("application/json")
        assert "detail" in response.json()
        return False
    assert response.status_code == 200, response.content
    return True


def move_expiry_of_every_token(user, *, to: dt.datetime) -> None:
    from knox.models import AuthToken

    assert AuthToken.objects.filter(user=user).update(expiry=to)


# --- Logging in ----------------------------------------------------------------------------


def test_each_login_makes_a_new_token_that_says_when_it_expires(alice):
    before = timezone.now()
    first = log_in_to_api()
    second = log_in_to_api()

    assert set(first) == {"token", "expires_at"}
    assert first["token"] != second["token"]
    expires_at = dt.datetime.fromisoformat(first["expires_at"].replace("Z", "+00:00"))
    assert before + dt.timedelta(hours=12) <= expires_at \
        <= timezone.now() + dt.timedelta(hours=12)


def test_a_phone_and_a_laptop_use_the_api_at_the_same_time(alice):
    phone = log_in_to_api()["token"]
    laptop = log_in_to_api()["token"]

    assert works(phone)
    assert works(laptop)


def test_tokens_last_as_long_as_the_setting_says(alice, settings):
    settings.PARLEY_TOKEN_TTL_SECONDS = 600
    before = timezone.now()

    answer = log_in_to_api()

    expires_at = dt.datetime.fromisoformat(answer["expires_at"].replace("Z", "+00:00"))
    assert before + dt.timedelta(seconds=600) <= expires_at \
        <= timezone.now() + dt.timedelta(seconds=600)


def test_police_still_need_their_second_factor_for_a_token(bob):
    refused = APIClient().post(TOKEN_URL, {"username": "bob", "password": PASSWORD})
    answer = log_in_to_api("bob", otp=totp_code(bob))

    assert refused.status_code == 400 and "otp" in refused.json()
    assert works(answer["token"])


def test_the_token_is_not_stored_in_the_database(alice):
    """Only a hash is kept: whoever reads the database cannot use a token they find there."""
    from django.db import connection

    token = log_in_to_api()["token"]

    with connection.cursor() as cursor:
        for table in connection.introspection.django_table_names(only_existing=True):
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")
            for row in cursor.fetchall():
                assert not any(isinstance(v, str) and token in v for v in row), table


# --- Expiry --------------------------------------------------------------------------------


def test_an_expired_token_is_refused(alice):
    token = log_in_to_api()["token"]
    assert works(token)

    move_expiry_of_every_token(alice, to=timezone.now() - dt.timedelta(seconds=1))

    assert not works(token)


def test_a_token_just_before_its_expiry_still_works(alice):
    token = log_in_to_api()["token"]

    move_expiry_of_every_token(alice, to=timezone.now() + dt.timedelta(seconds=30))

    assert works(token)


# --- Revoking one token --------------------------------------------------------------------


def test_a_device_revokes_its_own_token_and_only_that_one(alice):
    phone = log_in_to_api()["token"]
    laptop = log_in_to_api()["token"]

    response = device(phone).delete(TOKEN_URL)

    assert response.status_code == 204
    assert not response.content
    assert not works(phone)
    assert works(laptop)


def test_a_revoked_token_cannot_revoke_again(alice):
    phone = log_in_to_api()["token"]
    device(phone).delete(TOKEN_URL)

    response = device(phone).delete(TOKEN_URL)

    assert response.status_code == 401
    assert "detail" in response.json()


def test_revoking_needs_a_token(alice):
    browser = Client()
    log_in(browser, alice)

    assert APIClient().delete(TOKEN_URL).status_code == 401
    assert browser.delete(TOKEN_URL).status_code == 401


def test_a_stale_token_sent_along_does_not_stop_a_new_login(alice):
    """A stale token header does not stand in the way of logging in for a new one."""
    token = log_in_to_api()["token"]
    device(token).delete(TOKEN_URL)

    response = device(token).post(TOKEN_URL, {"username": "alice", "password": PASSWORD})

    assert response.status_code == 200
    assert works(response.json()["token"])
    assert not works(token)


def test_a_token_header_that_is_not_text_is_refused_not_a_crash(alice):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token caf\xe9caf\xe9caf\xe9caf\xe9caf\xe9")

    response = client.get("/api/v1/events/")

    assert response.status_code == 401
    assert "detail" in response.json()


# --- Revoking every token of a person ------------------------------------------------------


def test_logging_out_of_the_site_revokes_every_token(alice, mallory):
    phone = log_in_to_api()["token"]
    laptop = log_in_to_api()["token"]
    someone_else = log_in_to_api("mallory")["token"]
    browser = Client()
    browser.post(reverse("login"), {"username": "alice", "password": PASSWORD})

    assert browser.post(reverse("logout")).status_code == 302

    assert not works(phone)
    assert not works(laptop)
    assert works(someone_else)


def test_an_idle_session_that_times_out_leaves_the_tokens_alone(alice, settings):
    """Walking away from one browser is not logging out of every device."""
    from coordination.accounts.middleware import LAST_SEEN_KEY

    settings.PARLEY_SESSION_IDLE_SECONDS = 600
    phone = log_in_to_api()["token"]
    browser = Client()
    log_in(browser, alice)
    browser.get("/api/v1/events/")
    session = browser.session
    session[LAST_SEEN_KEY] = float(session[LAST_SEEN_KEY]) - 601
    session.save()

    assert browser.get(reverse("events:list")).status_code == 302  # logged out

    assert works(phone)


def test_changing_the_password_on_the_page_revokes_every_token(alice):
    phone = log_in_to_api()["token"]
    browser = Client()
    log_in(browser, alice)

    response = browser.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })

    assert response.status_code == 302
    assert not works(phone)
    assert works(log_in_to_api(password=NEW_PASSWORD)["token"])
    # The browser that changed it stays signed in.
    assert browser.get(reverse("events:list")).status_code == 200


def test_resetting_a_forgotten_password_revokes_every_token(alice):
    phone = log_in_to_api()["token"]
    browser = Client()
    browser.post(reverse("password_reset"), {"email": "alice@example.org"})
    link = re.search(r"/accounts/reset/\S+/", mail.outbox[0].body).group(0)
    form = browser.get(link, follow=True)
    assert form.status_code == 200

    response = browser.post(form.redirect_chain[-1][0], {
        "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_complete")
    assert not works(phone)


def test_a_password_set_by_code_revokes_every_token(alice):
    phone = log_in_to_api()["token"]

    alice.set_password(NEW_PASSWORD)
    alice.save(update_fields=["password"])

    assert not works(phone)


def test_a_password_set_with_manage_py_changepassword_revokes_every_token(alice, monkeypatch):
    from django.core.management import call_command

    phone = log_in_to_api()["token"]
    monkeypatch.setattr("getpass.getpass", lambda prompt="": NEW_PASSWORD)

    call_command("changepassword", "alice", stdout=__import__("io").StringIO())

    assert not works(phone)


def test_saving_a_person_without_a_new_password_keeps_their_tokens(alice, settings):
    phone = log_in_to_api()["token"]
    alice.first_name = "Alicia"
    alice.save()
    # Logging in with a password stored by an older hasher stores it again, rehashed: the
    # same password, not a new one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.ScryptPasswordHasher",
                                 *settings.PASSWORD_HASHERS]
    assert alice.check_password(PASSWORD)
    alice.refresh_from_db()
    assert alice.password.startswith("scrypt$")

    assert works(phone)


def test_deactivating_a_person_in_the_admin_revokes_every_token(alice):
    phone = log_in_to_api()["token"]
    admin = Client()
    log_in(admin, make_user("root", "city", is_staff=True, is_superuser=True))
    joined = timezone.localtime(alice.date_joined)

    response = admin.post(f"/admin/coordination/user/{alice.pk}/change/", {
        "username": "alice", "first_name": "Alice", "last_name": "Martin",
        "email": "alice@example.org", "role": "organiser",
        # "is_active" left out: the box is unticked.
        "date_joined_0": joined.strftime("%Y-%m-%d"), "date_joined_1": joined.strftime("%H:%M:%S"),
        "last_login_0": "", "last_login_1": "",
    })

    assert response.status_code == 302, response.content.decode()[:2000]
    alice.refresh_from_db()
    assert not alice.is_active
    assert not works(phone)
    alice.is_active = True
    alice.save()
    assert not works(phone)  # coming back does not bring old tokens back


def test_deactivating_a_person_from_code_revokes_every_token(alice):
    phone = log_in_to_api()["token"]

    alice.is_active = False
    alice.save(update_fields=["is_active"])
    alice.is_active = True
    alice.save(update_fields=["is_active"])

    assert not works(phone)


def test_the_admin_can_revoke_a_token_but_not_make_one(alice):
    from knox.models import AuthToken

    phone = log_in_to_api()["token"]
    laptop = log_in_to_api()["token"]
    admin = Client()
    log_in(admin, make_user("root", "city", is_staff=True, is_superuser=True))
    listed = admin.get("/admin/knox/authtoken/").content.decode()
    assert phone[:15] in listed and phone not in listed
    assert admin.get("/admin/knox/authtoken/add/").status_code == 403

    digest = AuthToken.objects.get(token_key=phone[:15]).digest
    response = admin.post(f"/admin/knox/authtoken/{digest}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not works(phone)
    assert works(laptop)


# --- WebSocket tickets ---------------------------------------------------------------------


def test_a_token_gets_a_websocket_ticket_until_it_expires(alice):
    token = log_in_to_api()["token"]
    assert device(token).post(TICKETS_URL).status_code == 201

    move_expiry_of_every_token(alice, to=timezone.now() - dt.timedelta(seconds=1))
    response = device(token).post(TICKETS_URL)

    assert response.status_code == 401
    assert "detail" in response.json()


def test_a_revoked_token_gets_no_websocket_ticket(alice):
    token = log_in_to_api()["token"]
    device(token).delete(TOKEN_URL)

    assert device(token).post(TICKETS_URL).status_code == 401


def test_a_ticket_not_yet_used_is_void_once_access_is_taken_back(alice):
    from messaging.services import redeem

    ticket = device(log_in_to_api()["token"]).post(TICKETS_URL).json()["ticket"]

    alice.set_password(NEW_PASSWORD)
    alice.save()

    assert redeem(ticket) is None


# --- One place that announces it -----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_every_moment_access_is_taken_back_is_announced_once_after_commit(alice):
    """Other parts (e.g. closing a person's live connections) listen to one signal."""
    from coordination.accounts.access import access_revoked

    heard = []

    def listener(sender, user, reason, **kwargs):
        heard.append((user.username, reason))

    access_revoked.connect(listener)
    try:
        token = log_in_to_api()["token"]
        device(token).delete(TOKEN_URL)
        browser = Client()
        browser.post(reverse("login"), {"username": "alice", "password": PASSWORD})
        browser.post(reverse("logout"))
        alice.set_password(NEW_PASSWORD)
        alice.save()
        alice.first_name = "Alicia"
        alice.save()
        alice.is_active = False
        alice.save()
        alice.save()
    finally:
        access_revoked.disconnect(listener)

    assert heard == [("alice", "token_revoked"), ("alice", "logout"),
                     ("alice", "password_changed"), ("alice", "deactivated")]
