"""Carol opens the city-wide map on her phone and moves through time: demonstrations and
clashes appear and disappear without the page reloading."""

import datetime as dt

import pytest
from django.contrib.gis.geos import Point
from playwright.sync_api import expect

from events import services
from tests.e2e.conftest import PHONE, log_in_on_page, offline_tiles
from tests.support.factories import event_fields
from tests.support.zones import LAT, LON, make_sensitive_site, make_zone

pytestmark = pytest.mark.e2e


def test_carol_moves_the_city_map_through_time_and_sees_the_clash(
    asgi_live_server, browser, alices_event, mallory, carol, screenshot
):
    base = asgi_live_server
    # 150 m east of Alice's, starting an hour after hers: they clash in her second hour.
    fields = event_fields(title="Other thing",
                          assembly_point=Point(LON + 0.00175, LAT, srid=4326))
    fields["starts_at"] += dt.timedelta(hours=1)
    fields["ends_at"] += dt.timedelta(hours=1)
    other = services.register_event(organiser=mallory, **fields)
    services.transition_event(other, to="submitted", actor=mallory)
    make_zone(alices_event, carol, label="Steps of City Hall")
    make_sensitive_site(carol, label="Children's hospital")

    # The browser's clock speaks UTC, so the date-and-time field does too.
    context = browser.new_context(viewport=PHONE, timezone_id="UTC")
    offline_tiles(context, base)
    page = context.new_page()
    log_in_on_page(page, base, carol)
    page.get_by_role("button", name="Menu").click()  # a phone's header folds the links
    page.get_by_role("link", name="City-wide map").click()

    events = page.locator("#city-map-events")
    clashes = page.locator("#city-map-clash-list")
    # Now, nothing is under way.
    expect(events).to_contain_text("No demonstration is under way at this time.")
    page.evaluate("window.parleyNoReload = true")

    moment = alices_event.starts_at + dt.timedelta(minutes=90)
    page.get_by_label("Date and time").fill(moment.strftime("%Y-%m-%dT%H:%M"))
    expect(events).to_contain_text(alices_event.reference)
    expect(events).to_contain_text(other.reference)
    expect(clashes).to_contain_text("too close")
    expect(clashes).to_contain_text("near a sensitive site")
    expect(page.locator("#city-map-events .clash-badge")).to_have_count(2)
    # Drawn: two assembly points, the zone and the hospital, and the clash marks.
    expect(page.locator("#city-map path.leaflet-interactive")).not_to_have_count(0)
    assert page.evaluate("window.parleyNoReload") is True
    assert "at=" in page.url
    screenshot(page, "city-map-clash")

    # Without highlighting, the badges stay in the list but the map marks go.
    marks = page.locator("#city-map path[stroke='#e3116c']")
    expect(marks).not_to_have_count(0)
    page.get_by_label("Highlight clashes").uncheck()
    expect(marks).to_have_count(0)

    # The slider back to its start (now): nothing under way again, still the same page.
    page.locator("#city-map-slider").fill("0")
    expect(events).to_contain_text("No demonstration is under way at this time.")
    assert page.evaluate("window.parleyNoReload") is True
    context.close()
