"""Carol (city) keeps the desk open on her phone; Bob (police), a member of the same
demonstration, proposes a zone from his own phone, and it appears at once in Carol's
"Waiting for you", with its link, without a reload."""

import json

import pytest
from playwright.sync_api import expect

from tests.support.zones import feature, square

pytestmark = pytest.mark.e2e


def propose_medics_zone(page, event) -> dict:
    """The zone "Medics by the fountain", proposed from ``page`` (a member's event page)
    through the API as its own script would; the answer's ``status`` and ``zone``."""
    answer = page.evaluate(
        """async ([url, body]) => {
          const map = document.getElementById("zone-map");
          const response = await fetch(url, {method: "POST", credentials: "same-origin",
            headers: {"Content-Type": "application/json", "X-CSRFToken": map.dataset.csrf},
            body: body});
          return {status: response.status, zone: await response.json()};
        }""",
        [f"/api/v1/events/{event.pk}/zones/",
         json.dumps(feature(square(), kind="first_aid", label="Medics by the fountain"))],
    )
    assert answer["status"] == 201
    return answer


def test_a_zone_proposed_by_another_member_appears_in_the_open_desks_waiting_list(
        phone_for, agreed_event, bob, carol):
    desk = phone_for(carol, "/desk/")
    expect(desk.locator("#desk-status")).to_have_attribute("data-status", "live")
    waiting = desk.locator("#waiting-for-you")
    expect(waiting.get_by_role("heading", level=2)).to_have_text("Waiting for you (0)")
    desk.evaluate("window.deskNotReloaded = true")

    police = phone_for(bob, f"/events/{agreed_event.pk}/")
    answer = propose_medics_zone(police, agreed_event)

    entry = waiting.locator(f'li[data-zone-id="{answer["zone"]["id"]}"]')
    expect(entry).to_contain_text("“Medics by the fountain” (First aid), version 1")
    expect(entry.get_by_role("link")).to_have_attribute(
        "href", f"/events/{agreed_event.pk}/#zone-map")
    expect(waiting.get_by_role("heading", level=2)).to_have_text("Waiting for you (1)")
    assert desk.evaluate("window.deskNotReloaded") is True  # the same page, updated in place


def test_the_organisers_list_shows_a_zone_the_police_proposed_when_she_looks_again(
        phone_for, agreed_event, alice, bob):
    """Alice keeps her list of demonstrations open; Bob proposes a zone on hers. When her page
    is looked at again (the tab shown, the window focused; or within 30 s while in view), the
    zone is in her "Waiting for you", without a reload."""
    mine = phone_for(alice, "/")
    box = mine.locator("#waiting-for-you-box")
    expect(box.get_by_role("heading", level=2)).to_have_text("Waiting for you (0)")
    mine.evaluate("window.listNotReloaded = true")

    police = phone_for(bob, f"/events/{agreed_event.pk}/")
    answer = propose_medics_zone(police, agreed_event)

    # Her phone shows the page again (as after unlocking it), until the list has the zone.
    mine.wait_for_function(
        """(zone) => {
          document.dispatchEvent(new Event("visibilitychange"));
          return !!document.querySelector(`#waiting-for-you-box li[data-zone-id="${zone}"]`);
        }""", arg=answer["zone"]["id"], polling=500, timeout=15_000)
    entry = box.locator(f'li[data-zone-id="{answer["zone"]["id"]}"]')
    expect(entry.get_by_role("link")).to_have_attribute(
        "href", f"/events/{agreed_event.pk}/#zone-map")
    expect(box.get_by_role("heading", level=2)).to_have_text("Waiting for you (1)")
    assert mine.evaluate("window.listNotReloaded") is True
