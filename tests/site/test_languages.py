"""Which language Parley speaks to whom: the user's own setting, then the browser's, then
English — for pages and the API alike."""

from rest_framework.test import APIClient

from coordination.languages import language_for, language_from_accept_header
from tests.support.accounts import api_token, log_in


def test_spanish_ships_beside_english_and_french(settings):
    assert [code for code, _name in settings.LANGUAGES] == ["en", "fr", "es"]


def test_a_browser_asking_for_spanish_gets_a_spanish_page(db, client):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9")
    assert '<html lang="es"' in page.content.decode()


def test_a_users_own_setting_beats_the_browsers_language(alice, client):
    alice.language = "fr"
    alice.save()
    log_in(client, alice)
    page = client.get("/events/", HTTP_ACCEPT_LANGUAGE="es")
    assert '<html lang="fr"' in page.content.decode()


def test_without_a_setting_the_browsers_language_is_used(alice, client):
    log_in(client, alice)
    page = client.get("/events/", HTTP_ACCEPT_LANGUAGE="es")
    assert '<html lang="es"' in page.content.decode()


def test_choosing_a_language_on_a_page_becomes_the_users_setting(alice, client):
    log_in(client, alice)
    client.post("/i18n/setlang/", {"language": "es", "next": "/events/"})
    alice.refresh_from_db()
    assert alice.language == "es"


def test_an_unknown_language_choice_changes_nothing(alice, client):
    alice.language = "fr"
    alice.save()
    log_in(client, alice)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/events/"})
    alice.refresh_from_db()
    assert alice.language == "fr"


def test_the_api_answers_a_token_client_in_the_users_language(alice):
    alice.language = "fr"
    alice.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(alice)}")
    answer = client.get("/api/v1/events/999999/", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 404
    assert answer.json()["detail"] != "Not found."
    assert answer["Content-Language"] == "fr"


def test_the_rule_falls_back_from_setting_to_browser_to_default(alice, settings):
    assert language_for(alice, "es-MX,fr;q=0.5") == "es"
    alice.language = "fr"
    assert language_for(alice, "es") == "fr"
    alice.language = ""
    assert language_for(alice, "de, *") == settings.LANGUAGE_CODE
    assert language_from_accept_header("de-DE, fr-CA;q=0.7") == "fr"


def test_alice_chooses_her_language_on_her_settings_page(alice, client):
    log_in(client, alice)
    assert client.get("/accounts/settings/").status_code == 200
    client.post("/accounts/settings/", {"language": "es"})
    alice.refresh_from_db()
    assert alice.language == "es"
    page = client.get("/events/", HTTP_ACCEPT_LANGUAGE="fr")
    assert '<html lang="es"' in page.content.decode()


def test_alice_goes_back_to_her_browsers_language(alice, client):
    log_in(client, alice)
    client.post("/i18n/setlang/", {"language": "fr", "next": "/events/"})
    answer = client.post("/accounts/settings/", {"language": ""})
    alice.refresh_from_db()
    assert alice.language == ""
    assert answer.cookies["django_language"].value == ""  # the switcher's choice is gone
    page = client.get("/events/", HTTP_ACCEPT_LANGUAGE="es")
    assert '<html lang="es"' in page.content.decode()


def test_an_unknown_language_is_refused_on_the_settings_page(alice, client):
    log_in(client, alice)
    answer = client.post("/accounts/settings/", {"language": "xx"})
    assert answer.status_code == 200
    assert "language" in answer.context["form"].errors


def test_the_account_forms_keep_their_buttons_in_the_readers_language(alice, client):
    log_in(client, alice)
    page = client.get("/accounts/password_change/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Modifier mon mot de passe" in page
    assert 'name="old_password"' in page
