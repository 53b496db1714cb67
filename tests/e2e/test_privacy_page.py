"""Alice, on her phone, follows the event page's link to what Parley records about her
demonstration and reads until when it is kept; the page fits the phone's width."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from coordination.moments import format_date

pytestmark = pytest.mark.e2e


def test_an_organiser_reads_what_parley_records_on_her_phone(phone_for, alices_event, alice,
                                                             screenshot):
    page = phone_for(alice, f"/events/{alices_event.pk}/")
    page.get_by_role("link", name="What Parley records about your event").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "What Parley records about your event")
    kept = (alices_event.ends_at + dt.timedelta(days=730)).date()
    expect(page.locator("#kept-until")).to_have_text(format_date(kept))
    expect(page.locator("#registration-fields")).to_contain_text(alices_event.contact_phone)
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "privacy-page-phone")
