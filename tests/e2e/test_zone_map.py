"""Carol (city) draws a first-aid zone on the map of Alice's demonstration, on her phone. Bob
(police) and Alice (organiser) have the same page open on theirs: the zone appears on their
maps as it is saved, hatched as a proposal, without a reload. All three agree it from its
popup, and every page shows it agreed."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from tests.support.zones import make_zone
from zones.models import Zone

pytestmark = pytest.mark.e2e

LABEL = 'First aid <img src=x onerror="window.__xss=1">'


@pytest.fixture
def phone_of(phone_for, alices_event):
    """``phone_of(user)`` → the event page in the user's own browser context (session cookie),
    once its live channel is connected."""

    def open_phone(user, *, before=None) -> Page:
        page = phone_for(user, f"/events/{alices_event.pk}/", before=before)
        expect(page.locator("#channel-panel")).to_have_attribute("data-connection", "live")
        expect(page.locator("#zone-list")).to_be_attached()  # the map is ready
        return page

    return open_phone


def tap_map(page: Page, fx: float, fy: float) -> None:
    """Touch the map at a fraction (fx, fy) of its width and height, moving there first as a
    hand would (Leaflet.draw follows the pointer with its own marker)."""
    box = page.locator("#event-map").bounding_box()
    page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy, steps=5)
    page.mouse.down()
    page.mouse.up()


def tap_corner(page: Page, x: float, y: float, vertices, count: int) -> None:
    """Tap a corner of the shape being drawn and wait until it is placed.

    Leaflet.draw ignores a tap that comes within 50 ms of the last corner (its guard against
    one touch counted twice). No hand is that quick; a test is. So: tap, wait for the corner;
    if none came and the shape still has the corners it had, the tap was ignored — tap again.
    """
    for _attempt in range(10):
        page.touchscreen.tap(x, y)
        try:
            expect(vertices).to_have_count(count, timeout=1_000)
            return
        except AssertionError:
            if vertices.count() != count - 1:
                raise
    expect(vertices).to_have_count(count)


def zone_on_map(page: Page):
    return page.locator("#event-map path.parley-zone")


def agree_from_popup(page: Page, zone_id: int) -> None:
    # Near a corner: the assembly point sits in the middle of the zone.
    zone_on_map(page).click(position={"x": 12, "y": 12})
    popup = page.locator(f'.leaflet-popup .zone-popup[data-zone-id="{zone_id}"]')
    expect(popup).to_be_visible()
    popup.get_by_role("button", name="Agree").click()
    expect(popup.locator(".zone-you-agreed")).to_be_visible()


def test_city_draws_a_zone_everyone_sees_it_live_and_all_three_agree_it(
    phone_of, alices_event, alice, bob, carol, screenshot
):
    carol_page, bob_page, alice_page = phone_of(carol), phone_of(bob), phone_of(alice)
    everyone = (carol_page, bob_page, alice_page)
    for page in everyone:
        expect(zone_on_map(page)).to_have_count(0)
    # Organisers propose zones but do not reshape them; nobody but the city and police does.
    expect(alice_page.get_by_role("button", name="Draw a zone")).to_be_visible()
    expect(bob_page.get_by_role("button", name="Draw a zone")).to_be_visible()

    # Carol draws a square with four taps and Finish, by hand as on a phone.
    carol_page.get_by_role("button", name="Draw a zone").click()
    vertices = carol_page.locator("#event-map .leaflet-editing-icon")
    for count, (fx, fy) in enumerate(((0.3, 0.3), (0.7, 0.3), (0.7, 0.7), (0.3, 0.7)), start=1):
        tap_map(carol_page, fx, fy)
        expect(vertices).to_have_count(count)  # each tap is a corner before the next
    carol_page.get_by_role("button", name="Finish").click()

    form = carol_page.locator("#zone-form")
    expect(form).to_be_visible()
    form.get_by_label("Kind").select_option("first_aid")
    form.get_by_label("Label").fill(LABEL)
    form.get_by_label("Conditions").fill("Keep the path to the ambulance clear")
    form.get_by_role("button", name="Save zone").click()
    expect(form).to_be_hidden()

    zone = Zone.objects.get(event=alices_event)
    assert (zone.kind, zone.label, zone.status, zone.version) == (
        "first_aid", LABEL, "proposed", 1)
    assert zone.geometry.geom_type == "Polygon" and len(zone.geometry.coords[0]) == 5

    # Live on every page, hatched as a proposal, its label shown as text.
    for page in everyone:
        expect(zone_on_map(page)).to_have_count(1)
        expect(zone_on_map(page)).to_have_attribute("data-status", "proposed")
        assert "url(#parley-hatch-first_aid)" in zone_on_map(page).get_attribute("fill")
        item = page.locator(f'#zone-list li[data-zone-id="{zone.pk}"]')
        expect(item).to_contain_text(LABEL)
        expect(item).to_have_attribute("data-status", "proposed")
    screenshot(bob_page, "zone-map-proposed-police")

    # Each party agrees from the popup; the others see each agreement arrive.
    agree_from_popup(carol_page, zone.pk)
    expect(alice_page.locator(f'#zone-list li[data-zone-id="{zone.pk}"]')).to_contain_text(
        "Agreed by: City official")
    agree_from_popup(bob_page, zone.pk)
    # Bob's agreement reaches Alice's page before she opens the popup: a frame arriving
    # while she clicks would redraw the popup under her finger.
    expect(alice_page.locator(f'#zone-list li[data-zone-id="{zone.pk}"]')).to_contain_text(
        "Agreed by: Police liaison officer, City official")
    alice_page.locator(f'#zone-list li[data-zone-id="{zone.pk}"] .zone-show').click()
    popup = alice_page.locator(f'.leaflet-popup .zone-popup[data-zone-id="{zone.pk}"]')
    expect(popup.locator(".zone-popup-actions")).to_have_count(1)
    expect(popup.get_by_role("button", name="Reshape")).to_have_count(0)  # organisers do not
    expect(popup.locator(".zone-not-yet")).to_contain_text("Organiser")
    popup.get_by_role("button", name="Agree").click()
    expect(popup.locator(".zone-you-agreed")).to_be_visible()

    for page in everyone:
        expect(zone_on_map(page)).to_have_attribute("data-status", "agreed")
        expect(page.locator(f'#zone-list li[data-zone-id="{zone.pk}"]')).to_have_attribute(
            "data-status", "agreed")
        assert page.evaluate("window.__xss") is None
    zone.refresh_from_db()
    assert zone.status == "agreed"
    carol_page.locator(f'#zone-list li[data-zone-id="{zone.pk}"] .zone-show').click()
    expect(carol_page.locator(".leaflet-popup .zone-not-yet")).to_have_count(0)
    # The popup is panned into the map, its title too (a phone's map is short).
    carol_page.wait_for_function("""() => {
        const map = document.getElementById("event-map").getBoundingClientRect();
        const title = document.querySelector(".leaflet-popup .zone-title");
        return title && title.getBoundingClientRect().top >= map.top;
    }""")
    screenshot(carol_page, "zone-map-agreed-city")


def without_zone_frames(held: dict):
    """Route the page's live channel through the test, dropping ``zone`` frames while
    ``held["zone"]`` is true: a page that missed a change, as after a lost notification."""

    def route(page: Page) -> None:
        def handle(ws):
            server = ws.connect_to_server()

            def from_server(message):
                if held["zone"] and json.loads(message).get("type") == "zone":
                    return
                ws.send(message)

            server.on_message(from_server)
            ws.on_message(lambda message: server.send(message))

        page.route_web_socket("**/ws/events/**", handle)

    return route


def shown_shape(page: Page, zone_id: int) -> str:
    """The corners of the zone as the map shows them, in degrees (whatever the zoom)."""
    return page.evaluate("""id => {
        let shape = null;
        window["leafletmapevent-map"].eachLayer(layer => {
            if (layer.feature && layer.feature.properties.id === id && layer.getLatLngs) {
                shape = JSON.stringify(layer.getLatLngs());
            }
        });
        return shape;
    }""", zone_id)


def drag(page: Page, handle, dx: float, dy: float) -> None:
    """Drag ``handle`` by (dx, dy) pixels, as a finger would, once it has stopped moving."""
    handle.hover()  # waits until the handle is visible and stable (the map may be panning)
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 2, y + dy / 2, steps=4)
    page.mouse.move(x + dx, y + dy, steps=4)
    page.mouse.up()


def test_a_reshaped_zone_must_be_agreed_again_and_a_bad_shape_is_named_and_repaired(
    phone_of, alices_event, alice, bob, carol
):
    zone = make_zone(alices_event, carol, kind="buffer", label="Buffer on Broad St")
    held = {"zone": False}
    carol_page = phone_of(carol)
    bob_page = phone_of(bob, before=without_zone_frames(held))
    expect(bob_page.locator("#zone-list li")).to_have_count(1)

    # Carol opens the zone from the list below the map: the map comes into view with it.
    carol_page.locator("#zone-list .zone-show").scroll_into_view_if_needed()
    carol_page.locator("#zone-list .zone-show").click()
    expect(carol_page.locator(".leaflet-popup")).to_be_in_viewport(ratio=0.9)
    expect(carol_page.locator("#event-map")).to_be_in_viewport(ratio=0.9)
    # She starts to reshape the zone, thinks better of it: the shape is as it was.
    shape = shown_shape(carol_page, zone.pk)
    carol_page.locator(".leaflet-popup").get_by_role("button", name="Reshape").click()
    corners = carol_page.locator("#event-map .leaflet-editing-icon")
    expect(corners.first).to_be_visible(timeout=15_000)  # Leaflet.draw sets up its handles
    drag(carol_page, corners.nth(2), 40, -30)  # the north-east corner
    assert shown_shape(carol_page, zone.pk) != shape
    carol_page.get_by_role("button", name="Keep the old shape").click()
    expect(corners).to_have_count(0)
    assert shown_shape(carol_page, zone.pk) == shape

    # She reshapes it: a corner dragged, the new shape saved. Bob's page misses it.
    held["zone"] = True
    carol_page.locator("#zone-list .zone-show").click()
    carol_page.locator(".leaflet-popup").get_by_role("button", name="Reshape").click()
    expect(corners.first).to_be_visible(timeout=15_000)  # Leaflet.draw sets up its handles
    drag(carol_page, corners.nth(2), 40, -30)  # the north-east corner
    carol_page.get_by_role("button", name="Save the new shape").click()
    expect(zone_on_map(carol_page)).to_have_attribute("data-status", "proposed")
    expect(carol_page.locator("#zone-map-status")).to_have_text("Zone saved.")
    zone.refresh_from_db()
    assert zone.version == 2

    # Bob agrees what his page shows, version 1: refused, told why, shown version 2.
    bob_page.locator("#zone-list .zone-show").click()
    popup = bob_page.locator(f'.leaflet-popup .zone-popup[data-zone-id="{zone.pk}"]')
    expect(popup.locator(".zone-version")).to_have_text("Version 1")
    popup.get_by_role("button", name="Agree").click()
    expect(popup.locator(".zone-popup-message")).to_contain_text("no longer current")
    expect(bob_page.locator("#zone-map-error")).to_contain_text("version 2 is the one to agree")
    expect(popup.locator(".zone-version")).to_have_text("Version 2")
    popup.get_by_role("button", name="Agree").click()
    expect(popup.locator(".zone-you-agreed")).to_be_visible()
    assert list(zone.agreements.filter(version__number=2).values_list("party", flat=True)) == [
        "police"]

    # Carol draws a bow-tie: the server names the problem and offers the repaired shape.
    carol_page.get_by_role("button", name="Draw a zone").click()
    vertices = carol_page.locator("#event-map .leaflet-editing-icon")
    for count, (fx, fy) in enumerate(((0.2, 0.2), (0.8, 0.8), (0.8, 0.2), (0.2, 0.8)), start=1):
        tap_map(carol_page, fx, fy)
        expect(vertices).to_have_count(count)
        if count == 2:  # Finish too early: told why nothing happens.
            carol_page.get_by_role("button", name="Finish").click()
            expect(carol_page.locator("#zone-map-error")).to_contain_text(
                "at least three corners")
    carol_page.get_by_role("button", name="Finish").click()
    form = carol_page.locator("#zone-form")
    form.get_by_label("Kind").select_option("restricted")
    form.get_by_label("Label").fill("Crossed")
    form.get_by_role("button", name="Save zone").click()
    expect(form.locator('.zone-field-error[data-field="geometry"]')).to_contain_text(
        "The shape crosses itself")
    expect(carol_page.locator("#zone-map-error")).to_contain_text("The shape crosses itself")
    # The offer of a repair is said once, in plain words, next to its button.
    expect(form.locator('.zone-field-error[data-field="geometry"]')).to_contain_text(
        "Parley can repair this shape")
    expect(carol_page.get_by_text("repair", exact=False)).to_have_count(2)  # offer, button
    expect(carol_page.locator("#zone-map")).not_to_contain_text("send this geometry")
    assert not Zone.objects.filter(label="Crossed").exists()
    form.get_by_role("button", name="Use the repaired shape").click()
    expect(form).to_be_hidden()
    expect(carol_page.locator("#zone-list li")).to_have_count(2)
    expect(carol_page.locator("#zone-map-error")).to_be_hidden()
    assert Zone.objects.get(label="Crossed").geometry.geom_type == "MultiPolygon"


def test_an_organiser_proposes_a_zone_with_taps_on_a_touch_screen(
    phone_for, alices_event, alice
):
    page = phone_for(alice, f"/events/{alices_event.pk}/", has_touch=True, is_mobile=True)
    expect(page.locator("#zone-list")).to_be_attached()
    page.get_by_role("button", name="Draw a zone").tap()
    vertices = page.locator("#event-map .leaflet-editing-icon")
    for count, (fx, fy) in enumerate(((0.2, 0.25), (0.45, 0.25), (0.3, 0.4)), start=1):
        # Measured before each tap: the page may still be settling (the live channel's
        # status, a banner) and a tap aimed by an old measure can land on the tools.
        page.locator("#event-map").scroll_into_view_if_needed()
        box = page.locator("#event-map").bounding_box()
        tap_corner(page, box["x"] + box["width"] * fx, box["y"] + box["height"] * fy,
                   vertices, count)
    page.get_by_role("button", name="Finish").tap()
    form = page.locator("#zone-form")
    form.get_by_label("Label").fill("Stewards' tent")
    form.get_by_role("button", name="Save zone").tap()
    expect(page.locator("#zone-list li")).to_have_count(1)
    expect(page.locator("#zone-list li")).to_contain_text("Stewards' tent")
    zone = Zone.objects.get(event=alices_event)
    assert (zone.created_by, zone.status, zone.kind) == (alice, "proposed", "assembly")
    assert len(zone.geometry.coords[0]) == 4


def test_on_her_phone_a_zones_popup_fits_the_map_with_its_close_button(
        phone_of, alices_event, carol):
    make_zone(alices_event, carol, kind="first_aid",
              label="First aid tent by the fountain on the north side of the square",
              conditions="Open from the assembly until the last speech; ask a steward.")
    page = phone_of(carol)
    page.locator("#zone-list .zone-show").first.click()
    popup = page.locator(".leaflet-popup")
    expect(popup).to_be_visible()
    # Leaflet pans the map to the popup with an animation: wait until it has come to rest
    # inside the map, clear of the zoom buttons (or time out), then measure.
    page.wait_for_function(
        """() => {
          const p = document.querySelector('.leaflet-popup').getBoundingClientRect();
          const m = document.getElementById('event-map').getBoundingClientRect();
          const z = document.querySelector('.leaflet-control-zoom').getBoundingClientRect();
          return p.left >= m.left && p.right <= m.right
            && (p.top >= z.bottom || p.left >= z.right);
        }""", timeout=5000)
    map_box = page.locator("#event-map").bounding_box()
    box = popup.bounding_box()
    assert box["x"] >= map_box["x"] and box["x"] + box["width"] <= map_box["x"] + map_box["width"]
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    zoom = page.locator(".leaflet-control-zoom").bounding_box()
    assert box["y"] >= zoom["y"] + zoom["height"] or box["x"] >= zoom["x"] + zoom["width"]
    close = page.locator(".leaflet-popup-close-button").bounding_box()
    assert close["x"] >= 0 and close["x"] + close["width"] <= 390
