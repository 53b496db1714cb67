"""Alice registers a march on her phone, drawing its route on the map; Carol agrees it."""

import datetime as dt
import json

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Page, expect

from events.models import Event
from tests.e2e.conftest import PHONE, log_in_on_page, offline_tiles

pytestmark = pytest.mark.e2e


#: One word of 200 letters, as someone pasted it.
LONG_TITLE = "Marchfortheriver" * 12 + "Marchfor"


def log_in(page: Page, base_url: str, username: str) -> None:
    # next=/: police and city would land on the desk
    log_in_on_page(page, base_url, get_user_model().objects.get(username=username))
    expect(page.get_by_role("heading", name="Demonstrations")).to_be_visible()


def click_on_map(page: Page, map_id: str, fx: float, fy: float) -> None:
    """Click at a fraction (fx, fy) of the map's width and height, moving there first as a
    hand would (Leaflet.draw follows the pointer with its own marker)."""
    box = page.locator(f"#{map_id}").bounding_box()
    page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy, steps=5)
    page.mouse.down()
    page.mouse.up()


def test_organiser_draws_and_registers_a_march_and_the_city_agrees_it(
    asgi_live_server, page: Page, browser, alice, carol, screenshot
):
    base = asgi_live_server
    offline_tiles(page.context, base)

    # Alice registers her march.
    log_in(page, base, "alice")
    page.get_by_role("link", name="Register a demonstration").click()
    expect(page.locator("#id_route-map .leaflet-draw-draw-polyline")).to_be_visible()
    starts = timezone.localtime(timezone.now() + dt.timedelta(days=3)).replace(
        hour=14, minute=0, second=0, microsecond=0
    )
    # A title of one unbroken 200-character word: it wraps, the page stays phone-wide.
    page.get_by_label("Title").fill(LONG_TITLE)
    page.get_by_label("Kind").select_option("march")
    page.get_by_label("Expected attendance").fill("300")
    page.get_by_label("Stewards").fill("12")
    page.get_by_label("Starts at").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Ends at").fill((starts + dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("English").check()
    page.get_by_label("Spanish").check()
    page.get_by_label("Name of the assembly point").fill("Steps of the Statehouse")
    page.get_by_label("Contact name").fill("Alice Martin")
    page.get_by_label("Contact phone").fill("+1 614 555 0100")

    # The route: the line tool, three clicks, then "Finish".
    page.locator("#id_route-map .leaflet-draw-draw-polyline").click()
    vertices = page.locator("#id_route-map .leaflet-editing-icon")
    for count, (fx, fy) in enumerate(((0.25, 0.7), (0.5, 0.45), (0.75, 0.3)), start=1):
        click_on_map(page, "id_route-map", fx, fy)
        expect(vertices).to_have_count(count)
    page.locator("#id_route-map .leaflet-draw-actions a", has_text="Finish").click()
    expect(page.locator("#id_route-map path.leaflet-interactive")).to_have_count(1)

    # The assembly point: the marker tool, one click.
    page.locator("#id_assembly_point-map .leaflet-draw-draw-marker").click()
    click_on_map(page, "id_assembly_point-map", 0.3, 0.6)
    expect(page.locator("#id_assembly_point-map .leaflet-marker-icon")).to_have_count(1)

    route = json.loads(page.locator("#id_route").input_value())
    assert route["type"] == "LineString" and len(route["coordinates"]) == 3
    assert json.loads(page.locator("#id_assembly_point").input_value())["type"] == "Point"
    screenshot(page, "register-phone")

    page.get_by_role("button", name="Register").click()
    expect(page.locator("#event-state")).to_have_text("Draft")
    expect(page.locator("#assembly-point-name")).to_have_text("Steps of the Statehouse")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("#event-state")).to_have_text("Submitted")
    event = Event.objects.get()
    assert event.kind == "march" and len(event.route.coords) == 3
    assert event.assembly_point.geom_type == "Point"
    assert event.languages == ["en", "es"] and event.title == LONG_TITLE

    # Carol, at the city, reviews and agrees it from her own browser.
    context = browser.new_context(viewport=PHONE)
    offline_tiles(context, base)
    try:
        city = context.new_page()
        log_in(city, base, "carol")
        city.get_by_role("link", name=event.reference).click()
        expect(city.locator("#event-state")).to_have_text("Submitted")
        expect(city.locator("#event-map path.leaflet-interactive").first).to_be_visible()
        city.get_by_role("button", name="Take under review").click()
        expect(city.locator("#event-state")).to_have_text("Under review")
        city.get_by_role("button", name="Agree").click()
        expect(city.locator("#event-state")).to_have_text("Agreed")
        expect(city.get_by_role("status").first).to_contain_text("Agreed")
        screenshot(city, "event-phone")
        city.get_by_role("button", name="Menu").click()  # a phone's header folds the links
        city.get_by_role("link", name="Demonstrations").click()
        expect(city.get_by_role("link", name=event.reference)).to_be_visible()
        screenshot(city, "list-phone")
    finally:
        context.close()

    event.refresh_from_db()
    assert event.state == "agreed"
    assert list(event.log_entries.values_list("kind", flat=True)) == [
        "event.created", "event.transition", "event.transition", "event.transition",
    ]
