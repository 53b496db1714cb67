"""Dave (reviewer) opens the replay of Alice's concluded demonstration on his phone, moves
the slider back to the start and forward change by change: the zone appears as first drawn,
is reshaped, is agreed; the incident and the messages of both channels appear in turn and
disappear again as he goes back. Then he downloads the after-action report from the review
page: a PDF with pages that names the demonstration."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def shown(page: Page, *, zones: int, incidents: int, messages: int) -> None:
    summary = page.locator("#replay-summary")
    expect(summary).to_have_attribute("data-zones", str(zones))
    expect(summary).to_have_attribute("data-incidents", str(incidents))
    expect(summary).to_have_attribute("data-messages", str(messages))
    expect(page.locator("#replay-messages .replay-message")).to_have_count(messages)


def test_a_reviewer_replays_a_concluded_event_and_downloads_its_report(
    phone_for, asgi_live_server, story, dave, screenshot
):
    page = phone_for(dave, f"/events/{story.event.pk}/replay/")
    slider = page.locator("#replay-slider")
    expect(slider).to_be_enabled()
    zone_item = page.locator(f'#replay-zones [data-zone-id="{story.zone.pk}"]')
    messages = page.locator("#replay-messages .replay-message")
    next_change = page.get_by_role("button", name="Next change")

    # At the end: everything, the officials' channel included, and the agreed zone drawn.
    shown(page, zones=1, incidents=1, messages=3)
    expect(zone_item).to_have_attribute("data-status", "agreed")
    expect(page.locator("#replay-map path.parley-zone")).to_have_count(1)
    expect(page.locator("#replay-map path.replay-incident")).to_have_count(1)
    expect(messages.nth(1)).to_contain_text("Two units on standby behind the library.")
    screenshot(page, "review-replay-end")
    expect(slider).not_to_have_value("0")

    # Back to the start with the keyboard: nothing yet.
    slider.focus()
    page.keyboard.press("Home")
    shown(page, zones=0, incidents=0, messages=0)
    expect(page.locator("#replay-messages")).to_contain_text("No message yet.")
    expect(page.locator("#replay-map path.parley-zone")).to_have_count(0)
    # The whole story may fit in one minute (the time shown): the slider itself moved.
    expect(slider).to_have_value("0")

    # Forward change by change.
    next_change.click()
    shown(page, zones=1, incidents=0, messages=0)
    expect(zone_item).to_have_attribute("data-version", "1")
    expect(zone_item).to_have_attribute("data-status", "proposed")
    next_change.click()
    expect(zone_item).to_have_attribute("data-version", "2")
    expect(zone_item).to_have_attribute("data-status", "proposed")
    next_change.click()
    expect(zone_item).to_have_attribute("data-status", "agreed")
    next_change.click()
    shown(page, zones=1, incidents=1, messages=0)
    next_change.click()
    shown(page, zones=1, incidents=1, messages=1)
    expect(messages.first).to_contain_text("We are gathering at the steps, café open.")
    expect(messages.first.locator(".key-moment-badge")).to_be_visible()
    screenshot(page, "review-replay-first-message")

    # To the end with the keyboard, then one change back: the instruction disappears.
    slider.focus()
    page.keyboard.press("End")
    shown(page, zones=1, incidents=1, messages=3)
    page.get_by_role("button", name="Previous change").click()
    shown(page, zones=1, incidents=1, messages=2)
    expect(page.locator("#replay-messages")).not_to_contain_text("keep the north lane clear")

    # The report, from the review page.
    page.goto(f"{asgi_live_server}/events/{story.event.pk}/review/")
    expect(page.locator("#log-verification")).to_contain_text("Log verified")
    expect(page.locator("#key-moment-list")).to_contain_text("We are gathering at the steps")
    screenshot(page, "review-timeline")
    with page.expect_download() as download_info:
        page.locator("#export-pdf").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    from pypdf import PdfReader

    with open(download.path(), "rb") as handle:
        pdf = PdfReader(io.BytesIO(handle.read()))
    assert len(pdf.pages) >= 1
    text = "".join(p.extract_text() or "" for p in pdf.pages)
    assert story.event.reference in text
