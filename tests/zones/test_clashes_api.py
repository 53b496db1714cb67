"""``GET /api/v1/events/{id}/conflicts/`` and the clashes on the review page, as stories:
who may see a demonstration's clashes, and what each of them is told."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import Point

from events import services
from tests.support.accounts import log_in
from tests.support.factories import event_fields
from tests.support.zones import LAT, LON, geos, iso, make_sensitive_site, square

#: 150 m north of Alice's assembly point (1° of latitude = 111,033.89 m at Columbus).
LAT_150_M_NORTH = LAT + 150 / 111_033.89

KEYS = {"event", "reference", "title", "kind", "distance_m", "overlap", "counter", "zone",
        "label"}


def conflicts_url(event) -> str:
    return f"/api/v1/events/{event.pk}/conflicts/"


@pytest.fixture
def mallorys_event(alices_event, mallory):
    """Mallory's demonstration 150 m north of Alice's, an hour later, for two hours."""
    starts = alices_event.starts_at + dt.timedelta(hours=1)
    event = services.register_event(organiser=mallory, **event_fields(
        title="Other cause", starts_at=starts, ends_at=starts + dt.timedelta(hours=2),
        assembly_point=Point(LON, LAT_150_M_NORTH, srid=4326),
        contact_name="Mallory Other", contact_phone="+1 614 555 0199",
    ))
    return services.transition_event(event, to="submitted", actor=mallory)


def test_city_sees_a_demonstration_150_m_away_as_too_close(api, carol, alices_event,
                                                           mallorys_event):
    response = api(carol).get(conflicts_url(alices_event))

    assert response.status_code == 200
    [clash] = response.json()
    assert set(clash) == KEYS
    assert clash["event"] == mallorys_event.pk
    assert clash["reference"] == mallorys_event.reference
    assert clash["kind"] == "too_close"
    assert clash["distance_m"] == pytest.approx(150.0, abs=0.5)
    assert clash["overlap"] == {"starts_at": iso(mallorys_event.starts_at),
                                "ends_at": iso(alices_event.ends_at)}
    assert clash["counter"] is False
    assert clash["zone"] is None and clash["label"] is None


def test_police_see_the_same_clashes(api, bob, carol, alices_event, mallorys_event):
    assert api(bob).get(conflicts_url(alices_event)).json() == \
        api(carol).get(conflicts_url(alices_event)).json()


def test_a_clash_never_carries_contact_details(api, carol, alices_event, mallorys_event):
    body = api(carol).get(conflicts_url(alices_event)).content.decode()

    assert "555" not in body and "Mallory Other" not in body and "@" not in body


def test_alice_is_not_told_of_a_clash_with_a_demonstration_she_cannot_see(
    api, alice, carol, alices_event, mallorys_event
):
    # Mallory's demonstration is not Alice's to see: not even that it exists (the clash
    # check is no oracle; tests/zones/test_clashes_organisers.py tells the whole story).
    assert api(alice).get(conflicts_url(alices_event)).json() == []
    assert len(api(carol).get(conflicts_url(alices_event)).json()) == 1


def test_alice_is_not_told_of_a_sensitive_site_the_city_is(api, alice, carol, alices_event):
    make_sensitive_site(carol, label="Children's hospital",
                        geometry=geos(square(LON - 0.0005, LAT - 0.0005)))

    [as_city] = api(carol).get(conflicts_url(alices_event)).json()

    assert api(alice).get(conflicts_url(alices_event)).json() == []
    assert (as_city["kind"], as_city["distance_m"]) == ("sensitive_site", 0.0)
    assert as_city["label"] == "Children's hospital" and as_city["zone"] is not None
    assert as_city["event"] is None


def test_mallory_does_not_see_alices_clashes_as_if_it_did_not_exist(api, mallory,
                                                                    alices_event,
                                                                    mallorys_event):
    response = api(mallory).get(conflicts_url(alices_event))

    assert response.status_code == 404
    assert api(mallory).get("/api/v1/events/999999/conflicts/").status_code == 404


def test_a_reviewer_does_not_see_clashes_of_a_demonstration_not_concluded(api, dave,
                                                                         alices_event):
    assert api(dave).get(conflicts_url(alices_event)).status_code == 404


def test_nobody_anonymous_sees_clashes(api, alices_event):
    assert api().get(conflicts_url(alices_event)).status_code in (401, 403)


def test_a_demonstration_with_no_clash_has_an_empty_list(api, carol, alices_event):
    response = api(carol).get(conflicts_url(alices_event))

    assert (response.status_code, response.json()) == (200, [])


def test_the_counter_demonstration_shows_its_target_with_no_shared_time(api, carol, mallory,
                                                                        alices_event):
    starts = alices_event.starts_at + dt.timedelta(days=3)
    counter = services.register_event(organiser=mallory, **event_fields(
        kind="counter", counter_to=alices_event, starts_at=starts,
        ends_at=starts + dt.timedelta(hours=1),
        assembly_point=Point(LON + 0.05, LAT, srid=4326),
    ))

    [clash] = api(carol).get(conflicts_url(alices_event)).json()

    assert (clash["event"], clash["counter"], clash["overlap"]) == (counter.pk, True, None)
    assert clash["distance_m"] > 4000


def test_openapi_describes_the_conflicts_endpoint(db, api):
    schema = api().get("/api/v1/schema/", {"format": "json"}).json()

    operation = schema["paths"]["/api/v1/events/{id}/conflicts/"]["get"]
    reference = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert reference["type"] == "array"
    conflict = schema["components"]["schemas"]["Conflict"]
    assert set(conflict["properties"]) == KEYS
    kinds = schema["components"]["schemas"]["ConflictKindEnum"]["enum"]
    assert set(kinds) == {"overlap", "too_close", "sensitive_site"}


def test_openapi_describes_the_conflicts_without_warnings(db, capsys):
    from io import StringIO

    from django.core.management import call_command

    call_command("spectacular", "--file", "/dev/null", stderr=StringIO())

    warnings = capsys.readouterr().err
    assert "Conflict" not in warnings and "conflicts" not in warnings
    assert "collision" not in warnings


# --- the review page ------------------------------------------------------------------------


def test_carol_sees_the_clash_on_the_page_where_she_reviews_the_registration(
    client, carol, alices_event, mallorys_event
):
    log_in(client, carol)

    page = client.get(f"/events/{alices_event.pk}/").content.decode()

    assert 'id="clashes"' in page
    assert mallorys_event.reference in page
    assert f"/events/{mallorys_event.pk}/" in page
    assert "150 m" in page
    # Before the buttons of the map and the details: next to the decision.
    assert page.index('id="clashes"') < page.index('id="details-heading"')


def test_bob_sees_that_there_is_no_clash(client, bob, alices_event):
    log_in(client, bob)

    page = client.get(f"/events/{alices_event.pk}/").content.decode()

    assert 'id="clashes"' in page
    assert "No other demonstration at the same time within 200 m" in page


def test_alices_page_has_no_clashes_section(client, alice, alices_event, mallorys_event):
    log_in(client, alice)

    page = client.get(f"/events/{alices_event.pk}/").content.decode()

    assert 'id="clashes"' not in page
    assert mallorys_event.reference not in page
