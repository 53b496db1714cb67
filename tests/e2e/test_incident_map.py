"""Bob (police) reports an incident from his phone on an agreed demonstration's map; the
marker appears at once on Alice's (organiser's) open page, with the description as text."""

import pytest
from playwright.sync_api import expect

from zones.models import Incident

pytestmark = pytest.mark.e2e

DESCRIPTION = "Barrier pushed over <b>by the fountain</b>"


def test_police_report_an_incident_and_the_organisers_page_shows_it_live(
        phone_for, agreed_event, alice, bob, screenshot):
    path = f"/events/{agreed_event.pk}/"
    alices_page = phone_for(alice, path)
    expect(alices_page.locator("#channel-panel")).to_have_attribute("data-connection", "live")
    alices_page.get_by_role("tab", name="Map").click()  # on the day, the map is a tab away
    expect(alices_page.get_by_role("button", name="Report an incident")).to_have_count(0)
    expect(alices_page.locator("#incidents-empty")).to_be_visible()

    bobs_page = phone_for(bob, path, has_touch=True)
    bobs_page.get_by_role("tab", name="Map").click()
    bobs_page.get_by_role("button", name="Report an incident").click()
    bobs_page.get_by_role("button", name="Use the middle of the map").click()
    bobs_page.locator("#incident-severity").select_option("high")
    bobs_page.locator("#incident-description").fill(DESCRIPTION)
    expect(bobs_page.locator("path.incident-draft")).to_have_count(1)
    screenshot(bobs_page, "incident-report-form-on-police-phone")
    bobs_page.get_by_role("button", name="Report", exact=True).click()
    expect(bobs_page.locator("#zone-map-status")).to_have_text("Incident reported.")
    expect(bobs_page.locator("#incident-form")).to_be_hidden()

    # Alice's page hears the incident frame: the marker and the list item appear.
    expect(alices_page.locator("path.incident-marker.incident-high")).to_have_count(1)
    item = alices_page.locator("#incident-list .incident-item")
    expect(item).to_have_count(1)
    expect(item.locator(".incident-item-description")).to_have_text(DESCRIPTION)
    expect(alices_page.locator("#incidents-empty")).to_be_hidden()

    # Its popup tells the time, the severity and the words, as text.
    item.locator(".incident-show").click()
    popup = alices_page.locator(".incident-popup")
    expect(popup.locator("h3")).to_have_text("High")
    expect(popup.locator(".incident-description")).to_have_text(DESCRIPTION)
    expect(popup.locator(".incident-reporter")).to_have_text("Reported by Bob Officer")
    assert alices_page.locator(".incident-popup b").count() == 0
    screenshot(alices_page, "incident-on-organisers-phone")

    incident = Incident.objects.get()
    assert incident.reported_by == bob and incident.severity == "high"
    assert incident.description == DESCRIPTION
