"""The map on a demonstration's page: which zones it is given, what each person is offered
(exactly what the API would allow them), and labels that stay text. Its behaviour in a
browser is told in tests/e2e/test_zone_map.py."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from events import services
from tests.support.accounts import log_in
from tests.support.factories import make_user
from tests.support.pages import map_config, page_of
from tests.support.zones import geos, make_zone, square
from zones import services as zone_services
from zones.styles import KIND_COLOURS

XSS = '<script>alert("zone")</script><img src=x onerror=alert(1)>'
NOTHING = {"add": False, "change": False, "withdraw": False, "agree": False}


def zone_labels(page: str) -> list[str]:
    return [f["properties"]["label"] for f in map_config(page)["zones"]["features"]]


def conclude(event, carol):
    for state in ("under_review", "agreed", "live", "concluded"):
        event = services.transition_event(event, to=state, actor=carol)
    return event


# --- What each person is offered -----------------------------------------------------------


@pytest.mark.parametrize("who", ["bob", "carol"])
def test_it_lets_police_and_city_members_draw_change_withdraw_and_agree(
    client, alices_event, who, request
):
    user = request.getfixturevalue(who)
    page = page_of(client, user, alices_event)
    config = map_config(page)
    assert config["can"] == {"add": True, "change": True, "withdraw": True, "agree": True}
    assert config["party"] == user.role
    assert 'class="primary zone-draw" data-shape="polygon"' in page
    assert 'id="zone-form"' in page
    assert "leaflet/draw/leaflet.draw.js" in page  # Leaflet.draw, from django-leaflet
    assert "zones/zone_map.js" in page and "zones/zone_map.css" in page


def test_it_lets_the_organiser_propose_and_agree_but_not_change(client, alices_event, alice):
    page = page_of(client, alice, alices_event)
    assert map_config(page)["can"] == {"add": True, "change": False, "withdraw": False,
                                       "agree": True}
    assert map_config(page)["party"] == "organiser"
    assert 'data-shape="polygon"' in page and 'id="zone-form"' in page
    assert "Your zone is a proposal until police and city agree it." in page


def test_it_only_shows_the_map_to_police_who_are_not_members(client, alices_event):
    erin = make_user("erin", "police", name="Erin Patrol")
    page = page_of(client, erin, alices_event)
    assert map_config(page)["can"] == NOTHING
    assert 'id="event-map"' in page
    assert "zone-draw" not in page and 'id="zone-form"' not in page
    assert "leaflet/draw/leaflet.draw.js" not in page


def test_it_offers_nothing_once_the_demonstration_is_over(client, alices_event, carol, dave,
                                                           bob):
    make_zone(alices_event, bob)
    event = conclude(alices_event, carol)
    for user in (carol, dave):
        page = page_of(client, user, event)
        assert map_config(page)["can"] == NOTHING
        assert zone_labels(page) == ["Steps of City Hall"]  # still shown, as it was
        assert 'id="zone-form"' not in page


def test_it_offers_nothing_on_a_cancelled_demonstration(client, alices_event, carol):
    event = services.transition_event(alices_event, to="cancelled", actor=carol,
                                      note="Storm warning")
    assert map_config(page_of(client, carol, event))["can"] == NOTHING


def test_it_is_not_found_for_an_organiser_of_another_demonstration(client, alices_event,
                                                                     mallory):
    log_in(client, mallory)
    assert client.get(reverse("events:detail", args=[alices_event.pk])).status_code == 404


# --- What the map is given -----------------------------------------------------------------


def test_it_gives_every_current_zone_with_its_agreements_and_the_api_addresses(
    client, alices_event, alice, bob, carol
):
    first = make_zone(alices_event, bob, label="Steps", conditions="No amplified sound")
    zone_services.agree_zone(first, actor=carol, version=1)
    second = make_zone(alices_event, alice, kind="first_aid", label="Tent",
                       geometry=geos(square(-82.997, 39.962)))
    gone = make_zone(alices_event, carol, kind="press", label="Old press pen")
    zone_services.withdraw_zone(gone, actor=carol)

    config = map_config(page_of(client, alice, alices_event))
    features = {f["properties"]["label"]: f for f in config["zones"]["features"]}
    assert list(features) == ["Steps", "Tent"]  # not the withdrawn one
    steps = features["Steps"]["properties"]
    assert steps["id"] == first.pk and steps["version"] == 1 and steps["status"] == "proposed"
    assert steps["agreed_by"] == ["city"] and steps["conditions"] == "No amplified sound"
    assert [a["name"] for a in steps["agreements"]] == ["Carol City"]
    assert features["Tent"]["geometry"]["type"] == "Polygon"
    assert features["Tent"]["properties"]["kind"] == "first_aid"
    assert second.pk == features["Tent"]["properties"]["id"]

    assert config["event"] == alices_event.pk
    assert config["zones_url"] == f"/api/v1/events/{alices_event.pk}/zones/"
    assert config["zone_url"] == "/api/v1/zones/0/"
    assert config["agreements_url"] == "/api/v1/zones/0/agreements/"
    assert config["withdraw_url"] == "/api/v1/zones/0/withdraw/"
    assert len(config["kinds"]) == 10
    assert config["colours"] == KIND_COLOURS  # one table, with the city map and briefing
    assert "sensitive_site" not in config["drawable_kinds"] and len(config["drawable_kinds"]) == 9
    assert config["parties"] == {"organiser": "Organiser", "police": "Police liaison officer",
                                 "city": "City official"}


def test_the_form_and_legend_offer_every_kind_but_sensitive_sites(client, alices_event, carol):
    page = page_of(client, carol, alices_event)
    form = page[page.index('id="zone-form"'):page.index("</form>", page.index('id="zone-form"'))]
    options = re.findall(r'<option value="([a-z_]+)">', form)
    assert len(options) == 9 and "sensitive_site" not in options
    legend = page[page.index('id="zone-legend"'):]
    assert 'data-kind="first_aid"' in legend and "Hatched: proposed" in legend
    assert f'href="/api/v1/events/{alices_event.pk}/zones.geojson"' in page


def test_it_gives_the_page_a_csrf_token_for_the_api(client, alices_event, carol):
    page = page_of(client, carol, alices_event)
    token = re.search(r'id="zone-map" aria-labelledby="map-heading" data-csrf="([^"]+)"', page)
    assert token and len(token.group(1)) >= 32


# --- Labels and conditions stay text -------------------------------------------------------


def test_a_label_that_looks_like_html_is_never_markup(client, alices_event, bob):
    make_zone(alices_event, bob, label=XSS, conditions=XSS)
    page = page_of(client, bob, alices_event)
    assert XSS not in page
    assert "<script>alert" not in page and "<img src=x" not in page
    assert zone_labels(page) == [XSS]  # the data is intact; zone_map.js sets it as text
    assert map_config(page)["zones"]["features"][0]["properties"]["conditions"] == XSS


def test_the_zones_have_a_heading_of_their_own_after_the_incidents(client, alices_event, carol):
    page = page_of(client, carol, alices_event)
    heading = re.search(r'<h3 class="zones-heading" id="zones-heading">Zones</h3>', page)
    assert heading
    assert page.index('id="incident-list"') < heading.start() < page.index("zone-legend-heading")
