"""The service worker is served from the site root, so that its scope covers every page; the
web app manifest makes Parley installable; the headers the offline pack relies on."""

import json
import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from tests.support.accounts import log_in


@pytest.mark.django_db
def test_service_worker_is_served_from_the_site_root_and_never_cached(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "no-cache" in response["Cache-Control"]
    parts = re.findall(r'"([^"]+)"', response.content.decode())
    assert any(part.endswith(".js") and "service_worker_offline" in part for part in parts)
    assert any(part.endswith(".js") and "service_worker_push" in part for part in parts)


@pytest.mark.django_db
def test_every_page_registers_the_service_worker(client):
    page = client.get("/accounts/login/").content.decode()
    assert "js/pwa" in page


def _csp(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {name: values for name, *values in
            (part.split() for part in policy.split(";") if part.strip())}


@pytest.mark.django_db
def test_the_worker_and_the_pages_keep_a_strict_policy_that_names_workers_and_manifests(
        client):
    for path in ("/sw.js", "/accounts/login/", "/manifest.webmanifest"):
        policy = _csp(client.get(path))
        assert policy["script-src"] == ["'self'"], path  # no inline script, no eval
        assert policy["worker-src"] == ["'self'"], path
        assert policy["manifest-src"] == ["'self'"], path
    # Only the worker may fetch from the tile server (to keep the tiles a person saw).
    assert _csp(client.get("/accounts/login/"))["connect-src"][0] == "'self'"


@pytest.mark.django_db
def test_the_manifest_makes_parley_installable_in_the_readers_language(client):
    response = client.get("/manifest.webmanifest", HTTP_ACCEPT_LANGUAGE="fr")
    assert response["Content-Type"].startswith("application/manifest+json")
    manifest = json.loads(response.content)
    assert manifest["lang"] == "fr" and manifest["name"] != "Parley: coordinating demonstrations"
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/", "/",
                                                                            "standalone")
    assert manifest["theme_color"] and manifest["background_color"] and manifest["short_name"]
    icons = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= icons
    for icon in manifest["icons"]:
        assert finders.find(icon["src"].removeprefix(settings.STATIC_URL)), icon["src"]


@pytest.mark.django_db
def test_every_page_links_the_manifest_its_colour_and_the_touch_icon(client):
    page = client.get("/accounts/login/").content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest"' in page
    assert '<meta name="theme-color"' in page
    assert 'rel="apple-touch-icon"' in page


@pytest.mark.django_db
def test_an_answer_to_a_signed_in_person_says_whose_it_is_and_a_logout_is_nobodys(client,
                                                                                  alice):
    assert "X-Parley-User" not in client.get("/accounts/login/")
    log_in(client, alice)
    assert client.get("/")["X-Parley-User"] == str(alice.pk)
    assert f'<meta name="parley-user" content="{alice.pk}">' in client.get("/").content.decode()
    response = client.post("/accounts/logout/")
    assert "X-Parley-User" not in response
    assert response["Clear-Site-Data"] == '"cache", "storage"'


@pytest.mark.django_db
def test_a_police_officer_who_owes_the_second_factor_is_nobody_yet(client, bob):
    client.force_login(bob)  # password given, code not yet
    response = client.get("/")
    assert response.status_code == 302
    assert "X-Parley-User" not in response


@pytest.mark.django_db
def test_the_offline_page_the_worker_keeps_is_in_the_readers_language_and_says_whose(client,
                                                                                   alice):
    log_in(client, alice)
    response = client.get("/offline/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    assert response["Content-Language"] == "fr"  # the worker keeps it again when it changes
    assert response["X-Parley-User"] == str(alice.pk)  # kept only in her own cache
    assert "no-cache" in response["Cache-Control"]
    page = response.content.decode()
    assert "Vous êtes hors ligne et cette page n'est pas gardée sur ce téléphone." in page
    assert 'id="offline-kept"' in page  # filled by static/js/pwa.js from the kept packs


@pytest.mark.django_db
def test_the_offline_page_fetched_by_the_worker_leaves_the_csrf_cookie_alone(client):
    """A login form open meanwhile keeps its token valid."""
    response = client.get("/offline/")  # no CSRF cookie yet: it would set one
    assert response.status_code == 200
    assert settings.CSRF_COOKIE_NAME not in response.cookies
