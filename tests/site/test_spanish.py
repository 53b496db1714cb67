"""Parley in Spanish: a city official or organiser whose browser (or setting) asks for
Spanish reads every page, API error and printed sheet in Spanish, and the catalog has no
message left in English."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from events import services
from review.report import after_action_pdf
from tests.support.accounts import api_token, log_in
from tests.support.pdf import pdf_text
from tests.support.zones import make_zone
from zones import services as zone_services

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es-ES,es;q=0.9"}
CATALOG = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.po"
#: The page scripts' words (static/, makemessages -d djangojs).
SCRIPTS_CATALOG = CATALOG.with_name("djangojs.po")
BOTH_CATALOGS = pytest.mark.parametrize("catalog", [CATALOG, SCRIPTS_CATALOG],
                                        ids=["pages", "scripts"])


def page_text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_the_login_page_speaks_spanish_to_a_spanish_browser(db, client):
    page = page_text(client.get("/accounts/login/", **SPANISH))
    assert '<html lang="es"' in page
    assert "Iniciar sesión" in page
    assert "¿Organiza una manifestación?" in page


def test_alice_reads_the_list_of_demonstrations_in_spanish(alice, alices_event, client):
    log_in(client, alice)
    page = page_text(client.get("/", **SPANISH))
    assert '<html lang="es"' in page
    assert "Manifestaciones que puede ver" in page
    assert "Presentada" in page  # alice's demonstration's state
    assert "Cerrar sesión" in page


def test_alice_registers_a_demonstration_on_a_spanish_form(alice, client):
    log_in(client, alice)
    page = page_text(client.get("/events/new/", **SPANISH))
    assert "Inscribir una manifestación" in page
    assert "Coloque un marcador donde se reúnen los participantes." in page
    assert "Asistencia prevista" in page or "asistencia prevista" in page.lower()


def test_alices_privacy_page_explains_the_records_in_spanish(alice, alices_event, client):
    log_in(client, alice)
    page = page_text(client.get(f"/events/{alices_event.pk}/privacy/", **SPANISH))
    assert "Lo que Parley registra sobre su manifestación" in page
    assert "Quién puede ver qué" in page


def test_carol_reads_the_city_wide_map_page_in_spanish(carol, client):
    log_in(client, carol)
    page = page_text(client.get("/map/", **SPANISH))
    assert '<html lang="es"' in page
    assert "Resaltar los conflictos" in page


def test_a_visitor_reads_the_public_page_in_spanish(db, client):
    page = page_text(client.get("/public/", **SPANISH))
    assert '<html lang="es"' in page
    assert "Manifestaciones: información pública" in page


def test_the_api_answers_a_spanish_client_in_spanish(alice):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(alice)}")
    answer = client.get("/api/v1/events/999999/", HTTP_ACCEPT_LANGUAGE="es")
    assert answer.status_code == 404
    assert answer["Content-Language"] == "es"
    assert answer.json()["detail"] in {"No existe esa manifestación.", "No encontrado."}


def test_an_api_validation_error_is_in_spanish(alice):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(alice)}")
    answer = client.get("/api/v1/events/?starts_after=tomorrow", HTTP_ACCEPT_LANGUAGE="es")
    assert answer.status_code == 400
    assert "Utilice una fecha y hora ISO 8601" in answer.content.decode()


def test_the_after_action_report_prints_in_spanish_with_its_accents(concluded_event, carol):
    with translation.override("es"):
        text = pdf_text(after_action_pdf(concluded_event, reader=carol))
    assert f"Informe posterior: {concluded_event.reference}" in text
    assert "Agente de enlace policial" in text
    assert "Gravedad" in text and "Cronología" in text  # ó survives the font


def test_the_briefing_sheet_prints_in_spanish_with_its_accents(alices_event, alice, bob, carol,
                                                               client):
    zone = make_zone(alices_event, carol, label="Escalinata del Ayuntamiento",
                     conditions="Señal acústica: ¡atención! ¿Dónde? Junto a la fuente.")
    for person in (alice, bob, carol):
        zone, _ = zone_services.agree_zone(zone, actor=person, version=zone.version)
    event = services.transition_event(alices_event, to="under_review", actor=carol)
    event = services.transition_event(event, to="agreed", actor=carol)
    log_in(client, carol)
    response = client.get(reverse("zones:briefing", args=[event.pk]), **SPANISH)
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert f"Hoja informativa: {event.reference}" in text
    assert "Mapa de las zonas acordadas" in text
    assert "Señal acústica: ¡atención! ¿Dónde?" in text


@pytest.mark.subprocess
@BOTH_CATALOGS
def test_the_spanish_catalog_has_no_untranslated_or_fuzzy_message(catalog):
    if shutil.which("msgfmt") is None:
        pytest.skip("msgfmt (gettext) is not installed")
    result = subprocess.run(
        ["msgfmt", "--check-format", "--statistics", "-o", "/dev/null", str(catalog)],
        capture_output=True, text=True, check=False, env={"LC_ALL": "C"})
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"\d+ translated messages\.\n", result.stderr), result.stderr


@BOTH_CATALOGS
def test_the_spanish_catalog_uses_two_plural_forms(catalog):
    header = catalog.read_text(encoding="utf-8")[:2000]
    assert '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"' in header
