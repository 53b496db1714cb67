"""Every main page works under the Content-Security-Policy: nothing on it is refused.

Alice (organiser), Carol (city) and Dave (reviewer) open the pages they use on their phones —
the list, the registration form, a live demonstration's page with its map and channel, the
desk, the city-wide map, the review and the replay — and so does a visitor (login, sign-up,
the API docs). Each page waits until its maps and live connections are up; then a known
violation (an inline script added by the test) is provoked as a marker: it must be refused
(so the policy is really on), and it must be the only violation the page reported, both as a
``securitypolicyviolation`` event and in the console.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from events import services
from tests.e2e.conftest import PHONE, offline_tiles
from tests.support.factories import event_fields, make_user
from tests.support.review import concluded_story, live_event

pytestmark = pytest.mark.e2e

WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push({
    directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile,
    line: e.lineNumber, sample: e.sample,
    marker: !!(e.target && e.target.id === "csp-test-marker")
  });
}, true);
"""

REDOC_LOGO = "https://cdn.redoc.ly/"

MARK = """() => {
  const marker = document.createElement("script");
  marker.id = "csp-test-marker";
  marker.textContent = "window.__cspMarkerRan = true;";
  document.body.appendChild(marker);
}"""


def violations_on(page: Page, console: list[str]) -> list:
    """Provoke the marker violation, wait until it is reported, and answer every violation
    the page reported before it (it is reported after all earlier ones)."""
    with page.expect_console_message(lambda m: "inline script" in m.text):
        page.evaluate(MARK)
    page.wait_for_function("window.__cspViolations.some(v => v.marker)")
    seen = page.evaluate("window.__cspViolations")
    marker = [v for v in seen if v["marker"]]
    assert marker and marker[0]["directive"].startswith("script-src"), seen
    assert page.evaluate("window.__cspMarkerRan") is None
    others = [v for v in seen if not v["marker"]]
    refused = [text for text in console if "Content Security Policy" in text]
    # The marker's own console line is the last one: any other is a real refusal.
    return others + refused[:-1]


@pytest.fixture
def open_page(browser, asgi_live_server, phone_for):
    """``open_page(user_or_None, path)`` → (page, console lines) on a phone, logged in as
    the user (``phone_for``) or a visitor, with violations recorded from the first byte."""
    contexts = []

    def opened(user, path: str) -> tuple[Page, list[str]]:
        console: list[str] = []

        def watch(page: Page) -> None:
            page.add_init_script(WATCH)
            page.on("console", lambda message: console.append(message.text))

        if user is not None:
            page = phone_for(user, path, before=watch)
        else:
            context = browser.new_context(viewport=PHONE)
            contexts.append(context)
            offline_tiles(context, asgi_live_server)
            page = context.new_page()
            watch(page)
            response = page.goto(f"{asgi_live_server}{path}")
            assert response is not None and response.ok, (path, response and response.status)
            assert "content-security-policy" in response.headers  # Playwright: lower case
        assert urlsplit(page.url).path == path, page.url  # not sent elsewhere (a login)
        page.wait_for_load_state("load")
        return page, console

    yield opened
    for context in contexts:
        context.close()


def map_ready(map_id: str) -> Callable[[Page], None]:
    def wait(page: Page) -> None:
        expect(page.locator(f"#{map_id}.leaflet-container")).to_be_visible()
    return wait


def channel_live(page: Page) -> None:
    page.locator("#operations-tab-map").click()  # on the day, on a phone, the map is a tab
    map_ready("event-map")(page)
    expect(page.locator("#event-map path.parley-zone").first).to_be_attached()
    expect(page.locator("#channel-panel")).to_have_attribute("data-connection", "live")


def test_every_main_page_runs_under_the_policy_without_a_violation(
    open_page, alices_event, alice, bob, carol, dave
):
    story = concluded_story(alices_event, alice=alice, bob=bob, carol=carol)
    second = services.register_event(organiser=alice, **event_fields(title="Vigil at dusk"))
    services.transition_event(second, to="submitted", actor=alice)
    services.add_member(second, username="bob", actor=carol)
    services.add_member(second, username="carol", actor=carol)
    live, _zone = live_event(second, alice=alice, bob=bob, carol=carol)
    admin = make_user("root", "city", is_staff=True, is_superuser=True)

    def nothing(page: Page) -> None:
        pass

    pages = [
        (None, "/accounts/login/", nothing),
        (None, "/accounts/signup/", nothing),
        (None, "/api/v1/docs/",
         lambda page: expect(page.get_by_text("Parley API").first).to_be_visible(
             timeout=30_000)),  # the schema takes a while on a busy machine
        (alice, "/", lambda page: expect(page.locator("main")).to_contain_text(live.reference)),
        (alice, "/events/new/", lambda page: expect(
            page.locator(".leaflet-container")).to_have_count(3)),
        (alice, "/accounts/two-factor/setup/", lambda page: expect(
            page.locator("main svg").first).to_be_visible()),  # the QR code
        (alice, f"/events/{live.pk}/", channel_live),
        (carol, f"/events/{live.pk}/", lambda page: (
            channel_live(page), expect(page.locator("#zone-tools")).to_be_visible())),
        (carol, "/desk/", lambda page: expect(
            page.locator("#desk-status")).to_have_attribute("data-status", "live")),
        (carol, "/map/", lambda page: (
            map_ready("city-map")(page),
            expect(page.locator("#city-map-status")).not_to_be_empty())),
        (dave, f"/events/{story.event.pk}/", map_ready("event-map")),
        (admin, f"/admin/events/event/{live.pk}/change/", lambda page: expect(
            page.locator("main h1")).to_be_visible()),
        (dave, f"/events/{story.event.pk}/review/", lambda page: expect(
            page.locator("main")).to_contain_text(story.event.reference)),
        (dave, f"/events/{story.event.pk}/replay/", lambda page: (
            expect(page.locator("#replay-slider")).to_be_enabled(),
            expect(page.locator("#replay-map path.parley-zone")).to_have_count(1))),
    ]
    found = {}
    for user, path, ready in pages:
        page, console = open_page(user, path)
        ready(page)
        refused = violations_on(page, console)
        if path == "/api/v1/docs/":
            # Redoc's bundle shows its maker's logo from their CDN: the policy keeps that
            # one outside request from leaving, as it should; nothing else may be refused.
            refused = [v for v in refused if REDOC_LOGO not in str(v)]
        if refused:
            found[f"{user or 'visitor'} {path}"] = refused
    assert found == {}
