"""The page scripts (static/, ES modules) share one helper for each thing they all do —
filling a sentence, showing a time, building the DOM, a socket that reconnects — and take
their words from Django's JavaScript catalog, in the page's language."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.support.page_scripts import STATIC, catalog_of, page_scripts, words_of

ROOT = STATIC.parent


def defined_in(pattern: str) -> list[str]:
    found = re.compile(pattern)
    return [str(script.relative_to(STATIC)) for script in page_scripts()
            if found.search(script.read_text(encoding="utf-8"))]


@pytest.mark.parametrize(("what", "pattern", "home"), [
    ("filling a sentence's placeholders", r"function fill\(", "js/i18n.js"),
    ("showing a time", r"function format(Time|Moment)?\w*\(|toLocale(String|TimeString)\(",
     "js/time.js"),
    ("a datetime-local value", r"function (to|from)LocalInput\(", "js/time.js"),
    ("a moment's parts in the city's zone", r"formatToParts\(", "js/time.js"),
    ("making an element", r"function el\(", "js/dom.js"),
    ("opening a WebSocket", r"new WebSocket\(", "js/socket.js"),
    ("waiting longer after each failure", r"Math\.pow\(2,", "js/socket.js"),
])
def test_each_shared_helper_is_written_once(what, pattern, home):
    assert defined_in(pattern) == [home], what


def test_every_page_script_is_a_module_and_uses_the_shared_helpers():
    for script in page_scripts():
        text = script.read_text(encoding="utf-8")
        if script.name == "leaflet_init.js":
            continue  # django-leaflet's loader, a classic script by need (templates/leaflet/)
        if script.name.startswith("service_worker_"):
            continue  # the service worker's parts: classic scripts for importScripts (/sw.js)
        assert "window.parleyDom" not in text and "window.ParleyZones" not in text, script
        assert '"use strict"' not in text, script  # modules are strict by themselves


def test_no_template_carries_its_own_table_of_words_for_a_script():
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r'id="[\w-]*strings"', text), template
        assert not re.search(r"<div hidden[^>]*data-[\w-]+=\"\{% translate", text), template
        assert not re.search(r"<p [^>]*hidden>\{% translate", text), template


def test_every_word_of_the_scripts_is_translated_in_french_and_spanish(client, db):
    words = set().union(*(words_of(script) for script in page_scripts()))
    assert "Message to: %(channel)s" in words  # the catalog is read from the scripts' calls
    for language in ("fr", "es"):
        catalog = catalog_of(client.get(reverse("javascript-catalog", args=[language])))
        assert words - set(catalog) == set(), language


def test_the_french_catalog_speaks_french(client, db):
    response = client.get("/i18n/catalog/fr.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Content-Language"] == "fr"
    assert catalog_of(response)["Message to: %(channel)s"] == "Message pour\u00a0: %(channel)s"
    assert "globals.gettext = django.gettext" in response.content.decode()


def test_a_language_catalog_is_shared_and_cached_and_revalidated(client, db):
    response = client.get("/i18n/catalog/es.js")
    assert "public" in response["Cache-Control"] and "max-age=3600" in response["Cache-Control"]
    again = client.get("/i18n/catalog/es.js", headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304
    assert client.get("/i18n/catalog/fr.js")["ETag"] != response["ETag"]


def test_a_signed_in_readers_catalog_stays_in_their_browser(client, alice):
    from tests.support.accounts import log_in

    log_in(client, alice)
    response = client.get("/i18n/catalog/fr.js")
    assert response.status_code == 200
    assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]


def test_there_is_no_catalog_for_a_language_parley_does_not_ship(client, db):
    assert client.get("/i18n/catalog/de.js").status_code == 404
    assert client.post("/i18n/catalog/fr.js").status_code == 405


def test_a_page_loads_its_languages_catalog_before_its_modules(client, alice, alices_event):
    from tests.support.accounts import log_in

    log_in(client, alice)
    page = client.get(alices_event.get_absolute_url(),
                      headers={"Accept-Language": "fr"}).content.decode()
    scripts = re.findall(r"<script\b([^>]*)>", page)
    sources = [re.search(r'src="([^"]+)"', tag).group(1) for tag in scripts if "src=" in tag]
    modules = [tag for tag in scripts if 'type="module"' in tag]
    assert sources.index("/i18n/catalog/fr.js") < sources.index("/static/zones/zone_map.js")
    assert {re.search(r'src="([^"]+)"', tag).group(1) for tag in modules} >= {
        "/static/zones/zone_map.js", "/static/messaging/channel.js", "/static/js/maps.js"}
    # Same-origin files only: the policy's script-src 'self' lets them run.
    assert all(src.startswith("/") and not src.startswith("//") for src in sources)
