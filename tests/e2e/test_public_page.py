"""A resident whose browser speaks French opens the public page on her phone: she reads it in
French, sees the agreed demonstration and its zone on the map, and when the march sets off
the notice appears without the page reloading."""

import pytest
from playwright.sync_api import expect

from events import services
from tests.e2e.conftest import PHONE, offline_tiles
from tests.support.public import agreed, agreed_zone

pytestmark = pytest.mark.e2e


def test_a_resident_follows_an_agreed_march_on_the_public_page_in_french(
    asgi_live_server, browser, alice, bob, carol, screenshot
):
    base = asgi_live_server
    event = agreed(alice, carol, title="Marche pour la rivière",
                   contact_name="Alice Privée", description="Pas pour le public")
    agreed_zone(event, alice, bob, carol, kind="first_aid",
                conditions="Laisser passer les secours.")
    context = browser.new_context(viewport=PHONE, locale="fr-FR",
                                  extra_http_headers={"Accept-Language": "fr"})
    offline_tiles(context, base)
    page = context.new_page()
    # The page runs under the Content-Security-Policy: anything it refused is recorded.
    page.add_init_script("""
        window.refused = [];
        document.addEventListener("securitypolicyviolation", function (e) {
          window.refused.push(e.violatedDirective + " " + e.blockedURI);
        }, true);""")

    page.goto(f"{base}/public/")

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Manifestations : informations publiques")
    section = page.locator(f"#{event.reference}")
    expect(section).to_contain_text("Marche pour la rivière")
    expect(section).to_contain_text("Laisser passer les secours.")
    expect(section).to_contain_text("Zone convenue : Premiers secours.")
    expect(page.locator("#public-notices")).to_contain_text(
        "Convenue : la manifestation aura lieu comme indiqué ici.")
    # On the map: the agreed zone (a polygon) and the assembly point (a circle marker).
    expect(page.locator("#public-map path.leaflet-interactive")).to_have_count(2)
    open_popup(page, page.locator("#public-map path[stroke='#db2777']"))  # first aid's colour
    expect(page.locator(".public-popup")).to_contain_text("Premiers secours")
    expect(page.locator("body")).not_to_contain_text("Alice Privée")
    expect(page.locator("body")).not_to_contain_text("Pas pour le public")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate("window.refused") == []
    screenshot(page, "public-page-fr-phone")

    # The march sets off: the page hears it on its next check, without reloading.
    page.evaluate("window.parleyNoReload = true")
    services.transition_event(event, to="live", actor=carol)
    page.evaluate("window.parleyPublicRefresh()")
    expect(page.locator("#public-notices")).to_contain_text("En cours en ce moment.")
    expect(page.locator("#public-status")).to_contain_text("Mis à jour")
    assert page.evaluate("window.parleyNoReload") is True
    context.close()


def open_popup(page, shape) -> None:
    """Click ``shape`` until its popup is open. The page draws its layers again when its data
    arrives; a click that lands while they are replaced opens nothing, and a person would
    simply click again."""
    popup = page.locator(".leaflet-popup")
    for _attempt in range(5):
        # Near a corner: the assembly point may sit in the middle of the zone.
        shape.click(position={"x": 12, "y": 12})
        try:
            expect(popup).to_be_visible(timeout=2_000)
            return
        except AssertionError:
            continue
    expect(popup).to_be_visible()
