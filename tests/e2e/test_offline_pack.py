"""The day's pack, offline. Alice (organiser) opens her agreed demonstration on her phone once;
the network goes; the page, its zones, its briefing sheet and the contacts are still there,
marked "Offline since …", and when the network is back the page is loaded again, with what
changed meanwhile. What she may no longer see goes at the next sync; logging out leaves
nothing behind; and the next person to log in on that phone never gets her pages."""

import re
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from events import services
from tests.e2e.conftest import DESKTOP, log_in_on_page, offline_tiles
from tests.support.accounts import api_token

pytestmark = pytest.mark.e2e

#: The names of the site's IndexedDB databases.
DATABASES = "async () => (await indexedDB.databases()).map((database) => database.name)"
#: Whether the service worker controls the page.
CONTROLLED = "() => navigator.serviceWorker.controller !== null"
#: Waits, in the page, until a check about what the site keeps holds (or `ms` pass), and
#: answers the check's last value. Playwright's wait_for_function does not wait on promises,
#: and Cache Storage and IndexedDB only answer with them.
UNTIL = """async ([what, arg, ms]) => {
  const checks = {
    keptIn: async (path) => {
      for (const name of await caches.keys()) {
        if (await (await caches.open(name)).match(path, {ignoreVary: true})) { return name; }
      }
      return null;
    },
    noCacheNamed: async (part) => !(await caches.keys()).some((name) => name.includes(part)),
    tilesKept: async (name) => (await caches.has(name)) &&
                               (await (await caches.open(name)).keys()).length > 0,
    nothingKept: async () => (await caches.keys()).length === 0 &&
                             (await indexedDB.databases()).length === 0,
  };
  const end = Date.now() + ms;
  for (;;) {
    const value = await checks[what](arg);
    if (value || Date.now() > end) { return value; }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}"""
#: `path` fetched through the page (and so through its service worker): status and type.
FETCHED = """async (path) => {
  try {
    const response = await fetch(path, {credentials: "same-origin"});
    return [response.status, response.headers.get("Content-Type")];
  } catch (error) { return [0, String(error)]; }
}"""

#: Whether an image at `src` loads in the page (as the map's tiles do).
IMAGE_LOADS = """(src) => new Promise((resolve) => {
  const image = new Image();
  image.onload = () => resolve(true);
  image.onerror = () => resolve(false);
  image.src = src;
})"""


def remove_through_the_api(base_url: str, event, username: str, actor) -> None:
    """``actor`` takes ``username`` off the demonstration as the city's app would: through the
    server, which closes that person's live channel (4403)."""
    request = urllib.request.Request(
        f"{base_url}/api/v1/events/{event.pk}/members/{username}/", method="DELETE",
        headers={"Authorization": f"Token {api_token(actor)}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 204)


def until(page: Page, what: str, arg=None, ms: int = 15_000):
    return page.evaluate(UNTIL, [what, arg, ms])


def kept(page: Page, path: str) -> str | None:
    """Waits until ``path`` is in one of the site's caches; the cache's name (None if not)."""
    return until(page, "keptIn", path)


def no_cache_left(page: Page, part: str) -> None:
    assert until(page, "noCacheNamed", part), f"a cache named …{part}… is still there"


@pytest.fixture
def opened_online(agreed_event, alice, phone_for):
    """Alice's phone after she opened her agreed demonstration once, online: its page, its
    zones and its briefing sheet kept."""
    page = phone_for(alice, f"/events/{agreed_event.pk}/")
    page.wait_for_function(CONTROLLED, timeout=15_000)
    name = kept(page, f"/events/{agreed_event.pk}/")
    assert name == f"parley-u{alice.pk}-e{agreed_event.pk}"
    assert kept(page, f"/events/{agreed_event.pk}/briefing.pdf") == name
    assert kept(page, f"/api/v1/events/{agreed_event.pk}/zones.geojson") == name
    # The map reads the zones again once its live channel is connected.
    expect(page.locator("#channel-panel")).to_have_attribute("data-connection", "live")
    assert kept(page, f"/api/v1/events/{agreed_event.pk}/zones/?status=proposed,agreed") == name
    return page


def test_a_member_has_the_days_pack_offline_and_fresh_again_when_the_network_is_back(
        opened_online, agreed_event, carol, erin, screenshot):
    page = opened_online
    event = agreed_event
    banner = page.locator("#offline-banner")
    expect(banner).to_be_hidden()

    page.context.set_offline(True)
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Offline since")
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_contain_text(event.title)
    expect(page.locator("#contact-heading")).to_be_attached()  # her contacts (Details tab)
    expect(banner).to_have_attribute("role", "status")
    expect(banner).to_contain_text("Offline since")
    expect(banner).to_contain_text("copy kept on this device")
    screenshot(page, "offline-pack-phone")
    assert page.evaluate(FETCHED, f"/events/{event.pk}/briefing.pdf") == [200, "application/pdf"]
    status, kind = page.evaluate(FETCHED, f"/api/v1/events/{event.pk}/zones.geojson")
    assert status == 200 and "json" in kind
    zones = f"/api/v1/events/{event.pk}/zones/?status=proposed,agreed"
    status, kind = page.evaluate(FETCHED, zones)
    assert status == 200 and "json" in kind
    assert page.evaluate(FETCHED, "/desk/")[0] == 0  # never kept: the network's failure

    # Meanwhile the city adds a police officer to the demonstration.
    services.add_member(event, username="erin", actor=carol)
    expect(page.locator(".members")).not_to_contain_text("Erin Beat")

    page.context.set_offline(False)
    expect(page.locator(".members")).to_contain_text("Erin Beat", timeout=20_000)
    expect(banner).to_be_hidden()


def test_a_page_open_when_the_network_goes_says_so(opened_online):
    page = opened_online
    page.context.set_offline(True)
    banner = page.locator("#offline-banner")
    expect(banner).to_contain_text("Offline since")
    page.context.set_offline(False)
    expect(banner).to_be_hidden()


def test_nothing_of_a_demonstration_stays_after_the_next_sync_once_its_member_is_removed(
        agreed_event, bob, carol, phone_for):
    page = phone_for(bob, f"/events/{agreed_event.pk}/")
    page.wait_for_function(CONTROLLED, timeout=15_000)
    assert kept(page, f"/events/{agreed_event.pk}/") == f"parley-u{bob.pk}-e{agreed_event.pk}"
    page.goto(page.url.split("/events/")[0] + "/")  # the list: no live channel here

    services.remove_member(agreed_event, username="bob", actor=carol)
    page.reload()  # a page opened online syncs
    no_cache_left(page, f"-e{agreed_event.pk}")
    page.context.set_offline(True)
    assert page.evaluate(FETCHED, f"/events/{agreed_event.pk}/")[0] == 0


def test_removed_from_a_demonstration_while_its_page_is_open_drops_its_pack_at_once(
        agreed_event, bob, carol, phone_for, asgi_live_server):
    page = phone_for(bob, f"/events/{agreed_event.pk}/")
    page.wait_for_function(CONTROLLED, timeout=15_000)
    kept(page, f"/events/{agreed_event.pk}/")
    expect(page.locator("#channel-panel")).to_have_attribute("data-connection", "live")

    remove_through_the_api(asgi_live_server, agreed_event, "bob", carol)  # its channel: 4403
    expect(page.locator("#channel-panel")).to_contain_text("no longer a member")
    no_cache_left(page, f"-e{agreed_event.pk}")


def test_logging_out_leaves_nothing_on_the_phone(agreed_event, alice, phone_for):
    page = phone_for(alice, f"/events/{agreed_event.pk}/", viewport=DESKTOP)
    page.wait_for_function(CONTROLLED, timeout=15_000)
    kept(page, f"/events/{agreed_event.pk}/")
    # What the live channel keeps in IndexedDB (its outbox and history), and any other.
    page.evaluate("""() => new Promise((resolve) => {
      const request = indexedDB.open("parley-test-outbox");
      request.onsuccess = () => { request.result.close(); resolve(); };
    })""")
    assert "parley-test-outbox" in page.evaluate(DATABASES)
    assert page.evaluate("async () => await caches.keys()") != []

    page.locator(".account-menu summary").click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/**")
    assert until(page, "nothingKept")
    assert page.evaluate("async () => await caches.keys()") == []
    assert page.evaluate(DATABASES) == []


def test_the_next_person_to_log_in_on_the_phone_never_gets_the_first_ones_pages(
        agreed_event, alice, bob, phone_for, asgi_live_server):
    page = phone_for(alice, f"/events/{agreed_event.pk}/")
    page.wait_for_function(CONTROLLED, timeout=15_000)
    kept(page, f"/events/{agreed_event.pk}/")

    # Her session ends without a logout (it expired); Bob logs in on the same phone.
    page.context.clear_cookies()
    log_in_on_page(page, asgi_live_server, bob)
    no_cache_left(page, f"parley-u{alice.pk}-")

    page.context.set_offline(True)
    assert page.evaluate(FETCHED, f"/events/{agreed_event.pk}/")[0] == 0


def test_map_tiles_that_cannot_be_reached_leave_the_map_on_its_plain_background(
        agreed_event, alice, phone_for, asgi_live_server):
    page = phone_for(alice, f"/events/{agreed_event.pk}/")
    offline_tiles(page, asgi_live_server)
    page.wait_for_function(CONTROLLED, timeout=15_000)
    page.reload()
    expect(page.locator("#event-map")).to_have_class(re.compile(r"\btiles-unavailable\b"))
    assert page.evaluate(FETCHED, "https://tile.openstreetmap.org/1/1/1.png")[0] == 0


def test_the_map_tiles_looked_at_are_kept_for_when_the_network_goes(
        agreed_event, alice, phone_for, asgi_live_server):
    tile = Path(__file__).resolve().parents[2] / "static" / "pwa" / "icons" / "icon-192.png"

    def tile_server(route):
        if route.request.url.startswith(asgi_live_server):
            route.continue_()
        else:  # a tile server that answers, as the real one would
            route.fulfill(status=200, content_type="image/png", body=tile.read_bytes(),
                          headers={"Access-Control-Allow-Origin": "*"})

    def before(page):
        page.context.unroute("**/*")
        page.context.route("**/*", tile_server)

    page = phone_for(alice, f"/events/{agreed_event.pk}/", before=before,
                     viewport=DESKTOP)
    page.wait_for_function(CONTROLLED, timeout=15_000)
    page.reload()  # the map's tiles now go through the worker
    expect(page.locator("#event-map .leaflet-tile-loaded").first).to_be_attached()
    tiles = f"parley-u{alice.pk}-tiles"
    assert until(page, "tilesKept", tiles)
    kept_tile = page.evaluate(
        "async (name) => (await (await caches.open(name)).keys())[0].url", tiles)

    page.context.set_offline(True)
    assert page.evaluate(IMAGE_LOADS, kept_tile)


def test_chromium_honours_the_logout_answers_clear_site_data_on_its_own(
        agreed_event, alice, phone_for):
    """The header alone, without the page's own clearing (the logout is sent by a script
    here, not by the Log out button): http://127.0.0.1 is a secure context."""
    page = phone_for(alice, f"/events/{agreed_event.pk}/")
    page.wait_for_function(CONTROLLED, timeout=15_000)
    kept(page, f"/events/{agreed_event.pk}/")
    status = page.evaluate("""async () => {
      const token = document.querySelector("form[data-logout] [name=csrfmiddlewaretoken]").value;
      const body = new FormData();
      body.append("csrfmiddlewaretoken", token);
      const response = await fetch("/accounts/logout/", {method: "POST", body: body,
                                                         redirect: "manual"});
      return response.type;
    }""")
    assert status == "opaqueredirect"
    assert until(page, "nothingKept")
    # Nor does an answer the page asked for before it come back after.
    expect(page.locator("#channel-panel")).not_to_have_attribute("data-connection", "live")
    assert page.evaluate("async () => await caches.keys()") == []
