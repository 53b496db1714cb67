"""Every page of every role meets WCAG 2.2 AA as far as a machine can tell: axe-core (through
axe-playwright-python, which carries its script, so nothing is downloaded) scans each page as
Alice (organiser), Bob (police), Carol (city), Dave (reviewer) and someone not logged in see
it — the event list, a demonstration's page before the day (with a proposed zone's popup
open) and on the day (on a phone, its map tab, and at a desk), the registration form empty
and with its errors, the edit page, the desk, the city map, the review page and replay, the
privacy page, the two-factor pages, the login page and the public page in English, French and
Spanish. Any violation fails the test, listed page by page. docs/accessibility.md says what
was found and fixed."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.gis.geos import Point
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from events import services as events
from tests.e2e.conftest import DESKTOP, PHONE, SCREENSHOTS, offline_tiles
from tests.support.accounts import authenticator_of, log_in
from tests.support.factories import event_fields, make_user
from tests.support.review import concluded_story, live_event, say
from tests.support.zones import LAT, LON, make_zone
from zones.incidents import report_incident

pytestmark = [
    pytest.mark.e2e, pytest.mark.usefixtures("fresh_cache"),
    # The pages are the same on either database; `make test` scans them once, in its
    # PostgreSQL/PostGIS + Redis half (the production setup), to keep the run short.
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgis"),
                       reason="scanned in the PostgreSQL/PostGIS half of `make test`"),
]

#: WCAG 2.0, 2.1 and 2.2, levels A and AA: what Parley promises (docs/accessibility.md).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
REPORT = SCREENSHOTS.parent / "accessibility.txt"
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}


@dataclass
class Violation:
    page: str
    rule: str
    impact: str
    help: str
    targets: list[str]
    why: str  # axe-core's own words on the first element, e.g. the contrast it measured

    def __str__(self) -> str:
        where = ", ".join(self.targets[:4]) + (" …" if len(self.targets) > 4 else "")
        return (f"  {self.page}: [{self.impact}] {self.rule} — {self.help}\n      at {where}"
                f"\n      {self.why}")


class Scanner:
    """Scans pages with axe-core and keeps what it finds, page by page."""

    def __init__(self) -> None:
        self.axe = Axe()
        self.found: list[Violation] = []
        self.scanned: list[str] = []
        self.seconds = 0.0

    def scan(self, page: Page, name: str) -> None:
        settle(page)
        started = time.monotonic()
        results = self.axe.run(page, options=AXE_OPTIONS).response
        self.seconds += time.monotonic() - started
        self.scanned.append(name)
        for violation in results["violations"]:
            self.found.append(Violation(
                page=name, rule=violation["id"], impact=violation.get("impact") or "",
                help=violation["help"],
                targets=[" ".join(map(str, node["target"])) for node in violation["nodes"]],
                why=" ".join((violation["nodes"][0].get("failureSummary") or "").split()),
            ))

    def report(self) -> str:
        lines = [f"{len(self.found)} accessibility violations on "
                 f"{len({v.page for v in self.found})} of {len(self.scanned)} pages "
                 f"(axe-core: {self.seconds:.1f} s in all)."]
        lines += [str(violation) for violation in self.found]
        return "\n".join(lines)


def settle(page: Page) -> None:
    """Wait until the page's scripts have drawn what they draw: the live channel connected,
    the maps and lists their requests fill in."""
    page.wait_for_load_state("networkidle")  # the live channel's WebSocket does not count
    panel = page.locator("#channel-panel")
    if panel.count() and panel.is_visible():
        expect(panel).to_have_attribute("data-connection", "live")
    if page.locator("#zone-map-config").count():
        expect(page.locator("#zone-list")).to_be_attached()


@pytest.fixture
def browse(asgi_live_server, browser):
    """``browse(user, language=None)`` → a page in the user's own browser context (logged in
    with a session cookie; nobody when ``user`` is None), reused for every page they see."""
    from django.conf import settings
    from django.test import Client

    contexts: list[BrowserContext] = []

    def open_page(user=None, *, language: str | None = None, verified: bool = True) -> Page:
        extra = {"locale": language, "extra_http_headers": {"Accept-Language": language}} \
            if language else {}
        context = browser.new_context(viewport=PHONE, **extra)
        contexts.append(context)
        offline_tiles(context, asgi_live_server)
        if user is not None:
            client = log_in(Client(), user, verified=verified)
            context.add_cookies([{
                "name": settings.SESSION_COOKIE_NAME, "url": asgi_live_server,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            }])
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def demonstrations(alice, bob, carol):
    """The demonstrations the pages show: one agreed for next week with a zone proposed (its
    edit page is the amendment form), one
    live today with talk, an instruction waiting and an incident, one concluded."""
    starts = timezone.now() + dt.timedelta(days=7)
    next_week = events.register_event(organiser=alice, **event_fields(
        title="Picnic for the park", starts_at=starts, ends_at=starts + dt.timedelta(hours=2)))
    events.transition_event(next_week, to="submitted", actor=alice)
    events.add_member(next_week, username="bob", actor=carol)
    events.add_member(next_week, username="carol", actor=carol)
    make_zone(next_week, carol, label="Picnic lawn")
    events.transition_event(next_week, to="under_review", actor=carol)
    next_week = events.transition_event(next_week, to="agreed", actor=carol)

    today = events.register_event(organiser=alice, **event_fields(title="Save the library"))
    events.transition_event(today, to="submitted", actor=alice)
    events.add_member(today, username="bob", actor=carol)
    events.add_member(today, username="carol", actor=carol)
    today, _zone = live_event(today, alice=alice, bob=bob, carol=carol)
    say(today, alice, "We are gathering at the steps.")
    say(today, bob, "Two units on standby behind the library.", channel="officials")
    say(today, carol, "Please keep the north lane clear.", kind="instruction")
    report_incident(event=today, reporter=bob, severity="low",
                    location=Point(LON + 0.0005, LAT + 0.0005, srid=4326),
                    description="A banner pole fell over; nobody hurt.")

    concluded = events.register_event(organiser=alice, **event_fields(title="March for bread"))
    events.transition_event(concluded, to="submitted", actor=alice)
    events.add_member(concluded, username="bob", actor=carol)
    events.add_member(concluded, username="carol", actor=carol)
    concluded = concluded_story(concluded, alice=alice, bob=bob, carol=carol).event
    return next_week, today, concluded


def send_empty_registration(page: Page) -> None:
    """Send the registration form as it is, empty: it comes back with its problems marked."""
    with page.expect_navigation():
        page.get_by_role("button", name="Register").click()
    expect(page.locator(".form-problems")).to_be_visible()


def test_every_page_of_every_role_meets_wcag_2_2_aa(
        asgi_live_server, browse, alice, bob, carol, dave):
    next_week, today, concluded = demonstrations(alice, bob, carol)
    scanner = Scanner()
    base = asgi_live_server

    def visit(page: Page, path: str, name: str, then: Callable[[Page], None] | None = None):
        page.goto(f"{base}{path}")
        if then:
            then(page)
        scanner.scan(page, name)

    for user, role in ((alice, "organiser"), (bob, "police"), (carol, "city")):
        page = browse(user)
        visit(page, "/", f"event list ({role})")
        visit(page, f"/events/{next_week.pk}/", f"event page before the day ({role})")
        page.locator("#zone-list .zone-show").first.click()
        expect(page.locator(".leaflet-popup .zone-popup")).to_be_visible()
        # Leaflet fades a popup in: scanned half-transparent, its text would fail on contrast.
        page.wait_for_function(
            "() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'")
        scanner.scan(page, f"a proposed zone's popup ({role})")
        # One load of the operations screen: its map tab, then the same page at a desk.
        visit(page, f"/events/{today.pk}/", f"on the day, phone ({role})")
        page.get_by_role("tab", name="Map").click()
        scanner.scan(page, f"on the day, phone, map tab ({role})")
        page.set_viewport_size(DESKTOP)
        scanner.scan(page, f"on the day, desktop ({role})")
        page.set_viewport_size(PHONE)
        if role == "organiser":
            visit(page, "/events/new/", "registration form (organiser)")
            visit(page, "/events/new/", "registration form with errors (organiser)",
                  send_empty_registration)
            visit(page, f"/events/{next_week.pk}/edit/", "edit page (organiser)")
            visit(page, f"/events/{concluded.pk}/privacy/", "privacy page (organiser)")
        else:
            visit(page, "/desk/", f"desk ({role})")
            visit(page, "/map/", f"city map ({role})")
        if role == "city":
            visit(page, f"/events/{concluded.pk}/review/", "review page (city)")
            visit(page, "/instructions/", "standard instructions (city)")
        visit(page, "/accounts/settings/", f"account settings ({role})")

    page = browse(dave)
    visit(page, "/", "event list (reviewer)")
    visit(page, f"/events/{concluded.pk}/review/", "review page (reviewer)")
    visit(page, f"/events/{concluded.pk}/replay/", "replay (reviewer)")

    erin = make_user("erin", "police", name="Erin Beat")  # no authenticator yet
    visit(browse(erin, verified=False), "/accounts/two-factor/setup/", "two-factor setup")
    authenticator_of(bob)
    visit(browse(bob, verified=False), "/accounts/two-factor/verify/", "two-factor code")

    page = browse()
    visit(page, "/accounts/login/", "login (anonymous)")
    visit(page, "/public/", "public page in English (anonymous)")
    for language, name in (("fr", "French"), ("es", "Spanish")):
        visit(browse(language=language), "/public/", f"public page in {name} (anonymous)")

    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(scanner.report() + "\n")  # for a person to read, pass or fail
    assert not scanner.found, scanner.report()
