"""What people type is shown as text, never run: markup planted in every field a person can
type into stays inert on every page that shows it, for every role.

Anyone can sign up as an organiser, so an organiser's words must never become markup in an
official's browser. Alice (organiser) plants markup — an image whose error handler would run,
a ``<meta http-equiv=refresh>`` that would send the page elsewhere, a fake "sign in again"
link — in her demonstrations' title, organisation, description, accessibility needs and
contact name, in the zones she draws, her messages and her own name; Bob (police), Carol
(city) and Dave (reviewer) plant it in theirs too: zone labels and conditions, a city-wide
sensitive site, incident descriptions, messages, a state change's note, a key moment's note,
a reviewer's note and a standard instruction.

Then each of them opens every page their role can open — the list, the demonstrations' pages
with their map and channel, the edit form, the privacy page, the desk, the city-wide map, the
review, the replay, the standard instructions, the account settings, the public page — and
opens every Leaflet popup and tooltip on every map. The Content-Security-Policy is switched
OFF in their browsers (Playwright's ``bypass_csp``), so that escaping alone must hold. From
before the first byte of each page, a MutationObserver notes every element the markup would
make, even one that is on the page only while a tooltip is open; the test then asserts that
none was ever made, that no script of the markup ran, that nothing asked for
example.invalid, that the page never navigated, and that the markup is on the page as the
text that was typed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect

from events import services as events
from messaging.models import StandardInstruction
from review.services import add_reviewer_note
from tests.support.factories import event_fields
from tests.support.markup import marked_up_demonstration, name_everyone
from tests.support.zones import make_sensitive_site

pytestmark = pytest.mark.e2e

#: What a hostile person types: an image whose error handler would run, a refresh that would
#: take the reader elsewhere, a phishing link. Short enough for a last name (150 characters).
MARKUP = ("\"'><img src=x onerror=__xss=1>"
          "<meta http-equiv=refresh content='0;url=//example.invalid/'>"
          "<a href=//example.invalid/>sign in again</a>")
#: The same for the few fields of 80 characters (a standard instruction's label).
SHORT_MARKUP = "<img src=x onerror=__xss=1><a href=//example.invalid/>sign in again</a>"


def typed(field: str) -> str:
    """What was typed into ``field``: a word naming the field, then the markup."""
    return f"{field} {MARKUP}"


#: Every element the markup would make, had it been read as HTML.
PLANTED = ('img[src="x"], meta[http-equiv], a[href*="example.invalid"], [onerror], [onload], '
           'iframe, object, embed')

#: Runs before every page's own scripts: notes each planted element the moment it is made,
#: so that one shown only while a popup is open is caught too. (Parley's own pages carry no
#: ``<meta http-equiv>`` at all.)
WATCH = """(() => {
  const selector = PLANTED;
  window.__planted = [];
  const note = (node) => {
    if (node.nodeType !== 1) return;
    const found = node.matches(selector) ? [node] : [];
    found.push(...node.querySelectorAll(selector));
    found.forEach(n => window.__planted.push(n.outerHTML.slice(0, 200)));
  };
  new MutationObserver(records => records.forEach(record => {
    if (record.type === "attributes") note(record.target);
    record.addedNodes.forEach(note);
  })).observe(document, {childList: true, subtree: true, attributes: true,
                         attributeFilter: ["src", "href", "http-equiv", "onerror", "onload"]});
})();""".replace("PLANTED", json.dumps(PLANTED))

#: Opens every popup and tooltip of every map on the page, one after the other, and says
#: what they showed.
OPEN_ALL = """() => {
  const texts = [];
  let opened = 0;
  Object.keys(window).filter(name => name.startsWith("leafletmap")).forEach(name => {
    const map = window[name];
    if (!map || !map.eachLayer) return;
    const layers = [];
    map.eachLayer(layer => layers.push(layer));
    layers.forEach(layer => {
      if (layer.getPopup && layer.getPopup()) {
        layer.openPopup();
        const shown = layer.getPopup().getElement();
        if (shown) { texts.push(shown.textContent); opened += 1; }
        layer.closePopup();
      }
      if (layer.getTooltip && layer.getTooltip()) {
        layer.openTooltip();
        const shown = layer.getTooltip().getElement();
        if (shown) { texts.push(shown.textContent); opened += 1; }
        layer.closeTooltip();
      }
    });
  });
  return {opened: opened, texts: texts.join("\\n")};
}"""

FOUND = """(selector) => ({xss: window.__xss === undefined ? null : window.__xss,
                          planted: window.__planted,
                          now: document.querySelectorAll(selector).length})"""


@dataclasses.dataclass
class Visit:
    """A page a role opens: when it is ready, the typed fields its main part shows as text,
    and those its maps' popups and tooltips show."""

    path: str
    ready: Callable[[Page], None] = lambda page: None
    shows: tuple[str, ...] = ()
    popups_show: tuple[str, ...] = ()


@dataclasses.dataclass
class Planted:
    live: object
    concluded: object
    draft: object


@pytest.fixture
def planted(alice, bob, carol, dave) -> Planted:
    name_everyone(typed, alice, bob, carol, dave)
    StandardInstruction.objects.create(label=f"label {SHORT_MARKUP}",
                                       texts={"en": typed("standard instruction")})
    make_sensitive_site(carol, label=typed("site label"), conditions=typed("site conditions"))
    live = marked_up_demonstration(alice, bob, carol, typed=typed, title="live title",
                                   conclude=False)
    concluded = marked_up_demonstration(alice, bob, carol, typed=typed,
                                        title="concluded title", conclude=True)
    add_reviewer_note(event=concluded, author=dave, body=typed("reviewer note"))
    draft = events.register_event(organiser=alice, **event_fields(
        title=typed("draft title"), description=typed("draft description")))
    return Planted(live=live, concluded=concluded, draft=draft)


# --- what each page needs before its popups can be opened ------------------------------


def event_page_ready(page: Page) -> None:
    expect(page.locator("#event-map path[data-zone-id]").first).to_be_attached()
    expect(page.locator("#incident-list [data-incident]").first).to_be_attached()
    expect(page.locator("#channel-panel .msg").first).to_be_attached()


def desk_ready(page: Page) -> None:
    expect(page.locator("#desk-status")).to_have_attribute("data-status", "live")


def city_map_ready(page: Page) -> None:
    expect(page.locator("#city-map path.leaflet-interactive").first).to_be_attached()


def replay_ready(page: Page) -> None:
    expect(page.locator("#replay-slider")).to_be_enabled()
    expect(page.locator("#replay-map path.replay-incident").first).to_be_attached()


def public_ready(page: Page) -> None:
    expect(page.locator("#public-map path.leaflet-interactive").first).to_be_attached()


def visits(role: str, story: Planted) -> list[Visit]:
    """Every page ``role`` can open, with what it must show."""
    live, concluded, draft = story.live.pk, story.concluded.pk, story.draft.pk
    moment = story.live.starts_at + dt.timedelta(minutes=30)
    at = urlencode({"at": moment.astimezone(dt.UTC).isoformat()})
    demonstration_page = Visit(
        f"/events/{live}/", event_page_ready,
        shows=("live title", "description", "organisation", "incident", "alice message"),
        popups_show=("zone label", "conditions", "incident"))
    concluded_page = Visit(f"/events/{concluded}/", shows=("concluded title",))
    everyone = [
        Visit("/", shows=("concluded title",)),
        Visit("/public/", public_ready, shows=("live title", "description", "conditions"),
              popups_show=("live title", "conditions")),
        Visit("/accounts/settings/"),
    ]
    replay = Visit(f"/events/{concluded}/replay/", replay_ready,
                   shows=("zone label", "withdrawn label", "incident", "alice message"),
                   popups_show=("zone label", "incident"))
    review = Visit(f"/events/{concluded}/review/",
                   shows=("concluded title", "incident", "alice message", "key moment",
                          "reviewer note", "alice name"))
    by_role = {
        "organiser": [
            demonstration_page, concluded_page,
            Visit(f"/events/{draft}/", shows=("draft title", "draft description")),
            Visit(f"/events/{draft}/edit/"),
            Visit(f"/events/{live}/privacy/", shows=("live title",)),
        ],
        "police": [
            demonstration_page, concluded_page,
            Visit("/desk/", desk_ready, shows=("live title",)),
            Visit(f"/map/?{at}", city_map_ready, shows=("live title",),
                  popups_show=("live title", "zone label", "conditions", "site label")),
        ],
        "city": [
            demonstration_page, concluded_page,
            Visit("/desk/", desk_ready, shows=("live title",)),
            Visit(f"/map/?{at}", city_map_ready, shows=("live title",),
                  popups_show=("live title", "zone label", "conditions", "site label")),
            Visit(f"/events/{live}/review/", shows=("live title", "officials message")),
            Visit(f"/events/{live}/replay/", replay_ready, shows=("bob message",),
                  popups_show=("zone label", "incident")),
            review, replay,
            Visit("/instructions/", shows=("standard instruction",)),
        ],
        "reviewer": [concluded_page, review, replay],
    }
    return everyone + by_role[role]


ROLES = {"organiser": "alice", "police": "bob", "city": "carol", "reviewer": "dave"}


@pytest.mark.parametrize("role", list(ROLES))
def test_markup_typed_anywhere_stays_text_on_every_page_each_role_opens(
    role, request, phone_for, asgi_live_server, planted
):
    user = request.getfixturevalue(ROLES[role])
    requested: list[str] = []
    navigated: list[str] = []

    def watch(page: Page) -> None:
        page.add_init_script(WATCH)
        page.on("request", lambda r: "example.invalid" in r.url and requested.append(r.url))
        page.on("framenavigated", lambda frame: navigated.append(frame.url))

    page = phone_for(user, "/accounts/settings/", before=watch,
                     bypass_csp=True)  # escaping alone must hold
    for visit in visits(role, planted):
        url = f"{asgi_live_server}{visit.path}"
        response = page.goto(url)
        assert response is not None and response.status == 200, (role, visit.path)
        navigated.clear()
        visit.ready(page)
        main = page.locator("main")
        for field in visit.shows:
            expect(main).to_contain_text(typed(field))
        shown = page.evaluate(OPEN_ALL)
        found = page.evaluate(FOUND, PLANTED)
        assert found == {"xss": None, "planted": [], "now": 0}, (role, visit.path, found)
        for field in visit.popups_show:
            assert typed(field) in shown["texts"], (visit.path, field, shown["texts"])
        assert page.url.split("?")[0] == url.split("?")[0], (role, visit.path, page.url)
        # Only the page's own history moves (the city map keeps its moment in the address).
        assert all(u.startswith(asgi_live_server) for u in navigated), (visit.path, navigated)
    assert requested == [], (role, requested)
