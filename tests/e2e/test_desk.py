"""Carol (city) keeps the desk open on her phone; Alice (organiser) submits her registration
from her own phone, and it appears on Carol's desk as waiting for review, without a reload."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from events import services
from tests.support.factories import event_fields

pytestmark = pytest.mark.e2e


def test_a_submitted_registration_appears_on_the_open_desk(phone_for, alice, carol, screenshot):
    starts = timezone.now() + dt.timedelta(days=2)
    draft = services.register_event(organiser=alice, **event_fields(
        title="Vigil for the river", kind="vigil", starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2)))

    desk = phone_for(carol, "/desk/")
    expect(desk.locator("#desk-status")).to_have_attribute("data-status", "live")
    waiting = desk.locator("#desk-waiting")
    expect(waiting).to_contain_text("Nothing is waiting for review.")
    expect(desk.locator("#desk-upcoming")).not_to_contain_text(draft.reference)  # a draft
    desk.evaluate("window.deskNotReloaded = true")

    organiser = phone_for(alice, f"/events/{draft.pk}/")
    organiser.get_by_role("button", name="Submit", exact=True).click()
    expect(organiser.locator("#event-state")).to_have_text("Submitted")

    entry = waiting.locator(f'li[data-event-id="{draft.pk}"]')
    expect(entry).to_contain_text(f"{draft.reference} Vigil for the river")
    expect(entry.get_by_role("link")).to_have_attribute("href", f"/events/{draft.pk}/")
    expect(desk.locator("#desk-state-submitted")).to_contain_text(draft.reference)
    assert desk.evaluate("window.deskNotReloaded") is True  # the same page, updated in place
    screenshot(desk, "desk-phone")
