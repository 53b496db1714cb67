"""What people type is shown as text, never run: markup in every typed field that Parley
shows back stays inert on every page that shows it.

Alice (organiser) names herself and her demonstration with markup in them; the zone's label,
the incident's description, the message, the key moment's note and the reviewer's note carry
it too. Alice, Carol (city) and Dave (reviewer) open the pages that show them — the list,
the demonstration's page with its map popups and channel, the desk, the city-wide map's
popups, the review and the replay — with the Content-Security-Policy switched OFF in their
browsers (Playwright's ``bypass_csp``), so that escaping alone must keep the markup inert:
``window.__xss`` stays undefined, no element made from the markup exists, and the markup is
on the page as the text that was typed.

(Message bodies in the live channel have their own story in test_live_channel_page.py; here
they are checked where else they appear: the review and the replay.)
"""

from __future__ import annotations

import datetime as dt
import uuid
from urllib.parse import urlencode

import pytest
from django.contrib.gis.geos import Point
from playwright.sync_api import Page, expect

from coordination.review_services import add_reviewer_note
from events import services as events
from messaging import services as messaging
from messaging.key_moments import mark_key_moment
from tests.conftest import event_fields
from tests.zonehelpers import LAT, LON, make_zone
from zones import services as zones
from zones.incidents import report_incident

pytestmark = pytest.mark.e2e

MARKUP = ('"><svg onload=window.__xss=1><img src=x onerror=window.__xss=1>'
          "<script>window.__xss=1</script>")


def typed(field: str) -> str:
    """What was typed into ``field``: a word naming the field, then the markup."""
    return f"{field} {MARKUP}"


INERT = """() => ({
  xss: window.__xss,
  made: document.querySelectorAll(
    'img[src="x"], [onload], [onerror]').length,
  scripts: Array.from(document.scripts).filter(s => s.textContent.includes("__xss=1")
                                             && s.type !== "application/json").length
})"""

POPUPS = """(name) => {
  const map = window["leafletmap" + name];
  const texts = [];
  map.eachLayer(layer => {
    if (layer.getPopup && layer.getPopup()) {
      layer.openPopup();
      const shown = layer.getPopup().getElement();
      if (shown) texts.push(shown.textContent);
      layer.closePopup();
    }
  });
  map.closePopup();
  return texts.join("\\n");
}"""


def assert_inert(page: Page) -> None:
    found = page.evaluate(INERT)
    assert found == {"xss": None, "made": 0, "scripts": 0}, (page.url, found)


def assert_shown(page: Page, *fields: str) -> None:
    main = page.locator("main")
    for field in fields:
        expect(main).to_contain_text(typed(field))


def popup_texts(page: Page, map_name: str) -> str:
    expect(page.locator(f"#{map_name}.leaflet-container")).to_be_visible()
    return page.evaluate(POPUPS, map_name)


def demonstration(alice, bob, carol, *, title: str, conclude: bool):
    """A demonstration of Alice's with markup in every typed field, live (or concluded)."""
    event = events.register_event(organiser=alice, **event_fields(
        title=typed(title), description=typed("description"),
        organisation=typed("organisation")))
    events.transition_event(event, to="submitted", actor=alice)
    events.add_member(event, username="bob", actor=carol)
    events.add_member(event, username="carol", actor=carol)
    events.transition_event(event, to="under_review", actor=carol)
    zone = make_zone(event, carol, label=typed("zone label"), conditions=typed("conditions"))
    for person in (alice, bob, carol):
        zone, _new = zones.agree_zone(zone, actor=person, version=1)
    events.transition_event(event, to="agreed", actor=carol)
    events.transition_event(event, to="live", actor=carol)
    message, _created = messaging.send_message(
        event=event, sender=alice, channel="all", kind="message", body=typed("message"),
        client_id=str(uuid.uuid4()))
    report_incident(event=event, reporter=bob, severity="low",
                    location=Point(LON + 0.0005, LAT + 0.0005, srid=4326),
                    description=typed("incident"))
    mark_key_moment(message=message, user=carol, note=typed("key moment"))
    if conclude:
        events.transition_event(event, to="concluded", actor=carol)
    event.refresh_from_db()
    return event


@pytest.fixture
def marked_up(alice, bob, carol, dave):
    alice.first_name, alice.last_name = "Alice", typed("name")
    alice.save(update_fields=["first_name", "last_name"])
    live = demonstration(alice, bob, carol, title="live title", conclude=False)
    concluded = demonstration(alice, bob, carol, title="concluded title", conclude=True)
    add_reviewer_note(event=concluded, author=dave, body=typed("reviewer note"))
    return live, concluded


def test_markup_typed_anywhere_is_shown_as_text_and_never_runs(
    phone_for, marked_up, alice, carol, dave
):
    live, concluded = marked_up

    def opened(user, path: str) -> Page:
        return phone_for(user, path, bypass_csp=True)  # escaping alone must hold

    page = opened(alice, "/")
    assert_shown(page, "live title")
    assert_inert(page)

    page = opened(alice, live.get_absolute_url())
    assert_shown(page, "live title", "description", "organisation", "incident")
    expect(page.locator("#channel-panel")).to_have_attribute("data-connection", "live")
    expect(page.locator("#channel-panel")).to_contain_text(typed("name"))  # the sender
    popups = popup_texts(page, "event-map")
    for field in ("zone label", "conditions", "incident"):
        assert typed(field) in popups, (field, popups)
    assert_inert(page)

    page = opened(carol, "/desk/")
    expect(page.locator("#desk-status")).to_have_attribute("data-status", "live")
    assert_shown(page, "live title")
    assert_inert(page)

    moment = live.starts_at + dt.timedelta(minutes=30)
    page = opened(carol, "/map/?" + urlencode({"at": moment.astimezone(dt.UTC).isoformat()}))
    expect(page.locator("#city-map-events")).to_contain_text(typed("live title"))
    expect(page.locator("#city-map path.leaflet-interactive").first).to_be_attached()
    popups = popup_texts(page, "city-map")
    for field in ("live title", "zone label", "conditions"):
        assert typed(field) in popups, (field, popups)
    assert_inert(page)

    page = opened(dave, f"/events/{concluded.pk}/review/")
    assert_shown(page, "concluded title", "incident", "message", "key moment", "reviewer note",
                 "name")
    assert_inert(page)

    page = opened(dave, f"/events/{concluded.pk}/replay/")
    expect(page.locator("#replay-slider")).to_be_enabled()
    assert_shown(page, "zone label", "incident", "message")
    popup_texts(page, "replay-map")
    assert_inert(page)
