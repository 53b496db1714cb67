"""The small things of a registration: names for its places, its languages from a list, a
limit on its long texts and plain words when the map was left empty — on the page and in
the API alike."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps
from django.urls import reverse

from events import services
from events.models import LONG_TEXT_MAX_CHARS, Event
from tests.events.test_api_events import EVENTS, nothing_was_saved, registration
from tests.events.test_pages_events import errors_of, register_page
from tests.support.accounts import log_in
from tests.support.factories import event_fields

# --- place names ------------------------------------------------------------------------------


def test_organiser_names_the_assembly_point_in_the_api_and_reads_it_back(alice, api):
    response = api(alice).post(EVENTS, registration(
        assembly_point_name="Steps of City Hall", dispersal_point_name=""))

    assert response.status_code == 201, response.json()
    event = Event.objects.get()
    assert event.assembly_point_name == "Steps of City Hall"
    body = api(alice).get(f"{EVENTS}{event.pk}/").json()
    assert (body["assembly_point_name"], body["dispersal_point_name"]) == (
        "Steps of City Hall", "")


def test_a_client_that_knows_nothing_of_place_names_still_registers(alice, api):
    response = api(alice).post(EVENTS, registration())

    assert response.status_code == 201
    assert Event.objects.get().assembly_point_name == ""


def test_organiser_names_the_places_on_the_registration_page(client, alice):
    response = register_page(client, alice, **event_fields(
        assembly_point_name="Goodale Park fountain", dispersal_point_name="Statehouse lawn"))

    assert response.status_code == 302
    event = Event.objects.get()
    assert (event.assembly_point_name, event.dispersal_point_name) == (
        "Goodale Park fountain", "Statehouse lawn")
    page = client.get(event.get_absolute_url()).content.decode()
    assert "Goodale Park fountain" in page and "Statehouse lawn" in page


# --- languages --------------------------------------------------------------------------------


@pytest.mark.parametrize("languages", [["en; fr"], ["zz"], ["en", "EN-US"]])
def test_the_api_refuses_a_language_parley_does_not_know(alice, api, languages):
    response = api(alice).post(EVENTS, registration(languages=languages))

    assert response.status_code == 400
    (message,) = response.json()["languages"]
    assert "does not know these languages" in message and languages[-1] in message
    nothing_was_saved()


def test_the_api_takes_any_language_of_the_list(alice, api):
    response = api(alice).post(EVENTS, registration(languages=["so", "ase", "en"]))

    assert response.status_code == 201, response.json()
    assert Event.objects.get().languages == ["so", "ase", "en"]


def test_the_registration_page_offers_languages_as_checkboxes(client, alice):
    register_page(client, alice)  # logs in
    page = client.get(reverse("events:register")).content.decode()

    assert 'type="checkbox" name="languages" value="so"' in page
    assert 'name="languages" value="zz"' not in page


def test_a_made_up_language_posted_to_the_page_is_named_with_every_other_mistake(client,
                                                                                alice):
    response = register_page(client, alice, **event_fields(
        languages=["zz"], expected_attendance=0))

    page = response.content.decode()
    assert "does not know these languages: zz" in errors_of(page, "languages")
    assert errors_of(page, "expected_attendance")
    assert not Event.objects.exists()


# --- long texts -------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["description", "accessibility_needs"])
def test_the_api_refuses_a_text_longer_than_ten_thousand_characters(alice, api, field):
    response = api(alice).post(EVENTS, registration(**{field: "x" * 216_000}))

    assert response.status_code == 400
    assert "at most 10000 characters; it has 216000" in " ".join(response.json()[field])
    nothing_was_saved()


def test_a_text_of_exactly_ten_thousand_characters_is_kept(alice, api):
    response = api(alice).post(EVENTS, registration(description="x" * LONG_TEXT_MAX_CHARS))

    assert response.status_code == 201


def test_the_page_refuses_a_description_too_long_next_to_it(client, alice):
    response = register_page(client, alice, **event_fields(description="y" * 216_000))

    page = response.content.decode()
    assert "at most 10000 characters" in errors_of(page, "description")
    assert f'maxlength="{LONG_TEXT_MAX_CHARS}"' in page
    assert not Event.objects.exists()


# --- the map left empty -----------------------------------------------------------------------


def test_an_assembly_point_left_off_the_map_is_asked_for_in_plain_words(client, alice):
    fields = event_fields()
    fields.pop("assembly_point")
    response = register_page(client, alice, **fields)

    page = response.content.decode()
    assert "Mark the assembly point on the map." in errors_of(page, "assembly_point")
    assert "No geometry value provided" not in page


def test_languages_typed_before_the_list_are_brought_onto_it(alice):
    migration = import_module("events.migrations.0004_place_names_and_text_limits")
    event = services.register_event(organiser=alice, **event_fields())
    Event.objects.filter(pk=event.pk).update(languages=["en-US", "EN", "zz", "so"])

    migration.languages_from_the_list(apps, None)

    event.refresh_from_db()
    assert event.languages == ["en", "so"]
    services.update_event(event, actor=alice, title="Still editable")


def test_the_events_languages_are_named_in_the_readers_language(client, alice):
    event = services.register_event(organiser=alice,
                                    **event_fields(languages=["en", "fr", "so"]))
    log_in(client, alice)

    page = client.get(event.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "<dd>English, French, Somali</dd>" in page
    assert "en, fr, so" not in page
    french = client.get(event.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "anglais, français, somali" in french.lower()
