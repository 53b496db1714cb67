"""Alice withdraws her agreed demonstration from her phone: the page asks for a reason, then
for a confirmation on a step of its own, before anything is changed."""

import pytest
from playwright.sync_api import expect

from coordination.models import LogEntry

pytestmark = pytest.mark.e2e


def test_organiser_gives_a_reason_and_confirms_before_withdrawing(phone_for, agreed_event,
                                                                  alice, screenshot):
    page = phone_for(alice, f"/events/{agreed_event.pk}/")
    page.get_by_role("tab", name="Details").click()  # on the day, the next steps are there
    expect(page.locator("#edit-link")).to_be_visible()

    page.get_by_label("Reason for withdrawing (required)").fill("The library closed.")
    page.get_by_role("button", name="Withdraw", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm withdrawal")
    expect(page.locator("#withdraw-note")).to_have_value("The library closed.")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "confirm-withdrawal-phone")
    agreed_event.refresh_from_db()
    assert agreed_event.state == "agreed"  # nothing changed before the confirmation

    page.get_by_role("button", name="Confirm withdrawal").click()

    expect(page.locator("#event-state")).to_have_text("Withdrawn")
    entry = LogEntry.objects.filter(event=agreed_event, kind="event.transition").latest("seq")
    assert entry.data["note"] == "The library closed."
