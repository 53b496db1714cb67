"""The city-wide map: every demonstration and zone at a chosen moment, for police and city.

bob (police) and carol (city) use it; alice (organiser), dave (reviewer) and mallory
(organiser) may not. The map's page loads its data from the API for each moment chosen:
``GET /api/v1/city-map/?active_at=`` (demonstrations under way and their clashes) and the
zones API's ``GET /api/v1/zones/?active_at=``.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.contrib.gis.geos import Point
from django.urls import reverse

from events import services
from tests.support.accounts import log_in
from tests.support.factories import event_fields
from tests.support.zones import LAT, LON, iso, make_sensitive_site, make_zone
from zones import services as zone_services

MAP_URL = "/map/"
DATA_URL = "/api/v1/city-map/"


def agree(event, carol):
    event = services.transition_event(event, to="under_review", actor=carol)
    return services.transition_event(event, to="agreed", actor=carol)


def data_at(api, user, moment: dt.datetime) -> dict:
    response = api(user).get(DATA_URL, {"active_at": iso(moment)})
    assert response.status_code == 200, response.content
    return response.json()


def references(data: dict) -> list[str]:
    return [f["properties"]["reference"] for f in data["events"]["features"]]


def page_config(html: str) -> dict:
    match = re.search(r'<script id="city-map-config" type="application/json">(.*?)</script>',
                      html, re.S)
    return json.loads(match.group(1))


@pytest.fixture
def other_event(mallory, carol):
    """Mallory's demonstration, submitted, starting an hour after Alice's, 150 m east of
    hers (0.00175° of longitude at 39.96° N is 149.3 m)."""
    fields = event_fields(title="Other thing",
                          assembly_point=Point(LON + 0.00175, LAT, srid=4326))
    fields["starts_at"] += dt.timedelta(hours=1)
    fields["ends_at"] += dt.timedelta(hours=1)
    event = services.register_event(organiser=mallory, **fields)
    return services.transition_event(event, to="submitted", actor=mallory)


# --- Who may open it ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["bob", "carol"])
def test_it_opens_for_police_and_city_with_the_nav_link(client, who, request):
    log_in(client, request.getfixturevalue(who))
    response = client.get(MAP_URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="city-map"' in page
    assert f'href="{reverse("zones:city_map")}"' in page  # in the navigation
    config = page_config(page)
    assert config["events_url"] == DATA_URL
    assert config["zones_url"] == "/api/v1/zones/"
    assert config["colours"]["kinds"]["sensitive_site"]
    assert "city_map.js" in page


@pytest.mark.parametrize("who", ["alice", "dave", "mallory"])
def test_it_is_refused_to_organisers_and_reviewers_with_a_403_saying_why(client, who, request):
    log_in(client, request.getfixturevalue(who))
    response = client.get(MAP_URL)
    assert response.status_code == 403
    assert "The city-wide map is for police and city officials." in response.content.decode()
    # No link to a page they cannot open.
    page = client.get(reverse("events:list")).content.decode()
    assert f'href="{reverse("zones:city_map")}"' not in page


def test_it_asks_strangers_to_log_in(client, db):
    response = client.get(MAP_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_its_data_is_refused_the_same_way(api, alice, dave):
    assert api().get(DATA_URL).status_code == 401
    for person in (alice, dave):
        response = api(person).get(DATA_URL)
        assert response.status_code == 403
        assert response.json() == {"detail": "The city-wide map is for police and city "
                                             "officials."}


def test_it_opens_at_the_moment_in_the_link(client, carol):
    log_in(client, carol)
    page = client.get(MAP_URL, {"at": "2026-12-01T14:30:00+00:00"}).content.decode()
    assert page_config(page)["at"].startswith("2026-12-01T14:30:00")
    # Anything unreadable opens it now rather than failing.
    assert client.get(MAP_URL, {"at": "soon"}).status_code == 200


# --- What it shows at a chosen moment -------------------------------------------------------


def test_a_demonstration_is_shown_only_while_it_is_under_way(api, alices_event, bob):
    during = alices_event.starts_at + dt.timedelta(minutes=30)
    data = data_at(api, bob, during)
    assert references(data) == [alices_event.reference]
    feature = data["events"]["features"][0]
    assert feature["properties"]["state"] == "submitted"
    assert feature["properties"]["url"] == alices_event.get_absolute_url()
    assert feature["geometry"]["type"] == "GeometryCollection"
    assert feature["geometry"]["geometries"][0] == {"type": "Point", "coordinates": [LON, LAT]}
    # Contact details never travel with the map.
    assert "contact_phone" not in feature["properties"]
    assert references(data_at(api, bob, alices_event.starts_at - dt.timedelta(minutes=1))) == []
    # It ends at its end: [starts_at, ends_at).
    assert references(data_at(api, bob, alices_event.ends_at)) == []


def test_a_march_comes_with_its_route_and_dispersal_point(api, alice, carol):
    from tests.support.factories import march_fields

    event = services.register_event(organiser=alice, **march_fields())
    services.transition_event(event, to="submitted", actor=alice)
    data = data_at(api, carol, event.starts_at + dt.timedelta(minutes=1))
    types = [g["type"] for g in data["events"]["features"][0]["geometry"]["geometries"]]
    assert types == ["Point", "LineString", "Point"]


def test_drafts_withdrawn_and_cancelled_demonstrations_are_not_on_it(api, alice, carol):
    draft = services.register_event(organiser=alice, **event_fields(title="Still a draft"))
    cancelled = services.register_event(organiser=alice, **event_fields(title="Called off"))
    services.transition_event(cancelled, to="submitted", actor=alice)
    services.transition_event(cancelled, to="cancelled", actor=carol, note="Flooding")
    assert references(data_at(api, carol, draft.starts_at + dt.timedelta(minutes=5))) == []


def test_a_zone_is_in_force_only_during_its_validity(api, alices_event, bob, carol):
    """The map asks the zones API for the same moment: a first-aid post open only for the
    first hour is there at 30 minutes and gone at 90."""
    first_hour = make_zone(alices_event, carol, kind="first_aid", label="Medic tent",
                           valid_from=alices_event.starts_at,
                           valid_to=alices_event.starts_at + dt.timedelta(hours=1))
    whole = make_zone(alices_event, carol, label="Steps of City Hall")
    site = make_sensitive_site(carol)

    def zones_at(minutes: int) -> set[int]:
        moment = alices_event.starts_at + dt.timedelta(minutes=minutes)
        response = api(bob).get("/api/v1/zones/", {"active_at": iso(moment)})
        assert response.status_code == 200
        return {feature["id"] for feature in response.json()["features"]}

    assert zones_at(30) == {first_hour.pk, whole.pk, site.pk}
    assert zones_at(90) == {whole.pk, site.pk}
    # After the demonstration only the standing sensitive site is left.
    assert zones_at(24 * 60) == {site.pk}


def test_a_time_without_an_offset_is_refused_in_words(api, carol):
    response = api(carol).get(DATA_URL, {"active_at": "2026-12-01T14:00"})
    assert response.status_code == 400
    assert "active_at" in response.json()


# --- Clashes at that moment -----------------------------------------------------------------


def test_two_demonstrations_close_together_clash_only_while_both_are_under_way(
        api, alices_event, other_event, bob):
    # Alice's runs for two hours, Mallory's starts an hour later, 149 m away.
    alone = data_at(api, bob, alices_event.starts_at + dt.timedelta(minutes=30))
    assert references(alone) == [alices_event.reference]
    assert alone["clashes"] == []
    assert alone["events"]["features"][0]["properties"]["clashes"] is False

    both = data_at(api, bob, alices_event.starts_at + dt.timedelta(minutes=90))
    assert sorted(references(both)) == sorted([alices_event.reference, other_event.reference])
    assert len(both["clashes"]) == 1
    clash = both["clashes"][0]
    assert clash["kind"] == "too_close"
    assert sorted(clash["events"]) == sorted([alices_event.pk, other_event.pk])
    assert 145 < clash["distance_m"] < 153
    assert clash["zone"] is None and clash["counter"] is False
    assert all(f["properties"]["clashes"] for f in both["events"]["features"])


def test_demonstrations_far_apart_do_not_clash(api, alices_event, mallory, carol):
    fields = event_fields(title="Across town", assembly_point=Point(LON + 0.05, LAT, srid=4326))
    far = services.register_event(organiser=mallory, **fields)
    services.transition_event(far, to="submitted", actor=mallory)
    data = data_at(api, carol, alices_event.starts_at + dt.timedelta(minutes=30))
    assert len(references(data)) == 2
    assert data["clashes"] == []


def test_overlapping_zones_make_an_overlap(api, alices_event, other_event, carol):
    # A buffer of Alice's reaching over Mallory's assembly point.
    from tests.support.zones import geos, square

    make_zone(alices_event, carol, kind="buffer", label="Buffer",
              geometry=geos(square(LON + 0.0015, LAT - 0.0002, 0.0005)))
    data = data_at(api, carol, alices_event.starts_at + dt.timedelta(minutes=90))
    assert [c["kind"] for c in data["clashes"]] == ["overlap"]


def test_a_sensitive_site_in_force_is_a_clash_while_the_demonstration_is_under_way(
        api, alices_event, carol):
    # The hospital's west edge is 0.002° of longitude east of the steps: 170.9 m at 39.96° N.
    site = make_sensitive_site(carol, label="Children's hospital")
    data = data_at(api, carol, alices_event.starts_at + dt.timedelta(minutes=30))
    assert data["clashes"] == [{"kind": "sensitive_site", "distance_m": pytest.approx(170.9, abs=1),
                                "events": [alices_event.pk], "zone": site.pk,
                                "counter": False}]
    # Once withdrawn, the site is no longer in force.
    zone_services.withdraw_zone(site, actor=carol)
    data = data_at(api, carol, alices_event.starts_at + dt.timedelta(minutes=30))
    assert data["clashes"] == []


def test_a_counter_demonstration_clashes_with_its_target_at_any_distance(
        api, alices_event, mallory, carol):
    counter = services.register_event(organiser=mallory, **event_fields(
        title="Counter", kind="counter", counter_to=alices_event,
        assembly_point=Point(LON + 0.05, LAT, srid=4326)))
    services.transition_event(counter, to="submitted", actor=mallory)
    agree(alices_event, carol)
    data = data_at(api, carol, alices_event.starts_at + dt.timedelta(minutes=30))
    assert len(data["clashes"]) == 1
    assert data["clashes"][0]["counter"] is True
    assert sorted(data["clashes"][0]["events"]) == sorted([alices_event.pk, counter.pk])
