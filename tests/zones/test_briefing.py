"""The printable briefing sheet: what stewards and officers carry on the day.

alice organises the demonstration, bob (police) and carol (city) are its members, erin is a
police officer who is not, dave reviews concluded events, mallory organises another one.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import LineString, MultiPolygon, Point, Polygon
from django.urls import reverse
from django.utils import timezone

from events import services
from events.models import Event
from tests.support.accounts import log_in
from tests.support.pdf import pdf_text
from tests.support.zones import make_sensitive_site, make_zone
from zones import selectors
from zones import services as zone_services
from zones.briefing import Agreement, Briefing, BriefingZone, Contact, Member, render_briefing

CONDITIONS = "Amplified sound until 18:00. Keep the north door clear."
PHONE = "+1 614 555 0100"


def agree_by_all(zone, *people):
    for person in people:
        zone, _ = zone_services.agree_zone(zone, actor=person, version=zone.version)
    return zone


def agree_event(event, carol) -> Event:
    event = services.transition_event(event, to="under_review", actor=carol)
    return services.transition_event(event, to="agreed", actor=carol)


@pytest.fixture
def event_with_zones(alices_event, alice, bob, carol):
    """Alice's demonstration, agreed, with one agreed zone and one still proposed."""
    zone = make_zone(alices_event, carol, label="Steps of City Hall", conditions=CONDITIONS)
    agree_by_all(zone, alice, bob, carol)
    make_zone(alices_event, bob, kind="first_aid", label="Medic tent by the fountain")
    return agree_event(alices_event, carol)


def briefing_url(event) -> str:
    return reverse("zones:briefing", args=[event.pk])


# --- Who gets the sheet, and what it says ---------------------------------------------------


def test_it_gives_carol_a_real_pdf_with_the_agreed_zones_and_contacts(client, event_with_zones,
                                                                     carol):
    log_in(client, carol)
    response = client.get(briefing_url(event_with_zones))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"{event_with_zones.reference}-briefing.pdf" in response["Content-Disposition"]
    assert "no-cache" in response["Cache-Control"] or "private" in response["Cache-Control"]
    text = pdf_text(response.content)
    assert event_with_zones.reference in text and event_with_zones.title in text
    assert "Map of the agreed zones" in text
    assert "Steps of City Hall" in text
    assert "Amplified sound until 18:00." in text
    assert "Keep the north door clear." in text
    # Who agreed, each for their party.
    for name in ("Alice Martin", "Bob Officer", "Carol City"):
        assert name in text
    # The liaison team with their e-mail, and the organisers' contact on the day.
    assert "bob@example.org" in text and "carol@example.org" in text
    assert PHONE in text


def test_it_counts_but_does_not_draw_zones_not_yet_agreed(client, event_with_zones, carol):
    log_in(client, carol)
    text = pdf_text(client.get(briefing_url(event_with_zones)).content)
    assert "Medic tent by the fountain" not in text
    assert "1 more zone drawn but not yet agreed" in text


def test_it_gives_alice_her_own_sheet_with_contacts(client, event_with_zones, alice):
    log_in(client, alice)
    response = client.get(briefing_url(event_with_zones))
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "Steps of City Hall" in text and PHONE in text


def test_it_gives_bob_the_contacts_as_a_police_member(client, event_with_zones, bob):
    log_in(client, bob)
    text = pdf_text(client.get(briefing_url(event_with_zones)).content)
    assert PHONE in text and "alice@example.org" in text


def test_it_gives_erin_the_sheet_without_any_contact_details(client, event_with_zones, erin):
    # Police see every demonstration, but contacts only of those they are members of.
    log_in(client, erin)
    response = client.get(briefing_url(event_with_zones))
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "Steps of City Hall" in text and CONDITIONS.split(".")[0] in text
    assert "Bob Officer" in text  # the team is listed, by name and role
    assert PHONE not in text
    assert "@example.org" not in text
    assert "Shown only to the demonstration's organisers" in text


def test_it_is_404_for_mallory_who_is_not_a_member(client, event_with_zones, mallory):
    log_in(client, mallory)
    assert client.get(briefing_url(event_with_zones)).status_code == 404


def test_it_is_404_for_a_demonstration_that_does_not_exist(client, carol):
    log_in(client, carol)
    assert client.get(reverse("zones:briefing", args=[999999])).status_code == 404


def test_it_asks_strangers_to_log_in(client, event_with_zones):
    response = client.get(briefing_url(event_with_zones))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_is_refused_with_a_409_page_before_agreement(client, alices_event, alice, carol):
    for person in (alice, carol):
        log_in(client, person)
        response = client.get(briefing_url(alices_event))
        assert response.status_code == 409
        page = response.content.decode()
        assert "is printed once the demonstration is agreed" in page
        assert "Submitted" in page


def test_it_is_refused_for_dave_once_the_demonstration_is_concluded(client, event_with_zones,
                                                                   carol, dave):
    event = services.transition_event(event_with_zones, to="live", actor=carol)
    event = services.transition_event(event, to="concluded", actor=carol)
    log_in(client, dave)
    assert client.get(briefing_url(event)).status_code == 409


def test_it_is_printed_while_the_demonstration_is_live(client, event_with_zones, bob, carol):
    services.transition_event(event_with_zones, to="live", actor=carol)
    log_in(client, bob)
    response = client.get(briefing_url(event_with_zones))
    assert response.status_code == 200
    assert "Live" in pdf_text(response.content)


def test_the_event_page_links_to_the_sheet_once_agreed(client, alices_event, alice, carol):
    log_in(client, alice)
    assert 'id="briefing-link"' not in client.get(alices_event.get_absolute_url()).content.decode()
    agree_event(alices_event, carol)
    page = client.get(alices_event.get_absolute_url()).content.decode()
    assert f'href="{briefing_url(alices_event)}"' in page


def test_sensitive_sites_nearby_are_on_the_sheet_for_officials_only(client, event_with_zones,
                                                                   alice, bob, carol):
    make_sensitive_site(carol, label="Children's hospital")
    log_in(client, bob)
    assert "Children's hospital" in pdf_text(client.get(briefing_url(event_with_zones)).content)
    # Organisers do not see the city-wide layer.
    log_in(client, alice)
    assert "Children's hospital" not in pdf_text(client.get(briefing_url(event_with_zones)).content)


def test_a_demonstration_agreed_without_zones_still_gets_its_sheet(client, alices_event, bob,
                                                                   carol):
    agree_event(alices_event, carol)
    log_in(client, bob)
    response = client.get(briefing_url(alices_event))
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "No zone of this demonstration has been agreed by all three parties." in text
    assert "A: assembly point" in text  # the map still shows where it assembles


def test_a_withdrawn_zone_is_neither_drawn_nor_counted(event_with_zones, bob, carol):
    zone = make_zone(event_with_zones, carol, kind="press", label="Press pen")
    zone_services.withdraw_zone(zone, actor=bob)
    briefing = selectors.briefing_of(event_with_zones, reader=carol)
    assert [z.label for z in briefing.zones] == ["Steps of City Hall"]
    assert briefing.zones_not_agreed == 1  # the medic tent only


def test_it_leaves_contacts_out_of_the_data_for_erin(event_with_zones, carol, erin):
    assert selectors.briefing_of(event_with_zones, reader=erin).contact is None
    members = selectors.briefing_of(event_with_zones, reader=erin).members
    assert all(m.email is None for m in members)
    assert selectors.briefing_of(event_with_zones, reader=carol).contact.phone == PHONE


# --- The drawing, from data alone -----------------------------------------------------------


def test_it_draws_a_march_with_a_holed_zone_from_data_alone():
    """No database: the renderer takes plain data. A MultiPolygon with a hole, a route, text
    with markup characters — all printed as written."""
    starts = timezone.now() + dt.timedelta(days=1)
    ring = [(-82.999, 39.961), (-82.996, 39.961), (-82.996, 39.963), (-82.999, 39.963),
            (-82.999, 39.961)]
    hole = [(-82.998, 39.9615), (-82.997, 39.9615), (-82.997, 39.962), (-82.998, 39.9615)]
    far = [(-82.990, 39.970), (-82.989, 39.970), (-82.989, 39.971), (-82.990, 39.970)]
    zone = BriefingZone(
        number=1, kind="route_corridor", kind_label="Route corridor", label="Main <street>",
        conditions="No vehicles & no <b>bold</b> moves", valid_from=starts,
        valid_to=starts + dt.timedelta(hours=2),
        geometry=MultiPolygon(Polygon(ring, hole), Polygon(far), srid=4326),
        agreements=(Agreement(party="City official", name="Carol City", at=timezone.now()),),
    )
    briefing = Briefing(
        reference="PAR-2026-0042", title="March for the river", kind_label="March",
        state_label="Agreed", organisation="", starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2), expected_attendance=500, stewards=20,
        amplified_sound=True, assembly_point=Point(-82.9988, 39.9612, srid=4326),
        route=LineString((-82.9988, 39.9612), (-82.9990, 39.9650), (-83.0010, 39.9680),
                         srid=4326),
        dispersal_point=Point(-83.0010, 39.9680, srid=4326), zones=[zone],
        assembly_point_name="Steps of the Statehouse",
        members=[Member(name="Bob Officer", role_label="Police liaison officer",
                        email="bob@example.org")],
        contact=Contact(name="Alice Martin", phone=PHONE, email="alice@example.org"),
    )
    text = pdf_text(render_briefing(briefing))
    assert "Main <street>" in text
    assert "No vehicles & no <b>bold</b> moves" in text
    assert "PAR-2026-0042" in text and "Route corridor" in text
    # The route, measured on the ground by hand: 422.9 m north, then 374.6 m north-west.
    assert "3 points, about 797 m" in text
    assert PHONE in text
    # A named place by its name; the unnamed one by its coordinates.
    assert "Steps of the Statehouse" in text and "39.96120" not in text
    assert "Dispersal point (lat, lon)" in text and "39.96800, -83.00100" in text


@pytest.mark.parametrize(("metres", "bar"), [(730, 500), (260, 200), (99, 50), (1000, 1000),
                                             (4999, 2000)])
def test_the_scale_bar_has_a_round_length(metres, bar):
    from zones.briefing import _nice_length

    assert _nice_length(metres) == bar


def test_names_in_any_alphabet_print_as_written(event_with_zones, carol, settings):
    """With a Unicode font installed (Debian's DejaVu), a steward called Łukasz Żółć or a
    contact in Cyrillic prints as written, not as black boxes."""
    from pathlib import Path

    from zones.briefing import DEFAULT_FONT_DIR

    if not (Path(DEFAULT_FONT_DIR) / "DejaVuSans.ttf").is_file():
        pytest.skip("no DejaVu fonts on this machine (package fonts-dejavu-core)")
    Event.objects.filter(pk=event_with_zones.pk).update(contact_name="Łukasz Żółć / Мария")
    event_with_zones.refresh_from_db()
    text = pdf_text(render_briefing(selectors.briefing_of(event_with_zones, reader=carol)))
    assert "Łukasz Żółć / Мария" in text


def test_without_a_unicode_font_it_falls_back_to_helvetica(event_with_zones, carol, settings,
                                                          tmp_path):
    settings.PARLEY_PDF_FONT_DIR = str(tmp_path)  # no fonts there
    text = pdf_text(render_briefing(selectors.briefing_of(event_with_zones, reader=carol)))
    assert "Steps of City Hall" in text and PHONE in text
